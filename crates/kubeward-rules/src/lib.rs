//! The kubeward rule catalogue: per-object rules, one module per defence layer.
//!
//! Every rule is a `static Rule` (metadata + check function) in its own file, in the folder of
//! its layer, registered in that layer's `mod.rs`. Helpers shared by several rules are in
//! [`support`]. Rules read objects through `kubeward_core::PodSpec` and friends and report
//! findings with JSON pointers; they never touch files, clusters or output formats.

pub mod containers;
pub mod control_plane;
pub mod data;
pub mod monitoring;
pub mod network;
pub mod nodes;
pub mod pod_to_api;
pub mod pod_to_node;
pub mod support;

use kubeward_core::Rule;

pub use support::secrets::set_fingerprint_key;

/// Every rule in this crate.
pub fn rules() -> Vec<&'static Rule> {
    let mut v = Vec::new();
    v.extend(pod_to_node::rules());
    v.extend_from_slice(pod_to_api::RULES);
    v.extend_from_slice(containers::RULES);
    v.extend_from_slice(data::RULES);
    v.extend_from_slice(network::RULES);
    v.extend_from_slice(nodes::RULES);
    v.extend_from_slice(nodes::kubelet::RULES);
    v.extend_from_slice(nodes::files::RULES);
    v.extend_from_slice(control_plane::RULES);
    v.extend_from_slice(monitoring::RULES);
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn metadata_is_complete_and_ids_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in super::rules() {
            kubeward_core::rule::validate_meta(&r.meta).unwrap();
            assert!(seen.insert(r.meta.id), "duplicate id {}", r.meta.id);
        }
    }

    /// A rule file sits in the folder of its layer; `support/` holds no rule.
    #[test]
    fn rule_files_sit_in_the_folder_of_their_layer() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        walk(&src, &mut files);
        let mut checked = 0;
        for f in files {
            let rel = f.strip_prefix(&src).unwrap();
            let Some(folder) = rel.iter().next().and_then(|c| c.to_str()) else {
                continue;
            };
            let text = std::fs::read_to_string(&f).unwrap();
            for line in text.lines() {
                let Some(layer) = line.trim().strip_prefix("layer: Layer::") else {
                    continue;
                };
                let layer = layer.trim_end_matches(',');
                let want = match layer {
                    "Nodes" => "nodes",
                    "ControlPlane" => "control_plane",
                    "Containers" => "containers",
                    "Data" => "data",
                    "PodToNode" => "pod_to_node",
                    "PodToApi" => "pod_to_api",
                    "Network" => "network",
                    "Monitoring" => "monitoring",
                    other => panic!("{}: layer {other} has no folder here", rel.display()),
                };
                assert_eq!(folder, want, "{}: layer {layer}", rel.display());
                checked += 1;
            }
        }
        assert_eq!(checked, super::rules().len(), "one `layer:` line per rule");
    }
}
