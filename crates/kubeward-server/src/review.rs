//! The wire types: `AdmissionReview` (admission.k8s.io/v1) and `ImageReview`
//! (imagepolicy.k8s.io/v1alpha1). Only the fields kubeward reads are decoded; the object
//! itself is kept as raw JSON text so the located JSON loader of `kubeward-core` can read it
//! with positions.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// `admission.k8s.io/v1`, the only AdmissionReview version served (the API server sends the
/// first version listed in `admissionReviewVersions` that it supports).
pub const ADMISSION_V1: &str = "admission.k8s.io/v1";
pub const IMAGEPOLICY_V1ALPHA1: &str = "imagepolicy.k8s.io/v1alpha1";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReview {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    pub request: Option<AdmissionRequest>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct GroupVersionKind {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct GroupVersionResource {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub resource: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    #[serde(default)]
    pub kind: GroupVersionKind,
    #[serde(default)]
    pub resource: GroupVersionResource,
    #[serde(default)]
    pub sub_resource: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub operation: String,
    #[serde(default)]
    pub user_info: UserInfo,
    #[serde(default)]
    pub object: Option<Box<RawValue>>,
    #[serde(default)]
    pub old_object: Option<Box<RawValue>>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

impl AdmissionRequest {
    /// The object text, unless absent or `null` (DELETE).
    pub fn object_text(&self) -> Option<&str> {
        raw_text(&self.object)
    }
    pub fn old_object_text(&self) -> Option<&str> {
        raw_text(&self.old_object)
    }
    pub fn is_dry_run(&self) -> bool {
        self.dry_run == Some(true)
    }
}

fn raw_text(v: &Option<Box<RawValue>>) -> Option<&str> {
    v.as_deref()
        .map(RawValue::get)
        .filter(|t| t.trim() != "null")
}

/// `metav1.Status`, as far as webhooks fill it in.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    /// Base64 of the JSON Patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl AdmissionResponse {
    pub fn allow(uid: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: true,
            ..Default::default()
        }
    }
    pub fn deny(uid: &str, code: u16, message: String) -> Self {
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: false,
            status: Some(Status {
                code,
                message,
                reason: Some(
                    if code == 403 {
                        "Forbidden"
                    } else {
                        "BadRequest"
                    }
                    .into(),
                ),
            }),
            ..Default::default()
        }
    }
}

/// The reply envelope: same apiVersion as the request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionReviewOut {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub response: AdmissionResponse,
}

impl AdmissionReviewOut {
    pub fn new(response: AdmissionResponse) -> Self {
        AdmissionReviewOut {
            api_version: ADMISSION_V1,
            kind: "AdmissionReview",
            response,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReview {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    pub spec: ImageReviewSpec,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ImageReviewSpec {
    #[serde(default)]
    pub containers: Vec<ImageReviewContainer>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub namespace: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ImageReviewContainer {
    #[serde(default)]
    pub image: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageReviewStatus {
    pub allowed: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageReviewOut {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub status: ImageReviewStatus,
}
