//! `kubeward etcd verify`: whether Secrets (and ConfigMaps) are really encrypted at rest, read
//! from etcd itself.
//!
//! The API server writes an encrypted value as `k8s:enc:<provider>:<version>:<key name>:`
//! followed by the ciphertext, and an unencrypted one as Kubernetes protobuf (`k8s\0`) or JSON.
//! kubeward lists the keys under `<prefix>/secrets/` and `<prefix>/configmaps/` (a keys-only
//! range, paged), then reads the values in small batches (a few at once) at the listing's revision and keeps
//! only the first [`classify::PREFIX_BYTES`] bytes of each. etcd's range API cannot return
//! part of a value, so each value is received whole and truncated at once: no value is kept,
//! printed or written anywhere.

pub mod classify;
pub mod rules;

use classify::{PREFIX_BYTES, Storage, classify};
use etcd_client::{Certificate, Client, ConnectOptions, GetOptions, Identity, TlsOptions};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What to connect to and what to read.
#[derive(Clone, Debug)]
pub struct Options {
    pub endpoints: Vec<String>,
    /// PEM contents of the CA, client certificate and key.
    pub ca: Option<Vec<u8>>,
    pub cert: Option<Vec<u8>>,
    pub key: Option<Vec<u8>>,
    /// The API server's `--etcd-prefix` (default `/registry`).
    pub prefix: String,
    /// Resources to check (`secrets`, `configmaps`).
    pub resources: Vec<String>,
    /// Keys per keys-only page.
    pub page: i64,
    /// Values per read.
    pub batch: usize,
    /// Reads in flight at once.
    pub in_flight: usize,
    pub timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            endpoints: Vec::new(),
            ca: None,
            cert: None,
            key: None,
            prefix: "/registry".into(),
            resources: vec!["secrets".into(), "configmaps".into()],
            page: 5000,
            batch: 64,
            in_flight: 4,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Counts for one resource (or one namespace of it).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Counts {
    pub total: u64,
    pub plaintext_protobuf: u64,
    pub plaintext_json: u64,
    pub unknown: u64,
    /// `provider:version:key` → values.
    pub encrypted: BTreeMap<String, u64>,
}

impl Counts {
    fn add(&mut self, s: &Storage) {
        self.total += 1;
        match s {
            Storage::PlainProtobuf => self.plaintext_protobuf += 1,
            Storage::PlainJson => self.plaintext_json += 1,
            Storage::Unknown => self.unknown += 1,
            Storage::Encrypted { .. } => *self.encrypted.entry(s.label()).or_default() += 1,
        }
    }

    pub fn plaintext(&self) -> u64 {
        self.plaintext_protobuf + self.plaintext_json
    }
}

/// The result for one resource.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ResourceReport {
    pub resource: String,
    /// The key prefix read (`/registry/secrets/`).
    pub key_prefix: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub namespaces: BTreeMap<String, Counts>,
}

/// What `verify` found.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Report {
    pub endpoints: Vec<String>,
    /// The etcd revision all reads were made at.
    pub revision: i64,
    pub prefix_bytes_kept: usize,
    pub resources: Vec<ResourceReport>,
}

/// Why `etcd verify` could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client certificate was given without its key, or the other way round.
    #[error("--cert and --key go together")]
    CertWithoutKey,
    /// etcd refused or failed a request (`source` tells authentication from timeouts).
    #[error("{step}: {source}")]
    Etcd {
        step: Step,
        #[source]
        source: etcd_client::Error,
    },
    /// A reading task stopped (panicked or was cancelled).
    #[error("reading values: {0}")]
    Task(#[source] tokio::task::JoinError),
}

/// What was being done when etcd failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Connect,
    ListKeys,
    Read,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Connect => "connecting to etcd",
            Step::ListKeys => "listing keys",
            Step::Read => "reading",
        })
    }
}

fn err(step: Step) -> impl Fn(etcd_client::Error) -> Error {
    move |source| Error::Etcd { step, source }
}

/// The smallest key after `k`.
fn after(k: &[u8]) -> Vec<u8> {
    let mut v = k.to_vec();
    v.push(0);
    v
}

/// The end of the range of keys that start with `p`.
fn prefix_end(p: &[u8]) -> Vec<u8> {
    let mut v = p.to_vec();
    while let Some(last) = v.pop() {
        if last < 0xff {
            v.push(last + 1);
            return v;
        }
    }
    vec![0]
}

/// Connects to `opts.endpoints`.
pub async fn connect(opts: &Options) -> Result<Client, Error> {
    let mut co = ConnectOptions::new()
        .with_timeout(opts.timeout)
        .with_connect_timeout(opts.timeout.min(Duration::from_secs(10)));
    let tls_wanted = opts.endpoints.iter().any(|e| e.starts_with("https://"));
    if tls_wanted || opts.ca.is_some() || opts.cert.is_some() {
        let mut tls = TlsOptions::new();
        if let Some(ca) = &opts.ca {
            tls = tls.ca_certificate(Certificate::from_pem(ca));
        }
        match (&opts.cert, &opts.key) {
            (Some(c), Some(k)) => tls = tls.identity(Identity::from_pem(c, k)),
            (None, None) => {}
            _ => return Err(Error::CertWithoutKey),
        }
        co = co.with_tls(tls);
    }
    Client::connect(&opts.endpoints, Some(co))
        .await
        .map_err(err(Step::Connect))
}

