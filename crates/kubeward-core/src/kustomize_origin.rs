//! Findings on Kustomize output pointed back at the files a user edits.
//!
//! kubeward renders a Kustomize folder through a wrapper kustomization that asks for
//! `buildMetadata: [originAnnotations, transformerAnnotations]`: every rendered object then names
//! the file it came from (`config.kubernetes.io/origin`) and the kustomizations whose patches
//! changed it (`alpha.config.kubernetes.io/transformations`). [`remap`] moves each finding on a
//! rendered object to the same JSON pointer in the origin file when the field is written there,
//! else in a patch file of those kustomizations that writes it; where neither does, the finding
//! keeps its place in the rendered output (whose text is kept, so the line can be shown).

use crate::input::{LoadOptions, load_text};
use crate::inventory::{Inventory, Object, SourceKind};
use crate::report::{LocationOut, Report};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

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
fn absolute(base: &Path, path: &str) -> PathBuf {
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

/// A file read and parsed once per remap.
struct Parsed {
    inventory: Inventory,
}

struct Files {
    cache: HashMap<PathBuf, Option<Parsed>>,
}

impl Files {
    fn get(&mut self, path: &Path) -> Option<&Inventory> {
        self.cache
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                // Source files of a kustomization are small; a large one is not worth reading
                // twice for a location.
                let meta = std::fs::metadata(path).ok()?;
                if !meta.is_file() || meta.len() > 16 << 20 {
                    return None;
                }
                let text = std::fs::read_to_string(path).ok()?;
                let opts = LoadOptions {
                    kustomize: false,
                    ..LoadOptions::default()
                };
                let loaded = load_text(&path.display().to_string(), &text, &opts);
                Some(Parsed {
                    inventory: loaded.inventory,
                })
            })
            .as_ref()
            .map(|p| &p.inventory)
    }
}

/// The object of `inv` that `rendered` was made from: same kind and API group, and a name that
/// the rendered name contains (Kustomize adds prefixes and suffixes); the exact name first.
fn counterpart<'a>(inv: &'a Inventory, rendered: &Object) -> Option<&'a Object> {
    let same_kind = |o: &&Object| o.kind == rendered.kind && o.group() == rendered.group();
    let objs = inv.objects();
    objs.iter()
        .filter(same_kind)
        .find(|o| o.name == rendered.name)
        .or_else(|| {
            let mut candidates = objs
                .iter()
                .filter(same_kind)
                .filter(|o| !o.name.is_empty() && rendered.name.contains(o.name.as_str()));
            let first = candidates.next()?;
            // Two candidates (`web` and `web-api` for `prod-web-api`): the longest name.
            Some(candidates.fold(first, |best, o| {
                if o.name.len() > best.name.len() {
                    o
                } else {
                    best
                }
            }))
        })
}

/// Where `pointer` is written in `o`, when it is (or, for a pointer to a missing field, when
/// the rendered object misses it too).
fn written_at(
    o: &Object,
    pointer: &str,
    rendered_complete: bool,
    file: &Path,
) -> Option<LocationOut> {
    let l = o.root.locate(pointer);
    if l.complete != rendered_complete {
        return None;
    }
    let span = o.span_of(pointer);
    if span.is_none() {
        return None;
    }
    Some(LocationOut {
        file: Some(Arc::from(display(file).as_str())),
        line: Some(span.line),
        column: Some(span.col),
        pointer: pointer.to_string(),
        origin: "file",
    })
}

/// A path as reports show files: relative to the current folder when below it.
fn display(p: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
        .display()
        .to_string()
}

