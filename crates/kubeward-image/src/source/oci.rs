//! OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), read from a directory
//! or, through [`Files`], from inside a `docker save` archive.

use super::{BlobStore, LayerDesc, Opened, choose, layer_descs, resolve};
use crate::digest::{Digest, verify};
use crate::manifest::{Descriptor, ImageConfig, ManifestDoc, Parsed};
use crate::model::SourceInfo;
use crate::{Error, Options, bail};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Named files of a layout or archive.
pub trait Files {
    /// Whether the file exists.
    fn exists(&mut self, path: &str) -> bool;
    /// Reads a small file whole (at most `max` bytes).
    fn read_small(&mut self, path: &str, max: u64) -> Result<Vec<u8>, Error>;
    /// Streams a file.
    fn open(&mut self, path: &str) -> Result<Box<dyn Read + '_>, Error>;
    /// For messages.
    fn describe(&self) -> String;
}

/// A layout directory.
pub struct Dir(pub PathBuf);

impl Files for Dir {
    fn exists(&mut self, path: &str) -> bool {
        self.0.join(path).is_file()
    }

    fn read_small(&mut self, path: &str, max: u64) -> Result<Vec<u8>, Error> {
        let p = self.0.join(path);
        let f = std::fs::File::open(&p).map_err(|source| Error::Io {
            path: p.clone(),
            source,
        })?;
        let mut buf = Vec::new();
        f.take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|source| Error::Io {
                path: p.clone(),
                source,
            })?;
        if buf.len() as u64 > max {
            bail!("{}: larger than {max} bytes", p.display());
        }
        Ok(buf)
    }

    fn open(&mut self, path: &str) -> Result<Box<dyn Read + '_>, Error> {
        let p = self.0.join(path);
        let f = std::fs::File::open(&p).map_err(|source| Error::Io {
            path: p.clone(),
            source,
        })?;
        Ok(Box::new(std::io::BufReader::with_capacity(256 << 10, f)))
    }

    fn describe(&self) -> String {
        self.0.display().to_string()
    }
}

/// `blobs/<alg>/<hex>` for a digest (validated, so never a path outside `blobs/`).
pub fn blob_path(digest: &str) -> Result<String, Error> {
    let d = Digest::parse(digest)?;
    Ok(format!("blobs/{}/{}", d.algorithm, d.hex))
}

struct LayoutBlobs<F: Files> {
    files: F,
}

impl<F: Files> BlobStore for LayoutBlobs<F> {
    fn open(&mut self, layer: &LayerDesc) -> Result<Box<dyn Read + '_>, Error> {
        let d = layer
            .digest
            .as_deref()
            .ok_or_else(|| Error::new("layout layer without a digest"))?;
        let p = blob_path(d)?;
        self.files.open(&p)
    }
}

fn read_blob<F: Files>(files: &mut F, d: &Descriptor, max: u64) -> Result<Vec<u8>, Error> {
    let p = blob_path(&d.digest)?;
    if !files.exists(&p) {
        bail!("{}: blob {} is missing ({p})", files.describe(), d.digest);
    }
    let bytes = files.read_small(&p, max)?;
    verify(&bytes, &d.digest, &format!("{}: {p}", files.describe()))?;
    Ok(bytes)
}

pub fn open(path: &Path, tag: Option<&str>, opts: &Options) -> Result<Opened, Error> {
    if !path.is_dir() {
        bail!(
            "{}: not a directory (an OCI image layout is a directory with index.json and blobs/)",
            path.display()
        );
    }
    open_files(Dir(path.to_path_buf()), tag, opts, "oci-layout")
}

/// Reads the image of a layout given as [`Files`].
pub fn open_files<F: Files + 'static>(
    mut files: F,
    tag: Option<&str>,
    opts: &Options,
    kind: &str,
) -> Result<Opened, Error> {
    let what = files.describe();
    let max = opts.limits.max_manifest;
    if files.exists("oci-layout") {
        let v: serde_json::Value =
            serde_json::from_slice(&files.read_small("oci-layout", 4096)?)
                .map_err(|e| Error::Invalid(format!("{what}/oci-layout: {e}")))?;
        if let Some(ver) = v.get("imageLayoutVersion").and_then(|v| v.as_str()) {
            if !ver.starts_with("1.") {
                bail!("{what}/oci-layout: imageLayoutVersion {ver} is not supported (1.x is)");
            }
        }
    }
    if !files.exists("index.json") {
        bail!("{what}: no index.json (not an OCI image layout)");
    }
    let index = files.read_small("index.json", max)?;
    let entries = match ManifestDoc::parse(&index, None, &format!("{what}/index.json"))? {
        Parsed::Index(e) => e,
        Parsed::Image { .. } => bail!("{what}/index.json: is an image manifest, expected an index"),
    };
    let tagged: Vec<Descriptor> = match tag {
        Some(t) => entries
            .iter()
            .filter(|d| {
                d.annotations.iter().any(|(k, v)| {
                    (k == "org.opencontainers.image.ref.name" || k == "io.containerd.image.name")
                        && (v == t || v.ends_with(&format!(":{t}")))
                })
            })
            .cloned()
            .collect(),
        None => entries.clone(),
    };
    if tagged.is_empty() {
        let names: Vec<&String> = entries
            .iter()
            .filter_map(|d| d.annotations.get("org.opencontainers.image.ref.name"))
            .collect();
        bail!(
            "{what}: no image tagged `{}` (tags: {})",
            tag.unwrap_or(""),
            if names.is_empty() {
                "none".to_string()
            } else {
                names
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    let chosen = if tagged.len() == 1 {
        tagged[0].clone()
    } else if tagged.iter().all(|d| d.platform.is_some()) {
        choose(&tagged, opts.platform.as_ref(), &what)?.clone()
    } else {
        let names: Vec<String> = tagged
            .iter()
            .map(|d| {
                d.annotations
                    .get("org.opencontainers.image.ref.name")
                    .cloned()
                    .unwrap_or_else(|| d.digest.clone())
            })
            .collect();
        bail!(
            "{what}: index.json lists several images ({}); pick one with a tag",
            names.join(", ")
        );
    };
    let first = read_blob(&mut files, &chosen, max)?;
    let mut index_digest = None;
    let mut manifest_digest = Some(chosen.digest.clone());
    let (config_desc, layers) = {
        let f = &mut files;
        resolve(
            (
                first,
                Some(chosen.media_type.clone()).filter(|m| !m.is_empty()),
            ),
            |d| {
                Ok((
                    read_blob(f, d, max)?,
                    Some(d.media_type.clone()).filter(|m| !m.is_empty()),
                ))
            },
            opts.platform.as_ref(),
            &what,
            &mut index_digest,
            &mut manifest_digest,
        )?
    };
    let config_bytes = read_blob(&mut files, &config_desc, max)?;
    let config = ImageConfig::parse(
        &config_bytes,
        &format!("{what}: config {}", config_desc.digest),
    )?;
    Ok(Opened {
        info: SourceInfo {
            kind: kind.into(),
            reference: match tag {
                Some(t) => format!("{what}:{t}"),
                None => what,
            },
            manifest_digest,
            config_digest: config_desc.digest.clone(),
            platform: config.platform(),
            index_digest,
        },
        config,
        layers: layer_descs(&layers),
        blobs: Box::new(LayoutBlobs { files }),
    })
}
