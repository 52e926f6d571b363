//! Findings.
pub static RULES: &[&kubeward_core::Rule] = &[];
