//! Files and folders: the walk (ignore files, symbolic links, Kustomize and Helm folders
//! found on the way) and reading one file within the size limit as UTF-8 text.

use super::kustomize::kustomization_in;
use super::parse::{ParsedUnit, parse_text};
use super::{Diagnostic, Level, LoadOptions, Loaded, Skipped, Unit};
use crate::inventory::SourceKind;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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

pub(super) fn walk(root: &Path, opts: &LoadOptions, units: &mut Vec<Unit>, loaded: &mut Loaded) {
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

pub(super) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
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
pub(super) fn into_text(bytes: Vec<u8>) -> Result<String, String> {
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

/// Reads and parses one file (`explicit`: named by the user rather than found by a walk).
pub(super) fn read_file(path: &Path, explicit: bool, opts: &LoadOptions) -> ParsedUnit {
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
        Some(path.to_path_buf()),
        SourceKind::File,
        text,
        is_json,
        explicit,
        opts,
    )
}
