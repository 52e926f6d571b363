//! apk `lib/apk/db/installed`: blank-line separated records of `<letter>:<value>` lines.

use crate::model::{Package, PackageKind};

pub(crate) fn parse(bytes: &[u8], path: &str, layer: usize) -> (Vec<Package>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut pkgs = Vec::new();
    let mut probs = Vec::new();
    let mut cur: Vec<(char, &str)> = Vec::new();
    let mut start = 1;
    let mut flush = |cur: &mut Vec<(char, &str)>, start: usize| {
        if cur.is_empty() {
            return;
        }
        let get = |c: char| cur.iter().find(|(k, _)| *k == c).map(|(_, v)| *v);
        match (get('P'), get('V')) {
            (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => pkgs.push(Package {
                kind: PackageKind::Apk,
                name: n.to_string(),
                version: v.to_string(),
                source_name: get('o').filter(|o| !o.is_empty()).map(str::to_string),
                arch: get('A').map(str::to_string),
                layer_index: layer,
                path: path.to_string(),
                ..Package::default()
            }),
            _ => probs.push(format!(
                "line {start}: record without a P: (name) or V: (version) line"
            )),
        }
        cur.clear();
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            flush(&mut cur, start);
            start = i + 2;
            continue;
        }
        let mut ch = line.chars();
        if let (Some(c), Some(':')) = (ch.next(), ch.next()) {
            cur.push((c, &line[c.len_utf8() + 1..]));
        }
    }
    flush(&mut cur, start);
    (pkgs, probs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn installed() {
        let t = "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\nF:lib\nR:libcrypto.so.3\n\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nV:1\n";
        let (p, probs) = super::parse(t.as_bytes(), "lib/apk/db/installed", 2);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].name.as_str(), p[0].source_name.as_deref()),
            ("libcrypto3", Some("openssl"))
        );
        assert_eq!(probs.len(), 1);
    }
}
