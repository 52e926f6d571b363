//! kubeconfig files: where kubectl finds them, and the file facts (mode, owner) the
//! kubeconfig rules need. Rules never touch files; this is the input layer's part.

use kubeward_core::inventory::{FileMeta, Inventory, SourceId};
use std::path::PathBuf;

/// `~/.kube/config`.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".kube").join("config"))
}

/// The files kubectl would read: every path in `$KUBECONFIG`, else `~/.kube/config`.
pub fn default_files() -> Vec<PathBuf> {
    match std::env::var_os("KUBECONFIG") {
        Some(v) if !v.is_empty() => std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        _ => default_path().into_iter().collect(),
    }
}

/// Mode and owner of a file, and who is reading it.
pub fn file_meta(path: &std::path::Path) -> Option<FileMeta> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some(FileMeta {
            mode: Some(m.mode() & 0o7777),
            owner_uid: Some(m.uid()),
            reader_uid: Some(rustix::process::geteuid().as_raw()),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        Some(FileMeta::default())
    }
}

/// Records file facts for every source that holds a kubeconfig (`apiVersion: v1`,
/// `kind: Config`) read from a file.
pub fn attach_file_meta(inv: &mut Inventory) {
    let mut todo: Vec<(SourceId, PathBuf)> = Vec::new();
    for o in inv.of_kind("Config") {
        if !o.group().is_empty() {
            continue;
        }
        let src = inv.source(o.source);
        if src.kind != kubeward_core::inventory::SourceKind::File {
            continue;
        }
        if let Some(p) = &src.path {
            if !todo.iter().any(|(s, _)| *s == o.source) {
                todo.push((o.source, p.clone()));
            }
        }
    }
    for (sid, p) in todo {
        if let Some(m) = file_meta(&p) {
            inv.set_file_meta(sid, m);
        }
    }
}
