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

use crate::inventory::{Inventory, NewObject, Source, SourceId, SourceKind};
use crate::tree::{Node, Value};
use crate::yaml::{self, Document, Duplicate, Limits};
use compact_str::CompactString;
use rayon::prelude::*;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How serious an input problem is. Errors make the scan exit with code 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// An input problem, located where possible (line 0: the whole file).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub level: Level,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lvl = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        if self.line > 0 {
            write!(
                f,
                "{lvl}: {}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            write!(f, "{lvl}: {}: {}", self.file, self.message)
        }
    }
}

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

/// A document that was read but is not a Kubernetes object.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Skipped {
    pub file: String,
    pub line: u32,
    pub reason: String,
}

/// Counters for the summary and the benchmarks.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LoadStats {
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
}

/// The result of loading.
#[derive(Debug, Default)]
pub struct Loaded {
    pub inventory: Inventory,
    pub diagnostics: Vec<Diagnostic>,
    /// Duplicate keys, attached to the object they are in (pointer relative to the object).
    pub duplicates: Vec<(crate::inventory::ObjectId, Duplicate)>,
    pub skipped: Vec<Skipped>,
    pub stats: LoadStats,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }
}

/// One thing to read.
#[derive(Clone, Debug)]
enum Unit {
    File { path: PathBuf, explicit: bool },
    Stdin,
    Kustomize(PathBuf),
}

const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

fn kustomization_in(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
}

/// kubeward's own settings file, which sits beside the manifests it configures: not one of them.
fn is_own_config(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == ".kubeward.yaml" || n == ".kubeward.yml")
}

fn is_manifest_ext(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// A kubeconfig found by its content: kubeconfigs are usually called `config`, `admin.conf` or
/// `*.kubeconfig`, not `*.yaml`. Only files without an extension or with a configuration-file
/// extension, and at most 1 MiB, are opened; the first 8 KiB must hold `kind: Config` and a
/// `clusters:`, `users:` or `contexts:` key at the start of a line.
fn is_kubeconfig_file(p: &Path) -> bool {
    const MAX_SIZE: u64 = 1024 * 1024;
    const SNIFF: usize = 8 * 1024;
    let candidate = match p.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(e) => matches!(e, "conf" | "config" | "kubeconfig" | "cfg"),
    };
    if !candidate {
        return false;
    }
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    if !meta.is_file() || meta.len() > MAX_SIZE || meta.len() == 0 {
        return false;
    }
    let Ok(mut f) = std::fs::File::open(p) else {
        return false;
    };
    let mut buf = vec![0u8; SNIFF];
    let n = std::io::Read::read(&mut f, &mut buf).unwrap_or(0);
    let Ok(text) = std::str::from_utf8(&buf[..n]) else {
        return false;
    };
    let lines = || text.lines().map(str::trim_end);
    lines().any(|l| {
        l.strip_prefix("kind:")
            .is_some_and(|k| k.trim().trim_matches(['"', '\'']) == "Config")
    }) && lines().any(|l| {
        ["clusters:", "users:", "contexts:"]
            .iter()
            .any(|k| l.starts_with(k))
    })
}

/// Component configuration files (`KubeletConfiguration`, `EncryptionConfiguration`, an audit
/// `Policy`, ...) have no `metadata`: like kubeconfigs, they are named after their file.
pub fn is_component_config(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    group.ends_with(".config.k8s.io") || matches!(group, "audit.k8s.io" | "apiserver.k8s.io")
}

