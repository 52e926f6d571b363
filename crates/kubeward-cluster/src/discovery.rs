//! Discovery of every listable resource: aggregated discovery (`/api` and `/apis` with the
//! `apidiscovery.k8s.io/v2` Accept header, two requests) when the server offers it, else the
//! legacy walk (`/api/v1`, then `/apis/<group>/<version>` for every served version).

use crate::ClusterError;
use futures::StreamExt;
use kube::Client;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

const ACCEPT_AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// One resource the server serves, in its preferred version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ApiResource {
    pub group: String,
    pub version: String,
    /// Plural name, as in URLs (`secrets`).
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
}

impl ApiResource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection URL, cluster-wide or in one namespace.
    pub fn url(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.resource),
            None => format!("{base}/{}", self.resource),
        }
    }

    pub fn can_list(&self) -> bool {
        self.verbs.iter().any(|v| v == "list")
    }

    /// `secrets` or `deployments.apps`, as RBAC and kubectl name it.
    pub fn display(&self) -> String {
        if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        }
    }
}

/// What discovery found.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Discovered {
    /// `aggregated` or `legacy`.
    pub mode: String,
    pub resources: Vec<ApiResource>,
}

async fn get(client: &Client, path: &str, accept: &str) -> Result<Value, kube::Error> {
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, accept)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    client.request::<Value>(req).await
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs discovery.
pub async fn discover(client: &Client) -> Result<Discovered, ClusterError> {
    let apis = get(client, "/apis", ACCEPT_AGGREGATED)
        .await
        .map_err(|e| ClusterError::from_kube("discovery (/apis)", e))?;
    if apis.get("kind").and_then(Value::as_str) == Some("APIGroupDiscoveryList") {
        let core = get(client, "/api", ACCEPT_AGGREGATED)
            .await
            .map_err(|e| ClusterError::from_kube("discovery (/api)", e))?;
        let mut resources = Vec::new();
        for doc in [&core, &apis] {
            for g in doc
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                aggregated_group(g, &mut resources);
            }
        }
        return Ok(Discovered {
            mode: "aggregated".into(),
            resources: finish(resources),
        });
    }
    // Legacy discovery: one request per group version.
    let mut gvs: Vec<(String, String)> = vec![(String::new(), "v1".into())];
    for g in apis
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = g
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let preferred = g
            .pointer("/preferredVersion/version")
            .and_then(Value::as_str)
            .map(str::to_string);
        let mut versions: Vec<String> = g
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.get("version").and_then(Value::as_str).map(str::to_string))
            .collect();
        // Preferred version first: it wins when a resource is served in several versions.
        if let Some(p) = preferred {
            versions.retain(|v| *v != p);
            versions.insert(0, p);
        }
        gvs.extend(versions.into_iter().map(|v| (name.clone(), v)));
    }
    let lists: Vec<Result<(usize, Value), ClusterError>> =
        futures::stream::iter(gvs.iter().enumerate().map(|(i, (g, v))| {
            let client = client.clone();
            let path = if g.is_empty() {
                format!("/api/{v}")
            } else {
                format!("/apis/{g}/{v}")
            };
            async move {
                get(&client, &path, "application/json")
                    .await
                    .map(|v| (i, v))
                    .map_err(|e| ClusterError::from_kube(&format!("discovery ({path})"), e))
            }
        }))
        .buffer_unordered(8)
        .collect()
        .await;
    let mut by_index: Vec<(usize, Value)> = Vec::new();
    for r in lists {
        match r {
            Ok(x) => by_index.push(x),
            // An aggregated API server that is down answers 503; its group is skipped and
            // the rest of the cluster is still scanned.
            Err(ClusterError::Api { code: 503, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    by_index.sort_by_key(|(i, _)| *i);
    let mut resources = Vec::new();
    for (i, list) in by_index {
        let (group, version) = &gvs[i];
        for r in list
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = r.get("name").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() || name.contains('/') {
                continue; // subresources
            }
            resources.push(ApiResource {
                group: group.clone(),
                version: version.clone(),
                resource: name.to_string(),
                kind: r
                    .get("kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                namespaced: r.get("namespaced").and_then(Value::as_bool).unwrap_or(true),
                verbs: strings(r.get("verbs").unwrap_or(&Value::Null)),
            });
        }
    }
    Ok(Discovered {
        mode: "legacy".into(),
        resources: finish(resources),
    })
}

fn aggregated_group(g: &Value, out: &mut Vec<ApiResource>) {
    let group = g
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    for v in g
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let version = v
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for r in v
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let resource = r.get("resource").and_then(Value::as_str).unwrap_or("");
            if resource.is_empty() {
                continue;
            }
            out.push(ApiResource {
                group: group.clone(),
                version: version.clone(),
                resource: resource.to_string(),
                kind: r
                    .pointer("/responseKind/kind")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                namespaced: r.get("scope").and_then(Value::as_str) != Some("Cluster"),
                verbs: strings(r.get("verbs").unwrap_or(&Value::Null)),
            });
        }
    }
}

/// Keeps the first (preferred) version of each (group, resource), in discovery order.
fn finish(all: Vec<ApiResource>) -> Vec<ApiResource> {
    let mut seen = BTreeSet::new();
    all.into_iter()
        .filter(|r| seen.insert((r.group.clone(), r.resource.clone())))
        .collect()
}
