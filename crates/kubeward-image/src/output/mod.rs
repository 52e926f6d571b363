//! Output formats: JSON inventory, CycloneDX 1.5, SPDX 2.3 and a text table.

pub mod cyclonedx;
pub mod spdx;

use crate::model::Inventory;

/// The inventory as pretty JSON (deterministic: packages are sorted).
pub fn json(inv: &Inventory) -> String {
    serde_json::to_string_pretty(inv).expect("inventory serialises")
}

/// A table for people.
pub fn text(inv: &Inventory) -> String {
    let mut o = String::new();
    o.push_str(&format!("image: {}\n", inv.source.reference));
    if let Some(d) = &inv.source.manifest_digest {
        o.push_str(&format!("manifest: {d}\n"));
    }
    o.push_str(&format!(
        "config: {} ({})\n",
        inv.source.config_digest, inv.source.platform
    ));
    match &inv.os {
        Some(os) => o.push_str(&format!(
            "os: {} ({}){}\n",
            if os.pretty_name.is_empty() {
                &os.id
            } else {
                &os.pretty_name
            },
            if os.osv_ecosystem.is_empty() {
                "no OSV ecosystem"
            } else {
                &os.osv_ecosystem
            },
            if os.distroless { ", distroless" } else { "" }
        )),
        None => o.push_str("os: unknown (no os-release)\n"),
    }
    o.push_str(&format!(
        "layers: {}, packages: {}\n\n",
        inv.layers.len(),
        inv.packages.len()
    ));
    let rows: Vec<[String; 5]> = inv
        .packages
        .iter()
        .map(|p| {
            [
                p.kind.as_str().to_string(),
                p.name.clone(),
                p.version.clone(),
                p.source_name.clone().unwrap_or_default(),
                format!("{} ({})", p.path, short(&p.layer)),
            ]
        })
        .collect();
    let head = ["TYPE", "NAME", "VERSION", "SOURCE", "PATH (LAYER)"];
    let mut w = head.map(|h| h.len());
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String; 5]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 4 {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<width$}  ", width = w[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    o.push_str(&line(&head.map(str::to_string)));
    for r in &rows {
        o.push_str(&line(r));
    }
    if !inv.unknown.is_empty() {
        o.push_str("\nUNKNOWN (could not be read):\n");
        for u in &inv.unknown {
            o.push_str(&format!(
                "  {} ({}): {}\n",
                u.path,
                short(&u.layer),
                u.reason
            ));
        }
    }
    o
}

fn short(d: &str) -> String {
    match d.split_once(':') {
        Some((_, h)) => h.chars().take(12).collect(),
        None => d.to_string(),
    }
}
