//! End-to-end tests of the `kubeward` binary: inputs, exit codes, suppression, config, baseline.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").unwrap();
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

/// Runs `kubeward scan ARGS --format json --no-config`; returns (exit code, report, stderr).
fn scan_json(args: &[&str]) -> (i32, Value, String) {
    scan_json_stdin(args, None)
}

fn scan_json_stdin(args: &[&str], stdin: Option<&str>) -> (i32, Value, String) {
    let mut c = kubeward();
    c.arg("scan").args(args).args(["--format", "json"]);
    if !args.iter().any(|a| a.starts_with("--config")) {
        c.arg("--no-config");
    }
    if let Some(s) = stdin {
        c.write_stdin(s);
    }
    let out = c.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn rule_ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect()
}

/// The first finding of `rule` (other rules may report on the same test object).
fn first_of<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
        .unwrap_or_else(|| panic!("no {rule} finding in {report:#}"))
}

fn active(report: &Value, rule: &str) -> usize {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule && f["suppressed"].is_null())
        .count()
}

const PRIV_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: nginx:1.27
    securityContext:
      privileged: true
";

#[test]
fn insecure_example_fails_and_hardened_passes() {
    let (code, report, _) = scan_json(&["examples/insecure-app"]);
    assert_eq!(code, 1);
    let f = &report["findings"][0];
    assert!(
        f["location"]["file"]
            .as_str()
            .unwrap()
            .starts_with("examples/insecure-app/")
    );
    assert!(f["location"]["line"].as_u64().unwrap() > 0);
    let (code, report, _) = scan_json(&["examples/hardened-app"]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn exit_code_follows_fail_on() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "p.yaml", &PRIV_POD.replace("nginx:1.27", "nginx"));
    let f = f.to_str().unwrap();
    assert_eq!(scan_json(&[f]).0, 1);
    assert_eq!(scan_json(&[f, "--fail-on", "critical"]).0, 1);
    let no_priv = PRIV_POD
        .replace("privileged: true", "privileged: false")
        .replace("nginx:1.27", "nginx");
    let g = write(d.path(), "q.yaml", &no_priv);
    let g = g.to_str().unwrap();
    // Only a medium finding (untagged image) remains.
    assert_eq!(scan_json(&[g]).0, 0);
    assert_eq!(scan_json(&[g, "--fail-on", "medium"]).0, 1);
    assert_eq!(scan_json(&[f, "--fail-on", "none"]).0, 0);
    kubeward()
        .args(["scan", g, "--fail-on", "severe"])
        .assert()
        .code(2);
}

#[test]
fn malformed_yaml_is_a_located_error_and_other_documents_are_scanned() {
    let d = tempfile::tempdir().unwrap();
    let text = format!("{PRIV_POD}---\nkind: Pod\nmetadata: [unclosed\n---\n{PRIV_POD}");
    let f = write(d.path(), "m.yaml", &text.replace("name: p\n", "name: p2\n"));
    let (code, report, stderr) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    let e = &report["errors"][0];
    assert_eq!(e["level"], "error");
    assert!(e["file"].as_str().unwrap().ends_with("m.yaml"));
    assert!((12..=14).contains(&e["line"].as_u64().unwrap()), "{e}");
    assert!(e["column"].as_u64().unwrap() > 0);
    // Both pods around the broken document are still checked.
    assert_eq!(active(&report, "KW-PSS-003"), 2);
    assert!(stderr.contains("input error"));
}

#[test]
fn yaml_bomb_is_refused_with_an_error_not_oom() {
    let d = tempfile::tempdir().unwrap();
    let mut y = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..12 {
        y.push_str(&format!(
            "  a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
            p = i - 1
        ));
    }
    let f = write(d.path(), "bomb.yaml", &y);
    let (code, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("YAML bomb")
    );
}

