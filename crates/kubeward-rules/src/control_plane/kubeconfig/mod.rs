//! kubeconfig hygiene (KW-KCFG-*): a kubeconfig (`apiVersion: v1`, `kind: Config`) among the
//! inputs, or the files `kubeward kubeconfig` reads. Kubeconfigs are credentials: the rules
//! name users, clusters and contexts, never a key, token or password.

pub mod cert_expiry;
pub mod embedded_credentials;
pub mod file_permissions;
pub mod insecure_tls;
pub mod plain_http;
pub mod shared_credential;
pub mod system_masters;

use kubeward_core::{Node, Object};

/// Whether the object is a kubeconfig.
pub fn is_kubeconfig(o: &Object) -> bool {
    o.kind == "Config" && o.group().is_empty()
}

/// `(index, name, entry)` of each item of a kubeconfig list (`users`, `clusters`, `contexts`),
/// where `entry` is the inner mapping (`user`, `cluster`, `context`).
pub fn entries<'a>(
    o: &'a Object,
    list: &'static str,
    inner: &'static str,
) -> impl Iterator<Item = (usize, &'a str, &'a Node)> + 'a {
    o.root
        .get(list)
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(move |(i, item)| {
            Some((
                i,
                item.str_at("name").unwrap_or("(unnamed)"),
                item.get(inner)?,
            ))
        })
}

#[cfg(test)]
pub(crate) mod fixtures {
    /// Standard base64 encoding, for test fixtures.
    pub fn b64(data: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    }

    /// A client certificate (base64 PEM, as in `client-certificate-data`) and its key.
    pub fn client_cert(org: Option<&str>, cn: &str, days_from_now: (i64, i64)) -> (String, String) {
        let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        if let Some(o) = org {
            p.distinguished_name
                .push(rcgen::DnType::OrganizationName, o);
        }
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        let day = |d: i64| {
            let t = crate::support::x509::now() + d * 86_400;
            let (y, m, dd) = kubeward_core::config::civil_from_days(t.div_euclid(86_400));
            rcgen::date_time_ymd(y, m as u8, dd as u8)
        };
        p.not_before = day(days_from_now.0);
        p.not_after = day(days_from_now.1);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        (
            b64(cert.pem().as_bytes()),
            b64(key.serialize_pem().as_bytes()),
        )
    }
}

#[cfg(test)]
pub(crate) mod harness {
    use kubeward_core::config::Config;
    use kubeward_core::engine::Engine;
    use kubeward_core::inventory::{FileMeta, SourceId};
    use kubeward_core::{Finding, Registry, Rule};

    /// Runs `rule` over `yaml` whose source has the given file facts.
    pub fn run_with_meta(rule: &'static Rule, yaml: &str, meta: Option<FileMeta>) -> Vec<Finding> {
        let mut loaded = kubeward_core::testing::load(yaml);
        if let Some(m) = meta {
            loaded.inventory.set_file_meta(SourceId(0), m);
        }
        let mut registry = Registry::new();
        registry.extend([rule]);
        let config = Config::default();
        Engine {
            registry: &registry,
            config: &config,
        }
        .run(&loaded.inventory, &[], None)
        .findings
    }
}
