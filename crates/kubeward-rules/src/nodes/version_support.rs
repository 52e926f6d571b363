//! KW-NODE-001: Kubernetes version out of upstream support.

use crate::support::versions::{Support, fmt_date, support};
use kubeward_core::config::today;
use kubeward_core::inventory::parse_major_minor;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-001",
        name: "kubernetes-version-unsupported",
        layer: Layer::Nodes,
        severity: Severity::High,
        title: "Kubernetes version is out of upstream support",
        why: "Once a minor version reaches end of life, security fixes (API server, kubelet, \
              kube-proxy CVEs) are no longer released for it. Every later vulnerability stays \
              open on the control plane and on every node running that kubelet.",
        fix: "Upgrade the control plane, then the nodes, one minor version at a time to a \
              supported release. Managed services may offer paid extended support; it still ends.",
        references: &[
            ("kubescape", "C-0273"),
            ("mitre", "T1190"),
            ("docs", "https://kubernetes.io/releases/"),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn describe(s: Support) -> String {
    match s {
        Support::Ended(Some(d)) => format!("its upstream support ended on {}", fmt_date(d)),
        _ => "its upstream support ended years ago".to_string(),
    }
}

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let today = today();
    for (_, info) in ctx.inventory.clusters() {
        let Some(v) = &info.version else { continue };
        let Some((major, minor)) = v.major_minor() else {
            continue;
        };
        let s = support(major, minor, today);
        if matches!(s, Support::Ended(_)) {
            out.report_global(format!(
                "cluster `{}` runs Kubernetes {} and {}",
                info.context,
                v.git_version,
                describe(s)
            ));
        }
    }
    for node in ctx.inventory.of_kind("Node") {
        let Some(kv) = node
            .root
            .path(&["status", "nodeInfo", "kubeletVersion"])
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        let Some((major, minor)) = parse_major_minor(kv) else {
            continue;
        };
        let s = support(major, minor, today);
        if matches!(s, Support::Ended(_)) {
            out.report(
                node,
                "/status/nodeInfo/kubeletVersion",
                format!("node {} runs kubelet {kv} and {}", node.name, describe(s)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::testing::{pointers, run};

    #[test]
    fn kubelet_versions() {
        let y = "apiVersion: v1\nkind: Node\nmetadata: {name: old}\nstatus: {nodeInfo: {kubeletVersion: v1.24.17}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: new}\nstatus: {nodeInfo: {kubeletVersion: v1.37.0}}\n";
        let h = run(&RULE, y);
        assert_eq!(pointers(&h), vec!["/status/nodeInfo/kubeletVersion"]);
        assert!(h[0].object.contains("old"));
    }
}
