//! dpkg `status` (one stanza per package) and distroless `status.d/<pkg>` files.

use crate::model::{Package, PackageKind};

/// Splits RFC-822-style stanzas: `(first line number, [(field, value)])`. Continuation lines
/// (leading space or tab) extend the previous field.
pub(crate) fn stanzas(text: &str) -> Vec<(usize, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    let mut start = 1;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push((start, std::mem::take(&mut cur)));
            }
            start = i + 2;
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = cur.last_mut() {
                last.1.push('\n');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if cur.is_empty() {
            start = i + 1;
        }
        match line.split_once(':') {
            Some((k, v)) => cur.push((k.trim().to_string(), v.trim().to_string())),
            None => cur.push((line.trim().to_string(), String::new())),
        }
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    out
}

fn field<'a>(s: &'a [(String, String)], name: &str) -> Option<&'a str> {
    s.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Packages of a dpkg status file; problems name the line of the stanza.
pub(crate) fn parse(
    bytes: &[u8],
    path: &str,
    layer: usize,
    status_d: bool,
) -> (Vec<Package>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut pkgs = Vec::new();
    let mut probs = Vec::new();
    for (line, s) in stanzas(&text) {
        let (Some(name), Some(version)) = (field(&s, "Package"), field(&s, "Version")) else {
            probs.push(format!(
                "line {line}: stanza without {} field",
                if field(&s, "Package").is_none() {
                    "a Package"
                } else {
                    "a Version"
                }
            ));
            continue;
        };
        // `want flag status`; distroless status.d files have no Status (installed).
        if let Some(st) = field(&s, "Status") {
            let state = st.split_whitespace().nth(2).unwrap_or("");
            if matches!(state, "not-installed" | "config-files") {
                continue;
            }
        } else if !status_d {
            // A status file stanza without Status is still a package on disk.
        }
        let (source_name, source_version) = match field(&s, "Source") {
            Some(src) => match src.split_once('(') {
                Some((n, v)) => (
                    Some(n.trim().to_string()),
                    Some(v.trim_end_matches(')').trim().to_string()).filter(|sv| sv != version),
                ),
                None => (Some(src.trim().to_string()), None),
            },
            None => (None, None),
        };
        pkgs.push(Package {
            kind: PackageKind::Deb,
            name: name.to_string(),
            version: version.to_string(),
            source_name: source_name.filter(|n| !n.is_empty()),
            source_version,
            arch: field(&s, "Architecture").map(str::to_string),
            layer_index: layer,
            path: path.to_string(),
            ..Package::default()
        });
    }
    (pkgs, probs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_file() {
        let text = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: libc-bin\nStatus: install ok installed\nSource: glibc (2.36-9+deb12u4)\nVersion: 2.36-9+deb12u4+b1\n\nVersion: 2\n";
        let (p, probs) = parse(text.as_bytes(), "var/lib/dpkg/status", 0, false);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source_name.as_deref(), Some("openssl"));
        assert_eq!(p[0].source_version, None);
        assert_eq!(p[1].source_version.as_deref(), Some("2.36-9+deb12u4"));
        assert_eq!(probs, ["line 18: stanza without a Package field"]);
    }
}
