//! Conformance with the upstream Pod Security admission fixtures.
//!
//! Reads every pod under `../shared/conformance/pod-security-admission/testdata/<level>/v1.<minor>/
//! {pass,fail}/` and scans it the way `kubeward scan --pod-security <level>:v1.<minor>` does (the
//! same loader, registry and engine). A `pass/` pod must give no Pod Security finding; a `fail/`
//! pod must give a finding whose `references.pss`, lower-cased, is the check named by the file
//! (or, at the restricted level, the restricted check that replaces it there).
//!
//! Skipped with a notice when `../shared` is absent, unless `KUBEWARD_REQUIRE_SERVICES=1`.

use kubeward_core::config::{Config, Settings};
use kubeward_core::engine::{Engine, engine_rules};
use kubeward_core::input::{Level, LoadOptions, load_text};
use kubeward_core::{Registry, Status};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/pod-security-admission/testdata")
}

/// The check a `fail/` fixture must trigger at `level` and `minor`.
fn expected_check(file_check: &str, level: &str, minor: u32) -> String {
    if level == "restricted" {
        match file_check {
            "hostpathvolumes" => return "restrictedvolumes".into(),
            "seccompprofile_baseline" if minor >= 19 => return "seccompprofile_restricted".into(),
            "capabilities_baseline" if minor >= 22 => return "capabilities_restricted".into(),
            "procmount" if minor >= 35 => return "procmount_restricted".into(),
            _ => {}
        }
    }
    file_check.to_string()
}

/// `capabilities_restricted3.yaml` → `capabilities_restricted`.
fn file_check(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_string_lossy();
    stem.trim_end_matches(|c: char| c.is_ascii_digit())
        .to_string()
}

struct Outcome {
    file: PathBuf,
    /// Lower-cased `references.pss` of the Pod Security findings, with their status.
    fired: BTreeSet<String>,
    ok: bool,
    /// For pass pods, and fail pods where only the expected check fired.
    only_expected: bool,
}

#[test]
fn upstream_pod_security_fixtures_agree() {
    let root = testdata();
    if !root.is_dir() {
        if std::env::var("KUBEWARD_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!(
                "KUBEWARD_REQUIRE_SERVICES=1 but the PSA fixtures are missing at {}",
                root.display()
            );
        }
        eprintln!(
            "skipped: Pod Security conformance fixtures not found at {} (../shared is absent)",
            root.display()
        );
        return;
    }
    let mut registry = Registry::new();
    registry.extend(engine_rules());
    registry.extend(kubeward_rules::rules());

    let mut outcomes = Vec::new();
    for level in ["baseline", "restricted"] {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root.join(level))
            .unwrap_or_else(|e| panic!("{level}: {e}"))
            .map(|e| e.unwrap().path())
            .filter_map(|p| {
                let name = p.file_name()?.to_str()?.to_string();
                let minor = name.strip_prefix("v1.")?.parse().ok()?;
                Some((minor, p))
            })
            .collect();
        versions.sort();
        assert!(!versions.is_empty(), "no versions under {level}");
        for (minor, dir) in versions {
            let config = Config {
                settings: Settings {
                    pod_security: format!("{level}:v1.{minor}"),
                    ..Settings::default()
                },
                ..Config::default()
            };
            let engine = Engine {
                registry: &registry,
                config: &config,
            };
            for expect_pass in [true, false] {
                let sub = dir.join(if expect_pass { "pass" } else { "fail" });
                let Ok(entries) = std::fs::read_dir(&sub) else {
                    continue;
                };
                let mut files: Vec<PathBuf> = entries
                    .map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                    .collect();
                files.sort();
                for file in files {
                    let text = std::fs::read_to_string(&file).unwrap();
                    let loaded =
                        load_text(&file.display().to_string(), &text, &LoadOptions::default());
                    let errors: Vec<_> = loaded
                        .diagnostics
                        .iter()
                        .filter(|d| d.level == Level::Error)
                        .collect();
                    assert!(errors.is_empty(), "{}: {errors:?}", file.display());
                    assert_eq!(loaded.inventory.len(), 1, "{}", file.display());
                    let out = engine.run(&loaded.inventory, &loaded.duplicates, None);
                    let pss: Vec<_> = out
                        .findings
                        .iter()
                        .filter(|f| f.rule.id.starts_with("KW-PSS-"))
                        .collect();
                    let fired: BTreeSet<String> = pss
                        .iter()
                        .map(|f| {
                            let id = f
                                .references
                                .iter()
                                .find(|(k, _)| *k == "pss")
                                .map(|(_, v)| v.to_ascii_lowercase())
                                .unwrap_or_else(|| format!("{} (no pss reference)", f.rule.id));
                            if f.status == Status::Fail {
                                id
                            } else {
                                format!("{id} ({})", f.status.as_str())
                            }
                        })
                        .collect();
                    let (ok, only_expected) = if expect_pass {
                        (pss.is_empty(), true)
                    } else {
                        let want = expected_check(&file_check(&file), level, minor);
                        (
                            fired.contains(&want),
                            fired.len() == 1 && fired.contains(&want),
                        )
                    };
                    outcomes.push(Outcome {
                        file: file.strip_prefix(&root).unwrap().to_path_buf(),
                        fired,
                        ok,
                        only_expected,
                    });
                }
            }
        }
    }

    let total = outcomes.len();
    let agree = outcomes.iter().filter(|o| o.ok).count();
    let strict = outcomes.iter().filter(|o| o.ok && o.only_expected).count();
    println!(
        "Pod Security conformance: {agree}/{total} upstream fixtures agree \
         ({strict} of them with no other check firing; the other fail pods break a second \
         control by construction, e.g. hostProcess pods also set hostNetwork)"
    );
    let bad: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.ok)
        .take(20)
        .map(|o| format!("  {}: fired {:?}", o.file.display(), o.fired))
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {total} fixtures disagree; the first {}:\n{}",
        total - agree,
        bad.len(),
        bad.join("\n")
    );
    // 4,537 pods (the folder also holds a README).
    assert!(
        total >= 4537,
        "expected at least 4537 fixtures, read {total}"
    );
}