#[test]
fn duplicate_keys_are_reported_and_the_last_value_is_checked() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "dup.yaml",
        &PRIV_POD.replace(
            "privileged: true",
            "privileged: false\n      privileged: true",
        ),
    );
    let (code, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(active(&report, "KW-GEN-001"), 1);
    assert_eq!(active(&report, "KW-PSS-003"), 1);
    let dup = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "KW-GEN-001")
        .unwrap();
    assert_eq!(dup["location"]["line"], 11);
    assert_eq!(
        dup["location"]["pointer"],
        "/spec/containers/0/securityContext/privileged"
    );
    // Reversed: the API server keeps `false`, so the pod is not privileged.
    let g = write(
        d.path(),
        "dup2.yaml",
        &PRIV_POD.replace(
            "privileged: true",
            "privileged: true\n      privileged: false",
        ),
    );
    let (_, report, _) = scan_json(&[g.to_str().unwrap()]);
    assert_eq!(active(&report, "KW-PSS-003"), 0);
    assert_eq!(active(&report, "KW-GEN-001"), 1);
}

#[test]
fn yaml_1_1_and_merge_keys_cannot_bypass_checks() {
    let d = tempfile::tempdir().unwrap();
    // YAML 1.1 booleans that YAML 1.2 parsers read as strings.
    for spelling in ["yes", "Yes", "on", "ON", "y", "True"] {
        let f = write(
            d.path(),
            &format!("b-{spelling}.yaml"),
            &PRIV_POD.replace("privileged: true", &format!("privileged: {spelling}")),
        );
        let (_, report, _) = scan_json(&[f.to_str().unwrap()]);
        assert_eq!(active(&report, "KW-PSS-003"), 1, "privileged: {spelling}");
    }
    // A merge key that turns privileged on after an explicit `false`.
    let merged = "x-defaults: &priv {privileged: true}
apiVersion: v1
kind: Pod
metadata: {name: m}
spec:
  containers:
  - name: c
    image: nginx:1.27
    securityContext:
      privileged: false
      <<: *priv
";
    let f = write(d.path(), "merge.yaml", merged);
    let (_, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(active(&report, "KW-PSS-003"), 1);
    assert_eq!(
        active(&report, "KW-GEN-001"),
        1,
        "the merge override is reported"
    );
    // JSON duplicate keys: Go keeps the last one too.
    let json = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j"},"spec":{"hostPID":false,"hostPID":true,"containers":[{"name":"c","image":"nginx:1.27"}]}}"#;
    let f = write(d.path(), "dup.json", json);
    let (_, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(active(&report, "KW-PSS-002"), 1);
    assert_eq!(active(&report, "KW-GEN-001"), 1);
}

#[test]
fn unknown_kinds_are_kept_and_counted() {
    let d = tempfile::tempdir().unwrap();
    let f = write(
        d.path(),
        "crd.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n---\n\
         apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\n\
         spec: {group: example.com, scope: Cluster, names: {kind: Gadget, plural: gadgets}}\n---\n\
         apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n",
    );
    let (code, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 0);
    let s = &report["summary"];
    assert_eq!(s["objects"], 3);
    assert_eq!(s["custom_resources"], 2);
    assert_eq!(s["unknown_kinds"], 1);
    assert_eq!(s["objects_by_kind"]["Widget"], 1);
}

#[test]
fn empty_and_binary_files() {
    let d = tempfile::tempdir().unwrap();
    let empty = write(d.path(), "empty.yaml", "");
    let ok = write(
        d.path(),
        "ok.yaml",
        &PRIV_POD.replace("privileged: true", "privileged: false"),
    );
    // An empty file next to real manifests is a warning.
    let (code, report, _) = scan_json(&[empty.to_str().unwrap(), ok.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(report["errors"][0]["level"], "warning");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("empty")
    );
    // Only an empty file: nothing was scanned, which CI must not mistake for clean.
    let (code, _, stderr) = scan_json(&[empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no Kubernetes objects found"), "{stderr}");
    // A binary file is an input error naming where the bad byte is.
    let bin = d.path().join("blob.yaml");
    std::fs::write(&bin, [b'a', b':', b' ', 0xff, 0xfe, 0x00, 0x01]).unwrap();
    let (code, report, _) = scan_json(&[bin.to_str().unwrap(), ok.to_str().unwrap()]);
    assert_eq!(code, 2);
    let msg = report["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("not UTF-8") && msg.contains("line 1, column 4"),
        "{msg}"
    );
}

#[test]
fn stdin_json_and_lists() {
    let (code, report, _) = scan_json_stdin(&["-"], Some(PRIV_POD));
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["location"]["file"], "-");
    assert_eq!(report["findings"][0]["location"]["origin"], "stdin");
    let list = r#"{"apiVersion":"v1","kind":"List","items":[
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"nginx:1.27"}]}}]}"#;
    let (code, report, _) = scan_json_stdin(&["-"], Some(list));
    assert_eq!(code, 1);
    let f = first_of(&report, "KW-PSS-002");
    assert_eq!(f["location"]["pointer"], "/items/0/spec/hostNetwork");
    assert_eq!(f["location"]["line"], 2);
    assert_eq!(f["resource"]["namespace"], "default");
}

