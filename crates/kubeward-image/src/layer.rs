//! Streams one layer blob: checks its digest and declared size, decompresses by content
//! (gzip, zstd or plain tar), checks the uncompressed digest against the config's diff ID,
//! walks the tar entries, records whiteouts and reads the files that matter.

use crate::catalog::{self, Blob};
use crate::collect::{Captured, Data, Kind, LayerChanges, Tree, classify};
use crate::digest::{Digest, HashState, HashingReader};
use crate::model::Layer;
use crate::source::LayerDesc;
use crate::{Error, bail};
use std::io::{self, BufRead, BufReader, Read, Write};

pub(crate) fn process(
    reader: Box<dyn Read + '_>,
    desc: &LayerDesc,
    expected_diff: Option<&str>,
    index: usize,
    total: usize,
    tree: &mut Tree,
) -> Result<Layer, Error> {
    let name = desc
        .digest
        .clone()
        .or_else(|| desc.path.clone())
        .unwrap_or_default();
    let label = format!("layer {} of {total} ({name})", index + 1);
    let mt = desc.media_type.as_str();
    if !mt.is_empty() && !mt.contains("tar") {
        bail!("{label}: media type {mt} is not a filesystem layer (not a container image?)");
    }
    let blob_digest = desc.digest.as_deref().map(Digest::parse).transpose()?;
    let declared = desc.size.filter(|s| *s > 0);
    let mut outer = HashState::new(
        blob_digest
            .as_ref()
            .map(Digest::context)
            .unwrap_or_else(|| ring::digest::Context::new(&ring::digest::SHA256)),
        declared,
    );
    let mut inner = HashState::new(ring::digest::Context::new(&ring::digest::SHA256), None);
    let io_err = |e: io::Error| Error::Invalid(format!("{label}: {}", describe_io(&e)));
    let mut changes = LayerChanges::default();
    let mut entries = 0u64;
    let compression;
    {
        let hashing = HashingReader {
            inner: reader,
            state: &mut outer,
        };
        let mut buf = BufReader::with_capacity(256 << 10, hashing);
        let head = buf.fill_buf().map_err(io_err)?;
        let dec: Box<dyn Read> = if head.starts_with(&[0x1f, 0x8b]) {
            compression = "gzip";
            Box::new(flate2::bufread::MultiGzDecoder::new(buf))
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            compression = "zstd";
            Box::new(zstd::stream::read::Decoder::with_buffer(buf).map_err(io_err)?)
        } else {
            compression = "none";
            Box::new(buf)
        };
        let diff = HashingReader {
            inner: dec,
            state: &mut inner,
        };
        let mut archive = tar::Archive::new(diff);
        let iter = archive.entries().map_err(io_err)?;
        for e in iter {
            let mut e = e.map_err(|e| {
                Error::Invalid(format!("{label}: broken tar stream: {}", describe_io(&e)))
            })?;
            entries += 1;
            let raw = e.path_bytes().into_owned();
            let p = normalize(&raw).map_err(|m| Error::Invalid(format!("{label}: {m}")))?;
            if p.is_empty() {
                continue;
            }
            entry(&mut e, &p, index, tree, &mut changes)
                .map_err(|m| Error::Invalid(format!("{label}: {p}: {m}")))?;
        }
        // The rest of the stream (tar padding, compression trailer) still counts for both
        // digests.
        let mut rest = archive.into_inner();
        io::copy(&mut rest, &mut io::sink()).map_err(io_err)?;
    }
    let total_bytes = outer.bytes;
    let blob_hex = outer.finish_hex();
    let diff_hex = inner.finish_hex();
    if let Some(d) = &blob_digest {
        if blob_hex != d.hex {
            bail!(
                "{label}: digest mismatch: the blob hashes to {}:{blob_hex}",
                d.algorithm
            );
        }
    }
    if let Some(size) = declared {
        if total_bytes != size {
            bail!("{label}: the blob is {total_bytes} bytes but its descriptor says {size}");
        }
    }
    let diff_id = format!("sha256:{diff_hex}");
    if let Some(want) = expected_diff {
        if want != diff_id {
            bail!(
                "{label}: the uncompressed layer hashes to {diff_id} but the image config lists diff ID {want}"
            );
        }
    }
    tree.apply(changes);
    Ok(Layer {
        digest: blob_digest
            .map(|d| d.to_string())
            .unwrap_or_else(|| diff_id.clone()),
        diff_id,
        media_type: desc.media_type.clone(),
        compression: compression.into(),
        size: total_bytes,
        entries,
    })
}

fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => format!("truncated (unexpected end of data): {e}"),
        _ => e.to_string(),
    }
}

/// Path without `./` or `/`, `.` components dropped; `..` is an error.
pub(crate) fn normalize(raw: &[u8]) -> Result<String, String> {
    let s = String::from_utf8_lossy(raw);
    let mut parts = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(format!("entry `{s}` escapes the image root (`..`)")),
            c => parts.push(c),
        }
    }
    Ok(parts.join("/"))
}

fn entry<R: Read>(
    e: &mut tar::Entry<R>,
    p: &str,
    layer: usize,
    tree: &Tree,
    ch: &mut LayerChanges,
) -> Result<(), String> {
    let (dir, base) = match p.rsplit_once('/') {
        Some((d, b)) => (d, b),
        None => ("", p),
    };
    if let Some(target) = base.strip_prefix(".wh.") {
        if target == ".wh..opq" {
            ch.opaque.push(dir.to_string());
        } else if target.starts_with(".wh.") {
            // AUFS bookkeeping (.wh..wh.plnk and similar): not a deletion.
        } else if target.is_empty() {
            return Err("a whiteout without a name (`.wh.`) is invalid".into());
        } else {
            ch.hide.push(if dir.is_empty() {
                target.to_string()
            } else {
                format!("{dir}/{target}")
            });
        }
        return Ok(());
    }
    let et = e.header().entry_type();
    if et.is_dir() {
        if tree.files.contains_key(p) {
            ch.hide.push(p.to_string());
        }
        return Ok(());
    }
    if tree.holds(p) {
        ch.hide.push(p.to_string());
    }
    // A later entry of the same layer replaces an earlier one.
    ch.added.remove(p);
    let mode = e.header().mode().unwrap_or(0);
    let size = e.size();
    if et.is_symlink() {
        if crate::collect::OS_RELEASE.contains(&p) {
            if let Some(t) = e.link_name_bytes().map(|b| b.into_owned()) {
                ch.added.insert(
                    p.into(),
                    Captured {
                        layer,
                        data: Data::Link(String::from_utf8_lossy(&t).into_owned()),
                    },
                );
            }
        }
        return Ok(());
    }
    if et.is_hard_link() {
        let Some(kind) = classify(p, mode, 1 << 20) else {
            return Ok(());
        };
        let _ = kind;
        let target = e
            .link_name_bytes()
            .map(|b| normalize(&b))
            .transpose()?
            .unwrap_or_default();
        if let Some(c) = ch.added.get(&target).cloned() {
            let data = match c.data {
                Data::Packages(mut pk, probs) => {
                    for x in &mut pk {
                        if x.path == target || x.path.starts_with(&format!("{target}!")) {
                            x.path = format!("{p}{}", &x.path[target.len()..]);
                        }
                    }
                    Data::Packages(pk, probs)
                }
                d => d,
            };
            ch.added.insert(p.into(), Captured { layer, data });
        }
        return Ok(());
    }
    if !(et.is_file() || et == tar::EntryType::Continuous) {
        return Ok(());
    }
    let Some(kind) = classify(p, mode, size) else {
        return Ok(());
    };
    if let Some(data) = capture(e, p, kind, size, layer, tree)? {
        ch.added.insert(p.into(), Captured { layer, data });
    }
    Ok(())
}

/// Reads at most `max` bytes; `None` when the file is larger.
fn read_capped(r: &mut impl Read, size: u64, max: u64) -> Result<Option<Vec<u8>>, String> {
    if size > max {
        return Ok(None);
    }
    let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
    r.take(max + 1)
        .read_to_end(&mut buf)
        .map_err(|e| describe_io(&e))?;
    if buf.len() as u64 > max {
        return Ok(None);
    }
    Ok(Some(buf))
}

fn too_large(size: u64, max: u64) -> Data {
    Data::Unknown(format!(
        "{size} bytes, larger than the {max}-byte limit; not read"
    ))
}

/// Packages of the same name and version as in the previous copy of a database keep the
/// layer that installed them.
fn keep_layers(pk: &mut [crate::model::Package], prev: Option<&Captured>) {
    let Some(Captured {
        data: Data::Packages(old, _),
        ..
    }) = prev
    else {
        return;
    };
    let seen: std::collections::HashMap<(&str, &str, Option<&str>), usize> = old
        .iter()
        .map(|p| {
            (
                (p.name.as_str(), p.version.as_str(), p.arch.as_deref()),
                p.layer_index,
            )
        })
        .collect();
    for p in pk {
        if let Some(&l) = seen.get(&(p.name.as_str(), p.version.as_str(), p.arch.as_deref())) {
            p.layer_index = l;
        }
    }
}

