//! Packages compiled into binaries: Go build info (`\xff Go buildinf:`, the Go 1.18+ inline
//! form and the older pointer form) and Rust `cargo auditable` dependency lists (`.dep-v0`,
//! zlib-compressed JSON).

use super::Blob;
use super::elf::{Elf, Rd};
use crate::model::{Package, PackageKind};
use std::io::Read;

const GO_MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Most of a Go build info blob sits in the first 64 KiB of its section.
const GO_SEARCH: u64 = 64 << 10;
/// Decompressed `cargo auditable` JSON cap (its authors suggest 8 MiB).
const AUDITABLE_MAX: u64 = 8 << 20;

pub(crate) fn scan(b: &Blob, path: &str, layer: usize) -> (Vec<Package>, Vec<String>) {
    let elf = match Elf::parse(b) {
        Ok(e) => e,
        Err(m) => return (vec![], vec![format!("ELF file cannot be parsed: {m}")]),
    };
    let mut pkgs = Vec::new();
    let mut probs = Vec::new();
    match go_buildinfo(b, &elf) {
        Ok(Some(info)) => pkgs.extend(info.packages(path, layer)),
        Ok(None) => {}
        Err(m) => probs.push(format!("Go build info: {m}")),
    }
    match auditable(b, &elf, path, layer) {
        Ok(p) => pkgs.extend(p),
        Err(m) => probs.push(format!("cargo auditable data: {m}")),
    }
    (pkgs, probs)
}

/// A module dependency: path, version, and the replacement (path, version) if any.
pub type GoDep = (String, String, Option<(String, String)>);

/// What a Go binary records about how it was built.
#[derive(Debug, Default, PartialEq)]
pub struct GoBuildInfo {
    pub go_version: String,
    pub path: Option<String>,
    /// Main module (path, version).
    pub main: Option<(String, String)>,
    /// Dependencies (path, version, replaced-by path and version).
    pub deps: Vec<GoDep>,
}

fn go_buildinfo(b: &Blob, elf: &Elf) -> Result<Option<GoBuildInfo>, String> {
    // The linker's section, else the first writable non-executable loadable segment.
    let (start, len) = if let Some(s) = elf.section(".go.buildinfo") {
        (s.offset, s.size)
    } else if let Some(s) = elf
        .segments
        .iter()
        .find(|s| s.kind == 1 && s.flags & 2 != 0 && s.flags & 1 == 0)
    {
        (s.offset, s.filesz)
    } else {
        return Ok(None);
    };
    let avail = b.len().saturating_sub(start);
    let n = len.min(GO_SEARCH).min(avail) as usize;
    if n < 32 {
        return Ok(None);
    }
    let data = b.read_at(start, n).map_err(|e| e.to_string())?;
    let mut at = None;
    let mut i = 0;
    while i + 32 <= data.len() {
        if &data[i..i + 14] == GO_MAGIC {
            at = Some(i);
            break;
        }
        i += 16;
    }
    let Some(i) = at else {
        return Ok(None);
    };
    let hdr = &data[i..];
    let ptr_size = hdr[14] as usize;
    let flags = hdr[15];
    let (version, modinfo) = if flags & 2 != 0 {
        // Go 1.18+: two varint-prefixed strings after the 32-byte header. They can run past
        // the 64 KiB read above when modinfo is large: read them from the file.
        let off = start + i as u64 + 32;
        let (v, next) = read_varint_string(b, off)?;
        let (m, _) = read_varint_string(b, next)?;
        (String::from_utf8_lossy(&v).into_owned(), m)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("pointer size {ptr_size} is neither 4 nor 8"));
        }
        let r = Rd {
            big_endian: flags & 1 != 0,
        };
        let ptr = |buf: &[u8], o: usize| -> u64 {
            if ptr_size == 8 {
                r.u64(buf, o)
            } else {
                r.u32(buf, o) as u64
            }
        };
        let read_go_string = |addr: u64| -> Result<Vec<u8>, String> {
            let off = elf
                .offset_of(addr)
                .ok_or_else(|| format!("address {addr:#x} is not in the file"))?;
            let h = b.read_at(off, 2 * ptr_size).map_err(|e| e.to_string())?;
            let (data_addr, len) = (ptr(&h, 0), ptr(&h, ptr_size));
            if len > 16 << 20 {
                return Err(format!("string of {len} bytes"));
            }
            if len == 0 {
                return Ok(Vec::new());
            }
            let doff = elf
                .offset_of(data_addr)
                .ok_or_else(|| format!("address {data_addr:#x} is not in the file"))?;
            b.read_at(doff, len as usize).map_err(|e| e.to_string())
        };
        let _ = elf.is64;
        (
            String::from_utf8_lossy(&read_go_string(ptr(hdr, 16))?).into_owned(),
            read_go_string(ptr(hdr, 16 + ptr_size))?,
        )
    };
    if !version.starts_with("go") && !version.starts_with("devel") {
        return Err(format!(
            "unexpected Go version string `{}`",
            version.chars().take(40).collect::<String>()
        ));
    }
    Ok(Some(parse_modinfo(&version, &modinfo)))
}

