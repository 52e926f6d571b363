//! Java archives (jar, war, ear, ...): `META-INF/maven/**/pom.properties` (group, artifact,
//! version), else `META-INF/MANIFEST.MF`; archives nested one level (`WEB-INF/lib/*.jar`,
//! `BOOT-INF/lib/*.jar`, shaded jars) are read too, within limits. A small ZIP reader of our
//! own: central directory, stored and deflated entries, every size checked.

use super::Blob;
use crate::Limits;
use crate::model::{Package, PackageKind};
use std::io::Read;

/// Largest member read (a manifest, a properties file, or a nested archive).
const MEMBER_MAX: u64 = 64 << 20;
const SMALL_MAX: u64 = 1 << 20;

pub(crate) fn scan(
    b: &Blob,
    path: &str,
    layer: usize,
    lim: &Limits,
) -> (Vec<Package>, Vec<String>) {
    let mut pkgs = Vec::new();
    let mut probs = Vec::new();
    let file_name = path.rsplit('/').next().unwrap_or(path);
    archive(b, path, file_name, layer, lim, 0, &mut pkgs, &mut probs);
    (pkgs, probs)
}

#[allow(clippy::too_many_arguments)]
fn archive(
    b: &Blob,
    path: &str,
    file_name: &str,
    layer: usize,
    lim: &Limits,
    depth: usize,
    pkgs: &mut Vec<Package>,
    probs: &mut Vec<String>,
) {
    let entries = match central_directory(b) {
        Ok(e) => e,
        Err(m) => {
            probs.push(format!("{path}: Java archive cannot be read: {m}"));
            return;
        }
    };
    let before = pkgs.len();
    for e in entries
        .iter()
        .filter(|e| e.name.starts_with("META-INF/maven/") && e.name.ends_with("/pom.properties"))
    {
        match member(b, e, SMALL_MAX) {
            Ok(bytes) => {
                let props = properties(&String::from_utf8_lossy(&bytes));
                let get = |k: &str| props.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
                if let (Some(g), Some(a), Some(v)) =
                    (get("groupId"), get("artifactId"), get("version"))
                {
                    pkgs.push(maven(
                        &g,
                        &a,
                        &v,
                        &format!("{path}!/{}", e.name),
                        layer,
                        None,
                    ));
                }
            }
            Err(m) => probs.push(format!("{path}!/{}: {m}", e.name)),
        }
    }
    if pkgs.len() == before {
        if let Some(e) = entries
            .iter()
            .find(|e| e.name.eq_ignore_ascii_case("META-INF/MANIFEST.MF"))
        {
            if let Ok(bytes) = member(b, e, SMALL_MAX) {
                let m = manifest_main(&String::from_utf8_lossy(&bytes));
                let get = |k: &str| {
                    m.iter()
                        .find(|(a, _)| a.eq_ignore_ascii_case(k))
                        .map(|(_, v)| v.clone())
                };
                let (stem_name, stem_version) = split_file_name(file_name);
                let version = stem_version
                    .or_else(|| get("Implementation-Version"))
                    .or_else(|| get("Bundle-Version"))
                    .or_else(|| get("Specification-Version"));
                let artifact = stem_name
                    .or_else(|| get("Implementation-Title"))
                    .or_else(|| {
                        get("Bundle-SymbolicName")
                            .map(|s| s.split(';').next().unwrap_or("").to_string())
                    });
                let group = get("Implementation-Vendor-Id").or_else(|| {
                    get("Automatic-Module-Name")
                        .and_then(|m| m.rsplit_once('.').map(|(g, _)| g.to_string()))
                });
                if let (Some(a), Some(v)) = (artifact, version) {
                    let note = Some("identified from MANIFEST.MF and the file name: group may be missing or a guess".to_string());
                    pkgs.push(maven(
                        group.as_deref().unwrap_or(""),
                        &a,
                        &v,
                        &format!("{path}!/{}", e.name),
                        layer,
                        note,
                    ));
                }
            }
        }
    }
    if depth > 0 {
        return;
    }
    let nested: Vec<&Entry> = entries
        .iter()
        .filter(|e| {
            let n = e.name.to_ascii_lowercase();
            n.ends_with(".jar") || n.ends_with(".war")
        })
        .collect();
    if nested.len() > lim.max_nested_archives {
        probs.push(format!(
            "{path}: {} nested archives, only the first {} read",
            nested.len(),
            lim.max_nested_archives
        ));
    }
    for e in nested.into_iter().take(lim.max_nested_archives) {
        match member(b, e, MEMBER_MAX) {
            Ok(bytes) => {
                let inner = Blob::Mem(bytes);
                let name = e.name.rsplit('/').next().unwrap_or(&e.name).to_string();
                archive(
                    &inner,
                    &format!("{path}!/{}", e.name),
                    &name,
                    layer,
                    lim,
                    depth + 1,
                    pkgs,
                    probs,
                );
            }
            Err(m) => probs.push(format!("{path}!/{}: {m}", e.name)),
        }
    }
}

