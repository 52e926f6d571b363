//! KW-NODE-002: kubelet versions skewed from the API server.

use kubeward_core::inventory::parse_major_minor;
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-002",
        name: "kubelet-version-skew",
        layer: Layer::Nodes,
        severity: Severity::Medium,
        title: "kubelet version is skewed from the API server",
        why: "A kubelet may be at most three minor versions older than the API server and never \
              newer. Outside that window behaviour is untested: security features the control \
              plane relies on (NodeRestriction fields, credential projection, pod security \
              enforcement) may be missing on the node, and node upgrades lag behind security \
              fixes.",
        fix: "Upgrade the lagging nodes (or roll them onto a current node image) so every kubelet \
              is within three minor versions below the API server.",
        references: &[(
            "docs",
            "https://kubernetes.io/releases/version-skew-policy/#kubelet",
        )],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    let mut without_server = 0usize;
    for node in ctx.inventory.of_kind("Node") {
        let Some(kv) = node
            .root
            .path(&["status", "nodeInfo", "kubeletVersion"])
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        let Some((_, kminor)) = parse_major_minor(kv) else {
            continue;
        };
        let server = ctx
            .inventory
            .cluster_info(node.source)
            .and_then(|i| i.version.as_ref());
        let Some(server) = server else {
            without_server += 1;
            continue;
        };
        let Some((_, sminor)) = server.major_minor() else {
            continue;
        };
        let ptr = "/status/nodeInfo/kubeletVersion";
        if kminor > sminor {
            out.report(
                node,
                ptr,
                format!(
                    "node {} runs kubelet {kv}, newer than the API server ({})",
                    node.name, server.git_version
                ),
            );
        } else if sminor - kminor > 3 {
            out.report(
                node,
                ptr,
                format!(
                    "node {} runs kubelet {kv}, {} minor versions behind the API server ({}); at \
                     most 3 are supported",
                    node.name,
                    sminor - kminor,
                    server.git_version
                ),
            );
        }
    }
    if without_server > 0 {
        out.report_global(format!(
            "{without_server} Node object{} came from files, without the API server's version: \
             kubelet skew not checked (scan the cluster or a snapshot)",
            if without_server == 1 { "" } else { "s" }
        ))
        .status(Status::Unknown)
        .severity(Severity::Info);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::Status;
    use kubeward_core::testing::run;

    #[test]
    fn files_without_server_version_are_unknown() {
        let h = run(
            &RULE,
            "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\nstatus: {nodeInfo: {kubeletVersion: v1.30.1}}\n",
        );
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].status, Status::Unknown);
        assert!(
            run(
                &RULE,
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
            )
            .is_empty()
        );
    }
    // Skew against a live server version is tested through the cluster source
    // (kubeward-cluster tests), where ClusterInfo carries /version.
}
