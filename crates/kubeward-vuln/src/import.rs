//! Importing OSV data: per-ecosystem zip exports (`<ECOSYSTEM>/all.zip`, one `<ID>.json` per
//! record), folders of OSV JSON files (searched recursively; zips inside are read too), and
//! single JSON files (one record, an array of records, or `{"vulns": [...]}`). Fetching the
//! exports (`vuln db update`) is the only networked operation of this crate.

use crate::db::{Database, Entry, Meta, Vuln};
use crate::error::ImportError;
use crate::osv::Record;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Records are parsed in batches of this many documents, in parallel.
const BATCH: usize = 4096;
/// A record larger than this is refused (the largest real OSV records are a few MiB).
const MAX_RECORD: u64 = 64 << 20;

/// What an import produced.
pub struct Imported {
    pub db: Database,
    /// Documents that could not be read, as `file[:member]: line L column C: message`.
    pub errors: Vec<String>,
}

#[derive(Default)]
struct Acc {
    /// id → (modified, vulnerability, entries with a placeholder index)
    records: HashMap<String, (String, Vuln, Vec<Entry>, Vec<String>)>,
    withdrawn: u64,
    errors: Vec<String>,
}

impl Acc {
    fn add_batch(&mut self, docs: Vec<(String, Vec<u8>)>) {
        let parsed: Vec<Result<Vec<Record>, String>> = docs
            .into_par_iter()
            .map(|(origin, bytes)| parse_doc(&bytes).map_err(|e| format!("{origin}: {e}")))
            .collect();
        for p in parsed {
            match p {
                Ok(recs) => {
                    for r in recs {
                        self.add(r);
                    }
                }
                Err(e) => self.errors.push(e),
            }
        }
    }