fn read_varint_string(b: &Blob, off: u64) -> Result<(Vec<u8>, u64), String> {
    let head = b
        .read_at(off, 10.min(b.len().saturating_sub(off) as usize))
        .map_err(|e| e.to_string())?;
    let (mut len, mut shift, mut used) = (0u64, 0, 0);
    for &c in &head {
        used += 1;
        len |= ((c & 0x7f) as u64) << shift;
        if c & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return Err("bad varint".into());
        }
    }
    if len > 16 << 20 {
        return Err(format!("string of {len} bytes"));
    }
    let s = b
        .read_at(off + used, len as usize)
        .map_err(|_| "string runs past the end of the file".to_string())?;
    Ok((s, off + used + len))
}

/// Parses the module information (`path`, `mod`, `dep`, `=>` lines), stripping the 16-byte
/// sentinels around it.
pub fn parse_modinfo(version: &str, m: &[u8]) -> GoBuildInfo {
    let body = if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        String::from_utf8_lossy(&m[16..m.len() - 16]).into_owned()
    } else {
        String::from_utf8_lossy(m).into_owned()
    };
    let mut info = GoBuildInfo {
        go_version: version.to_string(),
        ..GoBuildInfo::default()
    };
    let mut last_was_main = false;
    for line in body.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["path", p, ..] => info.path = Some(p.to_string()),
            ["mod", p, v, ..] => {
                info.main = Some((p.to_string(), v.to_string()));
                last_was_main = true;
            }
            ["dep", p, v, ..] => {
                info.deps.push((p.to_string(), v.to_string(), None));
                last_was_main = false;
            }
            ["=>", p, v, ..] => {
                if let (false, Some(d)) = (last_was_main, info.deps.last_mut()) {
                    d.2 = Some((p.to_string(), v.to_string()));
                } else if let Some(mm) = info.main.as_mut() {
                    *mm = (p.to_string(), v.to_string());
                }
            }
            _ => {}
        }
    }
    info
}

/// `go1.21` → `1.21.0`, `go1.21rc2` → `1.21.0-rc.2`, `go1.22.1 X:boringcrypto` → `1.22.1`.
pub fn go_semver(v: &str) -> Option<String> {
    let v = v.split_whitespace().next()?;
    let v = v.split("-X:").next()?;
    let v = v.strip_prefix("go")?;
    let (num, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let mut parts: Vec<&str> = num.split('.').collect();
    if parts.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    let mut s = parts[..3].join(".");
    if let Some(pre) = pre {
        let (word, n) = pre.split_at(pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len()));
        s.push_str(&format!("-{word}"));
        if !n.is_empty() {
            s.push_str(&format!(".{n}"));
        }
    }
    Some(s)
}

