//! KW-CTR-005: containers that add dangerous Linux capabilities.

use crate::support::containers::cap_list;
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-005",
        name: "dangerous-capability",
        layer: Layer::Containers,
        severity: Severity::High,
        title: "Container adds a dangerous Linux capability",
        why: "Capabilities split root's power into pieces, and some pieces are enough to leave \
              the container: SYS_ADMIN (mounts, namespaces, the cgroup release_agent escape), \
              SYS_MODULE (load kernel code), DAC_READ_SEARCH (read any host file by handle, the \
              'shocker' escape), ALL. Others hand over the node's network (NET_ADMIN), other \
              processes (SYS_PTRACE), the kernel (BPF, SYS_RAWIO, SYS_BOOT), the clock (SYS_TIME, \
              not namespaced) or the security modules (MAC_ADMIN). One finding per container \
              names every dangerous capability it adds, most severe first, and takes the \
              severity of the worst. The Pod Security baseline profile rejects these \
              additions without saying which are dangerous; this rule explains and ranks them.",
        fix: "Remove the capability from `securityContext.capabilities.add`. If the workload truly \
              needs node-level power, isolate it in a dedicated namespace and node pool, and \
              prefer a narrower capability (for example NET_BIND_SERVICE instead of running as \
              root to bind port 80).",
        references: &[
            ("cis", "5.2.9"),
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, least privilege",
            ),
            ("checkov", "CKV_K8S_39"),
            ("kubescape", "C-0046"),
            ("polaris", "dangerousCapabilities"),
            ("mitre", "T1611"),
            (
                "docs",
                "https://man7.org/linux/man-pages/man7/capabilities.7.html",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

/// Capabilities worth a finding, with the severity and the reason. Capabilities that the
/// runtimes grant by default (CHOWN, SETUID, ...) and minor ones are not listed.
pub(crate) const DANGEROUS: &[(&str, Severity, &str)] = &[
    (
        "ALL",
        Severity::Critical,
        "every capability: root in the container is nearly root on the node",
    ),
    (
        "SYS_ADMIN",
        Severity::Critical,
        "mount filesystems, create namespaces, write cgroup release_agent: known container escapes",
    ),
    (
        "SYS_MODULE",
        Severity::Critical,
        "load kernel modules, that is, run code in the node's kernel",
    ),
    (
        "DAC_READ_SEARCH",
        Severity::Critical,
        "open any host file by handle (open_by_handle_at, the 'shocker' escape)",
    ),
    (
        "SYS_RAWIO",
        Severity::High,
        "raw I/O ports and device memory",
    ),
    (
        "SYS_PTRACE",
        Severity::High,
        "trace and inject code into other processes it can see (with hostPID or a shared process namespace, other containers' and the node's)",
    ),
    ("BPF", Severity::High, "load eBPF programs into the kernel"),
    (
        "NET_ADMIN",
        Severity::High,
        "reconfigure interfaces, routes and firewall rules (the node's own, with hostNetwork)",
    ),
    (
        "SYS_TIME",
        Severity::High,
        "set the node's clock, which is not namespaced (breaks TLS validity and audit trails)",
    ),
    (
        "SYS_BOOT",
        Severity::High,
        "load a new kernel with kexec_load",
    ),
    (
        "MAC_ADMIN",
        Severity::High,
        "change AppArmor or SELinux policy",
    ),
    (
        "MAC_OVERRIDE",
        Severity::High,
        "bypass AppArmor or SELinux policy",
    ),
    (
        "PERFMON",
        Severity::Medium,
        "kernel performance monitoring, which exposes kernel addresses and other processes' activity",
    ),
    (
        "SYSLOG",
        Severity::Medium,
        "read and clear the kernel log, which leaks kernel addresses",
    ),
    (
        "NET_RAW",
        Severity::Medium,
        "raw sockets: forge packets, ARP and DNS spoofing on the node's pod network",
    ),
    (
        "AUDIT_CONTROL",
        Severity::Medium,
        "change or disable the kernel audit rules that record what it does",
    ),
    (
        "SYS_RESOURCE",
        Severity::Medium,
        "override resource limits and quotas",
    ),
    (
        "CHECKPOINT_RESTORE",
        Severity::Medium,
        "checkpoint/restore operations on other processes",
    ),
    (
        "LINUX_IMMUTABLE",
        Severity::Medium,
        "change immutable and append-only file flags",
    ),
    (
        "IPC_OWNER",
        Severity::Medium,
        "bypass permission checks on System V IPC objects",
    ),
];

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    if pod.is_windows() {
        return;
    }
    for c in pod.containers() {
        let add = cap_list(&c, "add");
        if add.is_empty() {
            continue;
        }
        // Individual drops are applied after the adds, by both containerd and CRI-O.
        let drop = cap_list(&c, "drop");
        // One finding per container: every dangerous addition is named, the most severe first
        // decides the severity.
        let mut hits: Vec<(Severity, String)> = Vec::new();
        for (_, raw, e) in &add {
            let Some((_, sev, what)) = DANGEROUS.iter().find(|(n, _, _)| *n == e.name) else {
                continue;
            };
            // `add: [ALL]` is applied first and undone by `drop: [ALL]`; a named add is undone
            // only by the same name in drop.
            let undone = if e.is_all() {
                drop.iter().any(|(_, _, d)| d.is_all())
            } else {
                drop.iter().any(|(_, _, d)| !d.is_all() && d.name == e.name)
            };
            if undone {
                continue;
            }
            let note = if e.prefixed {
                " (granted by CRI-O; containerd reads it as CAP_CAP_... and ignores it)"
            } else {
                ""
            };
            hits.push((*sev, format!("`{raw}`: {what}{note}")));
        }
        let Some(worst) = hits.iter().map(|(s, _)| *s).max() else {
            continue;
        };
        // Most severe first; equal severities keep the order of the list.
        hits.sort_by_key(|h| std::cmp::Reverse(h.0));
        let list: Vec<String> = hits.into_iter().map(|(_, h)| h).collect();
        let message = if list.len() == 1 {
            format!("{} adds {}", c.describe(), list[0])
        } else {
            format!(
                "{} adds {} dangerous capabilities: {}",
                c.describe(),
                list.len(),
                list.join("; ")
            )
        };
        out.report(
            ctx.object,
            c.ptr(&["securityContext", "capabilities", "add"]),
            message,
        )
        .severity(worst);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, pod_yaml};
    use kubeward_core::Severity;
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn one_finding_per_container_listing_every_capability_most_severe_first() {
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x",
        "securityContext": {"capabilities": {"add": [
            "NET_RAW", "net_admin", "CAP_SYS_PTRACE", "CHOWN", "NET_BIND_SERVICE",
            "SYS_ADMIN", "SYS_TYPO", "CAP_ALL"
        ]}}}]}));
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(
            pointers(&hits),
            vec!["/spec/containers/0/securityContext/capabilities/add"]
        );
        assert_eq!(hits[0].severity, Severity::Critical);
        let m = &hits[0].message;
        assert!(m.contains("adds 4 dangerous capabilities"), "{m}");
        // Critical before high before medium; equal severities in list order.
        let order: Vec<usize> = [
            "`SYS_ADMIN`",
            "`net_admin`",
            "`CAP_SYS_PTRACE`",
            "`NET_RAW`",
        ]
        .iter()
        .map(|n| m.find(n).unwrap_or_else(|| panic!("{n} in {m}")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{m}");
        assert!(m.contains("granted by CRI-O"), "{m}");
        assert!(!m.contains("CHOWN") && !m.contains("SYS_TYPO"), "{m}");
    }

    #[test]
    fn a_single_capability_keeps_its_own_severity() {
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x",
            "securityContext": {"capabilities": {"add": ["NET_RAW", "CHOWN"]}}}]}));
        let hits = run(&RULE, &y);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].severity, Severity::Medium);
        assert!(hits[0].message.contains("adds `NET_RAW`: raw sockets"));
    }

    #[test]
    fn drop_all_undoes_add_all_but_not_named_adds() {
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x",
            "securityContext": {"capabilities": {"add": ["ALL", "SYS_MODULE"], "drop": ["ALL"]}}}]}));
        assert_eq!(
            sorted(pointers(&run(&RULE, &y))),
            sorted(vec!["/spec/containers/0/securityContext/capabilities/add"])
        );
    }

    #[test]
    fn an_individual_drop_removes_the_add() {
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x",
            "securityContext": {"capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"],
                                                 "drop": ["ALL", "sys_admin"]}}}]}));
        // drop: ALL is applied before the adds; the individual drop after them.
        assert_eq!(
            sorted(pointers(&run(&RULE, &y))),
            sorted(vec!["/spec/containers/0/securityContext/capabilities/add"])
        );
    }

    #[test]
    fn every_kind_and_container_list_and_quiet_cases() {
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x", "securityContext": {"capabilities": {"add": ["BPF"]}}}],
            "containers": [{"name": "a", "image": "x", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}}}],
            "ephemeralContainers": [{"name": "e", "image": "x", "securityContext": {"capabilities": {"add": ["SYS_PTRACE"]}}}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![
                    format!("{p}/initContainers/0/securityContext/capabilities/add"),
                    format!("{p}/ephemeralContainers/0/securityContext/capabilities/add"),
                ]),
                "{kind}"
            );
        }
        let y = pod_yaml(
            json!({"os": {"name": "windows"}, "containers": [{"name": "a", "image": "x",
            "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}),
        );
        assert!(run(&RULE, &y).is_empty());
    }
}