/// `kubectl get --raw /api/v1/pods` (and `curl`) print a `PodList` whose items have no `kind`
/// or `apiVersion`: they are pods, and findings point at the right item.
#[test]
fn raw_pod_list_with_kindless_items() {
    let dir = tempfile::tempdir().unwrap();
    let raw = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[
{"metadata":{"name":"quiet","namespace":"a"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}},
{"metadata":{"name":"loud","namespace":"b"},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"nginx:1.27"}]}}
]}"#;
    let f = write(dir.path(), "pods.json", raw);
    let (code, report, stderr) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 1, "findings, not an input error: {stderr}");
    assert!(
        report["errors"].as_array().is_none_or(|e| e.is_empty()),
        "{report:#}"
    );
    let hn = first_of(&report, "KW-PSS-002");
    assert_eq!(hn["resource"]["kind"], "Pod");
    assert_eq!(hn["resource"]["name"], "loud");
    assert_eq!(hn["resource"]["namespace"], "b");
    assert_eq!(hn["location"]["pointer"], "/items/1/spec/hostNetwork");
    assert_eq!(hn["location"]["line"], 3);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["resource"]["name"] == "quiet")
            .all(|f| f["location"]["pointer"]
                .as_str()
                .is_none_or(|p| p.is_empty() || p.starts_with("/items/0"))),
        "findings of the first pod point into the first item"
    );
    // A plain `List` does not name its items' kind: an input error, located.
    let plain = raw.replacen("\"PodList\"", "\"List\"", 1);
    let f = write(dir.path(), "list.json", &plain);
    let (code, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 2);
    let e = &report["errors"][0];
    assert!(e["file"].as_str().unwrap().ends_with("list.json"), "{e}");
    assert_eq!(e["line"], 2);
}

#[test]
fn namespace_defaulting_flag() {
    let (_, report, _) = scan_json_stdin(&["-", "-n", "payments"], Some(PRIV_POD));
    assert_eq!(report["findings"][0]["resource"]["namespace"], "payments");
}

