//! Whole-inventory analyses: RBAC effective permissions and escalation paths, NetworkPolicy
//! reachability, attack paths. Each analysis is an inventory rule (or several) plus the query
//! functions behind its CLI commands.

pub mod exposure;
pub mod rbac;

use kubeward_core::Rule;

pub mod netpol;
pub mod paths;

/// `A, B, C and 4 more`: the first `shown` items, for messages that would otherwise grow with
/// the inventory.
pub(crate) fn some_of<S: AsRef<str>>(items: &[S], shown: usize) -> String {
    let join = |v: &[S]| v.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(", ");
    if items.len() <= shown {
        join(items)
    } else {
        format!("{} and {} more", join(&items[..shown]), items.len() - shown)
    }
}

/// Every inventory rule in this crate.
pub fn rules() -> Vec<&'static Rule> {
    let mut v = Vec::new();
    v.extend_from_slice(rbac::rules::RULES);
    v.extend_from_slice(netpol::RULES);
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn some_of_names_the_first_items_and_counts_the_rest() {
        assert_eq!(super::some_of::<&str>(&[], 2), "");
        assert_eq!(super::some_of(&["a", "b"], 2), "a, b");
        assert_eq!(super::some_of(&["a", "b", "c", "d"], 2), "a, b and 2 more");
    }
}
