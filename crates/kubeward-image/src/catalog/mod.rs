//! Readers of what is installed (OS release, package databases, binaries, language
//! metadata) and the final assembly of the inventory.

pub mod apk;
pub mod binary;
pub mod dpkg;
pub mod elf;
pub mod java;
pub mod npm;
pub mod os;
pub mod python;
pub mod rpm;

use crate::collect::{Data, Tree};
use crate::manifest::ImageConfig;
use crate::model::{Inventory, Layer, Package, SourceInfo, Unknown};
use std::io;

/// A file examined with random access: in memory, or spooled to a temporary file.
pub enum Blob {
    Mem(Vec<u8>),
    File(std::fs::File),
}

impl Blob {
    pub fn len(&self) -> u64 {
        match self {
            Blob::Mem(v) => v.len() as u64,
            Blob::File(f) => f.metadata().map(|m| m.len()).unwrap_or(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes at `off`; an error if that runs past the end.
    pub fn read_at(&self, off: u64, len: usize) -> io::Result<Vec<u8>> {
        let end = off
            .checked_add(len as u64)
            .filter(|e| *e <= self.len())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "read past the end of the file",
                )
            })?;
        match self {
            Blob::Mem(v) => Ok(v[off as usize..end as usize].to_vec()),
            Blob::File(f) => {
                use std::os::unix::fs::FileExt;
                let mut buf = vec![0; len];
                f.read_exact_at(&mut buf, off)?;
                Ok(buf)
            }
        }
    }
}

/// Builds the inventory from what the layers left.
pub(crate) fn finish(
    tree: Tree,
    source: SourceInfo,
    _config: ImageConfig,
    layers: Vec<Layer>,
) -> Inventory {
    let digest_of = |i: usize| layers.get(i).map(|l| l.digest.clone()).unwrap_or_default();
    let os = os::detect(&tree.files, &digest_of);
    let mut packages: Vec<Package> = Vec::new();
    let mut unknown: Vec<Unknown> = Vec::new();
    for (path, c) in tree.files {
        match c.data {
            Data::Packages(pk, probs) => {
                for mut p in pk {
                    p.layer = digest_of(p.layer_index);
                    if p.kind.is_os() {
                        os::fill(&mut p, os.as_ref());
                    }
                    packages.push(p);
                }
                for reason in probs {
                    unknown.push(Unknown {
                        layer: digest_of(c.layer),
                        path: path.clone(),
                        reason,
                    });
                }
            }
            Data::Unknown(reason) => unknown.push(Unknown {
                layer: digest_of(c.layer),
                path,
                reason,
            }),
            Data::Text(_) | Data::Link(_) => {}
        }
    }
    packages.sort_by(|a, b| {
        (&a.ecosystem, &a.name, &a.version, &a.path, &a.arch).cmp(&(
            &b.ecosystem,
            &b.name,
            &b.version,
            &b.path,
            &b.arch,
        ))
    });
    unknown.sort();
    Inventory {
        source,
        os,
        layers,
        packages,
        unknown,
    }
}
