//! Writes objects to the cluster with server-side apply (field manager `kubeward`, forced:
//! kubeward owns the reports it writes). Used for the wg-policy reports of
//! `scan --cluster --apply-reports`; the RBAC it needs is in `deploy/`.

use crate::{ClusterError, ClusterOptions, connect};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use serde_json::Value;

pub const FIELD_MANAGER: &str = "kubeward";

/// The kinds kubeward writes: (group, version, kind, plural, namespaced).
const KINDS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "wgpolicyk8s.io",
        "v1alpha2",
        "PolicyReport",
        "policyreports",
        true,
    ),
    (
        "wgpolicyk8s.io",
        "v1alpha2",
        "ClusterPolicyReport",
        "clusterpolicyreports",
        false,
    ),
];

/// Applies `objects` (each a PolicyReport or ClusterPolicyReport), in a runtime of its own.
/// Returns `Kind namespace/name` of each object written.
pub fn apply(opts: &ClusterOptions, objects: &[Value]) -> Result<Vec<String>, ClusterError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ClusterError::Other(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(apply_async(opts, objects))
}

/// [`apply`] inside an existing Tokio runtime.
pub async fn apply_async(
    opts: &ClusterOptions,
    objects: &[Value],
) -> Result<Vec<String>, ClusterError> {
    let c = tokio::time::timeout(opts.timeout, connect(opts))
        .await
        .map_err(|_| ClusterError::Timeout {
            after: opts.timeout,
            pending: vec!["connecting".into()],
        })??;
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut done = Vec::new();
    for o in objects {
        let kind = o["kind"].as_str().unwrap_or("");
        let api_version = o["apiVersion"].as_str().unwrap_or("");
        let Some(&(group, version, _, plural, namespaced)) = KINDS
            .iter()
            .find(|k| k.2 == kind && format!("{}/{}", k.0, k.1) == api_version)
        else {
            return Err(ClusterError::Other(format!(
                "kubeward applies only PolicyReport and ClusterPolicyReport ({api_version}), not {kind}"
            )));
        };
        let name = o["metadata"]["name"].as_str().unwrap_or("");
        let ar =
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        let (api, what): (Api<DynamicObject>, String) = if namespaced {
            let ns = o["metadata"]["namespace"].as_str().unwrap_or("default");
            (
                Api::namespaced_with(c.client.clone(), ns, &ar),
                format!("{kind} {ns}/{name}"),
            )
        } else {
            (
                Api::all_with(c.client.clone(), &ar),
                format!("{kind} {name}"),
            )
        };
        tokio::time::timeout(opts.timeout, api.patch(name, &params, &Patch::Apply(o)))
            .await
            .map_err(|_| ClusterError::Timeout {
                after: opts.timeout,
                pending: vec![format!("applying {what}")],
            })?
            .map_err(|e| ClusterError::from_kube(&format!("applying {what}"), e))?;
        done.push(what);
    }
    Ok(done)
}
