//! Container image inventory: reads an image from a registry (OCI distribution API), a
//! `docker save` archive or an OCI image layout directory, streams its layers (gzip, zstd or
//! plain tar, each verified against its digest), applies whiteouts, and lists what is
//! installed: the OS release, OS packages (dpkg, apk, rpm) and language packages (Go and Rust
//! binaries, Python, npm, Java). Every package keeps the layer and path it came from.
//!
//! Memory stays bounded whatever the image size: a layer is never held in memory, only the
//! few files that describe packages are read, each with a size cap, and large binaries and
//! archives are spooled to a temporary file before they are parsed.

pub mod catalog;
mod collect;
mod digest;
mod layer;
pub mod manifest;
pub mod model;
pub mod output;
pub mod purl;
pub mod source;

pub use model::{Inventory, Layer, OsInfo, Package, PackageKind, SourceInfo, Unknown};
pub use source::{ImageRef, Platform, RegistryOptions, Source};

/// Why an image could not be read. The message names the image part (manifest, config,
/// layer digest, entry path) that failed. Registry answers and file errors are their own
/// variants, so a caller can tell a 401 from a timeout and a missing file from a bad one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The registry could not be reached or the response not read (DNS, connection, TLS,
    /// timeout, size limit).
    #[error("GET {url}: {source}")]
    Request {
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    /// The registry answered with an error status. `hint` and `detail` (the registry's own
    /// error text) complete the message.
    #[error("GET {url}: HTTP {status}{hint}{detail}")]
    Status {
        url: String,
        status: u16,
        hint: String,
        detail: String,
    },
    /// The registry still refused after the authentication challenge was answered.
    #[error("GET {url}: authentication did not succeed")]
    Unauthenticated { url: String },
    /// A local file (archive, layout blob) could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Any other problem with the image; the text says which part and what.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub fn new(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }

    /// The HTTP status the registry answered with, if that is the error.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `Err(Error::Invalid(format!(...)))`.
macro_rules! bail {
    ($($t:tt)*) => { return Err($crate::Error::Invalid(format!($($t)*))) };
}
pub(crate) use bail;

/// Limits that keep memory and time bounded on hostile or huge images.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest metadata file read into memory (dpkg status, apk installed, os-release, ...).
    pub max_metadata_file: u64,
    /// Largest binary or Java archive examined (spooled to a temporary file above
    /// `max_in_memory`).
    pub max_binary: u64,
    /// Files up to this size are examined in memory, larger ones through a temporary file.
    pub max_in_memory: u64,
    /// Largest manifest, index or config blob.
    pub max_manifest: u64,
    /// Largest rpm database (copied to a temporary file for SQLite).
    pub max_rpmdb: u64,
    /// Nested archives (jars in jars) examined per archive.
    pub max_nested_archives: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_metadata_file: 64 << 20,
            max_binary: 512 << 20,
            max_in_memory: 16 << 20,
            max_manifest: 8 << 20,
            max_rpmdb: 1 << 30,
            max_nested_archives: 256,
        }
    }
}

/// What to read and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Platform to pick from a multi-platform index (default: linux and this machine's
    /// architecture).
    pub platform: Option<Platform>,
    pub registry: RegistryOptions,
    pub limits: Limits,
}

/// `sha256:<hex>` of `bytes` (for tools and tests that build images).
pub fn sha256_digest(bytes: &[u8]) -> String {
    digest::Digest::of(bytes)
}

/// Reads only the image's manifest and config: what it is (digests, platform), for caches
/// keyed by digest. No layer is fetched.
pub fn resolve(source: &Source, opts: &Options) -> Result<SourceInfo, Error> {
    Ok(source::open(source, opts)?.info)
}

/// Reads the image and lists its contents.
pub fn inventory(source: &Source, opts: &Options) -> Result<Inventory, Error> {
    let mut image = source::open(source, opts)?;
    let mut tree = collect::Tree::new(opts.limits.clone());
    let mut layers = Vec::with_capacity(image.layers.len());
    let diff_ids = image.config.rootfs.diff_ids.clone();
    let total = image.layers.len();
    if !diff_ids.is_empty() && diff_ids.len() != total {
        bail!(
            "{}: the config lists {} layer diff IDs but the manifest has {} layers",
            image.info.reference,
            diff_ids.len(),
            total
        );
    }
    for (i, desc) in image.layers.clone().iter().enumerate() {
        let expected_diff = diff_ids.get(i).cloned();
        let reader = image.blobs.open(desc)?;
        let info = layer::process(reader, desc, expected_diff.as_deref(), i, total, &mut tree)?;
        layers.push(info);
    }
    Ok(catalog::finish(tree, image.info, image.config, layers))
}
