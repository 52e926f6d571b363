//! KW-NODE-203: kubelet file is writable or readable beyond its owner.

use super::{Section, check_mode};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-203",
        name: "node-file-permissions",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "kubelet file is writable or readable beyond its owner",
        why: "The kubelet's service file, configuration and kubeconfig decide how the node authenticates and what it accepts: a writable service file or configuration turns off authentication at the next restart; a readable kubelet kubeconfig hands out the node's credentials.",
        fix: "`chmod 600` the kubelet service file, configuration, kubeconfigs and client CA file (644 in benchmarks before CIS 1.8).",
        references: &[("cis", "4.1.1"), ("cis", "4.1.5"), ("cis", "4.1.9")],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::Kinds(&["HostFile"]),
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    check_mode(ctx.object, out, Section::Node);
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::host_file;
    use super::RULE;
    use kubeward_core::testing::run;

    #[test]
    fn examined_tells_an_absent_file_from_an_unreadable_one() {
        use super::super::{HostFile, NotExamined, Section};
        let p = "/var/lib/kubelet/config.yaml";
        let load = |status: &str| {
            kubeward_core::testing::load(&host_file(p, "kubelet-config", status, "v1.33.1"))
                .inventory
        };
        let inv = load("  exists: false\n");
        let f = HostFile::of(&inv.objects()[0], Section::Node).unwrap();
        assert!(matches!(
            f.examined(),
            Err(NotExamined::Absent { path, .. }) if path == p
        ));
        let inv = load("  error: permission denied\n");
        let f = HostFile::of(&inv.objects()[0], Section::Node).unwrap();
        match f.examined() {
            Err(e @ NotExamined::Failed { .. }) => {
                assert!(
                    e.to_string()
                        .ends_with("could not be examined: permission denied")
                )
            }
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    #[test]
    fn kubelet_files() {
        let st = |m: &str| format!("  exists: true\n  uid: 0\n  gid: 0\n  mode: \"{m}\"\n");
        let p = "/var/lib/kubelet/config.yaml";
        let f = run(
            &RULE,
            &host_file(p, "kubelet-config", &st("0644"), "v1.33.1"),
        );
        assert!(
            f[0].references
                .contains(&("cis", "4.1.9 (cis-1.12)".into()))
        );
        assert!(
            run(
                &RULE,
                &host_file(p, "kubelet-config", &st("0644"), "v1.23.0")
            )
            .is_empty()
        );
        assert_eq!(
            run(
                &RULE,
                &host_file(p, "kubelet-config", &st("0666"), "v1.23.0")
            )
            .len(),
            1
        );
        assert!(
            run(
                &RULE,
                &host_file(p, "kubelet-config", &st("0600"), "v1.33.1")
            )
            .is_empty()
        );
    }
}
