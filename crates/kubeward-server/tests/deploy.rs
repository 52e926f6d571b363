//! deploy/admission passes kubeward's own scan at `restricted` (expected findings are
//! suppressed with reasons in the manifests), and the webhook configurations carry what a safe
//! webhook needs.

use kubeward_core::config::{Config, Settings};
use kubeward_core::engine::{Engine, engine_rules};
use kubeward_core::input::{InputArg, LoadOptions, load};
use kubeward_core::{Node, Registry};
use std::path::PathBuf;

fn deploy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/admission")
}

#[test]
fn deploy_manifests_pass_the_restricted_scan() {
    let loaded = load(&[InputArg::Path(deploy())], &LoadOptions::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let mut registry = Registry::new();
    registry.extend(engine_rules());
    registry.extend(kubeward_rules::rules());
    registry.extend(kubeward_analysis::rules());
    let config = Config {
        settings: Settings {
            pod_security: "restricted:latest".into(),
            ..Settings::default()
        },
        ..Config::default()
    };
    let out = Engine {
        registry: &registry,
        config: &config,
    }
    .run(&loaded.inventory, &loaded.duplicates, None);
    let active: Vec<String> = out
        .findings
        .iter()
        .filter(|f| f.is_active())
        .map(|f| format!("{} {}", f.rule.id, f.message))
        .collect();
    assert!(active.is_empty(), "{active:#?}");
    // Every suppression says why.
    for f in out.findings.iter().filter(|f| f.suppressed.is_some()) {
        let s = f.suppressed.as_ref().unwrap();
        assert!(
            s.reason.len() > 20,
            "{} suppressed without a real reason",
            f.rule.id
        );
    }
    assert!(loaded.inventory.len() >= 15);
}

fn s<'a>(n: &'a Node, path: &[&str]) -> Option<&'a str> {
    n.path(path).and_then(Node::as_str)
}

#[test]
fn webhook_configurations_are_safe() {
    for dir in [deploy(), deploy().join("cert-manager")] {
        let loaded = load(
            &[InputArg::Path(dir.join("webhooks.yaml"))],
            &LoadOptions::default(),
        );
        let mut seen = 0;
        for obj in loaded.inventory.objects() {
            let hooks = obj.root.path(&["webhooks"]).and_then(Node::as_seq).unwrap();
            for h in hooks {
                seen += 1;
                assert_eq!(s(h, &["sideEffects"]), Some("None"));
                let timeout: i64 = h.path(&["timeoutSeconds"]).and_then(Node::as_i64).unwrap();
                assert!((1..=10).contains(&timeout));
                let fp = s(h, &["failurePolicy"]).unwrap();
                assert_eq!(
                    fp,
                    if obj.kind == "ValidatingWebhookConfiguration" {
                        "Fail"
                    } else {
                        "Ignore"
                    }
                );
                let sel = h
                    .path(&["namespaceSelector"])
                    .unwrap()
                    .to_json()
                    .to_string();
                assert!(
                    sel.contains("kube-system") && sel.contains("NotIn"),
                    "{sel}"
                );
                assert!(
                    h.path(&["matchConditions"])
                        .and_then(Node::as_seq)
                        .is_some_and(|m| !m.is_empty())
                );
                let path = s(h, &["clientConfig", "service", "path"]).unwrap();
                assert!(["/validate", "/mutate"].contains(&path));
            }
        }
        assert_eq!(seen, 2, "{}", dir.display());
    }
}
