//! Reading manifests: files, folders, stdin and Kustomize folders, into an [`Inventory`].
//!
//! Folders are walked recursively, honouring the tree's `.gitignore`, `.ignore` and
//! `.git/info/exclude` (not a personal global excludes file), taking `.yaml`, `.yml` and `.json`
//! files. A folder holding a `kustomization.yaml` is rendered with
//! `kubectl kustomize` instead of being read file by file; a Helm chart folder (`Chart.yaml`)
//! is skipped with a notice (render it with `helm template ... | kubeward scan -`). Files are read
//! and parsed in parallel. Nothing is dropped silently: a document that cannot be read is an
//! error with file, line and column, and a document found by walking a folder that is not a
//! Kubernetes object (no `apiVersion` and `kind`, such as a CI workflow) is counted as skipped.
//!
//! One module per idea: [`files`] (the walk and reading files), [`stdin`], [`kustomize`]
//! (offline check and rendering), [`parse`] (documents to objects, lists unwrapped) and
//! [`diagnostics`] (what loading reports besides objects). [`source`] wraps these loaders as
//! [`Source`](source::Source)s, the one way every input reaches a scan.

mod diagnostics;
mod files;
mod kustomize;
mod parse;
pub mod source;

mod stdin;
#[cfg(test)]
mod tests;

pub use diagnostics::{Diagnostic, Level, LoadStats, Loaded, Skipped};
pub use parse::is_component_config;

use crate::inventory::ObjectId;
use crate::yaml::Limits;
use parse::ParsedUnit;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// What to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputArg {
    Path(PathBuf),
    Stdin,
}

impl InputArg {
    pub fn parse(s: &str) -> InputArg {
        if s == "-" {
            InputArg::Stdin
        } else {
            InputArg::Path(PathBuf::from(s))
        }
    }
}

#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Namespace for namespaced objects that do not name one.
    pub default_namespace: String,
    pub limits: Limits,
    /// Files larger than this are refused.
    pub max_file_size: u64,
    /// Render Kustomize folders (else read their files as plain manifests).
    pub kustomize: bool,
    /// The kubectl binary used for Kustomize.
    pub kubectl: PathBuf,
    /// Let Kustomize fetch remote resources (URLs, git repositories) a kustomization names.
    /// Off by default: a scan is offline unless asked otherwise.
    pub allow_remote_kustomize: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            default_namespace: "default".into(),
            limits: Limits::default(),
            max_file_size: 256 * 1024 * 1024,
            kustomize: true,
            kubectl: std::env::var_os("KUBEWARD_KUBECTL")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("kubectl")),
            allow_remote_kustomize: false,
        }
    }
}

/// One thing to read.
#[derive(Clone, Debug)]
enum Unit {
    File { path: PathBuf, explicit: bool },
    Stdin,
    Kustomize(PathBuf),
}

/// Loads everything named by `args`.
pub fn load(args: &[InputArg], opts: &LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    load_into(args, opts, &mut loaded);
    loaded
}

/// Loads everything named by `args` into `loaded`, after what it holds already.
pub fn load_into(args: &[InputArg], opts: &LoadOptions, loaded: &mut Loaded) {
    let t = std::time::Instant::now();
    let units = plan(args, opts, loaded);
    crate::timing("walk", t);
    load_units(&units, opts, loaded);
}

/// Reads, parses and adds `units` to `loaded`: in parallel unless they are a few small files.
fn load_units(units: &[Unit], opts: &LoadOptions, loaded: &mut Loaded) {
    let t = std::time::Instant::now();
    let parsed: Vec<ParsedUnit> = if small_files(units) {
        units.iter().map(|u| read_unit(u, opts)).collect()
    } else {
        units.par_iter().map(|u| read_unit(u, opts)).collect()
    };
    crate::timing("parse", t);
    let t = std::time::Instant::now();
    assemble(parsed, opts, loaded);
    crate::timing("inventory", t);
}

/// Renders the Kustomize root `dir` (whether or not a walk would find a kustomization in it)
/// and adds its objects to `loaded`.
pub fn load_kustomize_into(dir: &Path, opts: &LoadOptions, loaded: &mut Loaded) {
    load_units(&[Unit::Kustomize(dir.to_path_buf())], opts, loaded);
}

/// Up to this many bytes of files, [`load`] parses them on the calling thread, and `scan`
/// checks them there: waking worker threads costs more than it saves on a handful of files
/// (about half a millisecond on a two-core VM, for an example of a dozen manifests).
pub const SMALL_INPUT_BYTES: u64 = 64 * 1024;