#[test]
fn a_personal_global_git_excludes_file_does_not_hide_manifests() {
    // `core.excludesFile` (default `$XDG_CONFIG_HOME/git/ignore`) belongs to one user's
    // machine: a scan must find the same objects there as in CI.
    let home = tempfile::tempdir().unwrap();
    write(home.path(), ".config/git/ignore", "*.yaml\n");
    write(
        home.path(),
        ".gitconfig",
        &format!(
            "[core]\n\texcludesFile = {}\n",
            home.path().join(".config/git/ignore").display()
        ),
    );
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "app/p.yaml", PRIV_POD);
    let out = kubeward()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .args([
            "scan",
            d.path().to_str().unwrap(),
            "--format",
            "json",
            "--no-config",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["objects"], 1, "{report:#}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn folders_honour_gitignore_and_skip_non_manifests() {
    let d = tempfile::tempdir().unwrap();
    // Ignore files apply inside a git work tree only.
    std::fs::create_dir_all(d.path().join(".git")).unwrap();
    write(d.path(), ".gitignore", "ignored/\n");
    write(d.path(), "ignored/p.yaml", PRIV_POD);
    write(d.path(), "app/p.yaml", PRIV_POD);
    write(d.path(), "app/notes.txt", "privileged: true");
    write(d.path(), ".github/workflows/ci.yml", "on: push\njobs: {}\n");
    write(d.path(), "app/values.yaml", "replicaCount: 2\n");
    write(d.path(), "chart/Chart.yaml", "apiVersion: v2\nname: c\n");
    write(d.path(), "chart/templates/d.yaml", "{{ .Values.x }}\n");
    let (code, report, _) = scan_json(&[d.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["objects"], 1, "{report:#}");
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert!(
        skipped.iter().any(|r| r.contains("Helm chart")),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|r| r.contains(".gitignore")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|r| r.contains("not a Kubernetes object")),
        "{skipped:?}"
    );
    // The same non-manifest named explicitly is an error: the user asked for it.
    let v = d.path().join("app/values.yaml");
    assert_eq!(scan_json(&[v.to_str().unwrap()]).0, 2);
}

#[test]
fn suppression_by_annotation_on_object_and_pod_template() {
    let d = tempfile::tempdir().unwrap();
    let on_object = PRIV_POD.replace(
        "  name: p\n",
        "  name: p\n  annotations:\n    kubeward.io/ignore: \"KW-PSS-003 -- debug pod, deleted after the incident\"\n",
    );
    let f = write(d.path(), "a.yaml", &on_object);
    let (code, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 0);
    let s = &first_of(&report, "KW-PSS-003")["suppressed"];
    assert_eq!(s["by"], "annotation");
    assert_eq!(s["reason"], "debug pod, deleted after the incident");
    assert_eq!(report["summary"]["findings"]["suppressed"], 1);

    let deploy = "apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata:
      labels: {app: d}
      annotations:
        kubeward.io/ignore: KW-PSS-002,KW-IMG-001 -- node agent
    spec:
      hostNetwork: true
      containers: [{name: c, image: agent}]
";
    let f = write(d.path(), "b.yaml", deploy);
    let (code, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    let named: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "KW-PSS-002" || f["rule_id"] == "KW-IMG-001")
        .collect();
    assert_eq!(named.len(), 2, "{report:#}");
    assert!(named.iter().all(|f| f["suppressed"]["by"] == "annotation"));
    // An annotation naming something that is not a rule ID is a warning, not a silent no-op.
    let bad = deploy.replace("KW-PSS-002,KW-IMG-001", "privileged");
    let f = write(d.path(), "c.yaml", &bad);
    let (_, report, _) = scan_json(&[f.to_str().unwrap()]);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a rule ID")
    );
}

