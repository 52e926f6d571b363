//! Folder walks and file reads under hostile or unusual input: symbolic links (and loops),
//! hidden files, ignore files outside and inside a git work tree, pipes and devices, files
//! that are not manifests, oversized files, and kustomizations that name remote resources.

use kubeward_core::input::{InputArg, LoadOptions, Loaded, load};
use std::path::Path;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: NAME}\nspec: {containers: [{name: c, image: nginx:1.27}]}\n";

fn pod(dir: &Path, file: &str, name: &str) {
    let p = dir.join(file);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, POD.replace("NAME", name)).unwrap();
}

fn scan(path: &Path) -> Loaded {
    load(
        &[InputArg::Path(path.to_path_buf())],
        &LoadOptions::default(),
    )
}

fn names(l: &Loaded) -> Vec<String> {
    let mut v: Vec<String> = l
        .inventory
        .objects()
        .iter()
        .map(|o| o.name.to_string())
        .collect();
    v.sort();
    v
}

fn skipped_reasons(l: &Loaded) -> Vec<String> {
    l.skipped
        .iter()
        .map(|s| format!("{}: {}", s.file, s.reason))
        .collect()
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_followed_and_loops_are_skipped_and_counted() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("deploy");
    pod(d.path(), "elsewhere/linked.yaml", "linked");
    pod(&root, "a.yaml", "a");
    std::os::unix::fs::symlink(d.path().join("elsewhere/linked.yaml"), root.join("b.yaml"))
        .unwrap();
    std::os::unix::fs::symlink(d.path().join("elsewhere"), root.join("more")).unwrap();
    // A loop: deploy/loop -> deploy.
    std::os::unix::fs::symlink(&root, root.join("loop")).unwrap();
    // A dangling link.
    std::os::unix::fs::symlink(d.path().join("nothing.yaml"), root.join("gone.yaml")).unwrap();
    let l = scan(&root);
    assert!(!l.has_errors(), "{:?}", l.diagnostics);
    assert_eq!(names(&l), ["a", "linked", "linked"]);
    let s = skipped_reasons(&l);
    assert!(s.iter().any(|r| r.contains("loop")), "{s:?}");
    assert!(
        s.iter()
            .any(|r| r.contains("gone.yaml") && r.contains("link to nothing")),
        "{s:?}"
    );
}

#[test]
fn hidden_files_and_folders_are_read() {
    let d = tempfile::tempdir().unwrap();
    pod(d.path(), ".hidden.yaml", "hidden-file");
    pod(d.path(), ".config/app.yaml", "hidden-folder");
    pod(d.path(), "plain.yaml", "plain");
    // The repository's own metadata is not a manifest folder.
    pod(d.path(), ".git/not-a-manifest.yaml", "git-internal");
    let l = scan(d.path());
    assert_eq!(names(&l), ["hidden-file", "hidden-folder", "plain"]);
}

#[test]
fn ignore_files_apply_only_inside_a_git_work_tree() {
    let d = tempfile::tempdir().unwrap();
    // Outside git: kubectl apply -R deploys everything, and so kubeward reads everything.
    let outside = d.path().join("outside");
    std::fs::create_dir_all(outside.join("app")).unwrap();
    std::fs::write(outside.join(".gitignore"), "ignored.yaml\n").unwrap();
    std::fs::write(outside.join("app/.ignore"), "also.yaml\n").unwrap();
    pod(&outside, "app/ignored.yaml", "ignored");
    pod(&outside, "app/also.yaml", "also");
    pod(&outside, "app/kept.yaml", "kept");
    let l = scan(&outside.join("app"));
    assert_eq!(names(&l), ["also", "ignored", "kept"]);
    assert!(l.skipped.is_empty(), "{:?}", l.skipped);

    // Inside a git work tree the repository's ignore files apply, and every file they leave
    // out is counted.
    let repo = d.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".gitignore"), "ignored.yaml\nbuild/\n").unwrap();
    pod(&repo, "ignored.yaml", "ignored");
    pod(&repo, "build/out.yaml", "built");
    pod(&repo, "kept.yaml", "kept");
    let l = scan(&repo);
    assert_eq!(names(&l), ["kept"]);
    let s = skipped_reasons(&l);
    assert_eq!(s.len(), 2, "{s:?}");
    assert!(s.iter().all(|r| r.contains(".gitignore")), "{s:?}");
}

