//! KW-CP-009: audit log retention.

use crate::support::components::{Kind, check_each};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CP-009",
        name: "apiserver-audit-retention",
        layer: Layer::Monitoring,
        severity: Severity::Low,
        title: "Audit log files are kept too briefly",
        why: "Intrusions are often found weeks later. With the defaults (no age limit, but no \
              backups kept and 100 MB files), a busy API server rotates the evidence away within \
              hours unless the log is shipped elsewhere.",
        fix: "Set `--audit-log-maxage=30` (days), `--audit-log-maxbackup=10` and \
              `--audit-log-maxsize=100` (MB) or more, or ship events off the node with \
              `--audit-webhook-config-file`.",
        references: &[
            ("cis", "1.2.17"),
            ("cis", "1.2.18"),
            ("cis", "1.2.19"),
            ("kubescape", "C-0131"),
            ("kubescape", "C-0132"),
            ("kubescape", "C-0133"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

const LIMITS: &[(&str, i64, &str)] = &[
    ("audit-log-maxage", 30, "days"),
    ("audit-log-maxbackup", 10, "files"),
    ("audit-log-maxsize", 100, "MB"),
];

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    check_each(ctx, out, Kind::ApiServer, |c, out| {
        // Only for a log file on the node; `-` is standard output, and a webhook ships events.
        let Some(path) = c.value("audit-log-path") else {
            return;
        };
        if path == "-" || path.trim().is_empty() || c.is_set("audit-webhook-config-file") {
            return;
        }
        for (flag, min, unit) in LIMITS {
            let have = c.value(flag).and_then(|v| v.trim().parse::<i64>().ok());
            if have.is_none_or(|h| h < *min) {
                out.report(
                    c.object,
                    c.ptr(flag),
                    format!(
                        "{} --{flag} is {} (want at least {min} {unit})",
                        c.describe(),
                        c.value(flag).unwrap_or("not set")
                    ),
                );
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::components::fixtures::*;
    use kubeward_core::testing::run;

    #[test]
    fn retention() {
        let h = run(
            &RULE,
            &kubeadm(
                "kube-apiserver",
                &[
                    "--audit-log-path=/var/log/a.log",
                    "--audit-log-maxage=7",
                    "--audit-log-maxbackup=10",
                ],
            ),
        );
        assert_eq!(h.len(), 2);
        assert!(h.iter().any(|x| x.message.contains("is 7")));
        assert!(run(&RULE, &kubeadm("kube-apiserver", &[])).is_empty());
        assert!(
            run(
                &RULE,
                &rke2(
                    "kube-apiserver",
                    &[
                        "--audit-log-path=/a",
                        "--audit-log-maxage=30",
                        "--audit-log-maxbackup=10",
                        "--audit-log-maxsize=100"
                    ]
                )
            )
            .is_empty()
        );
    }
}