/// Loads everything named by `args`.
pub fn load(args: &[InputArg], opts: &LoadOptions) -> Loaded {
    let mut loaded = Loaded::default();
    let t = std::time::Instant::now();
    let units = plan(args, opts, &mut loaded);
    crate::timing("walk", t);
    let t = std::time::Instant::now();
    let parsed: Vec<ParsedUnit> = if small_files(&units) {
        units.iter().map(|u| read_unit(u, opts)).collect()
    } else {
        units.par_iter().map(|u| read_unit(u, opts)).collect()
    };
    crate::timing("parse", t);
    let t = std::time::Instant::now();
    assemble(parsed, opts, &mut loaded);
    crate::timing("inventory", t);
    loaded
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
    let is_json = name.ends_with(".json");
    let parsed = parse_text(
        name,
        None,
        SourceKind::File,
        text.to_string(),
        is_json,
        true,
        opts,
    );
    assemble(vec![parsed], opts, &mut loaded);
    loaded
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
                    if opts.kustomize && kustomization_in(p) {
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
                        walk(p, opts, &mut units, loaded);
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

/// Whether `dir` is inside a git work tree (a `.git` folder or file in it or a parent).
fn in_git_work_tree(dir: &Path) -> bool {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.ancestors().any(|d| d.join(".git").exists())
}

/// A walk of `root` the way `kubectl apply -R` sees it: symbolic links followed (a loop is
/// detected and skipped), hidden files and folders read (but not `.git` itself), and ignore
/// files (`.gitignore`, `.ignore`, `.git/info/exclude`) applied only inside a git work tree.
fn walker(
    root: &Path,
    ignores: bool,
    filter: impl Fn(&ignore::DirEntry) -> bool + Send + Sync + 'static,
) -> ignore::Walk {
    ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .follow_links(true)
        .git_ignore(ignores)
        .git_exclude(ignores)
        .ignore(ignores)
        .parents(ignores)
        .require_git(true)
        .git_global(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |e| {
            if e.depth() > 0 && e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir())
            {
                return false;
            }
            filter(e)
        })
        .build()
}

/// What the walk does with a path that is not a regular file (`None`: a folder, walked).
fn not_a_file(t: std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    if t.is_dir() {
        None
    } else {
        Some("not a regular file")
    }
}

fn walk(root: &Path, opts: &LoadOptions, units: &mut Vec<Unit>, loaded: &mut Loaded) {
    // Folders that are rendered (Kustomize) or skipped (Helm charts) instead of walked.
    let special: Arc<Mutex<Vec<(PathBuf, bool)>>> = Arc::default();
    let special_w = Arc::clone(&special);
    let kustomize = opts.kustomize;
    let mut files = Vec::new();
    // A repository's own ignore files apply; outside a git work tree there is no repository,
    // and kubectl deploys every file. A personal global excludes file (`core.excludesFile`)
    // never applies, so a scan skips the same files on a laptop as in CI.
    let ignores = in_git_work_tree(root);
    let skip = |loaded: &mut Loaded, file: String, reason: String| {
        loaded.skipped.push(Skipped {
            file,
            line: 0,
            reason,
        })
    };
    let entries = walker(root, ignores, move |e| {
        if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
            return true;
        }
        let p = e.path();
        let kind = if kustomize && kustomization_in(p) {
            Some(true)
        } else if p.join("Chart.yaml").is_file() {
            Some(false)
        } else {
            None
        };
        match kind {
            Some(k) => {
                special_w
                    .lock()
                    .expect("walk lock")
                    .push((p.to_path_buf(), k));
                false
            }
            None => true,
        }
    });
    for entry in entries {
        match entry {
            Ok(e) => {
                let Some(t) = e.file_type() else { continue };
                if t.is_file() {
                    if !is_own_config(e.path())
                        && (is_manifest_ext(e.path()) || is_kubeconfig_file(e.path()))
                    {
                        files.push(e.into_path());
                    }
                } else if is_manifest_ext(e.path()) {
                    if let Some(what) = not_a_file(t) {
                        let reason = format!("{what}, not a file: not read");
                        skip(loaded, e.path().display().to_string(), reason);
                    }
                }
            }
            Err(err) => {
                let (path, msg) = walk_error(&err);
                match path {
                    // A symbolic link loop, or a link to nothing: skipped and counted, as
                    // kubectl cannot deploy them either.
                    Some(p) if msg.is_some() => {
                        skip(loaded, p.display().to_string(), msg.unwrap_or_default())
                    }
                    _ => loaded.diagnostics.push(Diagnostic {
                        file: path.unwrap_or(root).display().to_string(),
                        line: 0,
                        column: 0,
                        level: Level::Error,
                        message: format!("cannot walk folder: {err}"),
                    }),
                }
            }
        }
    }
    files.sort();
    files.dedup();
    if ignores {
        // Count what the ignore files left out: every manifest a plain walk would find.
        let kept: std::collections::HashSet<&PathBuf> = files.iter().collect();
        let special = Arc::clone(&special);
        let all = walker(root, false, move |e| {
            e.depth() == 0
                || !e.file_type().is_some_and(|t| t.is_dir())
                || !special
                    .lock()
                    .expect("walk lock")
                    .iter()
                    .any(|(d, _)| e.path().starts_with(d))
        });
        let mut ignored: Vec<PathBuf> = all
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_some_and(|t| t.is_file())
                    && is_manifest_ext(e.path())
                    && !is_own_config(e.path())
            })
            .map(ignore::DirEntry::into_path)
            .filter(|p| !kept.contains(p))
            .collect();
        ignored.sort();
        ignored.dedup();
        for p in ignored {
            skip(
                loaded,
                p.display().to_string(),
                "matched by the repository's .gitignore, .ignore or .git/info/exclude".into(),
            );
        }
    }
    units.extend(files.into_iter().map(|path| Unit::File {
        path,
        explicit: false,
    }));
    let mut special = std::mem::take(&mut *special.lock().expect("walk lock"));
    special.sort();
    for (dir, is_kustomize) in special {
        if is_kustomize {
            units.push(Unit::Kustomize(dir));
        } else {
            loaded.skipped.push(Skipped {
                file: dir.display().to_string(),
                line: 0,
                reason: format!(
                    "Helm chart folder: render it with `helm template {} | kubeward scan -`",
                    dir.display()
                ),
            });
        }
    }
}

