//! A scan of manifests that hold known secrets must not print any of them, in any output
//! format: not in messages, not in quoted source lines (flow-style YAML puts a whole container,
//! env values included, on one line), not for findings of other rules on the same line, and not
//! for findings on Secret objects.

use assert_cmd::Command;
use kubeward::{enabled_rules, registry, scan_loaded};
use kubeward_core::config::Config;
use kubeward_core::input::{LoadOptions, load_text};
use kubeward_report::text::TextOptions;

const ENV_PASSWORD: &str = "Zq8-rT5!pLm2vX";
const GITHUB_TOKEN: &str = "ghp_R7tU9vW1xY3z5AaB3dE5fG7hJ9kL1mN3pQ5s";
const URL_PASSWORD: &str = "Sup3rS3cretUrlPw";
const PROPS_PASSWORD: &str = "Hunter2-Props-Pw";
const PEM_BODY: &str = "MIIEowIBAAKCAQEA7bqXfakeKeyMaterialForTestsOnlyQ9xZ";
const SECRET_DATA: &str = "c2VjcmV0LXZhbHVlLTE=";
const SECRET_DATA_2: &str = "c2VjcmV0LXZhbHVlLTI=";
const SECRET_STRING: &str = "string-data-Pw-77";

fn manifest() -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata: {{name: leaky, namespace: team}}
spec:
  containers:
  - {{name: flow, image: "nginx:1.27", env: [{{name: DB_PASSWORD, value: "{ENV_PASSWORD}"}}]}}
  - name: block
    image: nginx:1.27
    env:
    - name: GH
      value: {GITHUB_TOKEN}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: team}}
data:
  DATABASE_URL: postgres://shop:{URL_PASSWORD}@db:5432/shop
  application.properties: |
    server.port=8080
    spring.datasource.password={PROPS_PASSWORD}
  tls.key: |
    -----BEGIN RSA PRIVATE KEY-----
    {PEM_BODY}
    -----END RSA PRIVATE KEY-----
---
apiVersion: v1
kind: Secret
metadata: {{name: creds, namespace: team}}
type: Opaque
stringData:
  password: {SECRET_STRING}
data:
  token: {SECRET_DATA}
  token: {SECRET_DATA_2}
"#
    )
}

const SECRETS: &[&str] = &[
    ENV_PASSWORD,
    GITHUB_TOKEN,
    URL_PASSWORD,
    PROPS_PASSWORD,
    PEM_BODY,
    SECRET_DATA,
    SECRET_DATA_2,
    SECRET_STRING,
];

fn assert_clean(format: &str, output: &str) {
    for s in SECRETS {
        assert!(
            !output.contains(s),
            "{format} output contains the secret value {s}:\n{output}"
        );
    }
    // Not even a recognisable part of the random ones.
    for part in ["Zq8-rT5", "R7tU9vW1xY3z", "Sup3rS3cret", "Hunter2-Props"] {
        assert!(!output.contains(part), "{format} output contains `{part}`");
    }
}

#[test]
fn no_output_format_contains_a_secret_value() {
    let reg = registry();
    let config = Config::default();
    let loaded = load_text("leaky.yaml", &manifest(), &LoadOptions::default());
    let outcome = scan_loaded(loaded, &reg, &config, None);
    let report = &outcome.report;
    let rules = enabled_rules(&reg, &config);

    // The scan did find the secrets (the test is not vacuous).
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id).collect();
    assert_eq!(
        ids.iter().filter(|i| **i == "KW-DAT-001").count(),
        2,
        "{ids:?}"
    );
    assert_eq!(
        ids.iter().filter(|i| **i == "KW-DAT-002").count(),
        3,
        "{ids:?}"
    );
    assert!(
        ids.contains(&"KW-GEN-001"),
        "duplicate key in the Secret: {ids:?}"
    );

    let text = kubeward_report::text::render(
        report,
        &outcome.loaded.inventory,
        TextOptions {
            show_suppressed: true,
        },
    );
    // Other rules' findings on the flow-style container line are shown without the line.
    assert!(text.contains("source line not shown"));
    assert!(text.contains("KW-CTR-001"));
    assert_clean("text", &text);
    assert_clean("json", &kubeward_report::json::render(report));
    assert_clean("sarif", &kubeward_report::sarif::render(report, &rules));
    assert_clean("junit", &kubeward_report::junit::render(report, &rules));
}

#[test]
fn the_cli_prints_no_secret_value_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leaky.yaml");
    std::fs::write(&file, manifest()).unwrap();
    for format in ["text", "json", "sarif", "junit"] {
        let out = Command::cargo_bin("kubeward")
            .unwrap()
            .args([
                "scan",
                "--no-config",
                "--show-suppressed",
                "--format",
                format,
            ])
            .arg(&file)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert_clean(format, &String::from_utf8_lossy(&out.stdout));
        assert_clean(format, &String::from_utf8_lossy(&out.stderr));
    }
}
