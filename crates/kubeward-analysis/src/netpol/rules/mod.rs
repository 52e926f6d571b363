//! Findings of the NetworkPolicy analysis: KW-NET-101 and up (layer pod-to-pod, or network for
//! "open to the outside"). Each rule builds the model from the inventory and points at the
//! policy and rule in the source, or at the workload when no policy is involved.

pub(crate) const DOCS: (&str, &str) = (
    "docs",
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
);
pub(crate) const NSA: (&str, &str) = (
    "nsa",
    "Kubernetes Hardening Guide: Network separation and hardening",
);

mod broad;
mod common;
mod default_deny;
mod egress;
mod kubelet;
mod selectors;
#[cfg(test)]
mod test_support;
mod validity;

pub use broad::*;
pub use default_deny::*;
pub use egress::*;
pub use kubelet::*;
pub use selectors::*;
pub use validity::*;

use kubeward_core::Rule;

/// Every NetworkPolicy rule, in ID order.
pub static RULES: &[&Rule] = &[
    &INVALID,
    &NO_DEFAULT_DENY_IN,
    &NO_DEFAULT_DENY_EG,
    &UNSELECTED,
    &DANGLING,
    &EMPTY_PEER,
    &INEFFECTIVE,
    &ALLOW_ALL,
    &METADATA,
    &DNS,
    &EVERY_NS,
    &OUTSIDE,
    &CAVEAT,
    &KUBELET,
];

#[cfg(test)]
mod tests {
    use super::RULES;
    use super::test_support::*;
    use kubeward_core::testing::run;

    #[test]
    fn hardened_example_is_clean() {
        let y = hardened();
        for r in RULES {
            let hits = run(r, &y);
            assert!(hits.is_empty(), "{}: {hits:#?}", r.meta.id);
        }
    }
}