/// The path of a walk error, and, for the ones that are skipped rather than errors (a link
/// loop, a dangling link), why.
fn walk_error(err: &ignore::Error) -> (Option<&Path>, Option<String>) {
    match err {
        ignore::Error::WithPath { path, err } => {
            let (_, why) = walk_error(err);
            let dangling = err
                .io_error()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
                && path
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
            let why =
                why.or_else(|| dangling.then(|| "a symbolic link to nothing: not read".into()));
            (Some(path.as_path()), why)
        }
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        ignore::Error::Loop { child, ancestor } => (
            Some(child.as_path()),
            Some(format!(
                "a symbolic link loop (back to {}): not followed",
                ancestor.display()
            )),
        ),
        _ => (None, None),
    }
}

/// A unit read and parsed, before it gets ids.
struct ParsedUnit {
    source: Option<Source>,
    objects: Vec<NewObject>,
    /// Per object (index into `objects`): its duplicates.
    duplicates: Vec<(usize, Duplicate)>,
    diagnostics: Vec<Diagnostic>,
    skipped: Vec<Skipped>,
    bytes: u64,
    documents: usize,
}

impl ParsedUnit {
    fn failed(file: String, message: String) -> ParsedUnit {
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

fn read_unit(unit: &Unit, opts: &LoadOptions) -> ParsedUnit {
    match unit {
        Unit::File { path, explicit } => {
            let name = path.display().to_string();
            let bytes = match read_limited(path, opts.max_file_size) {
                Ok(b) => b,
                Err(m) => return ParsedUnit::failed(name, m),
            };
            let text = match into_text(bytes) {
                Ok(t) => t,
                Err(d) => return ParsedUnit::failed(name, d),
            };
            let is_json = path.extension().and_then(|e| e.to_str()) == Some("json");
            parse_text(
                &name,
                Some(path.clone()),
                SourceKind::File,
                text,
                is_json,
                *explicit,
                opts,
            )
        }
        Unit::Stdin => {
            let mut buf = Vec::new();
            let limit = opts.max_file_size;
            if let Err(e) = std::io::stdin().take(limit + 1).read_to_end(&mut buf) {
                return ParsedUnit::failed("-".into(), format!("cannot read standard input: {e}"));
            }
            if buf.len() as u64 > limit {
                return ParsedUnit::failed(
                    "-".into(),
                    format!(
                        "cannot read: standard input is larger than the {limit}-byte limit \
                         (--max-input-size)"
                    ),
                );
            }
            let text = match into_text(buf) {
                Ok(t) => t,
                Err(d) => return ParsedUnit::failed("-".into(), d),
            };
            let is_json = text.trim_start().starts_with('{');
            parse_text("-", None, SourceKind::Stdin, text, is_json, true, opts)
        }
        Unit::Kustomize(dir) => {
            let name = format!("{} (kustomize)", dir.display());
            let rendered = if opts.allow_remote_kustomize {
                Ok(())
            } else {
                local_only(dir, &mut Vec::new())
            };
            match rendered.and_then(|_| render_kustomize(dir, opts)) {
                Ok(text) => parse_text(
                    &name,
                    Some(dir.clone()),
                    SourceKind::Kustomize,
                    text,
                    false,
                    true,
                    opts,
                ),
                Err(m) => ParsedUnit::failed(dir.display().to_string(), m),
            }
        }
    }
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    #[cfg(unix)]
    let pipe = std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type());
    #[cfg(not(unix))]
    let pipe = false;
    // A named pipe is read (`kubeward scan <(helm template ...)`), up to the limit; a device
    // (`/dev/zero`), a socket or a folder is not.
    if !meta.is_file() && !pipe {
        let what = not_a_file(meta.file_type()).unwrap_or("a folder");
        return Err(format!("cannot read: {what}, not a file"));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(format!(
            "cannot read: the file is {} bytes, larger than the {limit}-byte limit \
             (--max-input-size)",
            meta.len()
        ));
    }
    let f = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    // Sized up front: growing by doubling would hold up to three times a large file.
    let mut buf = Vec::with_capacity(if meta.is_file() {
        meta.len() as usize + 1
    } else {
        0
    });
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read: {e}"))?;
    if buf.len() as u64 > limit {
        return Err(format!(
            "cannot read: more than the {limit}-byte limit (--max-input-size)"
        ));
    }
    Ok(buf)
}

/// UTF-8 text, or an error naming where the first invalid byte is.
fn into_text(bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let b = e.as_bytes();
        let line = b[..good].iter().filter(|&&c| c == b'\n').count() + 1;
        let col = good
            - b[..good]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        format!("not UTF-8 text (a binary file?): invalid byte at line {line}, column {col}")
    })
}

