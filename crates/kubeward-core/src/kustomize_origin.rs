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
use crate::kustomize::absolute;
pub use crate::kustomize::{ORIGIN, TRANSFORMATIONS};
use crate::report::{LocationOut, Report};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