#[cfg(unix)]
#[test]
fn pipes_and_devices_are_named_in_one_line_errors() {
    let d = tempfile::tempdir().unwrap();
    let l = load(
        &[InputArg::Path("/dev/zero".into())],
        &LoadOptions::default(),
    );
    assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
    let msg = l.diagnostics[0].to_string();
    assert!(
        msg.contains("/dev/zero") && msg.contains("character device"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));

    // Over the limit: the size and the option are named.
    pod(d.path(), "big.yaml", "big");
    let opts = LoadOptions {
        max_file_size: 16,
        ..LoadOptions::default()
    };
    let l = load(&[InputArg::Path(d.path().join("big.yaml"))], &opts);
    let msg = l.diagnostics[0].to_string();
    assert!(
        msg.contains("big.yaml") && msg.contains("--max-input-size"),
        "{msg}"
    );

    // A FIFO found by a walk is skipped and counted, never opened (which would block).
    let fifo = d.path().join("pipe.yaml");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    if status.map(|s| s.success()).unwrap_or(false) {
        let l = load(&[InputArg::Path(d.path().to_path_buf())], &opts);
        let s = skipped_reasons(&l);
        assert!(
            s.iter()
                .any(|r| r.contains("pipe.yaml") && r.contains("FIFO")),
            "{s:?}"
        );
    } else {
        eprintln!("skipped FIFO part: mkfifo unavailable");
    }
}

#[test]
fn a_json_file_that_is_not_a_manifest_is_skipped_by_a_walk_but_an_error_when_named() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("tsconfig.json"),
        "{\n  // compiler options\n  \"compilerOptions\": {\"strict\": true}\n}\n",
    )
    .unwrap();
    pod(d.path(), "pod.yaml", "p");
    let l = scan(d.path());
    assert!(!l.has_errors(), "{:?}", l.diagnostics);
    assert_eq!(names(&l), ["p"]);
    let s = skipped_reasons(&l);
    assert!(
        s.iter()
            .any(|r| r.contains("tsconfig.json") && r.contains("not valid JSON")),
        "{s:?}"
    );
    // Named explicitly, it is still an error.
    let l = scan(&d.path().join("tsconfig.json"));
    assert!(l.has_errors());
    // And a broken JSON manifest found by a walk is still an error.
    std::fs::write(
        d.path().join("broken.json"),
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", ",
    )
    .unwrap();
    assert!(scan(d.path()).has_errors());
}

#[test]
fn kustomize_refuses_remote_resources_by_default() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base");
    pod(&base, "pod.yaml", "p");
    std::fs::write(
        base.join("kustomization.yaml"),
        "resources:\n- pod.yaml\n- http://127.0.0.1:9/remote.yaml\n",
    )
    .unwrap();
    let overlay = d.path().join("overlay");
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "resources:\n- ../base\n",
    )
    .unwrap();
    // kubectl is never run for a refused kustomization.
    let opts = LoadOptions {
        kubectl: "/nonexistent/kubectl".into(),
        ..LoadOptions::default()
    };
    for dir in [&base, &overlay] {
        let l = load(&[InputArg::Path(dir.clone())], &opts);
        let msg = l.diagnostics[0].to_string();
        assert!(
            msg.contains("http://127.0.0.1:9/remote.yaml")
                && msg.contains("--allow-remote-kustomize")
                && msg.contains("base/kustomization.yaml:3"),
            "{msg}"
        );
    }
    // A git reference is remote too.
    std::fs::write(
        base.join("kustomization.yaml"),
        "resources:\n- github.com/org/repo//deploy?ref=v1\n",
    )
    .unwrap();
    let l = load(&[InputArg::Path(base.clone())], &opts);
    assert!(l.diagnostics[0].message.contains("github.com/org/repo"));
}
