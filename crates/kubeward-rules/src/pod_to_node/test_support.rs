//! Helpers shared by the Pod Security rule tests.

use kubeward_core::config::Settings;
use kubeward_core::testing::{Hit, run_with};
use kubeward_core::{Rule, podspec::WORKLOAD_KINDS};

/// A Pod named `p` whose spec is `spec_body` (block YAML indented by two spaces).
pub fn pod(spec_body: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n{spec_body}")
}

/// A Pod with pod metadata `meta` (a flow mapping without the name) and spec `spec` (a flow
/// mapping).
pub fn pod_with_meta(meta: &str, spec: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {meta}\nspec: {spec}\n")
}

/// One object of every kind that carries a pod spec, each with the pod spec `spec` (a flow
/// mapping) and pod-template metadata `meta` (a flow mapping with at least a name).
pub fn every_kind_with_meta(meta: &str, spec: &str) -> Vec<(&'static str, String)> {
    WORKLOAD_KINDS
        .iter()
        .map(|kind| {
            let y = match *kind {
                "Pod" => format!("apiVersion: v1\nkind: Pod\nmetadata: {meta}\nspec: {spec}\n"),
                "PodTemplate" => format!(
                    "apiVersion: v1\nkind: PodTemplate\nmetadata: {{name: t}}\ntemplate:\n  metadata: {meta}\n  spec: {spec}\n"
                ),
                "CronJob" => format!(
                    "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: c}}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        metadata: {meta}\n        spec: {spec}\n"
                ),
                k => {
                    let av = match k {
                        "Job" => "batch/v1",
                        "ReplicationController" => "v1",
                        _ => "apps/v1",
                    };
                    format!(
                        "apiVersion: {av}\nkind: {k}\nmetadata: {{name: w}}\nspec:\n  template:\n    metadata: {meta}\n    spec: {spec}\n"
                    )
                }
            };
            (*kind, y)
        })
        .collect()
}

/// [`every_kind_with_meta`] with plain metadata.
pub fn every_kind(spec: &str) -> Vec<(&'static str, String)> {
    every_kind_with_meta("{name: p}", spec)
}

/// Runs `rule` at the Pod Security profile `profile` (`baseline:v1.25`).
pub fn at(rule: &'static Rule, profile: &str, yaml: &str) -> Vec<Hit> {
    let settings = Settings {
        pod_security: profile.to_string(),
        ..Settings::default()
    };
    run_with(&[rule], settings, yaml)
}
