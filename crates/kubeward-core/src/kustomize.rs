//! The wrapper kustomization kubeward renders a Kustomize folder through: it asks for
//! `buildMetadata: [originAnnotations, transformerAnnotations]`, so every rendered object names
//! the file it came from and the kustomizations whose patches changed it. This module depends on
//! nothing else in the crate: the loader ([`crate::input`]) uses it to render, and
//! [`crate::kustomize_origin`] reads the annotations back to move findings.

use std::path::{Component, Path, PathBuf};

/// The annotation naming the file an object came from.
pub const ORIGIN: &str = "config.kubernetes.io/origin";
/// The annotation listing the transformers (and their kustomizations) that changed it.
pub const TRANSFORMATIONS: &str = "alpha.config.kubernetes.io/transformations";

/// The wrapper kustomization's text for rendering `target` from `wrapper_dir`.
pub fn wrapper_kustomization(wrapper_dir: &Path, target: &Path) -> Option<String> {
    let rel = relative_path(wrapper_dir, target)?;
    let rel = rel.to_str()?;
    // Quoted as a YAML double-quoted scalar: a folder name may hold any character.
    let quoted = serde_json::to_string(rel).ok()?;
    Some(format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- {quoted}\n\
         buildMetadata: [originAnnotations, transformerAnnotations]\n"
    ))
}

/// The path from folder `from` to `to` (both absolute), through `..` where needed.
fn relative_path(from: &Path, to: &Path) -> Option<PathBuf> {
    if !from.is_absolute() || !to.is_absolute() {
        return None;
    }
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    Some(out)
}

/// `path` made absolute against `base` and cleaned of `.` and `..` (without touching the disk).
pub(crate) fn absolute(base: &Path, path: &str) -> PathBuf {
    let joined = base.join(path);
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Rewrites the paths in the origin and transformation annotations of rendered output (they are
/// relative to the wrapper folder, which is deleted after rendering) into absolute paths. The
/// line count does not change.
pub fn absolutize_annotation_paths(text: &str, wrapper_dir: &Path) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    let mut in_block = false;
    let mut block_indent = 0usize;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start().len();
        let t = body.trim_start();
        if in_block && !t.is_empty() && indent <= block_indent {
            in_block = false;
        }
        if t.starts_with(ORIGIN) || t.starts_with(TRANSFORMATIONS) {
            in_block = true;
            block_indent = indent;
            out.push_str(line);
            continue;
        }
        if in_block {
            let trimmed = t.trim_start_matches("- ");
            for key in ["path: ", "configuredIn: "] {
                if let Some(p) = trimmed.strip_prefix(key) {
                    let abs = absolute(wrapper_dir, p.trim());
                    let prefix = &body[..body.len() - p.len()];
                    out.push_str(prefix);
                    out.push_str(&abs.to_string_lossy());
                    out.push_str(&line[body.len()..]);
                    break;
                }
            }
            if !(trimmed.starts_with("path: ") || trimmed.starts_with("configuredIn: ")) {
                out.push_str(line);
            }
            continue;
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_between_absolute_folders() {
        let r = |a: &str, b: &str| {
            relative_path(Path::new(a), Path::new(b))
                .unwrap()
                .display()
                .to_string()
        };
        assert_eq!(
            r("/tmp/w1", "/work/repo/overlay"),
            "../../work/repo/overlay"
        );
        assert_eq!(r("/work/a", "/work/a/b"), "b");
        assert_eq!(r("/work/a", "/work/a"), ".");
        assert!(relative_path(Path::new("rel"), Path::new("/x")).is_none());
    }

    #[test]
    fn annotation_paths_become_absolute_without_moving_lines() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    alpha.config.kubernetes.io/transformations: |\n      - configuredIn: ../../repo/overlay/kustomization.yaml\n        configuredBy:\n          apiVersion: builtin\n    config.kubernetes.io/origin: |\n      path: ../../repo/base/cm.yaml\n  name: x\ndata:\n  path: keep/this\n";
        let out = absolutize_annotation_paths(text, Path::new("/tmp/w/x"));
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(
            out.contains("- configuredIn: /tmp/repo/overlay/kustomization.yaml\n"),
            "{out}"
        );
        assert!(
            out.contains("      path: /tmp/repo/base/cm.yaml\n"),
            "{out}"
        );
        // Outside the annotations nothing changes.
        assert!(out.contains("  path: keep/this\n"), "{out}");
    }
}
