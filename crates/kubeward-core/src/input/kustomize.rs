//! Kustomize folders: the offline check of what a kustomization names, and rendering with
//! `kubectl kustomize` through the origin-annotating wrapper of [`crate::kustomize`].

use super::LoadOptions;
use super::files::read_limited;
use super::parse::{ParsedUnit, parse_text};
use crate::inventory::SourceKind;
use crate::tree::Node;
use crate::yaml::{self, Limits};
use std::path::{Path, PathBuf};

const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub(super) fn kustomization_in(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
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
        let k = crate::kustomize::wrapper_kustomization(&wrapper_dir, &target)?;
        std::fs::write(wrapper_dir.join("kustomization.yaml"), k).ok()?;
        let text = run_kustomize(&wrapper_dir, opts).ok()?;
        Some(crate::kustomize::absolutize_annotation_paths(
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

/// Checks (unless remote resources are allowed), renders and parses the Kustomize root `dir`.
pub(super) fn read_kustomize(dir: &Path, opts: &LoadOptions) -> ParsedUnit {
    let name = format!("{} (kustomize)", dir.display());
    let rendered = if opts.allow_remote_kustomize {
        Ok(())
    } else {
        local_only(dir, &mut Vec::new())
    };
    match rendered.and_then(|_| render_kustomize(dir, opts)) {
        Ok(text) => parse_text(
            &name,
            Some(dir.to_path_buf()),
            SourceKind::Kustomize,
            text,
            false,
            true,
            opts,
        ),
        Err(m) => ParsedUnit::failed(dir.display().to_string(), m),
    }
}