/// Checks that the kustomization in `dir`, and every local one it builds on, names only local
/// files and folders: Kustomize fetches anything else (a URL, `github.com/org/repo//path`)
/// from the network. `seen` guards against cycles.
fn local_only(dir: &Path, seen: &mut Vec<PathBuf>) -> Result<(), String> {
    let canon = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if seen.contains(&canon) || seen.len() > 256 {
        return Ok(());
    }
    seen.push(canon);
    let Some(file) = KUSTOMIZATION_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
    else {
        return Ok(());
    };
    let text = read_limited(&file, 16 * 1024 * 1024)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    let Some(Ok(Some(root))) = yaml::load_stream(&text, &Limits::default())
        .into_iter()
        .next()
        .map(|d| d.result)
    else {
        // kubectl reports a broken kustomization itself.
        return Ok(());
    };
    let mut refs: Vec<(&str, &Node)> = Vec::new();
    for field in [
        "resources",
        "bases",
        "components",
        "crds",
        "transformers",
        "generators",
    ] {
        for n in root.get(field).and_then(Node::as_seq).unwrap_or(&[]) {
            refs.push((field, n));
        }
    }
    for n in root.get("helmCharts").and_then(Node::as_seq).unwrap_or(&[]) {
        if let Some(repo) = n.get("repo").and_then(Node::as_str) {
            return Err(remote_refusal(&file, n.span.line, "helmCharts", repo));
        }
    }
    for (field, n) in refs {
        let Some(r) = n.as_str() else { continue };
        let local = dir.join(r);
        if r.contains("://") || r.starts_with("git@") || !local.exists() {
            return Err(remote_refusal(&file, n.span.line, field, r));
        }
        if local.is_dir() {
            local_only(&local, seen)?;
        }
    }
    Ok(())
}

