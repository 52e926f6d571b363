//! Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` (or a single-file
//! `*.egg-info`): email-style headers up to the first blank line.

use crate::model::{Package, PackageKind};

pub(crate) fn parse(bytes: &[u8], path: &str, layer: usize) -> Result<Option<Package>, String> {
    let text = String::from_utf8_lossy(bytes);
    let (mut name, mut version) = (None, None);
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.trim().to_ascii_lowercase().as_str() {
                "name" if name.is_none() => name = Some(v.trim().to_string()),
                "version" if version.is_none() => version = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => Ok(Some(Package {
            ecosystem: "PyPI".into(),
            osv_ecosystem: "PyPI".into(),
            kind: PackageKind::Python,
            purl: crate::purl::pypi(&n, &v),
            name: n,
            version: v,
            layer_index: layer,
            path: path.to_string(),
            ..Package::default()
        })),
        _ => Err("Python package metadata without Name and Version headers".into()),
    }
}
