//! `scan --images`: read the images the workloads run (kubeward-image), match their packages
//! against the offline vulnerability database (kubeward-vuln) and hand the result to the
//! KW-VULN rules as facts. Each image is read once per digest; what it holds is cached on disk
//! by the image's config digest, so a second scan fetches only manifests and configs.

use kubeward_core::{Inventory, PodSpec};
use kubeward_image::{ImageRef, Options, Source};
use kubeward_vuln::reports::{ImageFinding, ImageIdentity, ImageReport, Reports};
use kubeward_vuln::{Database, Facts, PackageQuery};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How `scan --images` reads images.
#[derive(Clone, Debug, Default)]
pub struct ImageScanOptions {
    /// Registry access, platform and limits.
    pub image: Options,
    /// Where image contents are cached by digest (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Images read at the same time.
    pub parallel: usize,
}

/// What the scan of the images gave.
#[derive(Debug, Default)]
pub struct ImageScan {
    pub facts: Facts,
    /// Images read (from the registry or the cache).
    pub read: usize,
    /// Of those, taken from the cache.
    pub cached: usize,
    /// Packages matched, over all images.
    pub packages: usize,
}

/// Every distinct image the workloads' containers (init and ephemeral ones too) run, as
/// written, sorted.
pub fn workload_images(inv: &Inventory) -> Vec<String> {
    let mut out = BTreeSet::new();
    for w in inv.workloads() {
        let Some(pod) = PodSpec::of(w) else { continue };
        for c in pod.containers() {
            if let Some((text, Ok(_))) = c.image_ref() {
                out.insert(text.trim().to_string());
            }
        }
    }
    out.into_iter().collect()
}

/// The package list kept in the cache: what matching needs, nothing else.
#[derive(Serialize, Deserialize)]
struct Cached {
    config_digest: String,
    packages: Vec<CachedPackage>,
}

#[derive(Serialize, Deserialize)]
struct CachedPackage {
    osv_ecosystem: String,
    name: String,
    version: String,
    source_name: Option<String>,
    source_version: Option<String>,
    /// `layer digest: path`.
    location: String,
}

fn cache_file(dir: &Path, config_digest: &str) -> Option<PathBuf> {
    let (algo, hex) = config_digest.split_once(':')?;
    let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (ok(algo) && ok(hex)).then(|| dir.join(format!("{algo}-{hex}.json")))
}

fn read_cache(dir: &Path, config_digest: &str) -> Option<Cached> {
    let text = std::fs::read(cache_file(dir, config_digest)?).ok()?;
    let c: Cached = serde_json::from_slice(&text).ok()?;
    (c.config_digest == config_digest).then_some(c)
}

fn write_cache(dir: &Path, c: &Cached) {
    let Some(path) = cache_file(dir, &c.config_digest) else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    // Written under a temporary name and renamed: a reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if serde_json::to_vec(c)
        .ok()
        .and_then(|b| std::fs::write(&tmp, b).ok())
        .is_some()
    {
        let _ = std::fs::rename(&tmp, &path);
    }
    let _ = std::fs::remove_file(&tmp);
}

/// One image's packages and whether they came from the cache, or why it could not be read.
type Read = Result<(Cached, bool), String>;

/// Reads one image (or its cached package list): `(packages, from cache)`.
fn packages_of(image: &str, opts: &ImageScanOptions) -> Read {
    let r = ImageRef::parse(image).map_err(|e| e.to_string())?;
    let source = Source::Registry(r);
    if let Some(dir) = &opts.cache_dir {
        let info = kubeward_image::resolve(&source, &opts.image).map_err(|e| e.to_string())?;
        if let Some(c) = read_cache(dir, &info.config_digest) {
            return Ok((c, true));
        }
    }
    let inv = kubeward_image::inventory(&source, &opts.image).map_err(|e| e.to_string())?;
    let c = Cached {
        config_digest: inv.source.config_digest.clone(),
        packages: inv
            .packages
            .iter()
            .filter(|p| !p.osv_ecosystem.is_empty())
            .map(|p| CachedPackage {
                osv_ecosystem: p.osv_ecosystem.clone(),
                name: p.name.clone(),
                version: p.version.clone(),
                source_name: p.source_name.clone(),
                source_version: p.source_version.clone(),
                location: format!("{}: {}", p.layer, p.path),
            })
            .collect(),
    };
    if let Some(dir) = &opts.cache_dir {
        write_cache(dir, &c);
    }
    Ok((c, false))
}

/// Reads `images`, at most `opts.parallel` at a time, and matches each against `db`.
/// An image that cannot be read is recorded with the reason (its containers are UNKNOWN).
pub fn scan_images(images: &[String], db: &Database, opts: &ImageScanOptions) -> ImageScan {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Read)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..opts.parallel.clamp(1, 16).min(images.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(image) = images.get(i) else { break };
                    let r = packages_of(image, opts);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let origin = format!(
        "kubeward image inventory, matched against {}",
        db.describe()
    );
    let mut out = ImageScan::default();
    let mut reports = Reports::default();
    for (i, r) in results {
        let image = &images[i];
        match r {
            Err(why) => {
                if let Some(id) = ImageIdentity::from_refs([image.as_str()]) {
                    out.facts.unreadable.push((id, why));
                }
            }
            Ok((c, cached)) => {
                out.read += 1;
                out.cached += usize::from(cached);
                out.packages += c.packages.len();
                let queries: Vec<PackageQuery> = c
                    .packages
                    .iter()
                    .map(|p| {
                        let q = PackageQuery::new(&p.osv_ecosystem, &p.name, &p.version);
                        match &p.source_name {
                            Some(n) => q.with_source(n, p.source_version.as_deref()),
                            None => q,
                        }
                    })
                    .collect();
                let outcomes = db.match_all(&queries);
                let mut matches = Vec::new();
                let mut locations = Vec::new();
                for (p, o) in c.packages.iter().zip(outcomes) {
                    for m in o.matches {
                        locations.push(p.location.clone());
                        matches.push(m);
                    }
                }
                if let Some(mut report) = ImageReport::from_matches(image, origin.clone(), &matches)
                {
                    attach_locations(&mut report.findings, &matches, &locations);
                    reports.images.push(report);
                }
            }
        }
    }
    out.facts.reports = reports;
    out
}

/// Each finding's layer and path, from the match it was made from (same order).
fn attach_locations(
    findings: &mut [ImageFinding],
    matches: &[kubeward_vuln::Match],
    locations: &[String],
) {
    if findings.len() != matches.len() {
        return;
    }
    for (f, loc) in findings.iter_mut().zip(locations) {
        if f.location.is_none() {
            f.location = Some(loc.clone());
        }
    }
}
