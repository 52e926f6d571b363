//! The OS release (`etc/os-release`, else `usr/lib/os-release`) and the OSV ecosystem of
//! its packages.

use crate::collect::{Captured, Data, OS_RELEASE};
use crate::model::{OsInfo, Package, PackageKind};
use std::collections::BTreeMap;

/// Parses os-release `KEY=value` lines (values optionally quoted).
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            m.insert(
                k.trim().to_string(),
                v.replace("\\\"", "\"").replace("\\\\", "\\"),
            );
        }
    }
    m
}

pub(crate) fn detect(
    files: &BTreeMap<String, Captured>,
    digest_of: &dyn Fn(usize) -> String,
) -> Option<OsInfo> {
    // etc/os-release first; a symbolic link (Debian: ../usr/lib/os-release) falls through to
    // the file it names when that is the other candidate.
    let mut found = None;
    for p in OS_RELEASE {
        let mut at = p.to_string();
        // Follow one symbolic link (`etc/os-release -> ../usr/lib/os-release`).
        if let Some(Captured {
            data: Data::Link(t),
            ..
        }) = files.get(p)
        {
            let joined = if let Some(abs) = t.strip_prefix('/') {
                abs.to_string()
            } else {
                format!("etc/{t}")
            };
            match crate::layer::normalize(joined.as_bytes()) {
                Ok(n) => at = n,
                Err(_) => continue,
            }
        }
        if let Some(Captured {
            layer,
            data: Data::Text(t),
        }) = files.get(&at)
        {
            found = Some((at, *layer, String::from_utf8_lossy(t).into_owned()));
            break;
        }
    }
    let distroless_status = files
        .keys()
        .any(|k| k.starts_with("var/lib/dpkg/status.d/"));
    let (path, layer, text) = found?;
    let kv = parse_os_release(&text);
    let get = |k: &str| kv.get(k).cloned().unwrap_or_default();
    let id = get("ID").to_ascii_lowercase();
    let version_id = get("VERSION_ID");
    let pretty = get("PRETTY_NAME");
    let (ecosystem, release) = ecosystem(&id, &version_id, &get("VERSION"), &pretty);
    let osv_ecosystem = match (&ecosystem, &release) {
        (e, _) if e.is_empty() => String::new(),
        (e, Some(r)) => format!("{e}:{r}"),
        (e, None) => e.clone(),
    };
    Some(OsInfo {
        id,
        version_id,
        version_codename: get("VERSION_CODENAME"),
        id_like: get("ID_LIKE")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        distroless: distroless_status || pretty.to_ascii_lowercase().contains("distroless"),
        pretty_name: pretty,
        ecosystem,
        osv_ecosystem,
        layer: digest_of(layer),
        path,
    })
}

/// OSV ecosystem and release for an os-release `ID`.
pub fn ecosystem(
    id: &str,
    version_id: &str,
    version: &str,
    pretty: &str,
) -> (String, Option<String>) {
    let major = version_id.split('.').next().unwrap_or("").to_string();
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    match id {
        "debian" => ("Debian".into(), some(major)),
        "ubuntu" => {
            let lts = version.contains("LTS") || pretty.contains("LTS");
            (
                "Ubuntu".into(),
                some(version_id.to_string()).map(|v| if lts { format!("{v}:LTS") } else { v }),
            )
        }
        "alpine" => {
            let mm: Vec<&str> = version_id.split('.').take(2).collect();
            (
                "Alpine".into(),
                (mm.len() == 2).then(|| format!("v{}", mm.join("."))),
            )
        }
        "rhel" => ("Red Hat".into(), some(major)),
        "rocky" => ("Rocky Linux".into(), some(major)),
        "almalinux" => ("AlmaLinux".into(), some(major)),
        "wolfi" => ("Wolfi".into(), None),
        "chainguard" => ("Chainguard".into(), None),
        "opensuse-leap" | "opensuse-tumbleweed" | "opensuse" => {
            ("openSUSE".into(), some(pretty.to_string()))
        }
        "sles" | "sle-micro" => ("SUSE".into(), some(pretty.to_string())),
        "mageia" => ("Mageia".into(), some(major)),
        "azurelinux" | "mariner" => ("Azure Linux".into(), some(version_id.to_string())),
        "photon" => ("Photon OS".into(), some(version_id.to_string())),
        _ => (String::new(), None),
    }
}

/// Ecosystem, release and purl of an OS package.
pub(crate) fn fill(p: &mut Package, os: Option<&OsInfo>) {
    let (eco, osv, id, version_id) = match os {
        Some(o) => (
            o.ecosystem.clone(),
            o.osv_ecosystem.clone(),
            o.id.clone(),
            o.version_id.clone(),
        ),
        None => (String::new(), String::new(), String::new(), String::new()),
    };
    // An OS package of an unknown or uncovered OS keeps an empty ecosystem: matching it
    // against some other distribution's advisories would be wrong.
    p.ecosystem = eco;
    p.osv_ecosystem = osv.clone();
    p.os_release = osv.split_once(':').map(|(_, r)| r.to_string());
    let distro = (!id.is_empty()).then(|| {
        if version_id.is_empty() {
            id.clone()
        } else {
            format!("{id}-{version_id}")
        }
    });
    let upstream =
        p.source_name
            .clone()
            .filter(|s| *s != p.name)
            .map(|s| match &p.source_version {
                Some(v) => format!("{s}@{v}"),
                None => s,
            });
    let ns = if id.is_empty() {
        "unknown".to_string()
    } else {
        id.clone()
    };
    p.purl = match p.kind {
        PackageKind::Deb => crate::purl::deb(
            &ns,
            &p.name,
            &p.version,
            p.arch.as_deref(),
            distro.as_deref(),
            upstream.as_deref(),
        ),
        PackageKind::Apk => crate::purl::apk(
            &ns,
            &p.name,
            &p.version,
            p.arch.as_deref(),
            distro.as_deref(),
            upstream.as_deref(),
        ),
        _ => {
            let vendor = match id.as_str() {
                "rhel" => "redhat".to_string(),
                _ => ns,
            };
            crate::purl::rpm(
                &vendor,
                &p.name,
                &p.version,
                p.arch.as_deref(),
                distro.as_deref(),
                upstream.as_deref(),
            )
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems() {
        assert_eq!(
            ecosystem("debian", "12", "12 (bookworm)", ""),
            ("Debian".into(), Some("12".into()))
        );
        assert_eq!(
            ecosystem("ubuntu", "22.04", "22.04.4 LTS (Jammy Jellyfish)", ""),
            ("Ubuntu".into(), Some("22.04:LTS".into()))
        );
        assert_eq!(
            ecosystem("alpine", "3.19.1", "", ""),
            ("Alpine".into(), Some("v3.19".into()))
        );
        assert_eq!(
            ecosystem("rocky", "9.3", "", ""),
            ("Rocky Linux".into(), Some("9".into()))
        );
        assert_eq!(
            ecosystem("wolfi", "20230201", "", ""),
            ("Wolfi".into(), None)
        );
        assert_eq!(ecosystem("plan9", "4", "", "").0, "");
        let kv =
            parse_os_release("ID=\"debian\"\nVERSION_ID='12'\n# c\nPRETTY_NAME=\"Distroless\"\n");
        assert_eq!(kv["ID"], "debian");
        assert_eq!(kv["VERSION_ID"], "12");
    }
}
