//! Package URLs (purl spec): `pkg:<type>/<namespace>/<name>@<version>?<qualifiers>`.

/// Percent-encodes everything but unreserved characters (and `/` when `keep_slash`).
pub fn enc(s: &str, keep_slash: bool) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            o.push(b as char);
        } else if b == b':' {
            // Allowed unencoded in versions and qualifier values by the purl spec.
            o.push(':');
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn with_qualifiers(base: String, q: &[(&str, Option<&str>)]) -> String {
    let parts: Vec<String> = q
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", enc(v, false)))
        })
        .collect();
    if parts.is_empty() {
        base
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

/// `pkg:deb/<debian|ubuntu>/<name>@<version>?arch=&distro=&upstream=`.
pub fn deb(
    ns: &str,
    name: &str,
    version: &str,
    arch: Option<&str>,
    distro: Option<&str>,
    upstream: Option<&str>,
) -> String {
    with_qualifiers(
        format!(
            "pkg:deb/{}/{}@{}",
            enc(ns, false),
            enc(name, false),
            enc(version, false)
        ),
        &[("arch", arch), ("distro", distro), ("upstream", upstream)],
    )
}

/// `pkg:apk/<alpine|wolfi>/<name>@<version>?arch=&distro=&upstream=`.
pub fn apk(
    ns: &str,
    name: &str,
    version: &str,
    arch: Option<&str>,
    distro: Option<&str>,
    upstream: Option<&str>,
) -> String {
    with_qualifiers(
        format!(
            "pkg:apk/{}/{}@{}",
            enc(ns, false),
            enc(name, false),
            enc(version, false)
        ),
        &[("arch", arch), ("distro", distro), ("upstream", upstream)],
    )
}

/// `pkg:rpm/<vendor>/<name>@<version-release>?arch=&epoch=&distro=&upstream=` (the epoch is
/// a qualifier, not part of the version).
pub fn rpm(
    ns: &str,
    name: &str,
    evr: &str,
    arch: Option<&str>,
    distro: Option<&str>,
    upstream: Option<&str>,
) -> String {
    let (epoch, vr) = match evr.split_once(':') {
        Some((e, vr)) if e.chars().all(|c| c.is_ascii_digit()) => (Some(e), vr),
        _ => (None, evr),
    };
    with_qualifiers(
        format!(
            "pkg:rpm/{}/{}@{}",
            enc(ns, false),
            enc(name, false),
            enc(vr, false)
        ),
        &[
            ("arch", arch),
            ("epoch", epoch),
            ("distro", distro),
            ("upstream", upstream),
        ],
    )
}

pub fn golang(path: &str, version: &str) -> String {
    let segs: Vec<String> = path.split('/').map(|s| enc(s, false)).collect();
    format!("pkg:golang/{}@{}", segs.join("/"), enc(version, false))
}

pub fn cargo(name: &str, version: &str) -> String {
    format!("pkg:cargo/{}@{}", enc(name, false), enc(version, false))
}

/// PyPI names are lower-cased with `_` as `-` in purls.
pub fn pypi(name: &str, version: &str) -> String {
    let n = name.to_ascii_lowercase().replace(['_', '.'], "-");
    format!("pkg:pypi/{}@{}", enc(&n, false), enc(version, false))
}

/// `@scope/name` → `pkg:npm/%40scope/name@v`.
pub fn npm(name: &str, version: &str) -> String {
    let n = match name.split_once('/') {
        Some((scope, n)) => format!("{}/{}", enc(scope, false), enc(n, false)),
        None => enc(name, false),
    };
    format!("pkg:npm/{n}@{}", enc(version, false))
}

pub fn maven(group: &str, artifact: &str, version: &str) -> String {
    if group.is_empty() {
        format!("pkg:maven/{}@{}", enc(artifact, false), enc(version, false))
    } else {
        format!(
            "pkg:maven/{}/{}@{}",
            enc(group, false),
            enc(artifact, false),
            enc(version, false)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls() {
        assert_eq!(
            deb(
                "debian",
                "libc6",
                "2.36-9+deb12u4",
                Some("amd64"),
                Some("debian-12"),
                None
            ),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            rpm("redhat", "bash", "1:5.1-6.el9", Some("x86_64"), None, None),
            "pkg:rpm/redhat/bash@5.1-6.el9?arch=x86_64&epoch=1"
        );
        assert_eq!(npm("@babel/core", "7.0.0"), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(
            golang("github.com/a/b", "v1.0.0"),
            "pkg:golang/github.com/a/b@v1.0.0"
        );
        assert_eq!(pypi("Flask_Login", "0.6"), "pkg:pypi/flask-login@0.6");
    }
}