fn maven(
    group: &str,
    artifact: &str,
    version: &str,
    path: &str,
    layer: usize,
    note: Option<String>,
) -> Package {
    let name = if group.is_empty() {
        artifact.to_string()
    } else {
        format!("{group}:{artifact}")
    };
    Package {
        ecosystem: "Maven".into(),
        osv_ecosystem: "Maven".into(),
        kind: PackageKind::Maven,
        purl: crate::purl::maven(group, artifact, version),
        name,
        version: version.to_string(),
        layer_index: layer,
        path: path.to_string(),
        note,
        ..Package::default()
    }
}

/// `commons-text-1.10.0.jar` → (`commons-text`, `1.10.0`).
fn split_file_name(f: &str) -> (Option<String>, Option<String>) {
    let stem = f.rsplit_once('.').map(|(s, _)| s).unwrap_or(f);
    let parts: Vec<&str> = stem.split('-').collect();
    if let Some(i) = parts
        .iter()
        .position(|p| p.chars().next().is_some_and(|c| c.is_ascii_digit()))
    {
        if i > 0 {
            return (Some(parts[..i].join("-")), Some(parts[i..].join("-")));
        }
    }
    (Some(stem.to_string()).filter(|s| !s.is_empty()), None)
}

/// Java properties (`key=value` or `key: value`, `#`/`!` comments).
fn properties(t: &str) -> Vec<(String, String)> {
    t.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let i = l.find(['=', ':'])?;
            Some((l[..i].trim().to_string(), l[i + 1..].trim().to_string()))
        })
        .collect()
}

/// The main section of a manifest (up to the first blank line); continuation lines start
/// with one space.
fn manifest_main(t: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in t.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some(l) = out.last_mut() {
                l.1.push_str(rest);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

struct Entry {
    name: String,
    method: u16,
    compressed: u64,
    size: u64,
    local_offset: u64,
}

fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn central_directory(b: &Blob) -> Result<Vec<Entry>, String> {
    let len = b.len();
    if len < 22 {
        return Err("too short for a ZIP file".into());
    }
    let tail_len = len.min(65_557) as usize;
    let tail = b
        .read_at(len - tail_len as u64, tail_len)
        .map_err(|e| e.to_string())?;
    let eocd = (0..=tail.len() - 22)
        .rev()
        .find(|&i| tail[i..i + 4] == *b"PK\x05\x06")
        .ok_or("no end of central directory record")?;
    let count = le16(&tail, eocd + 10) as usize;
    let cd_size = le32(&tail, eocd + 12) as u64;
    let cd_off = le32(&tail, eocd + 16) as u64;
    if count == 0xffff || cd_off == 0xffff_ffff {
        return Err("ZIP64 archives are not read".into());
    }
    if cd_off + cd_size > len || cd_size > 64 << 20 {
        return Err("central directory outside the file".into());
    }
    let cd = b
        .read_at(cd_off, cd_size as usize)
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(count.min(100_000));
    let mut p = 0;
    for _ in 0..count {
        if p + 46 > cd.len() || cd[p..p + 4] != *b"PK\x01\x02" {
            return Err("corrupt central directory".into());
        }
        let method = le16(&cd, p + 10);
        let compressed = le32(&cd, p + 20) as u64;
        let size = le32(&cd, p + 24) as u64;
        let nlen = le16(&cd, p + 28) as usize;
        let xlen = le16(&cd, p + 30) as usize;
        let clen = le16(&cd, p + 32) as usize;
        let local_offset = le32(&cd, p + 42) as u64;
        let name = cd
            .get(p + 46..p + 46 + nlen)
            .ok_or("corrupt central directory")?;
        out.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed,
            size,
            local_offset,
        });
        p += 46 + nlen + xlen + clen;
    }
    Ok(out)
}

fn member(b: &Blob, e: &Entry, max: u64) -> Result<Vec<u8>, String> {
    if e.size > max {
        return Err(format!("{} bytes, more than the {max}-byte limit", e.size));
    }
    let h = b
        .read_at(e.local_offset, 30)
        .map_err(|_| "local header outside the file")?;
    if h[..4] != *b"PK\x03\x04" {
        return Err("corrupt local header".into());
    }
    let start = e.local_offset + 30 + le16(&h, 26) as u64 + le16(&h, 28) as u64;
    if e.compressed > b.len() || start + e.compressed > b.len() {
        return Err("entry data outside the file".into());
    }
    let data = b
        .read_at(start, e.compressed as usize)
        .map_err(|e| e.to_string())?;
    match e.method {
        0 => Ok(data),
        8 => {
            let mut out = Vec::with_capacity(e.size.min(max) as usize);
            flate2::read::DeflateDecoder::new(&data[..])
                .take(max + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("corrupt deflate data: {e}"))?;
            if out.len() as u64 > max {
                return Err(format!("more than {max} bytes once inflated"));
            }
            Ok(out)
        }
        m => Err(format!("compression method {m} is not read")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(
            split_file_name("commons-text-1.10.0.jar"),
            (Some("commons-text".into()), Some("1.10.0".into()))
        );
        assert_eq!(split_file_name("app.jar"), (Some("app".into()), None));
    }
}
