//! KW-NODE-204: kubelet file is not owned by root.

use super::{Section, check_owner};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-204",
        name: "node-file-ownership",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "kubelet file is not owned by root",
        why: "A kubelet service file, configuration or kubeconfig owned by an ordinary user can be rewritten by that user to change how the kubelet authenticates and authorizes requests.",
        fix: "`chown root:root` the kubelet service file, configuration, kubeconfigs and client CA file.",
        references: &[("cis", "4.1.2"), ("cis", "4.1.6"), ("cis", "4.1.10")],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["HostFile"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    check_owner(ctx.object, out, Section::Node);
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::host_file;
    use super::RULE;
    use kubeward_core::testing::run;

    #[test]
    fn kubelet_files() {
        let p = "/etc/kubernetes/kubelet.conf";
        let f = run(
            &RULE,
            &host_file(
                p,
                "kubelet-kubeconfig",
                "  exists: true\n  mode: \"0600\"\n  uid: 1000\n  gid: 0\n  user: bob\n  group: root\n",
                "v1.33.1",
            ),
        );
        assert!(f[0].message.contains("bob:root"));
        assert!(
            run(
                &RULE,
                &host_file(
                    p,
                    "kubelet-kubeconfig",
                    "  exists: true\n  mode: \"0600\"\n  uid: 0\n  gid: 0\n",
                    "v1.33.1"
                )
            )
            .is_empty()
        );
    }
}
