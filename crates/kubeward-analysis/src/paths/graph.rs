//! The attack graph: vertices (entry points, footholds, nodes, identities, targets), edges that
//! need every one of their steps, and steps that any one of their reasons (findings) makes
//! possible. Steps are shared between edges: the same automounted token lets an attacker in
//! that pod and an attacker on its node use it, and fixing it breaks both.

use kubeward_core::ObjectId;
use serde::Serialize;
use std::collections::HashMap;

/// What a vertex stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vertex {
    /// Anyone on the Internet.
    Internet,
    /// An attacker already running code in some pod of the cluster.
    AnyPod,
    /// An attacker holding root on one node.
    CompromisedNode,
    /// Code execution in a workload (index into the workload list).
    Foothold(ObjectId),
    /// Root on a node: `None` is "the node a pod without `nodeName` runs on" (any node).
    NodeRoot(Option<String>),
    /// Holding the token of a service account.
    Identity(String, String),
    /// Code execution in any pod of a namespace (`None`: every namespace).
    PodsOf(Option<String>),
    /// Any service-account token of a namespace (`None`: every namespace).
    TokensOf(Option<String>),
    /// Target: cluster-admin equivalent.
    ClusterAdmin,
    /// Target: every Secret of a namespace (`None`: of every namespace).
    Secrets(Option<String>),
    /// Target: a cloud identity (IAM role, Google or Azure identity, or the node's role).
    Cloud(String),
}

impl Vertex {
    pub fn is_entry(&self) -> bool {
        matches!(
            self,
            Vertex::Internet | Vertex::AnyPod | Vertex::CompromisedNode
        )
    }

    pub fn is_target(&self) -> bool {
        matches!(
            self,
            Vertex::ClusterAdmin | Vertex::Secrets(_) | Vertex::Cloud(_) | Vertex::NodeRoot(_)
        )
    }

    /// How much an attacker gains (targets only; 0 otherwise).
    pub fn impact(&self) -> u32 {
        match self {
            Vertex::ClusterAdmin => 10,
            Vertex::Secrets(None) => 9,
            Vertex::Secrets(Some(ns)) if ns == "kube-system" => 9,
            Vertex::Secrets(Some(_)) => 6,
            Vertex::NodeRoot(_) => 8,
            Vertex::Cloud(_) => 8,
            _ => 0,
        }
    }

    /// How reachable an entry point is (entries only; 0 otherwise).
    pub fn exposure(&self) -> u32 {
        match self {
            Vertex::Internet => 3,
            Vertex::AnyPod => 2,
            Vertex::CompromisedNode => 1,
            _ => 0,
        }
    }

    /// A stable short key (`node:any`, `secrets:shop`), used for ids in JSON and diagrams.
    pub fn key(&self, names: &dyn Fn(ObjectId) -> String) -> String {
        let ns = |n: &Option<String>| n.clone().unwrap_or_else(|| "*".into());
        match self {
            Vertex::Internet => "internet".into(),
            Vertex::AnyPod => "any-pod".into(),
            Vertex::CompromisedNode => "compromised-node".into(),
            Vertex::Foothold(id) => format!("workload:{}", names(*id)),
            Vertex::NodeRoot(n) => format!("node:{}", n.as_deref().unwrap_or("any")),
            Vertex::Identity(ns, n) => format!("sa:{ns}/{n}"),
            Vertex::PodsOf(n) => format!("pods:{}", ns(n)),
            Vertex::TokensOf(n) => format!("tokens:{}", ns(n)),
            Vertex::ClusterAdmin => "cluster-admin".into(),
            Vertex::Secrets(n) => format!("secrets:{}", ns(n)),
            Vertex::Cloud(c) => format!("cloud:{c}"),
        }
    }