fn capture<R: Read>(
    e: &mut tar::Entry<R>,
    p: &str,
    kind: Kind,
    size: u64,
    layer: usize,
    tree: &Tree,
) -> Result<Option<Data>, String> {
    let lim = &tree.limits;
    let meta = lim.max_metadata_file;
    Ok(Some(match kind {
        Kind::OsRelease => match read_capped(e, size, 64 << 10)? {
            Some(b) => Data::Text(b),
            None => too_large(size, 64 << 10),
        },
        Kind::DpkgStatus | Kind::DpkgStatusD | Kind::Apk => match read_capped(e, size, meta)? {
            Some(b) => {
                let (mut pk, probs) = if kind == Kind::Apk {
                    catalog::apk::parse(&b, p, layer)
                } else {
                    catalog::dpkg::parse(&b, p, layer, kind == Kind::DpkgStatusD)
                };
                keep_layers(&mut pk, tree.files.get(p));
                Data::Packages(pk, probs)
            }
            None => too_large(size, meta),
        },
        Kind::RpmSqlite => {
            if size > lim.max_rpmdb {
                too_large(size, lim.max_rpmdb)
            } else {
                let mut tmp = tempfile::NamedTempFile::new()
                    .map_err(|e| format!("temporary file: {e}"))?;
                io::copy(&mut e.take(size), tmp.as_file_mut()).map_err(|e| describe_io(&e))?;
                tmp.as_file_mut().flush().map_err(|e| e.to_string())?;
                match catalog::rpm::read_sqlite(tmp.path(), p, layer) {
                    Ok((mut pk, probs)) => {
                        keep_layers(&mut pk, tree.files.get(p));
                        Data::Packages(pk, probs)
                    }
                    Err(m) => Data::Unknown(m),
                }
            }
        }
        Kind::RpmBerkeley => Data::Unknown(
            "rpm database in BerkeleyDB format (RHEL/CentOS 7-8, Amazon Linux 2): not read; the rpm packages of this image are not listed".into(),
        ),
        Kind::RpmNdb => Data::Unknown(
            "rpm database in ndb format (SUSE): not read; the rpm packages of this image are not listed".into(),
        ),
        Kind::Python | Kind::Npm => match read_capped(e, size, 4 << 20)? {
            Some(b) => {
                let r = if kind == Kind::Python {
                    catalog::python::parse(&b, p, layer)
                } else {
                    catalog::npm::parse(&b, p, layer)
                };
                match r {
                    Ok(Some(pkg)) => Data::Packages(vec![pkg], vec![]),
                    Ok(None) => return Ok(None),
                    Err(m) => Data::Unknown(m),
                }
            }
            None => too_large(size, 4 << 20),
        },
        Kind::Java | Kind::Binary => {
            // Look at the magic before reading further.
            let mut head = [0u8; 4];
            let n = read_up_to(e, &mut head).map_err(|e| describe_io(&e))?;
            let want: &[u8] = if kind == Kind::Java { b"PK\x03\x04" } else { b"\x7fELF" };
            if n < 4 || head != want {
                return Ok(None);
            }
            if size > lim.max_binary {
                return Ok(Some(too_large(size, lim.max_binary)));
            }
            let blob = if size <= lim.max_in_memory {
                let mut v = head.to_vec();
                e.take(size).read_to_end(&mut v).map_err(|e| describe_io(&e))?;
                Blob::Mem(v)
            } else {
                let mut f = tempfile::tempfile().map_err(|e| format!("temporary file: {e}"))?;
                f.write_all(&head).map_err(|e| e.to_string())?;
                io::copy(&mut e.take(size), &mut f).map_err(|e| describe_io(&e))?;
                Blob::File(f)
            };
            let (pk, probs) = if kind == Kind::Java {
                catalog::java::scan(&blob, p, layer, lim)
            } else {
                catalog::binary::scan(&blob, p, layer)
            };
            if pk.is_empty() && probs.is_empty() {
                return Ok(None);
            }
            Data::Packages(pk, probs)
        }
    }))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn paths() {
        assert_eq!(normalize(b"./etc/os-release").unwrap(), "etc/os-release");
        assert_eq!(normalize(b"/usr//bin/./x").unwrap(), "usr/bin/x");
        assert!(normalize(b"../etc/passwd").unwrap_err().contains("escapes"));
        assert!(normalize(b"a/../../b").is_err());
    }
}