fn remote_refusal(file: &Path, line: u32, field: &str, what: &str) -> String {
    format!(
        "{}:{line}: `{field}` names `{what}`, which is not a local file or folder, so Kustomize \
         would fetch it from the network; kubeward renders offline: vendor it, or pass \
         --allow-remote-kustomize",
        file.display()
    )
}

fn render_kustomize(dir: &Path, opts: &LoadOptions) -> Result<String, String> {
    // Rendered through a wrapper kustomization that asks for origin and transformer
    // annotations, so findings can point at the files a user edits
    // ([`crate::kustomize_origin`]). Where the wrapper cannot be made or rendered (an unusual
    // folder name, a component), the folder is rendered as it is.
    let wrapped = (|| {
        let target = dir.canonicalize().ok()?;
        let wrapper = tempfile::tempdir().ok()?;
        let wrapper_dir = wrapper.path().canonicalize().ok()?;
        let k = crate::kustomize_origin::wrapper_kustomization(&wrapper_dir, &target)?;
        std::fs::write(wrapper_dir.join("kustomization.yaml"), k).ok()?;
        let text = run_kustomize(&wrapper_dir, opts).ok()?;
        Some(crate::kustomize_origin::absolutize_annotation_paths(
            &text,
            &wrapper_dir,
        ))
    })();
    match wrapped {
        Some(text) => Ok(text),
        None => run_kustomize(dir, opts),
    }
}

