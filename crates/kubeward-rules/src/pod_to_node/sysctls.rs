//! KW-PSS-011 (`sysctls`): unsafe sysctls.

use super::pss::{Invalid, PssCheck, Sink, Version, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-011",
        name: "unsafe-sysctl",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Pod sets a sysctl outside the safe set",
        why: "Only a few sysctls are namespaced and isolated from the node and other pods. Others \
              change kernel behaviour for the whole node (memory, networking, kernel limits) and \
              can be used to weaken it or starve other workloads. Pod Security Standards: \
              baseline; the allowed names grow by version: v1.0 kernel.shm_rmid_forced, \
              net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, \
              net.ipv4.ip_unprivileged_port_start; v1.27 adds net.ipv4.ip_local_reserved_ports; \
              v1.29 adds net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl and \
              tcp_keepalive_probes; v1.32 adds net.ipv4.tcp_rmem and tcp_wmem; v1.37 adds \
              net.ipv4.tcp_slow_start_after_idle and tcp_notsent_lowat.",
        fix: "Remove the sysctl from `spec.securityContext.sysctls`, or set it on the nodes \
              instead if every workload there needs it.",
        references: &[
            ("pss", "sysctls"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "sysctls",
    level: PssLevel::Baseline,
    versions: &[
        Version {
            since: 0,
            check: v1_0,
            overrides: &[],
        },
        Version {
            since: 27,
            check: v1_27,
            overrides: &[],
        },
        Version {
            since: 29,
            check: v1_29,
            overrides: &[],
        },
        Version {
            since: 32,
            check: v1_32,
            overrides: &[],
        },
        Version {
            since: 37,
            check: v1_37,
            overrides: &[],
        },
    ],
    rule: &RULE,
};

const V1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const V1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const V1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const V1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const V1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    let _ = check(pod, s, &[V1_0], "v1.0");
}
fn v1_27(pod: &PodSpec<'_>, s: &mut Sink) {
    let _ = check(pod, s, &[V1_0, V1_27], "v1.27");
}
fn v1_29(pod: &PodSpec<'_>, s: &mut Sink) {
    let _ = check(pod, s, &[V1_0, V1_27, V1_29], "v1.29");
}
fn v1_32(pod: &PodSpec<'_>, s: &mut Sink) {
    let _ = check(pod, s, &[V1_0, V1_27, V1_29, V1_32], "v1.32");
}
fn v1_37(pod: &PodSpec<'_>, s: &mut Sink) {
    let _ = check(pod, s, &[V1_0, V1_27, V1_29, V1_32, V1_37], "v1.37");
}

/// Every `spec.securityContext.sysctls[*].name` must be in the allowed lists.
fn check(pod: &PodSpec<'_>, s: &mut Sink, allowed: &[&[&str]], since: &str) -> Result<(), Invalid> {
    let sc = s.pod_sc(pod)?;
    let sysctls = s.seq(sc, "sysctls", || pod.ptr(&["securityContext", "sysctls"]))?;
    for (i, entry) in sysctls.iter().enumerate() {
        let idx = i.to_string();
        let p = || pod.ptr(&["securityContext", "sysctls", &idx, "name"]);
        let Ok(name) = s.str(Some(entry), "name", p) else {
            continue;
        };
        let name = name.unwrap_or("");
        if !allowed.iter().any(|l| l.contains(&name)) {
            s.fail(
                p(),
                format!(
                    "the pod sets sysctl {}, which is not in the safe set (as of {since})",
                    q(name)
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    fn with(names: &[&str]) -> String {
        let list: Vec<String> = names
            .iter()
            .map(|n| format!("{{name: {n}, value: '1'}}"))
            .collect();
        pod(&format!(
            "  securityContext: {{sysctls: [{}]}}\n  containers: [{{name: a, image: x}}]\n",
            list.join(", ")
        ))
    }

    #[test]
    fn fires_per_unsafe_sysctl() {
        let y = with(&[
            "kernel.shm_rmid_forced",
            "kernel.msgmax",
            "net.core.somaxconn",
        ]);
        let hits = at(&RULE, "baseline", &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/securityContext/sysctls/1/name",
                "/spec/securityContext/sysctls/2/name"
            ]
        );
        assert!(hits[0].message.contains("\"kernel.msgmax\""));
    }

    #[test]
    fn allow_list_grows_by_version() {
        for (name, since) in [
            ("net.ipv4.ip_local_reserved_ports", 27),
            ("net.ipv4.tcp_keepalive_probes", 29),
            ("net.ipv4.tcp_wmem", 32),
            ("net.ipv4.tcp_notsent_lowat", 37),
        ] {
            let y = with(&[name]);
            assert_eq!(
                at(&RULE, &format!("baseline:v1.{}", since - 1), &y).len(),
                1,
                "{name}"
            );
            assert!(
                at(&RULE, &format!("baseline:v1.{since}"), &y).is_empty(),
                "{name}"
            );
            assert!(
                at(&RULE, &format!("restricted:v1.{since}"), &y).is_empty(),
                "{name}"
            );
        }
        assert!(
            at(
                &RULE,
                "baseline:v1.0",
                &with(&["net.ipv4.ping_group_range"])
            )
            .is_empty()
        );
    }

    #[test]
    fn container_level_sysctls_do_not_exist() {
        let y = pod(
            "  containers: [{name: a, image: x, securityContext: {sysctls: [{name: kernel.msgmax, value: '1'}]}}]\n",
        );
        assert!(at(&RULE, "baseline", &y).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{securityContext: {sysctls: [{name: vm.swappiness, value: '1'}]}, containers: [{name: a, image: x}]}",
        ) {
            assert_eq!(at(&RULE, "baseline", &y).len(), 1, "{kind}");
        }
    }
}