    /// For people: `Internet`, `Deployment shop/web`, `root on any node`.
    pub fn label(&self, names: &dyn Fn(ObjectId) -> String) -> String {
        match self {
            Vertex::Internet => "Internet".into(),
            Vertex::AnyPod => "any pod in the cluster".into(),
            Vertex::CompromisedNode => "a compromised node".into(),
            Vertex::Foothold(id) => names(*id),
            Vertex::NodeRoot(None) => "root on the node".into(),
            Vertex::NodeRoot(Some(n)) => format!("root on node {n}"),
            Vertex::Identity(ns, n) => format!("ServiceAccount {ns}/{n} token"),
            Vertex::PodsOf(None) => "code execution in every pod".into(),
            Vertex::PodsOf(Some(ns)) => format!("code execution in pods of {ns}"),
            Vertex::TokensOf(None) => "every service-account token".into(),
            Vertex::TokensOf(Some(ns)) => format!("service-account tokens of {ns}"),
            Vertex::ClusterAdmin => "cluster-admin equivalent".into(),
            Vertex::Secrets(None) => "all Secrets of every namespace".into(),
            Vertex::Secrets(Some(ns)) => format!("all Secrets of namespace {ns}"),
            Vertex::Cloud(c) => format!("cloud identity {c}"),
        }
    }
}

/// One finding that makes a step possible: a rule, the object and the place in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Reason {
    pub rule: &'static str,
    #[serde(skip)]
    pub object: ObjectId,
    pub pointer: String,
}

/// One thing an attacker relies on. Any one of its reasons is enough; fixing every reason
/// breaks it (and every path through it). A step without reasons is inherent (a compromised
/// node holds the tokens of its pods) and cannot be fixed.
#[derive(Clone, Debug)]
pub struct Step {
    /// Stable identity, for sharing and for min-cut advice.
    pub key: String,
    /// `Service shop/web (LoadBalancer) exposes Deployment shop/web`.
    pub text: String,
    /// The change that breaks it.
    pub fix: String,
    pub reasons: Vec<Reason>,
}

impl Step {
    pub fn fixable(&self) -> bool {
        !self.reasons.is_empty()
    }
}

pub type VertexId = u32;
pub type StepId = u32;
pub type EdgeId = u32;

/// `from → to`, possible when every step is.
#[derive(Clone, Debug)]
pub struct Edge {
    pub from: VertexId,
    pub to: VertexId,
    pub steps: Vec<StepId>,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub vertices: Vec<Vertex>,
    index: HashMap<Vertex, VertexId>,
    pub steps: Vec<Step>,
    step_index: HashMap<String, StepId>,
    pub edges: Vec<Edge>,
    edge_index: HashMap<(VertexId, VertexId, Vec<StepId>), EdgeId>,
}

impl Graph {
    pub fn vertex(&mut self, v: Vertex) -> VertexId {
        if let Some(&i) = self.index.get(&v) {
            return i;
        }
        let i = self.vertices.len() as VertexId;
        self.vertices.push(v.clone());
        self.index.insert(v, i);
        i
    }

    pub fn find(&self, v: &Vertex) -> Option<VertexId> {
        self.index.get(v).copied()
    }

    /// The step with this key, created with `make` the first time; further reasons given
    /// for the same key are added.
    pub fn step(
        &mut self,
        key: String,
        text: impl FnOnce() -> String,
        fix: impl FnOnce() -> String,
        reasons: Vec<Reason>,
    ) -> StepId {
        if let Some(&i) = self.step_index.get(&key) {
            let s = &mut self.steps[i as usize];
            for r in reasons {
                if !s.reasons.contains(&r) {
                    s.reasons.push(r);
                }
            }
            return i;
        }
        let i = self.steps.len() as StepId;
        self.steps.push(Step {
            key: key.clone(),
            text: text(),
            fix: fix(),
            reasons,
        });
        self.step_index.insert(key, i);
        i
    }

    /// Adds `from → to` needing `steps` (once per distinct step list).
    pub fn edge(&mut self, from: Vertex, to: Vertex, steps: Vec<StepId>) -> EdgeId {
        let (f, t) = (self.vertex(from), self.vertex(to));
        let k = (f, t, steps);
        if let Some(&e) = self.edge_index.get(&k) {
            return e;
        }
        let e = self.edges.len() as EdgeId;
        self.edges.push(Edge {
            from: f,
            to: t,
            steps: k.2.clone(),
        });
        self.edge_index.insert(k, e);
        e
    }
}
