//! `/imagepolicy`: the ImagePolicyWebhook backend (`ImageReview`, imagepolicy.k8s.io/v1alpha1).
//!
//! Images must match `settings.allowed_registries` exactly as KW-IMG-004 matches them (the
//! same functions), and, with `image_policy.require_digest`, be pinned by digest. The decision
//! depends on the `spec` alone, as the API server caches it by `spec`. A pod annotation
//! `<anything>.image-policy.k8s.io/break-glass: "true"` admits the pod anyway when
//! `image_policy.break_glass` is on; it is always recorded in the audit annotations.

use crate::policy::Policy;
use crate::review::{ImageReview, ImageReviewStatus};
use kubeward_core::image::ImageRef;
use kubeward_rules::containers::{normalized_name, normalized_prefix, prefix_matches};
use std::collections::BTreeMap;

/// The suffix of break-glass annotation keys.
pub const BREAK_GLASS_SUFFIX: &str = ".image-policy.k8s.io/break-glass";

/// Why one image is refused, if it is.
pub fn image_refusal(policy: &Policy, image: &str) -> Option<String> {
    let r = match ImageRef::parse(image) {
        Ok(r) => r,
        Err(e) => return Some(format!("{image}: {e}")),
    };
    if let Some(list) = &policy.config.settings.allowed_registries {
        let name = normalized_name(&r);
        let ok = list
            .iter()
            .filter_map(|p| normalized_prefix(p))
            .any(|p| prefix_matches(&p, &name));
        if !ok {
            return Some(format!("{image} is not from an allowed registry ({name})"));
        }
    }
    if policy.admission.image_policy.require_digest && r.digest.is_none() {
        return Some(format!("{image} is not pinned by digest"));
    }
    None
}

/// Decides one ImageReview.
pub fn review(policy: &Policy, review: &ImageReview) -> ImageReviewStatus {
    let mut audit = BTreeMap::new();
    let refusals: Vec<String> = review
        .spec
        .containers
        .iter()
        .filter_map(|c| image_refusal(policy, &c.image))
        .collect();
    if policy.config.settings.allowed_registries.is_none() {
        audit.insert(
            "kubeward-note".into(),
            "settings.allowed_registries is not configured: registries not checked".into(),
        );
    }
    if refusals.is_empty() {
        return ImageReviewStatus {
            allowed: true,
            reason: String::new(),
            audit_annotations: audit,
        };
    }
    let reason = crate::validate::clip(&format!("kubeward: {}", refusals.join("; ")), 1000);
    let glass =
        review.spec.annotations.iter().find(|(k, v)| {
            k.ends_with(BREAK_GLASS_SUFFIX) && v.trim().eq_ignore_ascii_case("true")
        });
    if let Some((key, _)) = glass {
        audit.insert("break-glass-annotation".into(), key.clone());
        audit.insert("would-deny".into(), reason.clone());
        if policy.admission.image_policy.break_glass {
            audit.insert("break-glass".into(), "true".into());
            return ImageReviewStatus {
                allowed: true,
                reason: String::new(),
                audit_annotations: audit,
            };
        }
        audit.insert(
            "break-glass".into(),
            "refused: disabled in the config".into(),
        );
    }
    ImageReviewStatus {
        allowed: false,
        reason,
        audit_annotations: audit,
    }
}
