//! `/mutate`: pins image tags to digests (`repo:tag` → `repo:tag@sha256:…`, the tag kept for
//! readers) with a JSON Patch. Images already pinned are left alone, so the webhook is
//! idempotent (`reinvocationPolicy: IfNeeded` is safe). An image that stays tag-pinned (skipped
//! by prefix, or unresolved under `failure: open`) gets `imagePullPolicy: Always` so nodes
//! never run a stale local copy of a moved tag.

use crate::cache::TtlCache;
use crate::config::{Failure, MutateSettings};
use crate::creds::Keychain;
use crate::error::Error;
use crate::log::DecisionRecord;
use crate::metrics::{Metrics, ResultLabels};
use crate::oci::{LookupError, RegistryClient, Target};
use crate::policy::Policy;
use crate::review::{AdmissionRequest, AdmissionResponse};
use base64::Engine;
use kubeward_core::image::ImageRef;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub struct Mutator {
    client: RegistryClient,
    cache: TtlCache<(Target, String), String>,
}

/// One container image found in the object.
#[derive(Debug)]
struct Slot {
    pointer: String,
    image: String,
    pull_policy: Option<String>,
}

fn container_slots(obj: &Value, kind: &str, only_ephemeral: bool) -> Vec<Slot> {
    let Some(spec_ptr) = kubeward_core::podspec::spec_pointer(kind) else {
        return Vec::new();
    };
    let Some(spec) = obj.pointer(spec_ptr) else {
        return Vec::new();
    };
    let lists: &[&str] = if only_ephemeral {
        &["ephemeralContainers"]
    } else {
        &["initContainers", "containers", "ephemeralContainers"]
    };
    let mut out = Vec::new();
    for list in lists {
        let Some(items) = spec.get(*list).and_then(Value::as_array) else {
            continue;
        };
        for (i, c) in items.iter().enumerate() {
            if let Some(image) = c.get("image").and_then(Value::as_str) {
                out.push(Slot {
                    pointer: format!("{spec_ptr}/{list}/{i}"),
                    image: image.to_string(),
                    pull_policy: c
                        .get("imagePullPolicy")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
            }
        }
    }
    out
}

fn annotation_key(image: &str) -> String {
    // Audit annotation keys: a qualified-name part (alphanumerics, `-`, `_`, `.`), ≤ 63.
    let mut k: String = image
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    k.truncate(40);
    k.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

impl Mutator {
    pub fn new(s: &MutateSettings) -> Result<Mutator, Error> {
        let keychain = match &s.docker_config {
            Some(p) => Keychain::from_file(p)?,
            None => Keychain::default(),
        };
        Ok(Mutator {
            client: RegistryClient::new(
                keychain,
                s.registry_ca_file.as_deref(),
                s.plain_http_registries.clone(),
            )?,
            cache: TtlCache::new(
                Duration::from_secs(s.cache_ttl_seconds.max(1)),
                s.cache_entries,
            ),
        })
    }

    /// The digest of `t`, from the cache or the registry within `deadline`.
    async fn digest(
        &self,
        t: &Target,
        deadline: Instant,
        metrics: &Metrics,
    ) -> Result<String, LookupError> {
        // Answers are cached per credential, so one namespace's access is not lent to another.
        let who = self
            .client
            .credential(t)
            .map(|c| c.username.clone())
            .unwrap_or_default();
        let key = (t.clone(), who);
        if let Some(d) = self.cache.get(&key) {
            metrics.cache_hits.inc();
            return Ok(d);
        }
        metrics.cache_misses.inc();
        let left = deadline.saturating_duration_since(Instant::now());
        let started = Instant::now();
        let r = match tokio::time::timeout(left, self.client.resolve(t)).await {
            Ok(r) => r,
            Err(_) => Err(LookupError::Timeout),
        };
        metrics
            .registry_latency
            .observe(started.elapsed().as_secs_f64());
        metrics
            .registry_lookups
            .get_or_create(&ResultLabels {
                result: match &r {
                    Ok(_) => "ok",
                    Err(e) => e.label(),
                }
                .into(),
            })
            .inc();
        let d = r?.digest;
        self.cache.insert(key, d.clone());
        Ok(d)
    }

    /// Decides one mutation request.
    pub async fn mutate(
        &self,
        policy: &Policy,
        req: &AdmissionRequest,
        metrics: &Metrics,
    ) -> (AdmissionResponse, DecisionRecord) {
        let mut record = DecisionRecord::for_request("mutate", req);
        let mut resp = AdmissionResponse::allow(&req.uid);
        let settings = &policy.admission.mutate;
        let ns = req.namespace.as_deref().unwrap_or("");
        if req.operation != "CREATE" && req.operation != "UPDATE" {
            return (resp, record);
        }
        if !settings.pin_digests {
            return (resp, record);
        }
        if !ns.is_empty()
            && policy
                .admission
                .namespace_exempt(ns, policy.own_namespace.as_deref())
        {
            record.note = Some(format!("exempt: namespace {ns}"));
            return (resp, record);
        }
        let kind = req.kind.kind.as_str();
        if !settings.kinds.iter().any(|k| k == kind || k == "*") {
            return (resp, record);
        }
        let Some(text) = req.object_text() else {
            return (resp, record);
        };
        let obj: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let resp = AdmissionResponse::deny(
                    &req.uid,
                    400,
                    format!("kubeward could not read the request object: {e}"),
                );
                return (resp, record);
            }
        };
        let name = obj
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .or(req.name.as_deref())
            .unwrap_or("");
        if let Some(e) = policy
            .admission
            .exempt
            .iter()
            .find(|e| e.matches(kind, ns, name))
        {
            record.note = Some(format!("exempt: {}", e.reason));
            return (resp, record);
        }
        let only_ephemeral = req.sub_resource.as_deref() == Some("ephemeralcontainers");
        let slots = container_slots(&obj, kind, only_ephemeral);
        let deadline = Instant::now() + Duration::from_millis(settings.timeout_ms);
        let mut patch: Vec<Value> = Vec::new();
        let mut failures: BTreeMap<String, String> = BTreeMap::new();
        let mut resolved: BTreeMap<String, Result<String, LookupError>> = BTreeMap::new();
        for slot in &slots {
            let keep_tag = |patch: &mut Vec<Value>| {
                if slot.pull_policy.as_deref() != Some("Always") {
                    let op = if slot.pull_policy.is_some() {
                        "replace"
                    } else {
                        "add"
                    };
                    patch.push(json!({"op": op, "path": format!("{}/imagePullPolicy", slot.pointer), "value": "Always"}));
                }
            };
            let r = match ImageRef::parse(&slot.image) {
                Ok(r) => r,
                Err(e) => {
                    failures.insert(slot.image.clone(), e.to_string());
                    continue;
                }
            };
            if r.digest.is_some() {
                continue;
            }
            if settings
                .skip_prefixes
                .iter()
                .any(|p| slot.image.starts_with(p.as_str()))
            {
                keep_tag(&mut patch);
                continue;
            }
            let Some(target) = Target::of(&r) else {
                continue;
            };
            if !resolved.contains_key(&slot.image) {
                let d = self.digest(&target, deadline, metrics).await;
                resolved.insert(slot.image.clone(), d);
            }
            match &resolved[&slot.image] {
                Ok(d) => {
                    record.images.push(format!("{}@{d}", slot.image));
                    patch.push(json!({"op": "replace", "path": format!("{}/image", slot.pointer), "value": format!("{}@{d}", slot.image)}));
                }
                Err(e) => {
                    failures.insert(slot.image.clone(), e.to_string());
                    keep_tag(&mut patch);
                }
            }
        }
        if !failures.is_empty() {
            let list: Vec<String> = failures.iter().map(|(i, e)| format!("{i}: {e}")).collect();
            let joined = list.join("; ");
            match settings.failure {
                Failure::Closed => {
                    let mut r = AdmissionResponse::deny(
                        &req.uid,
                        403,
                        format!(
                            "kubeward could not pin image digests (mutate.failure: closed): {joined}"
                        ),
                    );
                    r.audit_annotations
                        .insert("digest-failed".into(), crate::validate::clip(&joined, 1000));
                    record.note = Some(format!("failed closed: {joined}"));
                    return (r, record);
                }
                Failure::Open => {
                    resp.audit_annotations.insert(
                        "digest-failed-open".into(),
                        crate::validate::clip(&joined, 1000),
                    );
                    for (image, e) in &failures {
                        let k = annotation_key(image);
                        if !k.is_empty() {
                            resp.audit_annotations
                                .insert(format!("unpinned.{k}"), crate::validate::clip(e, 300));
                        }
                    }
                    record.note = Some(format!("failed open: {joined}"));
                }
            }
        }
        if !patch.is_empty() {
            resp.patch_type = Some("JSONPatch".into());
            let bytes = serde_json::to_vec(&patch).unwrap_or_default();
            resp.patch = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
            let pinned = patch
                .iter()
                .filter(|p| p["path"].as_str().is_some_and(|s| s.ends_with("/image")))
                .count();
            if pinned > 0 {
                resp.audit_annotations
                    .insert("pinned-images".into(), pinned.to_string());
            }
        }
        (resp, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_of_each_kind() {
        let pod = json!({"spec": {"initContainers": [{"image": "a"}], "containers": [{"image": "b", "imagePullPolicy": "IfNotPresent"}], "ephemeralContainers": [{"image": "c"}]}});
        let s = container_slots(&pod, "Pod", false);
        let p: Vec<&str> = s.iter().map(|s| s.pointer.as_str()).collect();
        assert_eq!(
            p,
            [
                "/spec/initContainers/0",
                "/spec/containers/0",
                "/spec/ephemeralContainers/0"
            ]
        );
        assert_eq!(container_slots(&pod, "Pod", true).len(), 1);
        let cj = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}}});
        assert_eq!(
            container_slots(&cj, "CronJob", false)[0].pointer,
            "/spec/jobTemplate/spec/template/spec/containers/0"
        );
        assert!(container_slots(&pod, "ConfigMap", false).is_empty());
        assert_eq!(
            annotation_key("ghcr.io/acme/api:1.0"),
            "ghcr.io-acme-api-1.0"
        );
    }
}
