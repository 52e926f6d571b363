//! Output formats on the example applications: insta snapshots of every format, the JSON
//! report against docs/report.schema.json, SARIF against the OASIS SARIF 2.1.0 schema.

use kubeward::{Files, Source, enabled_rules, registry, scan};
use kubeward_core::config::Config;
use kubeward_core::input::LoadOptions;
use kubeward_report::text::TextOptions;
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Scans an example with paths relative to the repository root, as a user would type them.
fn outputs(example: &str) -> (String, String, String, String) {
    let _cwd = std::env::set_current_dir(root());
    let reg = registry();
    let mut config = Config::default();
    // Fingerprints of redacted credentials are keyed, with a random key per scan unless one
    // is configured: a fixed key makes the outputs comparable.
    config.settings.fingerprint_key = Some("kubeward-example-key".into());
    let sources: Vec<Box<dyn Source>> = vec![Box::new(Files::new(
        &[format!("examples/{example}")],
        LoadOptions::default(),
    ))];
    let o = scan(&sources, &reg, &config, None).expect("one source");
    let rules = enabled_rules(&reg, &config);
    let text = kubeward_report::text::render(
        &o.report,
        &o.loaded.inventory,
        TextOptions {
            show_suppressed: true,
        },
    );
    (
        kubeward_report::json::render(&o.report),
        kubeward_report::sarif::render(&o.report, &rules),
        kubeward_report::junit::render(&o.report, &rules),
        anstream::adapter::strip_str(&text).to_string(),
    )
}

#[test]
fn snapshots_of_every_format() {
    for example in ["insecure-app", "hardened-app"] {
        let (json, sarif, junit, text) = outputs(example);
        insta::assert_snapshot!(format!("{example}.json"), json);
        insta::assert_snapshot!(format!("{example}.sarif"), sarif);
        insta::assert_snapshot!(format!("{example}.junit.xml"), junit);
        insta::assert_snapshot!(format!("{example}.txt"), text);
    }
}

#[test]
fn output_is_deterministic() {
    let a = outputs("insecure-app");
    let b = outputs("insecure-app");
    assert_eq!(a, b);
}

fn validate(schema: &Value, instance: &Value) -> Vec<String> {
    let v = jsonschema::validator_for(schema).expect("schema compiles");
    v.iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(20)
        .collect()
}

#[test]
fn json_report_matches_its_documented_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    for example in ["insecure-app", "hardened-app"] {
        let (json, _, _, _) = outputs(example);
        let report: Value = serde_json::from_str(&json).unwrap();
        let errors = validate(&schema, &report);
        assert!(errors.is_empty(), "{example}: {errors:#?}");
        let mut broken = report.clone();
        broken["findings"] = serde_json::json!([{"rule_id": "nope"}]);
        assert!(!validate(&schema, &broken).is_empty());
    }
}

#[test]
fn sarif_is_valid_against_the_oasis_schema() {
    let path = root().join("../shared/schemas/sarif-schema-2.1.0.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        assert!(
            std::env::var_os("KUBEWARD_REQUIRE_SERVICES").is_none(),
            "{} is required when KUBEWARD_REQUIRE_SERVICES is set",
            path.display()
        );
        eprintln!(
            "skipped: {} not found; SARIF schema validation not run",
            path.display()
        );
        return;
    };
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // The published rtm.5 schema carries a malformed regex (a stray `]` in the `language`
    // patterns) that a strict validator refuses to compile. Replace it, in memory only, with
    // the pattern it means: a language tag like `en` or `en-US`.
    fn fix(v: &mut Value) -> usize {
        match v {
            Value::Object(m) => {
                let mut n = 0;
                for (k, x) in m.iter_mut() {
                    if k == "pattern" && x == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                        *x = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                        n += 1;
                    } else {
                        n += fix(x);
                    }
                }
                n
            }
            Value::Array(a) => a.iter_mut().map(fix).sum(),
            _ => 0,
        }
    }
    assert!(
        fix(&mut schema) > 0,
        "the schema changed: revisit this workaround"
    );
    for example in ["insecure-app", "hardened-app"] {
        let (_, sarif, _, _) = outputs(example);
        let doc: Value = serde_json::from_str(&sarif).unwrap();
        let errors = validate(&schema, &doc);
        assert!(errors.is_empty(), "{example}: {errors:#?}");
        // The validator does reject what the schema forbids.
        let mut broken = doc.clone();
        broken["runs"][0]["results"] = Value::from("not a list");
        assert!(!validate(&schema, &broken).is_empty());
        // What GitHub code scanning needs beyond the schema.
        let run = &doc["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        for r in run["results"].as_array().unwrap() {
            assert!(r["partialFingerprints"]["kubeward/v1"].is_string());
            // Findings about the scan as a whole are results too, at a logical location.
            if r["locations"][0]["physicalLocation"].is_null() {
                assert_eq!(
                    r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], "kubeward scan",
                    "{r}"
                );
                continue;
            }
            let loc = &r["locations"][0]["physicalLocation"];
            assert!(
                loc["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .starts_with("examples/")
            );
            assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], r["ruleId"]);
        }
        // Every finding of the report is a result (none is left in the notifications).
        let (json, _, _, _) = outputs(example);
        let json: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            run["results"].as_array().unwrap().len(),
            json["findings"].as_array().unwrap().len()
        );
        for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
            assert!(rule["help"]["text"].as_str().unwrap().len() > 20);
            assert!(rule["properties"]["security-severity"].is_string());
        }
    }
}

#[test]
fn junit_is_one_case_per_rule_and_resource() {
    let (_, _, junit, _) = outputs("insecure-app");
    // Two privileged containers in two objects: two failing cases of KW-PSS-003.
    let cases = junit
        .lines()
        .filter(|l| l.contains("<testcase classname=\"KW-PSS-003\""))
        .count();
    assert_eq!(cases, 2, "{junit}");
    assert!(junit.contains("name=\"DaemonSet monitoring/log-agent\""));
}