    fn add(&mut self, r: Record) {
        if r.id.is_empty() {
            self.errors
                .push("a record without an `id` was left out".into());
            return;
        }
        if r.withdrawn.as_deref().is_some_and(|w| !w.is_empty()) {
            self.withdrawn += 1;
            self.records.remove(&r.id);
            return;
        }
        if let Some((m, ..)) = self.records.get(&r.id) {
            // The same id twice (two exports overlap): keep the newer record.
            if *m >= r.modified {
                return;
            }
        }
        let mut bases: Vec<String> = r
            .affected
            .iter()
            .filter_map(|a| a.package.as_ref())
            .map(|p| {
                p.ecosystem
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
            .filter(|b| !b.is_empty())
            .collect();
        bases.sort();
        bases.dedup();
        let vuln = r.vuln();
        let entries = r.entries(0);
        self.records
            .insert(r.id.clone(), (r.modified.clone(), vuln, entries, bases));
    }

    fn finish(self, sources: Vec<String>) -> Imported {
        let mut ids: Vec<String> = self.records.keys().cloned().collect();
        ids.sort();
        let mut records = self.records;
        let mut vulns = Vec::with_capacity(ids.len());
        let mut entries = Vec::new();
        let mut per_eco: BTreeMap<String, u64> = BTreeMap::new();
        for id in ids {
            let (_, v, es, bases) = records.remove(&id).expect("listed id");
            let idx = vulns.len() as u32;
            vulns.push(v);
            for mut e in es {
                e.vuln = idx;
                entries.push(e);
            }
            for b in bases {
                *per_eco.entry(b).or_default() += 1;
            }
        }
        let meta = Meta {
            sources,
            imported_at: now_rfc3339(),
            records: vulns.len() as u64,
            withdrawn: self.withdrawn,
            ecosystems: per_eco.into_iter().collect(),
        };
        Imported {
            db: Database::new(meta, vulns, entries),
            errors: self.errors,
        }
    }
}

/// Reads one JSON document: a record, an array of records, or `{"vulns": [...]}`.
fn parse_doc(bytes: &[u8]) -> Result<Vec<Record>, String> {
    let loc = |e: serde_json::Error| format!("line {} column {}: {e}", e.line(), e.column());
    let first = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied()
        .unwrap_or(b'{');
    if first == b'[' {
        return serde_json::from_slice(bytes).map_err(loc);
    }
    let r: Record = serde_json::from_slice(bytes).map_err(loc)?;
    if !r.id.is_empty() {
        return Ok(vec![r]);
    }
    #[derive(serde::Deserialize)]
    struct List {
        #[serde(default)]
        vulns: Vec<Record>,
    }
    let l: List = serde_json::from_slice(bytes).map_err(loc)?;
    if l.vulns.is_empty() {
        return Err("neither an OSV record (no `id`) nor a `vulns` list".into());
    }
    Ok(l.vulns)
}

/// Adds the JSON members of a zip archive.
fn read_zip(acc: &mut Acc, origin: &str, file: std::fs::File) -> Result<(), ImportError> {
    let mut z =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|source| ImportError::Zip {
            path: origin.to_string(),
            source,
        })?;
    let mut batch = Vec::new();
    for i in 0..z.len() {
        let mut m = z.by_index(i).map_err(|source| ImportError::ZipMember {
            path: origin.to_string(),
            index: i,
            source,
        })?;
        let member = m.name().map(|n| n.to_string()).unwrap_or_default();
        if m.is_dir() || !member.ends_with(".json") {
            continue;
        }
        let name = format!("{origin}:{member}");
        if m.size() > MAX_RECORD {
            acc.errors.push(format!(
                "{name}: {} bytes, larger than a record can be",
                m.size()
            ));
            continue;
        }
        let mut bytes = Vec::with_capacity(m.size() as usize);
        if let Err(e) = m.by_ref().take(MAX_RECORD).read_to_end(&mut bytes) {
            acc.errors.push(format!("{name}: {e}"));
            continue;
        }
        batch.push((name, bytes));
        if batch.len() == BATCH {
            acc.add_batch(std::mem::take(&mut batch));
        }
    }
    acc.add_batch(batch);
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
    let mut items: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| ImportError::Io {
            path: dir.display().to_string(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    items.sort();
    for p in items {
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "json" || x == "zip") {
            out.push(p);
        }
    }
    Ok(())
}

/// Imports OSV data from files and folders. Records that do not parse are reported in
/// [`Imported::errors`] (with file, member, line and column) and left out; an unreadable
/// path or archive is an error.
pub fn import_paths(paths: &[PathBuf]) -> Result<Imported, ImportError> {
    let sources = paths.iter().map(|p| p.display().to_string()).collect();
    import_labelled(paths, sources)
}

/// [`import_paths`] with the source names recorded in the database (URLs for `update`).
pub fn import_labelled(paths: &[PathBuf], sources: Vec<String>) -> Result<Imported, ImportError> {
    let mut acc = Acc::default();
    for p in paths {
        let mut files = Vec::new();
        if p.is_dir() {
            walk(p, &mut files)?;
            if files.is_empty() {
                return Err(ImportError::NoFiles {
                    path: p.display().to_string(),
                });
            }
        } else {
            files.push(p.clone());
        }
        let mut batch = Vec::new();
        for f in files {
            let origin = f.display().to_string();
            let io = |source| ImportError::Io {
                path: origin.clone(),
                source,
            };
            let file = std::fs::File::open(&f).map_err(io)?;
            if f.extension().is_some_and(|x| x == "zip") {
                read_zip(&mut acc, &origin, file)?;
            } else {
                let mut bytes = Vec::new();
                file.take(MAX_RECORD).read_to_end(&mut bytes).map_err(io)?;
                batch.push((origin, bytes));
                if batch.len() == BATCH {
                    acc.add_batch(std::mem::take(&mut batch));
                }
            }
        }
        acc.add_batch(batch);
    }
    Ok(acc.finish(sources))
}

/// The default location of the OSV exports.
pub const DEFAULT_URL: &str = "https://storage.googleapis.com/osv-vulnerabilities";

/// Ecosystems fetched by `vuln db update` unless told otherwise: those kubeward matches.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "Wolfi",
    "Chainguard",
    "npm",
    "crates.io",
    "Go",
    "PyPI",
    "Maven",
];

/// The URLs `update` fetches: `URL` itself when it names a `.zip`, else
/// `URL/<ecosystem>/all.zip` per ecosystem (names percent-encoded).
pub fn export_urls(base: &str, ecosystems: &[String]) -> Vec<String> {
    let base = base.trim_end_matches('/');
    if base.ends_with(".zip") {
        return vec![base.to_string()];
    }
    ecosystems
        .iter()
        .map(|e| {
            let enc: String = e
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{base}/{enc}/all.zip")
        })
        .collect()
}

/// Downloads each URL into `dir` (a temporary folder the caller owns) and returns the files.
/// Bounded: each response may be at most `max_bytes`, each request times out.
pub fn download(urls: &[String], dir: &Path, max_bytes: u64) -> Result<Vec<PathBuf>, ImportError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(600)))
        .timeout_connect(Some(std::time::Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let mut files = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let mut resp = agent
            .get(url)
            .call()
            .map_err(|source| ImportError::Request {
                url: url.clone(),
                source: Box::new(source),
            })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(ImportError::Status {
                url: url.clone(),
                status,
            });
        }
        let path = dir.join(format!("export-{i}.zip"));
        let mut f = std::fs::File::create(&path).map_err(|source| ImportError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let mut body = resp.body_mut().as_reader().take(max_bytes + 1);
        let n = std::io::copy(&mut body, &mut f).map_err(|source| ImportError::Body {
            url: url.clone(),
            source,
        })?;
        if n > max_bytes {
            return Err(ImportError::TooLarge {
                url: url.clone(),
                max_bytes,
            });
        }
        files.push(path);
    }
    Ok(files)
}

/// Now as RFC 3339 UTC (`2026-12-05T08:00:00Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0) as i64;
    let (y, m, d) = kubeward_core::config::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
