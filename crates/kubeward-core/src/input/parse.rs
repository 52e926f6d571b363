//! Text to objects: documents parsed as YAML or JSON, `List`s and typed lists unwrapped into
//! their items (with pointers), names and namespaces checked, and every problem located.

use super::{Diagnostic, Level, LoadOptions, Skipped};
use crate::inventory::{NewObject, Source, SourceId, SourceKind};
use crate::tree::{Node, Value};
use crate::yaml::{self, Document, Duplicate};
use compact_str::CompactString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Component configuration files (`KubeletConfiguration`, `EncryptionConfiguration`, an audit
/// `Policy`, ...) have no `metadata`: like kubeconfigs, they are named after their file.
pub fn is_component_config(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    group.ends_with(".config.k8s.io") || matches!(group, "audit.k8s.io" | "apiserver.k8s.io")
}

/// A unit read and parsed, before it gets ids.
pub(super) struct ParsedUnit {
    pub(super) source: Option<Source>,
    pub(super) objects: Vec<NewObject>,
    /// Per object (index into `objects`): its duplicates.
    pub(super) duplicates: Vec<(usize, Duplicate)>,
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) skipped: Vec<Skipped>,
    pub(super) bytes: u64,
    pub(super) documents: usize,
}

impl ParsedUnit {
    pub(super) fn failed(file: String, message: String) -> ParsedUnit {
        ParsedUnit {
            source: None,
            objects: Vec::new(),
            duplicates: Vec::new(),
            diagnostics: vec![Diagnostic {
                file,
                line: 0,
                column: 0,
                level: Level::Error,
                message,
            }],
            skipped: Vec::new(),
            bytes: 0,
            documents: 0,
        }
    }
}

pub(super) fn parse_text(
    name: &str,
    path: Option<PathBuf>,
    kind: SourceKind,
    text: String,
    is_json: bool,
    explicit: bool,
    opts: &LoadOptions,
) -> ParsedUnit {
    let docs = if is_json {
        crate::json::load_stream(&text, &opts.limits)
    } else {
        yaml::load_stream(&text, &opts.limits)
    };
    if is_json && !explicit && docs.iter().any(|d| d.result.is_err()) && !names_an_object(&text) {
        // A `.json` file found by walking a folder that is not JSON (`tsconfig.json` with
        // comments) and names no `apiVersion` and `kind`: not a manifest, skipped and counted
        // like a YAML file that is not one. Named on the command line, it is still an error.
        let e = docs.iter().find_map(|d| d.result.as_ref().err());
        let (line, why) = e.map_or((0, String::new()), |e| (e.line, e.message.clone()));
        return ParsedUnit {
            source: None,
            objects: Vec::new(),
            duplicates: Vec::new(),
            diagnostics: Vec::new(),
            skipped: vec![Skipped {
                file: name.to_string(),
                line,
                reason: format!(
                    "not valid JSON ({why}) and names no `apiVersion` and `kind`: not a \
                     Kubernetes object"
                ),
            }],
            bytes: text.len() as u64,
            documents: 0,
        };
    }
    let mut unit = ParsedUnit {
        source: None,
        objects: Vec::new(),
        duplicates: Vec::new(),
        diagnostics: Vec::new(),
        skipped: Vec::new(),
        bytes: text.len() as u64,
        documents: 0,
    };
    let mut ctx = Extract {
        file: name,
        explicit,
        unit: &mut unit,
    };
    let mut non_empty = 0usize;
    for doc in docs {
        ctx.document(doc, &mut non_empty);
    }
    if non_empty == 0 && unit.diagnostics.is_empty() {
        unit.diagnostics.push(Diagnostic {
            file: name.to_string(),
            line: 0,
            column: 0,
            level: Level::Warning,
            message: "no documents: the file is empty or holds only comments".into(),
        });
    }
    // A file on disk is read again if a renderer needs its lines; holding every text for
    // the whole scan would cost as much memory as the input.
    let keep = !(kind == SourceKind::File && path.is_some());
    let text = if keep {
        Some(Arc::from(text))
    } else {
        drop(text);
        None
    };
    unit.source = Some(Source {
        name: name.to_string(),
        path,
        kind,
        text,
    });
    unit
}

/// Whether `text` mentions both `"apiVersion"` and `"kind"` as JSON keys would.
fn names_an_object(text: &str) -> bool {
    text.contains("\"apiVersion\"") && text.contains("\"kind\"")
}

