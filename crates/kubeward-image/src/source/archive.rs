//! `docker save` archives: the legacy layout (`manifest.json`, `<id>/layer.tar`,
//! `<id>.json`) and the OCI layout Docker 25+ writes (`blobs/sha256/...` with `manifest.json`
//! beside `index.json`). The archive is indexed once (entry offsets), then each file is read
//! in place: nothing is extracted.

use super::oci::{Files, open_files};
use super::{BlobStore, LayerDesc, Opened};
use crate::digest::{Digest, verify};
use crate::manifest::ImageConfig;
use crate::model::SourceInfo;
use crate::{Error, Options, bail};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

pub struct Archive {
    file: File,
    name: String,
    entries: HashMap<String, (u64, u64)>,
}

impl Archive {
    pub fn index(path: &Path) -> Result<Archive, Error> {
        let name = path.display().to_string();
        let file = File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut entries = HashMap::new();
        {
            let mut ar = tar::Archive::new(BufReader::new(&file));
            let iter = ar
                .entries()
                .map_err(|e| Error::Invalid(format!("{name}: not a tar archive: {e}")))?;
            for e in iter {
                let e =
                    e.map_err(|e| Error::Invalid(format!("{name}: broken tar archive: {e}")))?;
                if !e.header().entry_type().is_file() {
                    continue;
                }
                let p = e
                    .path()
                    .map_err(|err| Error::Invalid(format!("{name}: bad entry name: {err}")))?
                    .to_string_lossy()
                    .trim_start_matches("./")
                    .to_string();
                entries.insert(p, (e.raw_file_position(), e.size()));
            }
        }
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        for (p, (off, size)) in &entries {
            if off.saturating_add(*size) > len {
                bail!("{name}: entry {p} runs past the end of the archive (truncated file?)");
            }
        }
        Ok(Archive {
            file,
            name,
            entries,
        })
    }
}

impl Files for Archive {
    fn exists(&mut self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    fn read_small(&mut self, path: &str, max: u64) -> Result<Vec<u8>, Error> {
        let &(_, size) = self
            .entries
            .get(path)
            .ok_or_else(|| Error::Invalid(format!("{}: no {path} in the archive", self.name)))?;
        if size > max {
            bail!(
                "{}: {path} is {size} bytes, more than the {max} allowed",
                self.name
            );
        }
        let mut buf = Vec::with_capacity(size as usize);
        let name = self.name.clone();
        self.open(path)?
            .read_to_end(&mut buf)
            .map_err(|e| Error::Invalid(format!("{name}: {path}: {e}")))?;
        Ok(buf)
    }

    fn open(&mut self, path: &str) -> Result<Box<dyn Read + '_>, Error> {
        let &(off, size) = self
            .entries
            .get(path)
            .ok_or_else(|| Error::Invalid(format!("{}: no {path} in the archive", self.name)))?;
        self.file
            .seek(SeekFrom::Start(off))
            .map_err(|e| Error::Invalid(format!("{}: {e}", self.name)))?;
        Ok(Box::new(BufReader::with_capacity(
            256 << 10,
            (&self.file).take(size),
        )))
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

struct ArchiveBlobs {
    archive: Archive,
}

impl BlobStore for ArchiveBlobs {
    fn open(&mut self, layer: &LayerDesc) -> Result<Box<dyn Read + '_>, Error> {
        let p = layer
            .path
            .as_deref()
            .ok_or_else(|| Error::new("archive layer without a path"))?;
        self.archive.open(p)
    }
}

#[derive(serde::Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

pub fn open(path: &Path, tag: Option<&str>, opts: &Options) -> Result<Opened, Error> {
    let mut ar = Archive::index(path)?;
    let name = ar.name.clone();
    if !ar.exists("manifest.json") {
        if ar.exists("index.json") {
            return open_files(ar, tag, opts, "docker-archive");
        }
        bail!("{name}: neither manifest.json nor index.json (not a docker save archive)");
    }
    let m = ar.read_small("manifest.json", opts.limits.max_manifest)?;
    let list: Vec<ManifestEntry> = serde_json::from_slice(&m)
        .map_err(|e| Error::Invalid(format!("{name}: manifest.json: {e}")))?;
    let tags = |e: &ManifestEntry| e.repo_tags.clone().unwrap_or_default();
    let chosen = match tag {
        Some(t) => list.iter().find(|e| {
            tags(e)
                .iter()
                .any(|r| r == t || r.rsplit_once(':').is_some_and(|(_, x)| x == t))
        }),
        None if list.len() == 1 => list.first(),
        None => bail!(
            "{name}: the archive holds {} images ({}); pick one with --archive FILE:TAG",
            list.len(),
            list.iter().flat_map(tags).collect::<Vec<_>>().join(", ")
        ),
    };
    let Some(entry) = chosen else {
        bail!(
            "{name}: no image tagged `{}` in manifest.json",
            tag.unwrap_or("")
        );
    };
    for p in std::iter::once(&entry.config).chain(&entry.layers) {
        if p.starts_with('/') || p.split('/').any(|c| c == "..") {
            bail!("{name}: manifest.json names `{p}`, outside the archive");
        }
    }
    let config_bytes = ar.read_small(&entry.config, opts.limits.max_manifest)?;
    let config_digest = match digest_from_path(&entry.config) {
        Some(d) => {
            verify(&config_bytes, &d, &format!("{name}: {}", entry.config))?;
            d
        }
        None => Digest::of(&config_bytes),
    };
    let config = ImageConfig::parse(&config_bytes, &format!("{name}: {}", entry.config))?;
    let mut layers = Vec::new();
    for p in &entry.layers {
        if !ar.exists(p) {
            bail!("{name}: layer {p} listed in manifest.json is missing");
        }
        let size = ar.entries.get(p).map(|e| e.1);
        layers.push(LayerDesc {
            digest: digest_from_path(p),
            size,
            media_type: String::new(),
            path: Some(p.clone()),
        });
    }
    let manifest_digest = None;
    Ok(Opened {
        info: SourceInfo {
            kind: "docker-archive".into(),
            reference: match tag {
                Some(t) => format!("{name}:{t}"),
                None => name.clone(),
            },
            manifest_digest,
            config_digest,
            platform: config.platform(),
            index_digest: None,
        },
        config,
        layers,
        blobs: Box::new(ArchiveBlobs { archive: ar }),
    })
}

/// `blobs/sha256/<hex>` → `sha256:<hex>`.
fn digest_from_path(p: &str) -> Option<String> {
    let rest = p.strip_prefix("blobs/")?;
    let (alg, hex) = rest.split_once('/')?;
    let d = format!("{alg}:{hex}");
    Digest::parse(&d).ok().map(|_| d)
}
