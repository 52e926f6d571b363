//! rpm databases in SQLite form (`rpmdb.sqlite`, RHEL 9+, Fedora 33+): table `Packages`,
//! column `blob` holding each package's header, parsed here.

use crate::model::{Package, PackageKind};
use std::path::Path;

const NAME: u32 = 1000;
const VERSION: u32 = 1001;
const RELEASE: u32 = 1002;
const EPOCH: u32 = 1003;
const VENDOR: u32 = 1011;
const ARCH: u32 = 1022;
const SOURCERPM: u32 = 1044;
const MODULARITYLABEL: u32 = 5096;

const T_INT32: u32 = 4;
const T_STRING: u32 = 6;
const T_STRING_ARRAY: u32 = 8;
const T_I18NSTRING: u32 = 9;

/// The tags of one header.
#[derive(Debug, Default)]
pub struct Header {
    pub name: Option<String>,
    pub version: Option<String>,
    pub release: Option<String>,
    pub epoch: Option<i32>,
    pub arch: Option<String>,
    pub sourcerpm: Option<String>,
    pub vendor: Option<String>,
    pub modularity: Option<String>,
}

/// A package header blob that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Not even the two size words.
    #[error("header shorter than 8 bytes")]
    Short,
    /// Index entry count or data length out of any real header's range.
    #[error("implausible header sizes (index {index}, data {data})")]
    Sizes { index: usize, data: usize },
    /// The sizes point past the end of the blob.
    #[error("header declares {declared} bytes but the blob has {actual}")]
    Truncated { declared: usize, actual: usize },
}

/// Parses a header blob: big-endian index count and data length, 16-byte index entries
/// `{tag, type, offset, count}`, then the data store.
pub fn parse_header(b: &[u8]) -> Result<Header, HeaderError> {
    let be32 = |o: usize| -> Option<u32> {
        b.get(o..o + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    };
    let il = be32(0).ok_or(HeaderError::Short)? as usize;
    let dl = be32(4).ok_or(HeaderError::Short)? as usize;
    if il == 0 || il > 0x10000 || dl > 256 << 20 {
        return Err(HeaderError::Sizes {
            index: il,
            data: dl,
        });
    }
    let data_start = 8 + il * 16;
    if data_start + dl > b.len() {
        return Err(HeaderError::Truncated {
            declared: data_start + dl,
            actual: b.len(),
        });
    }
    let data = &b[data_start..data_start + dl];
    let string_at = |off: usize| -> Option<String> {
        let s = data.get(off..)?;
        let end = s.iter().position(|&c| c == 0)?;
        Some(String::from_utf8_lossy(&s[..end]).into_owned())
    };
    let mut h = Header::default();
    for i in 0..il {
        let e = 8 + i * 16;
        let tag = be32(e).unwrap_or(0);
        let ty = be32(e + 4).unwrap_or(0);
        let off = be32(e + 8).unwrap_or(u32::MAX) as usize;
        let count = be32(e + 12).unwrap_or(0);
        let s = || -> Option<String> {
            if matches!(ty, T_STRING | T_STRING_ARRAY | T_I18NSTRING) && count >= 1 {
                string_at(off)
            } else {
                None
            }
        };
        match tag {
            NAME => h.name = s(),
            VERSION => h.version = s(),
            RELEASE => h.release = s(),
            ARCH => h.arch = s(),
            SOURCERPM => h.sourcerpm = s(),
            VENDOR => h.vendor = s(),
            MODULARITYLABEL => h.modularity = s(),
            EPOCH if ty == T_INT32 && count >= 1 => {
                h.epoch = data
                    .get(off..off + 4)
                    .map(|s| i32::from_be_bytes([s[0], s[1], s[2], s[3]]));
            }
            _ => {}
        }
    }
    Ok(h)
}

/// `name-version-release.arch.rpm` → (name, version, release).
pub fn split_srpm(f: &str) -> Option<(String, String, String)> {
    let f = f.strip_suffix(".rpm")?;
    let (rest, _arch) = f.rsplit_once('.')?;
    let (rest, release) = rest.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    Some((name.into(), version.into(), release.into()))
}

pub(crate) fn read_sqlite(
    file: &Path,
    path: &str,
    layer: usize,
) -> Result<(Vec<Package>, Vec<String>), String> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("rpm database (SQLite) cannot be opened: {e}"))?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages")
        .map_err(|e| format!("rpm database (SQLite) has no readable Packages table: {e}"))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .map_err(|e| format!("rpm database (SQLite): {e}"))?;
    let mut pkgs = Vec::new();
    let mut probs = Vec::new();
    for row in rows {
        let (hnum, blob) = row.map_err(|e| format!("rpm database (SQLite): {e}"))?;
        let h = match parse_header(&blob) {
            Ok(h) => h,
            Err(m) => {
                probs.push(format!("package header {hnum}: {m}"));
                continue;
            }
        };
        let (Some(name), Some(version), Some(release)) = (h.name, h.version, h.release) else {
            probs.push(format!(
                "package header {hnum}: no NAME, VERSION or RELEASE"
            ));
            continue;
        };
        if name == "gpg-pubkey" {
            continue;
        }
        let epoch = h.epoch.filter(|e| *e > 0);
        let ep = |vr: &str| match epoch {
            Some(e) => format!("{e}:{vr}"),
            None => vr.to_string(),
        };
        let vr = format!("{version}-{release}");
        let (source_name, source_version) = match h.sourcerpm.as_deref().and_then(split_srpm) {
            Some((n, v, r)) => {
                let svr = format!("{v}-{r}");
                (Some(n), if svr != vr { Some(ep(&svr)) } else { None })
            }
            None => (None, None),
        };
        pkgs.push(Package {
            kind: PackageKind::Rpm,
            name,
            version: ep(&vr),
            source_name,
            source_version,
            arch: h.arch,
            layer_index: layer,
            path: path.to_string(),
            note: h.modularity.map(|m| format!("module {m}")),
            ..Package::default()
        });
    }
    Ok((pkgs, probs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srpm_names() {
        assert_eq!(
            split_srpm("openssl-3.0.7-25.el9_3.src.rpm"),
            Some(("openssl".into(), "3.0.7".into(), "25.el9_3".into()))
        );
        assert_eq!(split_srpm("(none)"), None);
    }

    #[test]
    fn bad_headers_say_what_is_wrong() {
        assert_eq!(parse_header(&[0, 0, 0]).unwrap_err(), HeaderError::Short);
        assert_eq!(
            parse_header(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            HeaderError::Sizes { index: 0, data: 0 }
        );
        // One index entry (16 bytes) and 4 data bytes: 28 bytes declared, 12 given.
        let e = parse_header(&[0, 0, 0, 1, 0, 0, 0, 4, 1, 2, 3, 4]).unwrap_err();
        assert_eq!(
            e,
            HeaderError::Truncated {
                declared: 28,
                actual: 12
            }
        );
        assert_eq!(
            e.to_string(),
            "header declares 28 bytes but the blob has 12"
        );
    }
}