/// Reads and classifies. Values are truncated to [`PREFIX_BYTES`] as soon as they arrive.
pub async fn verify(opts: &Options) -> Result<Report, Error> {
    let client = connect(opts).await?;
    let mut kv = client.kv_client().max_decoding_message_size(256 << 20);
    let mut report = Report {
        endpoints: opts.endpoints.clone(),
        prefix_bytes_kept: PREFIX_BYTES,
        ..Report::default()
    };
    // All reads at one revision: the first listing's.
    let mut revision = 0i64;
    for resource in &opts.resources {
        let key_prefix = format!("{}/{resource}/", opts.prefix.trim_end_matches('/'));
        let end = prefix_end(key_prefix.as_bytes());
        let mut rr = ResourceReport {
            resource: resource.clone(),
            key_prefix: key_prefix.clone(),
            ..ResourceReport::default()
        };
        let mut start = key_prefix.as_bytes().to_vec();
        loop {
            let mut o = GetOptions::new()
                .with_range(end.clone())
                .with_keys_only()
                .with_limit(opts.page);
            if revision > 0 {
                o = o.with_revision(revision);
            }
            let resp = kv
                .get(start.clone(), Some(o))
                .await
                .map_err(err(Step::ListKeys))?;
            if revision == 0 {
                revision = resp.header().map(|h| h.revision()).unwrap_or(0);
            }
            let keys: Vec<Vec<u8>> = resp.kvs().iter().map(|k| k.key().to_vec()).collect();
            // Up to `in_flight` batches are read at once, each on its own clone of the client.
            let chunks: Vec<&[Vec<u8>]> = keys.chunks(opts.batch.max(1)).collect();
            for group in chunks.chunks(opts.in_flight.max(1)) {
                let mut set = tokio::task::JoinSet::new();
                for (i, chunk) in group.iter().enumerate() {
                    let mut kv = kv.clone();
                    let chunk = chunk.to_vec();
                    set.spawn(async move { (i, read_prefixes(&mut kv, &chunk, revision).await) });
                }
                let mut results: Vec<Option<Vec<Option<Vec<u8>>>>> = vec![None; group.len()];
                while let Some(r) = set.join_next().await {
                    let (i, r) = r.map_err(Error::Task)?;
                    results[i] = Some(r?);
                }
                for (chunk, prefixes) in group.iter().zip(results) {
                    for (k, p) in chunk.iter().zip(prefixes.unwrap_or_default()) {
                        let s = match p {
                            Some(p) => classify(&p),
                            None => continue, // deleted between listing and reading
                        };
                        let ns = namespace_of(&k[key_prefix.len()..]);
                        rr.counts.add(&s);
                        rr.namespaces.entry(ns).or_default().add(&s);
                    }
                }
            }
            match (resp.more(), keys.last()) {
                (true, Some(last)) => start = after(last),
                _ => break,
            }
        }
        report.resources.push(rr);
    }
    report.revision = revision;
    Ok(report)
}

/// The first bytes of each of `keys` (sorted, consecutive in the listing) at `revision`.
/// One range read per batch; if a batch is too large for one response, key by key.
async fn read_prefixes(
    kv: &mut etcd_client::KvClient,
    keys: &[Vec<u8>],
    revision: i64,
) -> Result<Vec<Option<Vec<u8>>>, Error> {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return Ok(Vec::new());
    };
    let o = GetOptions::new()
        .with_range(after(last))
        .with_revision(revision)
        .with_limit(keys.len() as i64);
    let mut got: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    match kv.get(first.clone(), Some(o)).await {
        Ok(mut resp) => {
            for kvp in resp.take_kvs() {
                // Each full value is dropped as soon as its prefix is copied.
                got.insert(kvp.key().to_vec(), truncate(kvp.value()));
            }
        }
        Err(e) if keys.len() > 1 => {
            let _ = e;
            for k in keys {
                let o = GetOptions::new().with_revision(revision);
                let resp = kv.get(k.clone(), Some(o)).await.map_err(err(Step::Read))?;
                if let Some(kvp) = resp.kvs().first() {
                    got.insert(k.clone(), truncate(kvp.value()));
                }
            }
        }
        Err(e) => return Err(err(Step::Read)(e)),
    }
    Ok(keys.iter().map(|k| got.remove(k)).collect())
}

fn truncate(v: &[u8]) -> Vec<u8> {
    v[..v.len().min(PREFIX_BYTES)].to_vec()
}

/// `ns/name` → `ns` (keys of cluster-scoped resources have no namespace part).
fn namespace_of(rest: &[u8]) -> String {
    match rest.iter().position(|&b| b == b'/') {
        Some(i) => String::from_utf8_lossy(&rest[..i]).into_owned(),
        None => "(cluster)".into(),
    }
}

pub use rules::{findings, rules};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cert_without_its_key_is_its_own_error() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let opts = Options {
            endpoints: vec!["https://127.0.0.1:1".into()],
            cert: Some(b"cert".to_vec()),
            ..Options::default()
        };
        let e = rt.block_on(connect(&opts)).err();
        assert!(matches!(e, Some(Error::CertWithoutKey)), "{e:?}");
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("--cert and --key go together")
        );
        assert_eq!(Step::ListKeys.to_string(), "listing keys");
    }

    #[test]
    fn key_ranges() {
        assert_eq!(prefix_end(b"/registry/secrets/"), b"/registry/secrets0");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(after(b"k"), b"k\0");
        assert_eq!(namespace_of(b"default/db"), "default");
        assert_eq!(namespace_of(b"x"), "(cluster)");
    }

    #[test]
    fn counts() {
        let mut c = Counts::default();
        for v in [
            &b"k8s\0x"[..],
            b"{}",
            b"k8s:enc:aescbc:v1:a:",
            b"k8s:enc:aescbc:v1:a:",
            b"?",
        ] {
            c.add(&classify(v));
        }
        assert_eq!((c.total, c.plaintext(), c.unknown), (5, 2, 1));
        assert_eq!(c.encrypted["aescbc:v1:a"], 2);
    }
}
