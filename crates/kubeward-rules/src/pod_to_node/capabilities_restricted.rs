//! KW-PSS-106 (`capabilities_restricted`): containers that keep or add capabilities.

use super::capabilities_baseline::{ALLOWED as BASELINE_ALLOWED, hint};
use super::pss::{Invalid, PssCheck, Sink, Version, is_windows, q, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-106",
        name: "capabilities-not-dropped",
        layer: Layer::PodToNode,
        severity: Severity::Medium,
        title: "Container does not drop ALL capabilities or adds one other than NET_BIND_SERVICE",
        why: "Container runtimes grant a default set of capabilities (CHOWN, DAC_OVERRIDE, \
              FOWNER, NET_RAW, SETUID, ...) that most workloads never use; NET_RAW alone allows \
              ARP and DNS spoofing inside the cluster network. Pod Security Standards: restricted, \
              from v1.22: `capabilities.drop` must contain `ALL` and `capabilities.add` may only \
              contain NET_BIND_SERVICE (exact names). From v1.25 Windows pods are exempt. \
              Replaces KW-PSS-004 at the restricted level, so capabilities that baseline forbids \
              are reported here with high severity.",
        fix: "Set `securityContext.capabilities.drop: [ALL]` in every container and add back \
              only NET_BIND_SERVICE if the process binds a port below 1024.",
        references: &[
            ("pss", "capabilities_restricted"),
            ("cis", "5.2.8, 5.2.9"),
            ("checkov", "CKV_K8S_28, CKV_K8S_37"),
            ("kube-score", "container-security-context-capabilities"),
            ("mitre", "T1611"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "capabilities_restricted",
    level: PssLevel::Restricted,
    versions: &[
        Version {
            since: 22,
            check: v1_22,
            overrides: &["capabilities_baseline"],
        },
        Version {
            since: 25,
            check: v1_25,
            overrides: &["capabilities_baseline"],
        },
    ],
    rule: &RULE,
};

fn v1_22(pod: &PodSpec<'_>, s: &mut Sink) {
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

fn v1_25(pod: &PodSpec<'_>, s: &mut Sink) {
    if is_windows(pod) {
        return;
    }
    v1_22(pod, s);
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let ptr = |rest: &[&str]| {
        let mut t = vec!["securityContext", "capabilities"];
        t.extend_from_slice(rest);
        c.ptr(&t)
    };
    let caps = s.map(sc, "capabilities", || ptr(&[]))?;
    if let Ok(drop) = s.seq(caps, "drop", || ptr(&["drop"])) {
        let mut dropped_all = false;
        let mut undecided = false;
        for (i, d) in drop.iter().enumerate() {
            match s.item_str(d, ptr(&["drop", &i.to_string()])) {
                Ok("ALL") => dropped_all = true,
                Ok(_) => {}
                Err(_) => undecided = true,
            }
        }
        if !dropped_all && !undecided {
            let near = drop
                .iter()
                .filter_map(|d| d.as_str())
                .any(|d| d.eq_ignore_ascii_case("all") || d.eq_ignore_ascii_case("cap_all"));
            s.fail(
                ptr(&["drop"]),
                format!(
                    "{} does not drop ALL capabilities{}",
                    c.describe(),
                    if near {
                        " (the name is matched exactly: `ALL`)"
                    } else {
                        ""
                    }
                ),
            );
        }
    }
    let add = s.seq(caps, "add", || ptr(&["add"]))?;
    // One finding per container: every forbidden addition is named in it, and it is high when
    // one of them is forbidden by the baseline level too.
    let mut forbidden: Vec<String> = Vec::new();
    let mut beyond_baseline = false;
    for (i, a) in add.iter().enumerate() {
        let Ok(name) = s.item_str(a, ptr(&["add", &i.to_string()])) else {
            continue;
        };
        if name != "NET_BIND_SERVICE" {
            beyond_baseline |= !BASELINE_ALLOWED.contains(&name);
            forbidden.push(format!("{}{}", q(name), hint(name)));
        }
    }
    if !forbidden.is_empty() {
        let f = s.fail(
            ptr(&["add"]),
            format!(
                "{} adds {} {}; the restricted level allows adding only NET_BIND_SERVICE{}",
                c.describe(),
                if forbidden.len() == 1 {
                    "capability"
                } else {
                    "capabilities"
                },
                forbidden.join(", "),
                if beyond_baseline {
                    " (the baseline level forbids some of these too)"
                } else {
                    ""
                },
            ),
        );
        if beyond_baseline {
            f.severity = Some(Severity::High);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::Severity;
    use kubeward_core::testing::pointers;

    #[test]
    fn missing_drop_all_and_each_forbidden_add() {
        let y = pod(
            "  initContainers: [{name: i, image: x}]\n  containers:\n  - {name: a, image: x, securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE, CHOWN, SYS_ADMIN]}}}\n  - {name: b, image: x, securityContext: {capabilities: {drop: [all, NET_RAW]}}}\n  ephemeralContainers: [{name: e, image: x, securityContext: {capabilities: {drop: [ALL]}}}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/initContainers/0/securityContext/capabilities/drop",
                "/spec/containers/0/securityContext/capabilities/add",
                "/spec/containers/1/securityContext/capabilities/drop",
            ]
        );
        // CHOWN alone would be medium (baseline allows it); SYS_ADMIN makes it high.
        assert_eq!(hits[1].severity, Severity::High);
        assert!(
            hits[1]
                .message
                .contains("capabilities \"CHOWN\", \"SYS_ADMIN\";")
        );
        assert!(hits[2].message.contains("matched exactly"));
    }

    #[test]
    fn additions_the_baseline_allows_stay_medium() {
        let y = pod(
            "  containers: [{name: a, image: x, securityContext: {capabilities: {drop: [ALL], add: [CHOWN, KILL]}}}]\n",
        );
        let hits = at(&RULE, "restricted", &y);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Medium);
        assert!(!hits[0].message.contains("baseline level forbids"));
    }

    #[test]
    fn pod_level_capabilities_do_not_exist() {
        let y = pod(
            "  securityContext: {capabilities: {drop: [ALL]}}\n  containers: [{name: a, image: x}]\n",
        );
        assert_eq!(at(&RULE, "restricted", &y).len(), 1);
    }

    #[test]
    fn versions_and_windows() {
        let y = pod("  containers: [{name: a, image: x}]\n");
        assert!(at(&RULE, "restricted:v1.21", &y).is_empty());
        assert_eq!(at(&RULE, "restricted:v1.22", &y).len(), 1);
        assert!(at(&RULE, "baseline", &y).is_empty());
        let w = pod("  os: {name: windows}\n  containers: [{name: a, image: x}]\n");
        assert_eq!(at(&RULE, "restricted:v1.24", &w).len(), 1);
        assert!(at(&RULE, "restricted:v1.25", &w).is_empty());
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x, securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}}]}",
        ) {
            assert!(at(&RULE, "restricted", &y).is_empty(), "{kind}");
        }
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x, securityContext: {capabilities: {drop: [ALL], add: [NET_RAW]}}}]}",
        ) {
            assert_eq!(at(&RULE, "restricted", &y).len(), 1, "{kind}");
        }
    }
}