impl GoBuildInfo {
    pub(crate) fn packages(&self, path: &str, layer: usize) -> Vec<Package> {
        let mk = |kind, name: &str, version: &str, purl: String, note: Option<String>| Package {
            ecosystem: "Go".into(),
            osv_ecosystem: "Go".into(),
            kind,
            name: name.to_string(),
            version: version.to_string(),
            layer_index: layer,
            path: path.to_string(),
            purl,
            note,
            ..Package::default()
        };
        let mut out = Vec::new();
        if let Some(v) = go_semver(&self.go_version) {
            out.push(mk(
                PackageKind::GoStdlib,
                "stdlib",
                &v,
                crate::purl::golang("stdlib", &format!("v{v}")),
                Some(format!("built with {}", self.go_version)),
            ));
        }
        if let Some((p, v)) = &self.main {
            let version = v.strip_prefix('v').unwrap_or(v);
            out.push(mk(
                PackageKind::GoModule,
                p,
                version,
                crate::purl::golang(p, v),
                Some("main module".into()),
            ));
        }
        for (p, v, rep) in &self.deps {
            let (name, ver, note) = match rep {
                Some((rp, rv)) if !rv.is_empty() => (rp, rv, Some(format!("replaces {p} {v}"))),
                // A replacement by a local directory has no version: keep the original.
                Some((rp, _)) => (p, v, Some(format!("replaced by local {rp}"))),
                None => (p, v, None),
            };
            out.push(mk(
                PackageKind::GoModule,
                name,
                ver.strip_prefix('v').unwrap_or(ver),
                crate::purl::golang(name, ver),
                note,
            ));
        }
        out
    }
}

fn auditable(b: &Blob, elf: &Elf, path: &str, layer: usize) -> Result<Vec<Package>, String> {
    let Some(s) = elf.section(".dep-v0") else {
        return Ok(vec![]);
    };
    if s.size > 16 << 20 {
        return Err(format!("section of {} bytes", s.size));
    }
    let z = b
        .read_at(s.offset, s.size as usize)
        .map_err(|e| e.to_string())?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&z[..])
        .take(AUDITABLE_MAX + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("not zlib data: {e}"))?;
    if json.len() as u64 > AUDITABLE_MAX {
        return Err(format!("more than {AUDITABLE_MAX} bytes once decompressed"));
    }
    #[derive(serde::Deserialize)]
    struct Dep {
        name: String,
        version: String,
        #[serde(default)]
        source: String,
        #[serde(default)]
        kind: Option<String>,
        #[serde(default)]
        root: bool,
    }
    #[derive(serde::Deserialize)]
    struct Doc {
        packages: Vec<Dep>,
    }
    let doc: Doc = serde_json::from_slice(&json).map_err(|e| format!("not valid JSON: {e}"))?;
    if doc.packages.iter().filter(|p| p.root).count() > 1 {
        return Err("more than one root package".into());
    }
    Ok(doc
        .packages
        .into_iter()
        .filter(|p| p.source == "crates.io" && p.kind.as_deref() != Some("build"))
        .map(|p| Package {
            ecosystem: "crates.io".into(),
            osv_ecosystem: "crates.io".into(),
            kind: PackageKind::RustCrate,
            purl: crate::purl::cargo(&p.name, &p.version),
            name: p.name,
            version: p.version,
            layer_index: layer,
            path: path.to_string(),
            note: p.root.then(|| "root package".to_string()),
            ..Package::default()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_versions() {
        assert_eq!(go_semver("go1.21").as_deref(), Some("1.21.0"));
        assert_eq!(go_semver("go1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            go_semver("go1.22.1 X:boringcrypto").as_deref(),
            Some("1.22.1")
        );
        assert_eq!(go_semver("go1").as_deref(), Some("1.0.0"));
        assert_eq!(go_semver("devel +abc"), None);
    }

    #[test]
    fn modinfo_lines() {
        let body = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/net\tv0.17.0\th1:x=\n=>\tgithub.com/fork/net\tv0.18.0\th1:y=\ndep\tgithub.com/a/b\tv1.2.3+incompatible\th1:z=\nbuild\tCGO_ENABLED=0\n";
        let mut m = vec![0x30u8; 16];
        m.extend_from_slice(body.as_bytes());
        m.extend_from_slice(&[0xf9; 16]);
        let info = parse_modinfo("go1.22.1", &m);
        assert_eq!(info.path.as_deref(), Some("example.com/app"));
        assert_eq!(info.deps.len(), 2);
        assert_eq!(
            info.deps[0].2,
            Some(("github.com/fork/net".into(), "v0.18.0".into()))
        );
        let p = info.packages("usr/bin/app", 0);
        assert_eq!(p[0].name, "stdlib");
        assert_eq!(p[2].name, "github.com/fork/net");
        assert_eq!(p[3].version, "1.2.3+incompatible");
    }
}
