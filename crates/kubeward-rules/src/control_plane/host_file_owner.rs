//! KW-NODE-202: control-plane file is not owned by root (or etcd for its data).

use crate::nodes::files::{Section, check_owner};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-202",
        name: "control-plane-file-ownership",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "control-plane file is not owned by root (or etcd for its data)",
        why: "The owner of a file can change its mode and content: a manifest, kubeconfig or key owned by an ordinary user is one compromised account away from a cluster takeover.",
        fix: "`chown root:root` manifests, kubeconfigs and the PKI; `chown etcd:etcd` the etcd data directory.",
        references: &[
            ("cis", "1.1.2"),
            ("cis", "1.1.12"),
            ("cis", "1.1.19"),
            ("mitre", "T1222.002"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["HostFile"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    check_owner(ctx.object, out, Section::ControlPlane);
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::nodes::files::fixtures::host_file;
    use kubeward_core::Status;
    use kubeward_core::testing::run;

    #[test]
    fn owners() {
        let d = "/var/lib/etcd";
        let st = |u: &str| {
            format!("  exists: true\n  type: directory\n  mode: \"0700\"\n  uid: 0\n  gid: 0\n{u}")
        };
        let f = run(
            &RULE,
            &host_file(
                d,
                "etcd-data-dir",
                &st("  user: root\n  group: root\n"),
                "v1.33.1",
            ),
        );
        assert!(f[0].message.contains("etcd:etcd"));
        assert!(
            run(
                &RULE,
                &host_file(
                    d,
                    "etcd-data-dir",
                    &st("  user: etcd\n  group: etcd\n"),
                    "v1.33.1"
                )
            )
            .is_empty()
        );
        // uid 0 without a user database is still root.
        assert!(
            run(
                &RULE,
                &host_file(
                    "/etc/kubernetes/admin.conf",
                    "admin-kubeconfig",
                    &st(""),
                    "v1.33.1"
                )
            )
            .is_empty()
        );
        let f = run(
            &RULE,
            &host_file(
                "/etc/kubernetes/admin.conf",
                "admin-kubeconfig",
                "  exists: true\n  uid: 1000\n  gid: 1000\n",
                "v1.33.1",
            ),
        );
        assert_eq!(f[0].status, Status::Unknown);
        let f = run(
            &RULE,
            &host_file(
                "/etc/kubernetes/admin.conf",
                "admin-kubeconfig",
                "  exists: true\n  uid: 1000\n  gid: 1000\n  user: alice\n  group: alice\n",
                "v1.33.1",
            ),
        );
        assert_eq!(f[0].status, Status::Fail);
    }
}
