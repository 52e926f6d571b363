//! Severity, layer and status: the words every finding, rule and config share.
//! This module imports nothing else from the crate, so anything may depend on it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The GitHub code-scanning `security-severity` score for this level.
    pub fn security_score(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "0.0",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => {
                return Err(format!(
                    "unknown severity `{s}` (expected critical, high, medium, low or info)"
                ));
            }
        })
    }
}

/// The defence layer a finding belongs to. An attacker must get through every layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    Nodes,
    ControlPlane,
    Containers,
    Data,
    PodToNode,
    PodToPod,
    PodToApi,
    Network,
    Monitoring,
}

impl Layer {
    pub const ALL: [Layer; 9] = [
        Layer::Nodes,
        Layer::ControlPlane,
        Layer::Containers,
        Layer::Data,
        Layer::PodToNode,
        Layer::PodToPod,
        Layer::PodToApi,
        Layer::Network,
        Layer::Monitoring,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Nodes => "nodes",
            Layer::ControlPlane => "control-plane",
            Layer::Containers => "containers",
            Layer::Data => "data",
            Layer::PodToNode => "pod-to-node",
            Layer::PodToPod => "pod-to-pod",
            Layer::PodToApi => "pod-to-api",
            Layer::Network => "network",
            Layer::Monitoring => "monitoring",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Layer::Nodes => "who can reach the nodes, and which ports they expose",
            Layer::ControlPlane => "API server, kubelet, etcd and the credentials that reach them",
            Layer::Containers => "images and what each container is allowed to do",
            Layer::Data => "secrets, storage and data in transit",
            Layer::PodToNode => "escape from a pod to its node (Pod Security Standards)",
            Layer::PodToPod => "traffic between pods (NetworkPolicy)",
            Layer::PodToApi => "what a pod's service account token may do in the API",
            Layer::Network => "exposure outside the cluster: Services, Ingress, node ports",
            Layer::Monitoring => "audit logs, audit policy and runtime detection",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Layer::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("unknown layer `{s}`"))
    }
}

/// What the rule could decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The check failed: the weakness is there.
    Fail,
    /// The rule could not decide from what it can see (say why in the message).
    Unknown,
    /// The check does not apply here (for example a managed control plane), with the reason.
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::NotApplicable => "not_applicable",
        }
    }
}
