//! EncryptionConfiguration files (`apiserver.config.k8s.io/v1`, the file that
//! `--encryption-provider-config` names; KW-CP-007 checks the flag): the model the rules share,
//! resolved as the API server resolves it.
//!
//! For a resource the API server takes, in this order, the entry that names it exactly
//! (`secrets`, `deployments.apps`), then the entry that names its group (`*.` for the core group,
//! `*.apps`), then `*.*`; when several entries name the same key the first one wins. With no
//! matching entry the resource is written as it is (identity). The first provider of the
//! chosen entry encrypts every write; the others only decrypt. Within a provider the first key
//! is the one new writes use.

pub mod aescbc;
pub mod aesgcm;
pub mod identity_first;
pub mod key_length;
pub mod key_rotation;
pub mod kms_v1;
pub mod masked_resources;
pub mod secrets_not_covered;

use kubeward_core::{Emitter, Finding, Node, Object};

/// Reports a finding whose source line is never quoted: the file holds encryption keys, and
/// a line such as `keys: [{name: k1, secret: ...}]` would show one.
pub(crate) fn report<'e>(
    out: &'e mut Emitter<'_>,
    object: &Object,
    pointer: impl Into<String>,
    message: impl Into<String>,
) -> &'e mut Finding {
    out.report(object, pointer, message).redact_source()
}

/// The configuration file kind these rules look at.
pub const KINDS: &[&str] = &["EncryptionConfiguration"];

/// Providers the API server knows.
pub const PROVIDERS: &[&str] = &["identity", "aescbc", "aesgcm", "secretbox", "kms"];

/// One provider of an entry.
pub struct Provider<'a> {
    /// `identity`, `aescbc`, `aesgcm`, `secretbox`, `kms` (or an unknown name as written).
    pub kind: &'a str,
    pub node: &'a Node,
    pub pointer: String,
}

impl Provider<'_> {
    /// Key names of `aescbc`/`aesgcm`/`secretbox`, in order (the first is the primary key).
    pub fn key_names(&self) -> Vec<(String, String)> {
        let Some(keys) = self.node.get("keys") else {
            return Vec::new();
        };
        keys.items()
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    k.str_at("name").unwrap_or("(unnamed)").to_string(),
                    format!("{}/keys/{i}", self.pointer),
                )
            })
            .collect()
    }

    /// The KMS plugin API version (`v1` when unset, as the API server defaults it).
    pub fn kms_version(&self) -> &str {
        self.node.str_at("apiVersion").unwrap_or("v1")
    }

    /// `aescbc key "k1"`, `kms v2 plugin "vault"` for messages.
    pub fn describe(&self) -> String {
        match self.kind {
            "kms" => format!(
                "kms {} plugin \"{}\"",
                self.kms_version(),
                self.node.str_at("name").unwrap_or("(unnamed)")
            ),
            "identity" => "identity (no encryption)".to_string(),
            k => match self.key_names().first() {
                Some((name, _)) => format!("{k} with primary key \"{name}\""),
                None => format!("{k} with no key"),
            },
        }
    }
}

/// One entry of `resources[]`.
pub struct Entry<'a> {
    pub index: usize,
    pub pointer: String,
    /// Resource names as written, with their pointers.
    pub resources: Vec<(&'a str, String)>,
    pub providers: Vec<Provider<'a>>,
}

impl<'a> Entry<'a> {
    /// The provider new writes use.
    pub fn first(&self) -> Option<&Provider<'a>> {
        self.providers.first()
    }
}

/// The entries of an EncryptionConfiguration, `None` for any other object.
pub fn entries(o: &Object) -> Option<Vec<Entry<'_>>> {
    if o.group() != "apiserver.config.k8s.io" || o.kind != "EncryptionConfiguration" {
        return None;
    }
    let mut out = Vec::new();
    let Some(list) = o.root.get("resources") else {
        return Some(out);
    };
    for (i, e) in list.items().iter().enumerate() {
        let pointer = format!("/resources/{i}");
        let resources = e
            .get("resources")
            .map(|r| {
                r.items()
                    .iter()
                    .enumerate()
                    .filter_map(|(j, n)| Some((n.as_str()?, format!("{pointer}/resources/{j}"))))
                    .collect()
            })
            .unwrap_or_default();
        let providers = e
            .get("providers")
            .map(|p| {
                p.items()
                    .iter()
                    .enumerate()
                    .filter_map(|(j, n)| {
                        // A provider is a map with one key: the provider name.
                        let (kind, node) = n.entries().next()?;
                        Some(Provider {
                            kind,
                            node,
                            pointer: format!("{pointer}/providers/{j}/{kind}"),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Entry {
            index: i,
            pointer,
            resources,
            providers,
        });
    }
    Some(out)
}

/// A resource as the API server names it: `(group, resource)`, `*` for wildcards.
/// `secrets` → `("", "secrets")`, `deployments.apps` → `("apps", "deployments")`,
/// `*.` → `("", "*")`, `*.*` → `("*", "*")`.
pub fn split(name: &str) -> (&str, &str) {
    match name.split_once('.') {
        Some((r, g)) => (g, r),
        None => ("", name),
    }
}

/// How the API server stores `(group, resource)`: the entry it takes and through which name.
pub fn resolve<'e, 'a>(
    entries: &'e [Entry<'a>],
    group: &str,
    resource: &str,
) -> Option<(&'e Entry<'a>, &'e str)> {
    let find = |want_group: &str, want_resource: &str| {
        entries.iter().find_map(|e| {
            e.resources.iter().find_map(|(n, p)| {
                let (g, r) = split(n);
                (g == want_group && r == want_resource).then_some((e, p.as_str()))
            })
        })
    };
    find(group, resource)
        .or_else(|| find(group, "*"))
        .or_else(|| find("*", "*"))
}

#[cfg(test)]
pub(crate) mod fixtures {
    /// An EncryptionConfiguration with the given `resources:` block (indented by two spaces).
    pub fn enc(resources: &str) -> String {
        format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n{resources}"
        )
    }

    /// A key entry: name and a 32-byte key (base64).
    pub const KEY: &str = "c2VjcmV0LWtleS0zMi1ieXRlcy1sb25nLWV4YWN0bHk=";
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_core::testing::load;

    #[test]
    fn resolution_follows_the_api_server() {
        let l = load(&fixtures::enc(
            "- resources: ['*.apps']\n  providers: [{aesgcm: {keys: []}}]\n\
             - resources: [secrets, '*.']\n  providers: [{secretbox: {keys: []}}]\n\
             - resources: ['*.*']\n  providers: [{identity: {}}]\n\
             - resources: [secrets]\n  providers: [{aescbc: {keys: []}}]\n",
        ));
        let o = &l.inventory.objects()[0];
        let e = entries(o).unwrap();
        let kind = |g, r| resolve(&e, g, r).map(|(e, _)| e.first().unwrap().kind);
        // Exact names win over the group wildcard, and the first entry naming a key wins.
        assert_eq!(kind("", "secrets"), Some("secretbox"));
        assert_eq!(kind("", "configmaps"), Some("secretbox"));
        assert_eq!(kind("apps", "deployments"), Some("aesgcm"));
        assert_eq!(kind("batch", "jobs"), Some("identity"));
        assert_eq!(o.name, "test.yaml");
        assert!(o.namespace.is_none());
    }
}