/// The patch files the kustomizations in `kustomizations` apply (`patches[].path`,
/// `patchesStrategicMerge`), absolute.
fn patch_files(files: &mut Files, kustomizations: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let _ = files;
    for k in kustomizations {
        let Some(dir) = k.parent() else { continue };
        // A kustomization need not carry apiVersion and kind: read it as plain YAML.
        let Some(text) = std::fs::metadata(k)
            .ok()
            .filter(|m| m.is_file() && m.len() <= 16 << 20)
            .and_then(|_| std::fs::read_to_string(k).ok())
        else {
            continue;
        };
        let docs = crate::yaml::load_stream(&text, &crate::yaml::Limits::default());
        for root in docs.into_iter().filter_map(|d| d.result.ok().flatten()) {
            let root = &root;
            for item in root.get("patches").map(|n| n.items()).unwrap_or(&[]) {
                if let Some(p) = item.str_at("path") {
                    out.push(absolute(dir, p));
                }
            }
            for item in root
                .get("patchesStrategicMerge")
                .map(|n| n.items())
                .unwrap_or(&[])
            {
                if let Some(p) = item.as_str().filter(|p| !p.contains('\n')) {
                    out.push(absolute(dir, p));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Values of `key: VALUE` lines in an annotation's text.
fn annotation_values(o: &Object, annotation: &str, key: &str) -> Vec<String> {
    let Some(text) = o
        .root
        .path(&["metadata", "annotations", annotation])
        .and_then(|n| n.as_str())
    else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            l.trim()
                .trim_start_matches("- ")
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| v.trim().to_string())
        })
        .filter(|v| !v.is_empty())
        .collect()
}

/// (rendered file, kind, namespace, name, pointer).
type PlaceKey = (String, String, Option<String>, String, String);

/// Moves findings (and their related locations) on Kustomize output to the files the objects
/// and the patched fields are written in.
pub fn remap(report: &mut Report, inventory: &Inventory) {
    if !report
        .findings
        .iter()
        .any(|f| f.location.as_ref().is_some_and(|l| l.origin == "kustomize"))
    {
        return;
    }
    let mut files = Files {
        cache: HashMap::new(),
    };
    let mut moved: HashMap<PlaceKey, Option<LocationOut>> = HashMap::new();
    let mut place = |loc: &LocationOut,
                     kind: &str,
                     namespace: Option<&str>,
                     name: &str,
                     files: &mut Files|
     -> Option<LocationOut> {
        let file = loc.file.as_deref()?;
        let key = (
            file.to_string(),
            kind.to_string(),
            namespace.map(str::to_string),
            name.to_string(),
            loc.pointer.clone(),
        );
        if let Some(done) = moved.get(&key) {
            return done.clone();
        }
        let found = (|| {
            let o = inventory
                .find(kind, namespace, name)
                .filter(|o| {
                    let s = inventory.source(o.source);
                    s.kind == SourceKind::Kustomize && s.name == file
                })
                .last()?;
            let complete = o.root.locate(&loc.pointer).complete;
            let origin = annotation_values(o, ORIGIN, "path").into_iter().next();
            if let Some(origin) = origin.map(PathBuf::from) {
                if let Some(at) = files
                    .get(&origin)
                    .and_then(|inv| counterpart(inv, o))
                    .and_then(|b| written_at(b, &loc.pointer, complete, &origin))
                {
                    return Some(at);
                }
            }
            let kustomizations: Vec<PathBuf> =
                annotation_values(o, TRANSFORMATIONS, "configuredIn")
                    .into_iter()
                    .map(PathBuf::from)
                    .collect();
            // The last patch that writes the field wins, as Kustomize applies them in order.
            for patch in patch_files(files, &kustomizations).into_iter().rev() {
                if let Some(at) = files
                    .get(&patch)
                    .and_then(|inv| counterpart(inv, o))
                    .and_then(|p| written_at(p, &loc.pointer, true, &patch))
                {
                    return Some(at);
                }
            }
            None
        })();
        moved.insert(key, found.clone());
        found
    };
    for f in &mut report.findings {
        let Some(res) = f.resource.clone() else {
            continue;
        };
        if let Some(loc) = &f.location {
            if loc.origin == "kustomize" {
                if let Some(at) = place(
                    loc,
                    &res.kind,
                    res.namespace.as_deref(),
                    &res.name,
                    &mut files,
                ) {
                    f.location = Some(at);
                }
            }
        }
        for r in &mut f.related {
            if r.location.origin == "kustomize" {
                let (kind, ns, name) = (
                    r.resource.kind.clone(),
                    r.resource.namespace.clone(),
                    r.resource.name.clone(),
                );
                if let Some(at) = place(&r.location, &kind, ns.as_deref(), &name, &mut files) {
                    r.location = at;
                }
            }
        }
    }
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
