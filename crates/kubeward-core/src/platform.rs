//! Which distribution or cloud runs a cluster, from what the API shows: the `gitVersion` suffix
//! of `/version` (`-eks-`, `-gke.`, `+k3s`, `+rke2`) and the Node objects' `spec.providerID`
//! and labels (the signals kube-bench uses to pick a benchmark).

use crate::inventory::{ClusterInfo, Inventory, Object, SourceId};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Eks,
    Gke,
    Aks,
    K3s,
    Rke2,
    OpenShift,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Eks => "Amazon EKS",
            Platform::Gke => "Google GKE",
            Platform::Aks => "Azure AKS",
            Platform::K3s => "k3s",
            Platform::Rke2 => "RKE2",
            Platform::OpenShift => "OpenShift",
        }
    }

    /// Whether the cloud provider runs the control plane.
    pub fn is_managed(self) -> bool {
        matches!(self, Platform::Eks | Platform::Gke | Platform::Aks)
    }
}

/// A detected platform and what showed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    pub platform: Platform,
    pub evidence: String,
}

/// The platform from a version string alone.
pub fn from_version(git_version: &str) -> Option<Platform> {
    let v = git_version.to_ascii_lowercase();
    if v.contains("-eks-") {
        Some(Platform::Eks)
    } else if v.contains("-gke.") {
        Some(Platform::Gke)
    } else if v.contains("+k3s") {
        Some(Platform::K3s)
    } else if v.contains("+rke2") {
        Some(Platform::Rke2)
    } else {
        None
    }
}

/// The cloud a Node runs in and whether it belongs to a managed cluster, from its providerID
/// and labels.
pub fn node_platform(node: &Object) -> Option<Detected> {
    let pid = node
        .root
        .path(&["spec", "providerID"])
        .and_then(|n| n.as_str())
        .unwrap_or("");
    let has = |k: &str| node.label(k).is_some();
    if pid.starts_with("aws://")
        && (has("eks.amazonaws.com/nodegroup") || has("eks.amazonaws.com/compute-type"))
    {
        return Some(Detected {
            platform: Platform::Eks,
            evidence: format!(
                "Node {} has providerID aws:// and eks.amazonaws.com labels",
                node.name
            ),
        });
    }
    if pid.starts_with("gce://") && has("cloud.google.com/gke-nodepool") {
        return Some(Detected {
            platform: Platform::Gke,
            evidence: format!(
                "Node {} has providerID gce:// and label cloud.google.com/gke-nodepool",
                node.name
            ),
        });
    }
    if pid.starts_with("azure://") || has("kubernetes.azure.com/cluster") {
        if has("kubernetes.azure.com/cluster") {
            return Some(Detected {
                platform: Platform::Aks,
                evidence: format!("Node {} has label kubernetes.azure.com/cluster", node.name),
            });
        }
    }
    if has("node.openshift.io/os_id") {
        return Some(Detected {
            platform: Platform::OpenShift,
            evidence: format!("Node {} has label node.openshift.io/os_id", node.name),
        });
    }
    let kubelet = node
        .root
        .path(&["status", "nodeInfo", "kubeletVersion"])
        .and_then(|n| n.as_str())
        .unwrap_or("");
    from_version(kubelet).map(|platform| Detected {
        platform,
        evidence: format!("Node {} runs kubelet {kubelet}", node.name),
    })
}

/// The platform of the cluster behind `source`.
pub fn detect(inv: &Inventory, source: SourceId, info: &ClusterInfo) -> Option<Detected> {
    if let Some(v) = &info.version {
        if let Some(platform) = from_version(&v.git_version) {
            return Some(Detected {
                platform,
                evidence: format!("the API server reports version {}", v.git_version),
            });
        }
    }
    inv.of_kind("Node")
        .filter(|n| n.source == source)
        .find_map(node_platform)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(from_version("v1.31.4-eks-2d5f260"), Some(Platform::Eks));
        assert_eq!(from_version("v1.30.5-gke.1014001"), Some(Platform::Gke));
        assert_eq!(from_version("v1.33.1+k3s1"), Some(Platform::K3s));
        assert_eq!(from_version("v1.33.1+rke2r1"), Some(Platform::Rke2));
        assert_eq!(from_version("v1.33.1"), None);
    }

    #[test]
    fn nodes() {
        let l = crate::testing::load(
            "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {kubernetes.azure.com/cluster: MC_rg}}\nspec: {providerID: 'azure:///subscriptions/x'}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n2}\nspec: {providerID: 'aws:///eu-west-1a/i-0abc'}\n",
        );
        let nodes: Vec<_> = l.inventory.of_kind("Node").collect();
        assert_eq!(node_platform(nodes[0]).unwrap().platform, Platform::Aks);
        // An EC2 node without EKS labels is a self-managed cluster on AWS.
        assert_eq!(node_platform(nodes[1]), None);
    }
}
