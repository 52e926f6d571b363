//! KW-NODE-201: control-plane file is writable or readable beyond its owner.

use crate::nodes::files::{Section, check_mode};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-201",
        name: "control-plane-file-permissions",
        layer: Layer::ControlPlane,
        severity: Severity::High,
        title: "control-plane file is writable or readable beyond its owner",
        why: "Static pod manifests, the control-plane kubeconfigs and the PKI decide what runs with cluster-admin power: a user who can write a manifest runs any container as the API server; one who can read admin.conf or a CA key owns the cluster.",
        fix: "`chmod` the file to the mode the benchmark names (600 for manifests, kubeconfigs, certificates and keys; 700 for the etcd data directory).",
        references: &[
            ("cis", "1.1.1"),
            ("cis", "1.1.13"),
            ("cis", "1.1.21"),
            ("mitre", "T1552.004"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["HostFile"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    check_mode(ctx.object, out, Section::ControlPlane);
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::nodes::files::fixtures::host_file;
    use kubeward_core::Status;
    use kubeward_core::testing::run;

    const ST: &str =
        "  exists: true\n  type: file\n  uid: 0\n  gid: 0\n  user: root\n  group: root\n";

    #[test]
    fn modes_by_benchmark() {
        let p = "/etc/kubernetes/manifests/kube-apiserver.yaml";
        let f = run(
            &RULE,
            &host_file(
                p,
                "apiserver-manifest",
                &format!("{ST}  mode: \"0644\"\n"),
                "v1.33.1",
            ),
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/status/mode");
        assert!(
            f[0].references
                .contains(&("cis", "1.1.1 (cis-1.12)".into()))
        );
        // 644 passed in the older benchmarks.
        assert!(
            run(
                &RULE,
                &host_file(
                    p,
                    "apiserver-manifest",
                    &format!("{ST}  mode: \"0644\"\n"),
                    "v1.24.0"
                )
            )
            .is_empty()
        );
        assert!(
            run(
                &RULE,
                &host_file(
                    p,
                    "apiserver-manifest",
                    &format!("{ST}  mode: \"0600\"\n"),
                    "v1.33.1"
                )
            )
            .is_empty()
        );
        // Keys: 600 in every benchmark.
        let f = run(
            &RULE,
            &host_file(
                "/etc/kubernetes/pki/ca.key",
                "pki-key",
                &format!("{ST}  mode: \"0640\"\n"),
                "v1.24.0",
            ),
        );
        assert!(f[0].message.contains("0640"));
        // Node files are not this rule's.
        assert!(
            run(
                &RULE,
                &host_file(
                    "/var/lib/kubelet/config.yaml",
                    "kubelet-config",
                    &format!("{ST}  mode: \"0666\"\n"),
                    "v1.33.1"
                )
            )
            .is_empty()
        );
        // Absent or unreadable: unknown.
        let f = run(
            &RULE,
            &host_file(p, "apiserver-manifest", "  exists: false\n", "v1.33.1"),
        );
        assert_eq!(f[0].status, Status::Unknown);
        assert!(f[0].message.contains("absent"));
        let f = run(
            &RULE,
            &host_file(
                p,
                "apiserver-manifest",
                "  error: permission denied\n",
                "v1.33.1",
            ),
        );
        assert!(f[0].message.contains("permission denied"));
    }
}
