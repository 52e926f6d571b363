//! Generated hostile input for the whole loading path (`load_text`: parse, extract objects,
//! inventory) and the configuration parser: random bytes, structured mutations of real
//! manifests, and deep nesting. The property is always the same: no panic, no hang, every
//! object reachable, every problem a located diagnostic. These stand in for the cargo-fuzz
//! targets under fuzz/ in CI (which has no nightly toolchain); docs/reliability.md says how
//! long each was fuzzed.

use kubeward_core::Registry;
use kubeward_core::config::Config;
use kubeward_core::input::{Level, LoadOptions, load_text};
use proptest::prelude::*;

const MANIFEST: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels: {app: web}\nspec:\n  replicas: 2\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      hostNetwork: yes\n      containers:\n      - &c\n        name: web\n        image: \"nginx:1.27\"\n        env:\n        - {name: DB_PASSWORD, value: p4ss-W0rd-x}\n        securityContext: {privileged: true, runAsUser: 0400}\n      - <<: *c\n        name: side\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: NodePort}}\n";

const CONFIG: &str = "rules:\n  disable: [KW-CTR-004, monitoring]\n  severity: {KW-CTR-001: low}\nignore:\n  - rules: [KW-PSS-003]\n    kind: DaemonSet\n    name: \"node-*\"\n    reason: reads host metrics\n    expires: 2027-03-31\nsettings:\n  pod_security: restricted:v1.30\n  min_user_id: 10000\n";

fn check(name: &str, text: &str) {
    let l = load_text(name, text, &LoadOptions::default());
    // YAML counts `\r`, NEL and the Unicode line and paragraph separators as line breaks too
    // (as editors do): an upper bound is one line per break of any kind.
    let lines = text
        .chars()
        .filter(|c| matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'))
        .count() as u32
        + 2;
    for d in &l.diagnostics {
        assert!(d.line <= lines, "{d} beyond {lines} lines");
        assert!(!d.message.is_empty());
    }
    for o in l.inventory.objects() {
        assert!(!o.kind.is_empty());
        let _ = o.root.to_json();
    }
}

/// A structured mutation: replace, insert or delete a short run at a position.
fn mutate(base: &'static str) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec(
        (
            0usize..base.len(),
            0u8..3,
            prop::sample::select(vec![
                "",
                ":",
                "- ",
                "  ",
                "\n",
                "{",
                "}",
                "[",
                "]",
                "&a ",
                "*a",
                "<<: ",
                "!!binary ",
                "'",
                "\"",
                "#",
                "---\n",
                "\t",
                "? ",
                "|",
                ">",
                "%",
                "@",
                "`",
                "\u{feff}",
                "é",
                "0x1F",
                "~",
                "null",
                "1e999",
                "-.inf",
            ]),
        ),
        1..6,
    );
    edits.prop_map(move |edits| {
        let mut s = base.to_string();
        for (pos, op, text) in edits {
            let mut p = pos.min(s.len());
            while !s.is_char_boundary(p) {
                p -= 1;
            }
            match op {
                0 => s.insert_str(p, text),
                1 => {
                    let mut end = (p + text.len().max(1)).min(s.len());
                    while !s.is_char_boundary(end) {
                        end += 1;
                    }
                    s.replace_range(p..end, text);
                }
                _ => {
                    let mut end = (p + 3).min(s.len());
                    while !s.is_char_boundary(end) {
                        end += 1;
                    }
                    s.replace_range(p..end, "");
                }
            }
        }
        s
    })
}

fn registry() -> Registry {
    let mut r = Registry::new();
    r.extend(kubeward_core::engine::engine_rules());
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        check("r.yaml", &text);
        check("r.json", &text);
    }

    #[test]
    fn mutated_manifests_never_panic(text in mutate(MANIFEST)) {
        check("m.yaml", &text);
    }

    #[test]
    fn mutated_json_manifests_never_panic(text in mutate("{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"x\"}]}}\n")) {
        check("m.json", &text);
    }

    #[test]
    fn mutated_configs_parse_or_fail_with_a_location(text in mutate(CONFIG)) {
        let reg = registry();
        if let Err(e) = Config::parse(&text, ".kubeward.yaml", &reg) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow(
        depth in 200usize..20_000,
        style in 0u8..4,
    ) {
        let text = match style {
            0 => format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: n}}\ndata: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
            1 => format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: n}}\nx: {}1\n", "{a: ".repeat(depth)),
            2 => {
                let mut s = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n}\nx:\n");
                for i in 0..depth.min(3000) {
                    s.push_str(&" ".repeat(i + 1));
                    s.push_str("- \n");
                }
                s
            }
            _ => format!("{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"n\"}}, \"x\": {}1{}}}", "[".repeat(depth), "]".repeat(depth)),
        };
        let name = if style == 3 { "deep.json" } else { "deep.yaml" };
        let l = load_text(name, &text, &LoadOptions::default());
        if depth > 300 {
            prop_assert!(l.diagnostics.iter().any(|d| d.level == Level::Error), "depth {depth} style {style}");
        }
    }
}