struct Extract<'a> {
    file: &'a str,
    explicit: bool,
    unit: &'a mut ParsedUnit,
}

impl Extract<'_> {
    fn diag(&mut self, line: u32, column: u32, level: Level, message: impl Into<String>) {
        self.unit.diagnostics.push(Diagnostic {
            file: self.file.to_string(),
            line,
            column,
            level,
            message: message.into(),
        });
    }

    fn document(&mut self, doc: Document, non_empty: &mut usize) {
        let root = match doc.result {
            Err(e) => {
                *non_empty += 1;
                self.unit.documents += 1;
                self.diag(
                    e.line,
                    e.col,
                    Level::Error,
                    format!(
                        "invalid YAML/JSON (document {}): {}",
                        doc.index + 1,
                        e.message
                    ),
                );
                return;
            }
            Ok(None) => return,
            Ok(Some(root)) => root,
        };
        *non_empty += 1;
        self.unit.documents += 1;
        let first_object = self.unit.objects.len();
        self.object(
            root,
            doc.index as u32,
            String::new(),
            doc.start_line,
            true,
            None,
        );
        // Attach duplicate keys to the object they were found in.
        for d in doc.duplicates {
            let target = (first_object..self.unit.objects.len()).rev().find(|&i| {
                let base = &self.unit.objects[i].base_pointer;
                d.pointer.starts_with(base.as_str())
                    && (base.is_empty() || d.pointer[base.len()..].starts_with('/'))
            });
            match target {
                Some(i) => {
                    let base_len = self.unit.objects[i].base_pointer.len();
                    let mut d = d;
                    d.pointer = d.pointer[base_len..].to_string();
                    self.unit.duplicates.push((i, d));
                }
                None => self.diag(
                    d.kept.line,
                    d.kept.col,
                    Level::Warning,
                    format!(
                        "duplicate key `{}` (first at line {}); the last value is used",
                        d.key, d.first.line
                    ),
                ),
            }
        }
    }

    /// `inherited`: the `apiVersion` and item kind of the typed list (`PodList` → `Pod`) this
    /// object is an item of; the API server leaves them out of list items (`kubectl get --raw`,
    /// `curl`).
    fn object(
        &mut self,
        root: Node,
        doc: u32,
        base: String,
        start_line: u32,
        top: bool,
        inherited: Option<(&CompactString, &str)>,
    ) {
        let (line, col) = if root.span.is_none() {
            (start_line, 1)
        } else {
            (root.span.line, root.span.col)
        };
        if root.as_map().is_none() {
            let what = root.type_name();
            if self.explicit || !top {
                self.diag(
                    line,
                    col,
                    Level::Error,
                    format!("expected a Kubernetes object (a mapping), found a {what}"),
                );
            } else {
                self.unit.skipped.push(Skipped {
                    file: self.file.to_string(),
                    line,
                    reason: format!("document is a {what}, not a Kubernetes object"),
                });
            }
            return;
        }
        let api_version = root.get("apiVersion");
        let kind = root.get("kind");
        let (api_version, kind) = match (api_version, kind, inherited) {
            (None, None, Some((a, k))) => (a.clone(), CompactString::from(k)),
            (Some(a), None, Some((_, k))) if a.as_str().is_some_and(|a| !a.is_empty()) => (
                CompactString::from(a.as_str().unwrap_or_default()),
                CompactString::from(k),
            ),
            (None, Some(k), Some((a, _))) if k.as_str().is_some_and(|k| !k.is_empty()) => (
                a.clone(),
                CompactString::from(k.as_str().unwrap_or_default()),
            ),
            (None, None, None) => {
                if self.explicit || !top {
                    self.diag(
                        line,
                        col,
                        Level::Error,
                        "not a Kubernetes object: `apiVersion` and `kind` are missing",
                    );
                } else {
                    self.unit.skipped.push(Skipped {
                        file: self.file.to_string(),
                        line,
                        reason: "no `apiVersion` and `kind`: not a Kubernetes object".into(),
                    });
                }
                return;
            }
            (Some(a), Some(k), _) => match (a.as_str(), k.as_str()) {
                (Some(a), Some(k)) if !a.is_empty() && !k.is_empty() => {
                    (CompactString::from(a), CompactString::from(k))
                }
                _ => {
                    let bad = if a.as_str().is_none_or(str::is_empty) {
                        a
                    } else {
                        k
                    };
                    self.diag(
                        bad.span.line.max(line),
                        bad.span.col.max(1),
                        Level::Error,
                        format!(
                            "`{}` must be a non-empty string, found {}",
                            if std::ptr::eq(bad, a) {
                                "apiVersion"
                            } else {
                                "kind"
                            },
                            bad
                        ),
                    );
                    return;
                }
            },
            (a, _, _) => {
                let missing = if a.is_none() { "apiVersion" } else { "kind" };
                self.diag(
                    line,
                    col,
                    Level::Error,
                    format!("`{missing}` is missing, so the API server would refuse this object"),
                );
                return;
            }
        };
        if kind.ends_with("List") && root.get("items").is_some() {
            let Node {
                value: Value::Map(map),
                ..
            } = root
            else {
                return;
            };
            let mut items = None;
            for (k, v) in map.into_entries() {
                if k.name == "items" {
                    items = Some(v);
                }
            }
            // A typed list (`PodList`, `DeploymentList`) names the kind of its items; a plain
            // `List` does not, so its items must name theirs.
            let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
            let inherit = item_kind.map(|k| (&api_version, k));
            match items.map(|n| n.value) {
                Some(Value::Seq(items)) => {
                    for (i, item) in items.into_iter().enumerate() {
                        self.object(item, doc, format!("{base}/items/{i}"), line, false, inherit);
                    }
                }
                _ => self.diag(
                    line,
                    col,
                    Level::Error,
                    format!("`items` of a {kind} must be a list"),
                ),
            }
            return;
        }
        let meta = root.get("metadata");
        let scalar_text = |n: &Node| -> Option<String> {
            match &n.value {
                Value::Str(s) => Some(s.to_string()),
                Value::Map(_) | Value::Seq(_) | Value::Null => None,
                _ => Some(n.to_string()),
            }
        };
        let name = match meta.and_then(|m| m.get("name")) {
            Some(n) => match &n.value {
                Value::Str(s) if !s.is_empty() => s.clone(),
                _ => {
                    self.diag(
                        n.span.line,
                        n.span.col,
                        Level::Error,
                        format!("`metadata.name` must be a string, found {n}"),
                    );
                    scalar_text(n).unwrap_or_else(|| "(unnamed)".into()).into()
                }
            },
            None => {
                match meta.and_then(|m| m.str_at("generateName")) {
                    Some(g) => CompactString::from(format!("{g}*")),
                    None if kind == "Config"
                        || is_component_config(&api_version)
                        || crate::inventory::is_host_config_kind(
                            api_version.rsplit_once('/').map_or("", |(g, _)| g),
                            &kind,
                        ) =>
                    {
                        CompactString::from(
                            Path::new(self.file)
                                .file_name()
                                .and_then(|f| f.to_str())
                                .unwrap_or(self.file),
                        )
                    }
                    None => {
                        self.diag(
                        line,
                        col,
                        Level::Error,
                        format!("{kind} has no `metadata.name`; it is still checked as \"(unnamed)\""),
                    );
                        "(unnamed)".into()
                    }
                }
            }
        };
        let namespace = match meta.and_then(|m| m.get("namespace")) {
            Some(n) => match &n.value {
                Value::Str(s) => Some(s.clone()),
                _ => {
                    self.diag(
                        n.span.line,
                        n.span.col,
                        Level::Error,
                        format!("`metadata.namespace` must be a string, found {n}"),
                    );
                    scalar_text(n).map(CompactString::from)
                }
            },
            None => None,
        };
        if let Some(spec_ptr) = crate::podspec::spec_pointer(&kind) {
            let spec = root.locate(spec_ptr);
            if !spec.complete || spec.node.as_map().is_none() {
                self.diag(
                    line,
                    col,
                    Level::Error,
                    format!(
                        "{kind} {name} has no pod spec at {spec_ptr}, so its containers cannot be checked"
                    ),
                );
            }
        }
        self.push(doc, base, api_version, kind, name, namespace, root);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        doc: u32,
        base_pointer: String,
        api_version: CompactString,
        kind: CompactString,
        name: CompactString,
        namespace: Option<CompactString>,
        root: Node,
    ) {
        self.unit.objects.push(NewObject {
            source: SourceId(u32::MAX),
            doc,
            base_pointer,
            api_version,
            kind,
            name,
            namespace,
            root,
        });
    }
}
