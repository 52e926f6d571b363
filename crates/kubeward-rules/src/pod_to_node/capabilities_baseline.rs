//! KW-PSS-004 (`capabilities_baseline`): capabilities added beyond the container runtime's
//! default set.

use super::pss::{Invalid, PssCheck, Sink, Version, run_rule};
use kubeward_core::config::PssLevel;
use kubeward_core::{Check, Layer, Rule, RuleMeta, Targets};
use kubeward_core::{Container, PodSpec, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-PSS-004",
        name: "capabilities-added",
        layer: Layer::PodToNode,
        severity: Severity::High,
        title: "Container adds a Linux capability outside the baseline set",
        why: "Capabilities such as SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN, NET_RAW or BPF \
              give root in the container powers over the kernel and the node's network that \
              container isolation relies on taking away; several are enough on their own to \
              escape to the node. Pod Security Standards: baseline allows adding only AUDIT_WRITE, \
              CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, \
              SETPCAP, SETUID and SYS_CHROOT (exact, upper-case names without `CAP_`). At the \
              restricted level from v1.22 this check is replaced by KW-PSS-106.",
        fix: "Remove the capability from `securityContext.capabilities.add`. If the workload \
              really needs it, run it in a namespace whose Pod Security level allows it, with \
              the narrowest capability possible.",
        references: &[
            ("pss", "capabilities_baseline"),
            ("cis", "5.2.9"),
            ("mitre", "T1611"),
            ("checkov", "CKV_K8S_39"),
            ("kubescape", "C-0046"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: |ctx, out| run_rule(&CHECK, ctx, out),
    },
};

pub static CHECK: PssCheck = PssCheck {
    id: "capabilities_baseline",
    level: PssLevel::Baseline,
    versions: &[Version {
        since: 0,
        check: v1_0,
        overrides: &[],
    }],
    rule: &RULE,
};

/// The capabilities a baseline container may add.
pub const ALLOWED: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Every entry of containers' `securityContext.capabilities.add` must be in [`ALLOWED`].
fn v1_0(pod: &PodSpec<'_>, s: &mut Sink) {
    for c in pod.containers() {
        let _ = container(&c, s);
    }
}

fn container(c: &Container<'_>, s: &mut Sink) -> Result<(), Invalid> {
    let sc = s.container_sc(c)?;
    let caps = s.map(sc, "capabilities", || {
        c.ptr(&["securityContext", "capabilities"])
    })?;
    let add = s.seq(caps, "add", || {
        c.ptr(&["securityContext", "capabilities", "add"])
    })?;
    // One finding per container: every forbidden addition is named in it.
    let mut forbidden: Vec<String> = Vec::new();
    for (i, cap) in add.iter().enumerate() {
        let idx = i.to_string();
        let p = c.ptr(&["securityContext", "capabilities", "add", &idx]);
        let Ok(name) = s.item_str(cap, p) else {
            continue;
        };
        if !ALLOWED.contains(&name) {
            forbidden.push(format!("{}{}", super::pss::q(name), hint(name)));
        }
    }
    if !forbidden.is_empty() {
        s.fail(
            c.ptr(&["securityContext", "capabilities", "add"]),
            format!(
                "{} adds {} {}, which the baseline level does not allow",
                c.describe(),
                if forbidden.len() == 1 {
                    "capability"
                } else {
                    "capabilities"
                },
                forbidden.join(", ")
            ),
        );
    }
    Ok(())
}

/// Explains near misses: names are exact and upper-case, without `CAP_`.
pub fn hint(name: &str) -> &'static str {
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if bare != name && ALLOWED.contains(&bare) {
        " (capability names are matched exactly: upper case, without `CAP_`)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::pod_to_node::test_support::*;
    use kubeward_core::testing::pointers;

    #[test]
    fn one_finding_per_container_naming_every_forbidden_capability() {
        let hits = at(
            &RULE,
            "baseline",
            &pod(
                "  initContainers: [{name: i, image: x, securityContext: {capabilities: {add: [CHOWN, SYS_ADMIN]}}}]\n  containers: [{name: a, image: x, securityContext: {capabilities: {add: [NET_RAW, ALL, chown], drop: [ALL]}}}]\n  ephemeralContainers: [{name: e, image: x, securityContext: {capabilities: {add: [CAP_KILL]}}}]\n",
            ),
        );
        assert_eq!(
            pointers(&hits),
            vec![
                "/spec/initContainers/0/securityContext/capabilities/add",
                "/spec/containers/0/securityContext/capabilities/add",
                "/spec/ephemeralContainers/0/securityContext/capabilities/add",
            ]
        );
        assert!(hits[0].message.contains("capability \"SYS_ADMIN\","));
        assert!(!hits[0].message.contains("CHOWN"));
        let m = &hits[1].message;
        assert!(
            m.contains("capabilities \"NET_RAW\", \"ALL\", \"chown\" (capability names"),
            "{m}"
        );
        assert!(hits[2].message.contains("ephemeral container \"e\""));
    }

    #[test]
    fn quiet_for_allowed_or_no_additions() {
        assert!(at(&RULE, "baseline:v1.0", &pod("  containers: [{name: a, image: x, securityContext: {capabilities: {add: [NET_BIND_SERVICE, CHOWN, SYS_CHROOT], drop: [NET_RAW]}}}]\n")).is_empty());
        assert!(at(&RULE, "baseline:v1.0", &pod("  containers: [{name: a, image: x, securityContext: {capabilities: {add: []}}}]\n")).is_empty());
        // Capabilities do not exist at pod level; they are not inherited.
        assert!(at(&RULE, "baseline:v1.0", &pod("  securityContext: {capabilities: {add: [SYS_ADMIN]}}\n  containers: [{name: a, image: x}]\n")).is_empty());
    }

    #[test]
    fn replaced_at_restricted_from_v1_22() {
        let y = pod(
            "  containers: [{name: a, image: x, securityContext: {capabilities: {add: [SYS_ADMIN]}}}]\n",
        );
        assert_eq!(at(&RULE, "restricted:v1.21", &y).len(), 1);
        assert!(at(&RULE, "restricted:v1.22", &y).is_empty());
        assert_eq!(at(&RULE, "baseline:latest", &y).len(), 1);
    }

    #[test]
    fn every_workload_kind() {
        for (kind, y) in every_kind(
            "{containers: [{name: a, image: x, securityContext: {capabilities: {add: [SYS_PTRACE]}}}]}",
        ) {
            assert_eq!(at(&RULE, "baseline", &y).len(), 1, "{kind}");
        }
    }
}
