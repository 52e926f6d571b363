//! npm packages: `node_modules/<name>/package.json` (`name`, `version`).

use crate::model::{Package, PackageKind};

pub(crate) fn parse(bytes: &[u8], path: &str, layer: usize) -> Result<Option<Package>, String> {
    #[derive(serde::Deserialize)]
    struct Pj {
        name: Option<serde_json::Value>,
        version: Option<serde_json::Value>,
    }
    let pj: Pj = serde_json::from_slice(bytes)
        .map_err(|e| format!("package.json is not valid JSON: {e}"))?;
    let (Some(serde_json::Value::String(n)), Some(serde_json::Value::String(v))) =
        (pj.name, pj.version)
    else {
        // Nested package.json files without name/version are bundler hints, not packages.
        return Ok(None);
    };
    if n.is_empty() || v.is_empty() {
        return Ok(None);
    }
    Ok(Some(Package {
        ecosystem: "npm".into(),
        osv_ecosystem: "npm".into(),
        kind: PackageKind::Npm,
        purl: crate::purl::npm(&n, &v),
        name: n,
        version: v,
        layer_index: layer,
        path: path.to_string(),
        ..Package::default()
    }))
}
