//! Where images come from: a registry, a `docker save` archive, an OCI layout directory.
//! Each yields the config, the layer descriptors and a way to stream each layer blob.

mod archive;
mod oci;
pub mod reference;
pub mod registry;

pub use reference::ImageRef;
pub use registry::RegistryOptions;

use crate::manifest::{Descriptor, ImageConfig, ManifestDoc, Parsed, is_attestation};
use crate::model::SourceInfo;
use crate::{Error, Options, bail};
use std::io::Read;
use std::path::PathBuf;

/// An image to read.
#[derive(Clone, Debug)]
pub enum Source {
    Registry(ImageRef),
    /// `docker save` output; the optional tag picks one image of a multi-image archive.
    Archive {
        path: PathBuf,
        tag: Option<String>,
    },
    /// An OCI image layout; the optional tag matches `org.opencontainers.image.ref.name`.
    OciLayout {
        path: PathBuf,
        tag: Option<String>,
    },
}

/// `os/architecture[/variant]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(s: &str) -> Result<Platform, Error> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            bail!("platform `{s}`: expected os/architecture[/variant], e.g. linux/arm64/v8");
        }
        Ok(Platform {
            os: parts[0].to_string(),
            architecture: parts[1].to_string(),
            variant: parts.get(2).map(|v| v.to_string()),
        })
    }

    /// linux and the architecture of this machine, in OCI spelling.
    pub fn host() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.variant {
            Some(v) => write!(f, "{}/{}/{v}", self.os, self.architecture),
            None => write!(f, "{}/{}", self.os, self.architecture),
        }
    }
}

/// One layer blob to stream.
#[derive(Clone, Debug)]
pub struct LayerDesc {
    /// Digest of the blob as stored; `None` for legacy `docker save` layers (checked by
    /// their diff ID only).
    pub digest: Option<String>,
    pub size: Option<u64>,
    pub media_type: String,
    /// The file inside a `docker save` archive.
    pub path: Option<String>,
}

/// Opens layer blobs.
pub trait BlobStore {
    fn open(&mut self, layer: &LayerDesc) -> Result<Box<dyn Read + '_>, Error>;
}

/// An image ready to be read.
pub struct Opened {
    pub info: SourceInfo,
    pub config: ImageConfig,
    pub layers: Vec<LayerDesc>,
    pub blobs: Box<dyn BlobStore>,
}

pub fn open(source: &Source, opts: &Options) -> Result<Opened, Error> {
    match source {
        Source::Registry(r) => registry::open(r, opts),
        Source::Archive { path, tag } => archive::open(path, tag.as_deref(), opts),
        Source::OciLayout { path, tag } => oci::open(path, tag.as_deref(), opts),
    }
}

/// Picks the manifest for `want` (default: the host platform) among an index's entries.
pub(crate) fn choose<'a>(
    entries: &'a [Descriptor],
    want: Option<&Platform>,
    what: &str,
) -> Result<&'a Descriptor, Error> {
    let runnable: Vec<&Descriptor> = entries.iter().filter(|d| !is_attestation(d)).collect();
    if runnable.is_empty() {
        bail!("{what}: the index lists no image manifest");
    }
    let explicit = want.is_some();
    let want = want.cloned().unwrap_or_else(Platform::host);
    let matches = |d: &&Descriptor, strict_variant: bool| {
        let Some(p) = &d.platform else {
            return false;
        };
        if p.os != want.os || p.architecture != want.architecture {
            return false;
        }
        match (&want.variant, &p.variant) {
            (Some(w), Some(v)) => w == v,
            (Some(w), None) => !strict_variant || (want.architecture == "arm64" && w == "v8"),
            (None, _) => true,
        }
    };
    if let Some(d) = runnable.iter().find(|d| matches(d, true)) {
        return Ok(d);
    }
    if !explicit && runnable.len() == 1 && runnable[0].platform.is_none() {
        return Ok(runnable[0]);
    }
    let available: Vec<String> = runnable
        .iter()
        .map(|d| match &d.platform {
            Some(p) => match &p.variant {
                Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                None => format!("{}/{}", p.os, p.architecture),
            },
            None => "(no platform)".into(),
        })
        .collect();
    bail!(
        "{what}: no image for platform {want}; available: {} (pick one with --platform)",
        available.join(", ")
    )
}

/// Resolves a manifest document to an image manifest, descending through indexes (at most
/// four levels). `fetch` returns a manifest's bytes (verified) and content type.
pub(crate) fn resolve(
    first: (Vec<u8>, Option<String>),
    mut fetch: impl FnMut(&Descriptor) -> Result<(Vec<u8>, Option<String>), Error>,
    platform: Option<&Platform>,
    what: &str,
    index_digest: &mut Option<String>,
    manifest_digest: &mut Option<String>,
) -> Result<(Descriptor, Vec<Descriptor>), Error> {
    let (mut bytes, mut ct) = first;
    for _ in 0..4 {
        match ManifestDoc::parse(&bytes, ct.as_deref(), what)? {
            Parsed::Image { config, layers } => return Ok((config, layers)),
            Parsed::Index(entries) => {
                let d = choose(&entries, platform, what)?.clone();
                if index_digest.is_none() {
                    *index_digest = manifest_digest.take();
                }
                (bytes, ct) = fetch(&d)?;
                *manifest_digest = Some(d.digest.clone());
            }
        }
    }
    bail!("{what}: indexes nested more than four deep")
}

/// The layer list of an image manifest.
pub(crate) fn layer_descs(layers: &[Descriptor]) -> Vec<LayerDesc> {
    layers
        .iter()
        .map(|d| LayerDesc {
            digest: Some(d.digest.clone()),
            size: Some(d.size),
            media_type: d.media_type.clone(),
            path: None,
        })
        .collect()
}
