//! The kubelet through the API: each node's `/configz` (its effective configuration) read
//! through the API server's node proxy (`GET /api/v1/nodes/NAME/proxy/configz`), turned into
//! the same `KubeletConfiguration` object `kubeward node` builds on a host, so the same kubelet
//! rules run.
//!
//! `nodes/proxy` is a high-power permission (it reaches the kubelet API, exec included, with
//! a `create`), so reading configz only works where the scanner was deliberately granted
//! `get nodes/proxy`. Without it, one object says why, and every kubelet check is UNKNOWN.
//!
//! Nodes are sampled per node pool (`--kubelet-sample N`: the first N nodes by name of each
//! pool), read a bounded number at a time.

use crate::ClusterError;
use compact_str::CompactString;
use futures::StreamExt;
use kube::Client;
use kubeward_core::tree::{Key, Map, Node, Span, Value};
use std::collections::BTreeMap;

/// Labels that name a node's pool, most specific first.
pub const POOL_LABELS: &[&str] = &[
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "karpenter.sh/nodepool",
    "node.kubernetes.io/pool",
];

/// How to read kubelet configurations.
#[derive(Clone, Debug)]
pub struct KubeletOptions {
    /// Nodes per pool (`None`: all).
    pub sample: Option<usize>,
    /// Requests at once.
    pub concurrency: usize,
    /// Deadline of one node's request (an unreachable kubelet answers 503, which the client
    /// retries with backoff).
    pub request_timeout: std::time::Duration,
}

impl Default for KubeletOptions {
    fn default() -> Self {
        KubeletOptions {
            sample: None,
            concurrency: 8,
            request_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// The pool of a node: a pool label's value, else its role, else `(no pool label)`.
pub fn pool_of(node: &Node) -> String {
    let labels = node.path(&["metadata", "labels"]);
    for l in POOL_LABELS {
        if let Some(v) = labels.and_then(|m| m.str_at(l)) {
            return format!("{l}={v}");
        }
    }
    let roles: Vec<&str> = labels
        .map(|m| {
            m.entries()
                .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
                .collect()
        })
        .unwrap_or_default();
    if roles.is_empty() {
        "(no pool label)".into()
    } else {
        format!("role {}", roles.join(","))
    }
}

/// The nodes to read: the first `sample` of each pool by name (all when `None`).
pub fn sample<'a>(nodes: &[&'a Node], sample: Option<usize>) -> Vec<(&'a Node, String)> {
    let mut pools: BTreeMap<String, Vec<&'a Node>> = BTreeMap::new();
    for n in nodes {
        pools.entry(pool_of(n)).or_default().push(n);
    }
    let mut out = Vec::new();
    for (pool, mut v) in pools {
        v.sort_by_key(|n| name(n).to_string());
        let take = sample.unwrap_or(usize::MAX);
        out.extend(v.into_iter().take(take).map(|n| (n, pool.clone())));
    }
    out.sort_by_key(|(n, _)| name(n).to_string());
    out
}

fn name(n: &Node) -> &str {
    n.path(&["metadata", "name"])
        .and_then(Node::as_str)
        .unwrap_or("")
}

fn node(v: Value) -> Node {
    Node::new(v, Span::NONE)
}

fn s(v: &str) -> Node {
    node(Value::Str(CompactString::from(v)))
}

fn insert(m: &mut Map, k: &str, v: Node) {
    m.insert(
        Key {
            name: CompactString::from(k),
            span: Span::NONE,
        },
        v,
    );
}

/// A `KubeletConfiguration` object for `node_name` from a configz answer (`None`: the reason
/// the configuration could not be read, written as `kubeward.io/undetermined`).
pub fn kubelet_object(
    node_name: &str,
    pool: &str,
    version: Option<&str>,
    config: Result<&serde_json::Value, &str>,
) -> Node {
    let mut root = match config {
        Ok(c) => Node::from_json(c),
        Err(_) => node(Value::Map(Map::new())),
    };
    if root.as_map().is_none() {
        root = node(Value::Map(Map::new()));
    }
    let Value::Map(m) = &mut root.value else {
        unreachable!()
    };
    for k in ["apiVersion", "kind", "metadata"] {
        m.remove(k);
    }
    let mut ann = Map::new();
    insert(&mut ann, "kubeward.io/kubelet-source", s("configz"));
    insert(&mut ann, "kubeward.io/node-pool", s(pool));
    if let Some(v) = version {
        insert(&mut ann, "kubeward.io/kubernetes-version", s(v));
    }
    if let Err(reason) = config {
        insert(&mut ann, "kubeward.io/undetermined", s(reason));
    }
    let mut meta = Map::new();
    insert(&mut meta, "name", s(node_name));
    insert(&mut meta, "annotations", node(Value::Map(ann)));
    let mut out = Map::new();
    insert(&mut out, "apiVersion", s("kubelet.config.k8s.io/v1beta1"));
    insert(&mut out, "kind", s("KubeletConfiguration"));
    insert(&mut out, "metadata", node(Value::Map(meta)));
    for (k, v) in m.iter() {
        insert(&mut out, k, v.clone());
    }
    node(Value::Map(out))
}

enum Answer {
    Config(serde_json::Value),
    Forbidden(String),
    Failed(String),
}

async fn get_configz(client: &Client, node_name: &str, deadline: std::time::Duration) -> Answer {
    match tokio::time::timeout(deadline, get_configz_now(client, node_name)).await {
        Ok(a) => a,
        Err(_) => Answer::Failed(format!("no answer within {}s", deadline.as_secs_f64())),
    }
}

async fn get_configz_now(client: &Client, node_name: &str) -> Answer {
    let url = format!("/api/v1/nodes/{node_name}/proxy/configz");
    let req = match http::Request::get(&url).body(Vec::new()) {
        Ok(r) => r,
        Err(e) => return Answer::Failed(e.to_string()),
    };
    match client.request_text(req).await {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(mut v) => match v.get_mut("kubeletconfig").map(serde_json::Value::take) {
                Some(c) if c.is_object() => Answer::Config(c),
                _ => Answer::Failed("the answer has no `kubeletconfig` object".into()),
            },
            Err(e) => Answer::Failed(format!("the answer is not JSON: {e}")),
        },
        Err(kube::Error::Api(s)) if s.code == 403 => {
            Answer::Forbidden(format!("HTTP 403: {}", s.message))
        }
        Err(kube::Error::Api(s)) => Answer::Failed(format!("HTTP {}: {}", s.code, s.message)),
        Err(e) => Answer::Failed(e.to_string()),
    }
}