/// Whether loaded inputs are small enough to check on the calling thread: at most
/// [`SMALL_INPUT_BYTES`] of text and 256 objects in all (cluster objects have no text, so the
/// object count decides for them).
pub fn is_small(loads: &[Loaded]) -> bool {
    let objects: usize = loads.iter().map(|l| l.inventory.len()).sum();
    let bytes: u64 = loads.iter().map(|l| l.stats.bytes).sum();
    objects <= 256 && bytes <= SMALL_INPUT_BYTES
}

/// Whether `units` are a few files of at most [`SMALL_INPUT_BYTES`] in all. Standard input and
/// Kustomize output have no size beforehand: not small.
fn small_files(units: &[Unit]) -> bool {
    if units.len() > 64 {
        return false;
    }
    let mut total = 0u64;
    for u in units {
        match u {
            // An unreadable file is reported when it is read.
            Unit::File { path, .. } => total += std::fs::metadata(path).map_or(0, |m| m.len()),
            Unit::Stdin | Unit::Kustomize(_) => return false,
        }
    }
    total <= SMALL_INPUT_BYTES
}

/// Loads objects from an in-memory text, as if read from a file named `name`.
pub fn load_text(name: &str, text: &str, opts: &LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    load_text_into(name, text, opts, &mut loaded);
    loaded
}

/// Adds the objects of an in-memory text, as if read from a file named `name`, to `loaded`.
pub fn load_text_into(name: &str, text: &str, opts: &LoadOptions, loaded: &mut Loaded) {
    let is_json = name.ends_with(".json");
    let parsed = parse::parse_text(
        name,
        None,
        crate::inventory::SourceKind::File,
        text.to_string(),
        is_json,
        true,
        opts,
    );
    assemble(vec![parsed], opts, loaded);
}

fn plan(args: &[InputArg], opts: &LoadOptions, loaded: &mut Loaded) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut stdin_seen = false;
    for arg in args {
        match arg {
            InputArg::Stdin => {
                if !stdin_seen {
                    units.push(Unit::Stdin);
                    stdin_seen = true;
                }
            }
            InputArg::Path(p) => {
                let meta = match std::fs::metadata(p) {
                    Ok(m) => m,
                    Err(e) => {
                        loaded.diagnostics.push(Diagnostic {
                            file: p.display().to_string(),
                            line: 0,
                            column: 0,
                            level: Level::Error,
                            message: format!("cannot read: {e}"),
                        });
                        continue;
                    }
                };
                if meta.is_dir() {
                    if opts.kustomize && kustomize::kustomization_in(p) {
                        units.push(Unit::Kustomize(p.clone()));
                    } else if p.join("Chart.yaml").is_file() {
                        loaded.diagnostics.push(Diagnostic {
                            file: p.display().to_string(),
                            line: 0,
                            column: 0,
                            level: Level::Error,
                            message: format!(
                                "this is a Helm chart, which holds templates rather than manifests: \
                                 render it with `helm template {} | kubeward scan -`",
                                p.display()
                            ),
                        });
                    } else {
                        files::walk(p, opts, &mut units, loaded);
                    }
                } else {
                    units.push(Unit::File {
                        path: p.clone(),
                        explicit: true,
                    });
                }
            }
        }
    }
    units
}

fn read_unit(unit: &Unit, opts: &LoadOptions) -> ParsedUnit {
    match unit {
        Unit::File { path, explicit } => files::read_file(path, *explicit, opts),
        Unit::Stdin => stdin::read_stdin(opts),
        Unit::Kustomize(dir) => kustomize::read_kustomize(dir, opts),
    }
}

fn assemble(parsed: Vec<ParsedUnit>, opts: &LoadOptions, loaded: &mut Loaded) {
    let mut all = Vec::new();
    let mut dups = Vec::new();
    for mut u in parsed {
        loaded.stats.bytes += u.bytes;
        loaded.stats.documents += u.documents;
        loaded.diagnostics.append(&mut u.diagnostics);
        loaded.skipped.append(&mut u.skipped);
        let Some(source) = u.source else { continue };
        loaded.stats.files += 1;
        let sid = loaded.inventory.add_source(source);
        let offset = all.len();
        for mut o in u.objects {
            o.source = sid;
            all.push(o);
        }
        dups.extend(u.duplicates.into_iter().map(|(i, d)| (offset + i, d)));
    }
    let base = loaded.inventory.len();
    loaded.inventory.add_objects(all, &opts.default_namespace);
    loaded.duplicates.extend(
        dups.into_iter()
            .map(|(i, d)| (ObjectId((base + i) as u32), d)),
    );
}
