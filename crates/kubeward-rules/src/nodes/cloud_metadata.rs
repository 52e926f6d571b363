//! KW-NODE-004: node credentials reachable through the cloud metadata service.

use crate::control_plane::platform::{Platform, node_platform};
use kubeward_core::{Check, Emitter, InventoryCtx, Layer, Rule, RuleMeta, Severity, Status};
use std::collections::BTreeSet;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-NODE-004",
        name: "node-cloud-metadata-access",
        layer: Layer::Nodes,
        severity: Severity::High,
        title: "Pods may reach the node's cloud credentials through the metadata service",
        why: "On EKS, GKE and AKS the instance metadata service hands the node's cloud identity \
              to anything on the node that asks, pods included unless blocked. A single \
              compromised pod then acts with the node's IAM role (pull every image, read \
              volumes, often far more). Whether access is blocked is mostly a cloud setting the \
              Kubernetes API does not show.",
        fix: "EKS: require IMDSv2 with hop limit 1 in the launch template and use Pod Identity or \
              IRSA. GKE: enable Workload Identity and the GKE metadata server on every node pool. \
              AKS: use workload identity and block 169.254.169.254 from pods with a \
              NetworkPolicy. Everywhere: a default-deny egress NetworkPolicy to the metadata \
              address.",
        references: &[
            ("kubescape", "C-0052"),
            ("mitre", "T1552.005"),
            (
                "docs",
                "https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html",
            ),
        ],
        default_enabled: true,
    },
    check: Check::Inventory(check),
};

fn check(ctx: &InventoryCtx<'_>, out: &mut Emitter<'_>) {
    // One finding per node pool: every node of a pool shares its launch settings.
    let mut seen: BTreeSet<(u32, String)> = BTreeSet::new();
    for node in ctx.inventory.of_kind("Node") {
        let Some(d) = node_platform(node) else {
            continue;
        };
        let pool_label = match d.platform {
            Platform::Eks => "eks.amazonaws.com/nodegroup",
            Platform::Gke => "cloud.google.com/gke-nodepool",
            Platform::Aks => "kubernetes.azure.com/agentpool",
            _ => continue,
        };
        let pool = node
            .label(pool_label)
            .or_else(|| node.label("agentpool"))
            .unwrap_or("(no pool label)")
            .to_string();
        if !seen.insert((node.source.0, format!("{:?}/{pool}", d.platform))) {
            continue;
        }
        match d.platform {
            Platform::Eks => {
                if node.label("eks.amazonaws.com/compute-type") == Some("fargate") {
                    continue; // Fargate pods cannot reach IMDS.
                }
                out.report(
                    node,
                    "/spec/providerID",
                    format!(
                        "EKS node group `{pool}`: whether IMDSv2 is required with hop limit 1 is \
                         set in the EC2 launch template, which only the AWS API shows"
                    ),
                )
                .status(Status::Unknown);
            }
            Platform::Gke => match node.label("iam.gke.io/gke-metadata-server-enabled") {
                Some("true") => {}
                Some(_) => {
                    out.report(
                        node,
                        "/metadata/labels/iam.gke.io~1gke-metadata-server-enabled",
                        format!(
                            "GKE node pool `{pool}` runs without the GKE metadata server: pods \
                             can read the node service account's token"
                        ),
                    );
                }
                None => {
                    out.report(
                        node,
                        "/metadata/labels",
                        format!(
                            "GKE node pool `{pool}`: no iam.gke.io/gke-metadata-server-enabled \
                             label; whether the GKE metadata server shields the node's service \
                             account is only visible in the GKE API"
                        ),
                    )
                    .status(Status::Unknown);
                }
            },
            Platform::Aks => {
                out.report(
                    node,
                    "/spec/providerID",
                    format!(
                        "AKS node pool `{pool}`: pod access to the instance metadata service \
                         and the node SSH mode are Azure settings the Kubernetes API does not show"
                    ),
                )
                .status(Status::Unknown);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use kubeward_core::Status;
    use kubeward_core::testing::run;

    #[test]
    fn per_pool() {
        let node = |name: &str, labels: &str, pid: &str| {
            format!(
                "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}, labels: {{{labels}}}}}\nspec: {{providerID: '{pid}'}}\n---\n"
            )
        };
        let y = [
            node("a1", "eks.amazonaws.com/nodegroup: ng1", "aws:///eu-west-1a/i-1"),
            node("a2", "eks.amazonaws.com/nodegroup: ng1", "aws:///eu-west-1a/i-2"),
            node("g1", "cloud.google.com/gke-nodepool: p1, iam.gke.io/gke-metadata-server-enabled: 'true'", "gce://proj/z/g1"),
            node("g2", "cloud.google.com/gke-nodepool: p2, iam.gke.io/gke-metadata-server-enabled: 'false'", "gce://proj/z/g2"),
            node("plain", "kubernetes.io/os: linux", ""),
        ]
        .concat();
        let h = run(&RULE, &y);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h[0].status, Status::Unknown);
        assert!(h[0].message.contains("ng1"));
        assert_eq!(h[1].status, Status::Fail);
    }
}