/// Reads the kubelet configuration of the sampled nodes among `objects` (the cluster's listed
/// objects) and returns the `KubeletConfiguration` objects to add.
pub async fn read(
    client: &Client,
    objects: &[Node],
    opts: &KubeletOptions,
) -> Result<Vec<Node>, ClusterError> {
    let nodes: Vec<&Node> = objects
        .iter()
        .filter(|o| o.str_at("kind") == Some("Node") && o.str_at("apiVersion") == Some("v1"))
        .collect();
    let picked = sample(&nodes, opts.sample);
    if picked.is_empty() {
        return Ok(Vec::new());
    }
    // One request first: without the grant, every other node would be refused the same way.
    let (first, first_pool) = &picked[0];
    let version = |n: &Node| {
        n.path(&["status", "nodeInfo", "kubeletVersion"])
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    let first_answer = get_configz(client, name(first), opts.request_timeout).await;
    if let Answer::Forbidden(why) = &first_answer {
        let reason = format!(
            "the scan's credentials may not `get nodes/proxy` ({why}), so the kubelet \
             configuration of {} node{} cannot be read through the API; grant it (an opt-in, \
             high-power permission) or run `kubeward node` on the nodes",
            picked.len(),
            if picked.len() == 1 { "" } else { "s" }
        );
        return Ok(vec![kubelet_object(
            "(all nodes)",
            "(all pools)",
            None,
            Err(&reason),
        )]);
    }
    let rest: Vec<(String, String, Option<String>)> = picked[1..]
        .iter()
        .map(|(n, p)| (name(n).to_string(), p.clone(), version(n)))
        .collect();
    let mut answers: Vec<(String, String, Option<String>, Answer)> = vec![(
        name(first).to_string(),
        first_pool.clone(),
        version(first),
        first_answer,
    )];
    let more: Vec<_> = futures::stream::iter(rest.into_iter().map(|(n, p, v)| async move {
        let a = get_configz(client, &n, opts.request_timeout).await;
        (n, p, v, a)
    }))
    .buffer_unordered(opts.concurrency.max(1))
    .collect()
    .await;
    answers.extend(more);
    answers.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(answers
        .into_iter()
        .map(|(n, p, v, a)| match a {
            Answer::Config(c) => kubelet_object(&n, &p, v.as_deref(), Ok(&c)),
            Answer::Forbidden(why) | Answer::Failed(why) => kubelet_object(
                &n,
                &p,
                v.as_deref(),
                Err(&format!("/configz of node {n} could not be read ({why})")),
            ),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str, labels: serde_json::Value) -> Node {
        Node::from_json(&serde_json::json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels}}))
    }

    #[test]
    fn samples_per_pool() {
        let a = n(
            "a1",
            serde_json::json!({"cloud.google.com/gke-nodepool": "a"}),
        );
        let b = n(
            "a2",
            serde_json::json!({"cloud.google.com/gke-nodepool": "a"}),
        );
        let c = n(
            "b1",
            serde_json::json!({"cloud.google.com/gke-nodepool": "b"}),
        );
        let d = n(
            "cp",
            serde_json::json!({"node-role.kubernetes.io/control-plane": ""}),
        );
        let all = [&b, &a, &c, &d];
        let got: Vec<(&str, String)> = sample(&all, Some(1))
            .into_iter()
            .map(|(n, p)| (name(n), p))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a1", "cloud.google.com/gke-nodepool=a".to_string()),
                ("b1", "cloud.google.com/gke-nodepool=b".to_string()),
                ("cp", "role control-plane".to_string()),
            ]
        );
        assert_eq!(sample(&all, None).len(), 4);
    }
}
