//! CycloneDX 1.5 JSON SBOM: the image as `metadata.component` (type `container`), the OS as
//! an `operating-system` component, each package a `library` with its purl and kubeward
//! properties (layer, path, source package, OSV ecosystem). Deterministic: the serial number
//! derives from the image config digest and no timestamp is written.

use crate::model::Inventory;
use serde_json::{Value, json};
use std::collections::HashSet;

pub fn render(inv: &Inventory) -> String {
    let mut comps = Vec::new();
    if let Some(os) = &inv.os {
        comps.push(json!({
            "type": "operating-system",
            "bom-ref": "os",
            "name": os.id,
            "version": os.version_id,
            "description": os.pretty_name,
        }));
    }
    let mut refs = HashSet::new();
    for (i, p) in inv.packages.iter().enumerate() {
        let mut bom_ref = p.purl.clone();
        if !refs.insert(bom_ref.clone()) {
            bom_ref = format!("{}#{i}", p.purl);
            refs.insert(bom_ref.clone());
        }
        let mut props = vec![
            prop("kubeward:package:type", p.kind.as_str()),
            prop("kubeward:layer", &p.layer),
            prop("kubeward:path", &p.path),
        ];
        if !p.osv_ecosystem.is_empty() {
            props.push(prop("kubeward:osv:ecosystem", &p.osv_ecosystem));
        }
        if let Some(s) = &p.source_name {
            props.push(prop("kubeward:source:name", s));
        }
        if let Some(s) = &p.source_version {
            props.push(prop("kubeward:source:version", s));
        }
        let (group, name) = match (p.kind, p.name.split_once(':')) {
            (crate::PackageKind::Maven, Some((g, a))) => (Some(g), a),
            _ => (None, p.name.as_str()),
        };
        let mut c = json!({
            "type": "library",
            "bom-ref": bom_ref,
            "name": name,
            "version": p.version,
            "purl": p.purl,
            "properties": props,
        });
        if let Some(g) = group {
            c["group"] = json!(g);
        }
        comps.push(c);
    }
    let seed = format!("cyclonedx:{}", inv.source.config_digest);
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", uuid_from(&seed)),
        "version": 1,
        "metadata": {
            "tools": { "components": [ {
                "type": "application",
                "name": "kubeward",
                "version": env!("CARGO_PKG_VERSION"),
            } ] },
            "component": {
                "type": "container",
                "bom-ref": "image",
                "name": inv.source.reference,
                "version": inv.source.manifest_digest.clone().unwrap_or_else(|| inv.source.config_digest.clone()),
                "properties": [
                    prop("kubeward:image:config", &inv.source.config_digest),
                    prop("kubeward:image:platform", &inv.source.platform),
                ],
            },
        },
        "components": comps,
    });
    serde_json::to_string_pretty(&doc).expect("serialises")
}

fn prop(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

/// A UUID-shaped identifier (version 8, RFC 9562 "custom") from SHA-256 of `seed`.
pub fn uuid_from(seed: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_ref()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::digest::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