fn run_kustomize(dir: &Path, opts: &LoadOptions) -> Result<String, String> {
    let kubectl = opts.kubectl.as_path();
    let mut cmd = std::process::Command::new(kubectl);
    cmd.arg("kustomize").arg(dir);
    if !opts.allow_remote_kustomize {
        // A second fence behind [`local_only`]: no proxy-respecting fetch and no git clone
        // over the network can succeed.
        for v in [
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "ALL_PROXY",
            "https_proxy",
            "http_proxy",
        ] {
            cmd.env(v, "http://127.0.0.1:9");
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        cmd.env("GIT_ALLOW_PROTOCOL", "file");
    }
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "this folder is a Kustomize root, and rendering it needs `{}`, which was not \
                     found: install kubectl, or pass --no-kustomize to read the files as they are",
                kubectl.display()
            )
        } else {
            format!("cannot run `{} kustomize`: {e}", kubectl.display())
        }
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "`kubectl kustomize` failed: {}",
            err.trim().lines().last().unwrap_or("no message")
        ));
    }
    if out.stdout.len() as u64 > opts.max_file_size {
        return Err(format!(
            "`kubectl kustomize` printed more than the {}-byte limit (--max-input-size)",
            opts.max_file_size
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| "`kubectl kustomize` printed non-UTF-8 output".into())
}

fn parse_text(
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
            .map(|(i, d)| (crate::inventory::ObjectId((base + i) as u32), d)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(t: &str) -> Loaded {
        load_text("t.yaml", t, &LoadOptions::default())
    }

    #[test]
    fn lists_are_unwrapped_with_pointers() {
        let l = text(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: []}\n\
             - apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b, namespace: x}\n",
        );
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let o = l.inventory.objects();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].base_pointer, "/items/0");
        assert_eq!(o[1].namespace.as_deref(), Some("x"));
        assert_eq!(o[0].namespace.as_deref(), Some("default"));
    }

    #[test]
    fn broken_documents_are_errors_and_others_are_kept() {
        let l = text(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n---\nkind: [\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
        );
        assert_eq!(l.inventory.len(), 2);
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(l.diagnostics[0].level, Level::Error);
        assert!(l.diagnostics[0].line >= 6);
    }

    #[test]
    fn missing_fields_are_located_errors_but_objects_are_kept() {
        let l = text(
            "apiVersion: v1\nkind: Pod\nspec: {containers: []}\n---\nkind: Pod\n---\nfoo: bar\n",
        );
        assert_eq!(l.inventory.len(), 1);
        assert_eq!(l.inventory.objects()[0].name, "(unnamed)");
        let msgs: Vec<_> = l
            .diagnostics
            .iter()
            .map(|d| (d.line, d.message.as_str()))
            .collect();
        assert_eq!(msgs.len(), 3, "{msgs:?}");
        assert!(msgs[1].1.contains("`apiVersion` is missing"));
        assert_eq!(msgs[2].0, 7);
    }

    #[test]
    fn duplicates_are_attached_to_list_items() {
        let l = text(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    hostPID: false\n    hostPID: true\n    containers: []\n",
        );
        assert_eq!(l.duplicates.len(), 1);
        assert_eq!(l.duplicates[0].1.pointer, "/spec/hostPID");
        let obj = l.inventory.object(l.duplicates[0].0);
        assert_eq!(
            obj.root.path(&["spec", "hostPID"]).unwrap().as_bool(),
            Some(true)
        );
    }

    #[test]
    fn typed_list_items_take_kind_and_api_version_from_the_list() {
        // As `kubectl get --raw /api/v1/pods` or `curl` print it: items without kind.
        let l = text(
            "apiVersion: v1\nkind: PodList\nmetadata: {resourceVersion: \"1\"}\nitems:\n\
             - metadata: {name: a, namespace: x}\n  spec: {containers: []}\n\
             - metadata: {name: b, namespace: z}\n  spec:\n    hostPID: true\n    containers: []\n",
        );
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let o = l.inventory.objects();
        assert_eq!(o.len(), 2);
        assert_eq!(
            (o[0].kind.as_str(), o[0].api_version.as_str()),
            ("Pod", "v1")
        );
        assert_eq!(o[1].base_pointer, "/items/1");
        assert_eq!(o[1].span_of("/spec/hostPID").line, 9);
        // An item that names its own kind keeps it.
        let l = text(
            "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- kind: Deployment\n  metadata: {name: a}\n  spec: {template: {spec: {containers: []}}}\n",
        );
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let o = l.inventory.objects();
        assert_eq!(
            (o[0].kind.as_str(), o[0].api_version.as_str()),
            ("Deployment", "apps/v1")
        );
    }

    #[test]
    fn typed_json_list_items_take_kind_with_pointers() {
        let json = r#"{"apiVersion":"v1","kind":"NamespaceList","items":[
{"metadata":{"name":"a"}},
{"metadata":{"name":"b","labels":{"x":"y"}}}
]}"#;
        let l = load_text("ns.json", json, &LoadOptions::default());
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let o = l.inventory.objects();
        assert_eq!(o.len(), 2);
        assert!(
            o.iter()
                .all(|o| o.kind == "Namespace" && o.api_version == "v1")
        );
        assert_eq!(o[1].name, "b");
        assert_eq!(o[1].base_pointer, "/items/1");
        assert_eq!(o[1].span_of("/metadata/labels").line, 3);
    }

    #[test]
    fn plain_list_items_without_kind_are_located_errors() {
        let l = text(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: []}\n\
             - metadata: {name: b}\n",
        );
        assert_eq!(l.inventory.len(), 1);
        assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
        assert_eq!(l.diagnostics[0].level, Level::Error);
        assert_eq!(l.diagnostics[0].file, "t.yaml");
        assert_eq!(l.diagnostics[0].line, 8);
        let j = load_text(
            "l.json",
            "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n{\"metadata\":{\"name\":\"a\"}}]}",
            &LoadOptions::default(),
        );
        assert!(j.has_errors());
        assert_eq!(j.diagnostics[0].line, 2);
    }

    #[test]
    fn empty_input_is_a_warning() {
        let l = text("# nothing\n");
        assert_eq!(l.diagnostics[0].level, Level::Warning);
        assert!(!l.has_errors());
    }

    #[test]
    fn binary_is_an_error() {
        assert!(
            into_text(vec![b'a', b'\n', b'b', 0xff, 0xfe])
                .unwrap_err()
                .contains("line 2, column 2")
        );
    }
}