#[test]
fn config_ignores_with_expiry_severity_and_disable() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p.yaml", PRIV_POD);
    let cfg = write(
        d.path(),
        ".kubeward.yaml",
        "ignore:\n  - rules: [KW-PSS-003]\n    kind: Pod\n    name: p*\n    reason: lab cluster\n    expires: 2999-01-01\n",
    );
    let dir = d.path().to_str().unwrap();
    // Found upward from the scanned path.
    let (code, report, _) = scan_json(&[dir, "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        first_of(&report, "KW-PSS-003")["suppressed"]["by"],
        "config"
    );
    let mut c = kubeward();
    let out = c.args(["scan", dir, "--format", "json"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "config discovered from the folder"
    );

    // Expired: stops applying, and says so.
    std::fs::write(
        &cfg,
        "ignore:\n  - rules: [KW-PSS-003]\n    reason: lab cluster\n    expires: 2020-01-01\n",
    )
    .unwrap();
    let (code, report, _) = scan_json(&[dir, "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(first_of(&report, "KW-PSS-003")["suppressed"].is_null());
    let w = &report["errors"][0];
    assert_eq!(w["level"], "warning");
    assert!(
        w["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01"),
        "{w}"
    );
    // The place of the ignore entry, as file, line and column (not "file:2:5" in `file`).
    assert_eq!(w["file"], cfg.to_str().unwrap(), "{w}");
    assert_eq!(
        (w["line"].as_u64(), w["column"].as_u64()),
        (Some(2), Some(5)),
        "{w}"
    );

    // Severity override and disabling a whole layer.
    std::fs::write(&cfg, "rules:\n  severity: {KW-PSS-003: low}\n").unwrap();
    let (code, report, _) = scan_json(&[dir, "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(first_of(&report, "KW-PSS-003")["severity"], "low");
    std::fs::write(&cfg, "rules:\n  disable: [pod-to-node]\n").unwrap();
    let (_, report, _) = scan_json(&[dir, "--config", cfg.to_str().unwrap()]);
    assert!(!rule_ids(&report).iter().any(|r| r.starts_with("KW-PSS")));
}

#[test]
fn bad_config_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "p.yaml", PRIV_POD);
    let cfg = write(
        d.path(),
        "bad.yaml",
        "ignore:\n  - rules: [KW-PSS-999]\n    reason: x\n",
    );
    let out = kubeward()
        .args([
            "scan",
            d.path().to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:2:13") && err.contains("unknown rule ID `KW-PSS-999`"),
        "{err}"
    );
    let cfg = write(d.path(), "bad2.yaml", "rules:\n  disabel: [x]\n");
    let out = kubeward()
        .args([
            "scan",
            d.path().to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad2.yaml:2:3: unknown field `disabel`")
    );
}

#[test]
fn baseline_fails_only_on_new_findings() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "p.yaml", PRIV_POD);
    let base = d.path().join("base.json");
    let (code, _, _) = scan_json(&[
        f.to_str().unwrap(),
        "--write-baseline",
        base.to_str().unwrap(),
    ]);
    // Recording the baseline is the job: it succeeds whatever the findings are.
    assert_eq!(code, 0);
    assert!(base.is_file());
    // Same findings, moved lines: still suppressed by the baseline.
    std::fs::write(
        &f,
        format!("# a comment that moves every line\n\n{PRIV_POD}"),
    )
    .unwrap();
    let (code, report, _) = scan_json(&[f.to_str().unwrap(), "--baseline", base.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"][0]["suppressed"]["by"], "baseline");
    // A new finding fails.
    std::fs::write(&f, PRIV_POD.replace("spec:\n", "spec:\n  hostPID: true\n")).unwrap();
    let (code, report, _) = scan_json(&[f.to_str().unwrap(), "--baseline", base.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(active(&report, "KW-PSS-002"), 1);
    assert_eq!(active(&report, "KW-PSS-003"), 0);
    // A file that is not a baseline is a usage error.
    kubeward()
        .args([
            "scan",
            f.to_str().unwrap(),
            "--baseline",
            f.to_str().unwrap(),
        ])
        .assert()
        .code(2);
}

#[test]
fn several_outputs_at_once() {
    let d = tempfile::tempdir().unwrap();
    let sarif = d.path().join("k.sarif");
    let junit = d.path().join("k.xml");
    let text = d.path().join("k.txt");
    let out = kubeward()
        .args([
            "scan",
            "examples/insecure-app",
            "--no-config",
            "--format",
            "json",
            "--output",
        ])
        .arg(format!("sarif={}", sarif.display()))
        .arg("--output")
        .arg(format!("junit={}", junit.display()))
        .arg("--output")
        .arg(format!("text={}", text.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .starts_with("<?xml")
    );
    let t = std::fs::read_to_string(&text).unwrap();
    assert!(
        !t.contains('\x1b'),
        "text written to a file carries no colour codes"
    );
    kubeward()
        .args(["scan", "examples/insecure-app", "--output", "pdf=x.pdf"])
        .assert()
        .code(2);
}

#[test]
fn missing_paths_and_usage_errors_exit_2() {
    kubeward()
        .args(["scan", "does/not/exist.yaml"])
        .assert()
        .code(2);
    kubeward().args(["scan", "--bogus"]).assert().code(2);
    kubeward()
        .args(["scan", "examples", "--pod-security", "strict"])
        .assert()
        .code(2);
    kubeward().args(["explain", "KW-NOPE-001"]).assert().code(2);
}

#[test]
fn rules_and_explain() {
    let out = kubeward()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"KW-PSS-003") && ids.contains(&"KW-GEN-001"));
    let out = kubeward().args(["explain", "kw-pss-003"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Why it matters") && text.contains("cis: 5.2.2"),
        "{text}"
    );
}

#[test]
fn kustomize_folders_are_rendered() {
    let kubectl_ok = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "base/pod.yaml", PRIV_POD);
    write(
        d.path(),
        "base/kustomization.yaml",
        "resources: [pod.yaml]\n",
    );
    write(
        d.path(),
        "overlay/kustomization.yaml",
        "resources: [../base]\nnamespace: prod\nnamePrefix: prod-\npatches:\n- path: host.yaml\n",
    );
    write(
        d.path(),
        "overlay/host.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostPID: true\n",
    );
    let overlay = d.path().join("overlay");
    if !kubectl_ok {
        assert!(
            std::env::var_os("KUBEWARD_REQUIRE_SERVICES").is_none(),
            "kubectl is required when KUBEWARD_REQUIRE_SERVICES is set"
        );
        eprintln!("skipped: kubectl not found; Kustomize rendering is not tested here");
    } else {
        let (code, report, stderr) = scan_json(&[overlay.to_str().unwrap()]);
        assert_eq!(code, 1, "{stderr}");
        let findings = report["findings"].as_array().unwrap();
        let of = |id: &str| {
            findings
                .iter()
                .find(|f| f["rule_id"] == id)
                .unwrap_or_else(|| panic!("no {id}: {findings:#?}"))
        };
        let f = of("KW-PSS-003");
        assert_eq!(f["resource"]["name"], "prod-p");
        assert_eq!(f["resource"]["namespace"], "prod");
        // Findings point at the file a user edits: the base for what the base writes...
        assert_eq!(f["location"]["origin"], "file");
        let file = f["location"]["file"].as_str().unwrap();
        assert!(file.ends_with("base/pod.yaml"), "{file}");
        let base = std::fs::read_to_string(d.path().join("base/pod.yaml")).unwrap();
        let line = f["location"]["line"].as_u64().unwrap() as usize;
        assert!(
            base.lines().nth(line - 1).unwrap().contains("privileged"),
            "{base} line {line}"
        );
        // ... and the overlay's patch for the field it adds.
        let f = of("KW-PSS-002");
        let file = f["location"]["file"].as_str().unwrap();
        assert!(file.ends_with("overlay/host.yaml"), "{f}");
        assert_eq!(f["location"]["line"], 6, "{f}");
        // Walking the parent renders both roots instead of reading their files raw.
        let (_, report, _) = scan_json(&[d.path().to_str().unwrap()]);
        assert_eq!(report["summary"]["objects"], 2);
    }
    // Without kubectl the error says what to do.
    let out = kubeward()
        .env("KUBEWARD_KUBECTL", "/nonexistent/kubectl")
        .args([
            "scan",
            overlay.to_str().unwrap(),
            "--format",
            "json",
            "--no-config",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let msg = report["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("install kubectl") && msg.contains("--no-kustomize"),
        "{msg}"
    );
    // --no-kustomize reads the files as they are (the patch file is a Pod of its own).
    let (code, report, _) = scan_json(&[d.path().to_str().unwrap(), "--no-kustomize"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["objects"], 2);
}

#[test]
fn missing_pod_spec_is_an_error_not_a_silent_pass() {
    let (code, report, _) = scan_json_stdin(
        &["-"],
        Some(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template: oops\n",
        ),
    );
    assert_eq!(code, 2);
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no pod spec")
    );
    assert_eq!(report["summary"]["objects"], 1);
}

/// The worker thread count a scan used (`KUBEWARD_TIMINGS` prints it).
fn threads_used(args: &[String], env: Option<(&str, &str)>) -> usize {
    let mut c = kubeward();
    c.env("KUBEWARD_TIMINGS", "1")
        .env_remove("RAYON_NUM_THREADS");
    if let Some((k, v)) = env {
        c.env(k, v);
    }
    let out = c.arg("scan").args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    err.lines()
        .find_map(|l| l.strip_prefix("timing: threads "))
        .unwrap_or_else(|| panic!("no thread count in: {err}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn small_scans_run_on_one_thread_unless_told_otherwise() {
    let ex = root().join("examples/insecure-app");
    let ex = ex.to_str().unwrap();
    let base = ["--format", "json", "--no-config", "--fail-on", "none"];
    let with = |extra: &[&'static str]| -> Vec<String> {
        [&[ex][..], &base, extra]
            .concat()
            .into_iter()
            .map(String::from)
            .collect()
    };
    // A dozen small files: no worker thread is worth waking.
    assert_eq!(threads_used(&with(&[]), None), 1);
    // A chosen count is kept, by flag or by rayon's variable.
    assert_eq!(threads_used(&with(&["--threads", "3"]), None), 3);
    assert_eq!(
        threads_used(&with(&[]), Some(("RAYON_NUM_THREADS", "3"))),
        3
    );
    // More than 64 KiB and 256 objects: rayon's default (one per core).
    let d = tempfile::tempdir().unwrap();
    let mut big = String::new();
    for i in 0..400 {
        big.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: a}}\ndata: {{k: '{}'}}\n",
            "x".repeat(120)
        ));
    }
    assert!(big.len() > 64 * 1024);
    let f = write(d.path(), "big.yaml", &big);
    let big_args: Vec<String> = [f.to_str().unwrap()]
        .iter()
        .chain(base.iter())
        .map(|s| s.to_string())
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(threads_used(&big_args, None), cores);
    // And the findings are the same whatever the count (with a fixed fingerprint key: the
    // fingerprints of redacted credentials are random per run otherwise).
    let one = kubeward()
        .env("KUBEWARD_FINGERPRINT_KEY", "test")
        .arg("scan")
        .args(with(&["--threads", "1"]))
        .output()
        .unwrap();
    let three = kubeward()
        .env("KUBEWARD_FINGERPRINT_KEY", "test")
        .arg("scan")
        .args(with(&["--threads", "3"]))
        .output()
        .unwrap();
    assert!(!one.stdout.is_empty());
    assert_eq!(one.stdout, three.stdout);
}

#[test]
fn control_plane_static_pods_get_flag_findings_not_workload_advice() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\n  labels: {component: kube-apiserver, tier: control-plane}\nspec:\n  hostNetwork: true\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.33.1\n    command: [kube-apiserver, --authorization-mode=AlwaysAllow]\n";
    let (code, report, err) = scan_json_stdin(&["-"], Some(pod));
    assert_eq!(code, 1, "{err}");
    let findings = report["findings"].as_array().unwrap();
    let status_of = |rule: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .collect()
    };
    // The flag is the owner's to fix: still failing.
    assert_eq!(status_of("KW-CP-003"), vec!["fail"]);
    // Workload advice on the distribution's manifest is kept, marked not applicable.
    for rule in ["KW-PSS-103", "KW-PSS-002", "KW-NET-104", "KW-CTR-002"] {
        let s = status_of(rule);
        assert!(!s.is_empty(), "{rule} missing");
        assert!(s.iter().all(|s| s == "not_applicable"), "{rule}: {s:?}");
    }
    let m = findings
        .iter()
        .find(|f| f["rule_id"] == "KW-PSS-103")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(
        m.contains("kube-apiserver is a control-plane static pod"),
        "{m}"
    );
    // The same pod outside kube-system is an ordinary workload.
    let (_, report, _) = scan_json_stdin(&["-"], Some(&pod.replace("kube-system", "default")));
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "KW-PSS-103")
            .all(|f| f["status"] == "fail")
    );
}

#[test]
fn everything_in_deploy_passes_kubewards_own_scan() {
    // What the project ships must meet its own bar: every remaining finding is suppressed with
    // a reason in the manifest itself.
    let (code, report, err) = scan_json(&["deploy", "--pod-security", "restricted"]);
    let active: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null() && f["status"] == "fail")
        .map(|f| format!("{} {}", f["rule_id"], f["message"]))
        .collect();
    assert!(active.is_empty(), "{active:#?}");
    assert_eq!(code, 0, "{err}");
    for f in report["findings"].as_array().unwrap() {
        if let Some(s) = f["suppressed"].as_object() {
            let reason = s["reason"].as_str().unwrap_or("");
            assert!(
                !reason.trim().is_empty(),
                "suppressed without a reason: {f}"
            );
        }
    }
}

#[test]
fn output_filters_select_findings_and_the_exit_code_follows() {
    let all = |args: &[&str]| {
        let mut a = vec!["examples/insecure-app"];
        a.extend_from_slice(args);
        scan_json(&a)
    };
    let (code, full, _) = all(&[]);
    assert_eq!(code, 1);
    let n = |r: &Value| r["findings"].as_array().unwrap().len();
    let rules = |r: &Value| -> BTreeSet<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect()
    };
    // Severity.
    let (_, crit, _) = all(&["--min-severity", "critical"]);
    assert!(n(&crit) > 0 && n(&crit) < n(&full));
    assert!(
        crit["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "critical")
    );
    assert_eq!(crit["summary"]["findings"]["total"], n(&crit));
    // Layer, rule (any case), skip-rule.
    let (_, net, _) = all(&["--layer", "pod-to-pod,network"]);
    assert!(
        net["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["layer"] == "pod-to-pod" || f["layer"] == "network")
    );
    let (_, one, _) = all(&["--rule", "kw-pss-003"]);
    assert_eq!(
        rules(&one),
        ["KW-PSS-003".to_string()].into_iter().collect()
    );
    let (_, skipped, _) = all(&["--skip-rule", "KW-PSS-003"]);
    assert!(!rules(&skipped).contains("KW-PSS-003"));
    assert_eq!(n(&skipped) + n(&one), n(&full));
    // Namespace of the object.
    let (_, shop, _) = all(&["--in-namespace", "shop"]);
    assert!(n(&shop) > 0);
    assert!(
        shop["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["resource"]["namespace"] == "shop")
    );
    // Nothing left at or above --fail-on: exit 0.
    let (code, _, _) = all(&["--rule", "KW-CTR-014"]);
    assert_eq!(code, 0);
    // An unknown rule is a usage error, not an empty report.
    let out = kubeward()
        .args(["scan", "examples/insecure-app", "--rule", "KW-NOPE-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule `KW-NOPE-1`"));
}

#[test]
fn quiet_colour_and_fail_on_unknown() {
    let out = kubeward()
        .args(["scan", "examples/insecure-app", "--no-config", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let out = kubeward()
        .args([
            "scan",
            "examples/insecure-app",
            "--no-config",
            "--color",
            "always",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b["));
    let out = kubeward()
        .args([
            "scan",
            "examples/insecure-app",
            "--no-config",
            "--color",
            "never",
        ])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\x1b["));
    // The hardened app passes, but one check could not decide (no registry allow-list).
    let (code, _, _) = scan_json(&["examples/hardened-app"]);
    assert_eq!(code, 0);
    let (code, report, _) = scan_json(&["examples/hardened-app", "--fail-on-unknown"]);
    assert!(report["summary"]["findings"]["unknown"].as_u64().unwrap() > 0);
    assert_eq!(code, 1);
}

#[test]
fn summary_format_prints_only_the_tables() {
    let out = kubeward()
        .args([
            "scan",
            "examples/insecure-app",
            "--no-config",
            "--format",
            "summary",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("rule ") && first.ends_with("title"),
        "{text}"
    );
    assert!(text.contains("\nnamespace "), "{text}");
    assert!(text.contains("/100"), "{text}");
    // Lowest score first.
    let scores: Vec<u32> = text
        .lines()
        .filter_map(|l| l.strip_suffix("/100"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        scores.len() >= 3 && scores.windows(2).all(|w| w[0] <= w[1]),
        "{scores:?}"
    );
    assert!(!text.contains("-->"), "no findings listed: {text}");
}
