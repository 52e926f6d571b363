//! Helpers for rule tests: run rules over inline YAML and look at what they found.

use crate::config::{Config, Settings};
use crate::engine::Engine;
use crate::finding::{Finding, Severity, Status};
use crate::input::{LoadOptions, Loaded, load_text};
use crate::rule::{Registry, Rule};

/// A finding reduced to what tests assert on.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub rule: &'static str,
    /// `Kind namespace/name`.
    pub object: String,
    pub pointer: String,
    pub line: u32,
    pub message: String,
    pub severity: Severity,
    pub status: Status,
    pub references: Vec<(&'static str, String)>,
}

/// Loads `yaml` (panicking on input errors, which a test fixture must not have).
pub fn load(yaml: &str) -> Loaded {
    let l = load_text("test.yaml", yaml, &LoadOptions::default());
    let errors: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.level == crate::input::Level::Error)
        .collect();
    assert!(errors.is_empty(), "fixture has input errors: {errors:?}");
    l
}

/// Runs `rules` with `settings` over `yaml`. The rules run even when they are off by default:
/// a test names the rules it means.
pub fn run_with(rules: &[&'static Rule], settings: Settings, yaml: &str) -> Vec<Hit> {
    let loaded = load(yaml);
    let mut registry = Registry::new();
    registry.extend(rules.iter().copied());
    let config = Config {
        settings,
        enable: rules.iter().map(|r| r.meta.id).collect(),
        ..Config::default()
    };
    let out = Engine {
        registry: &registry,
        config: &config,
    }
    .run(&loaded.inventory, &loaded.duplicates, None);
    hits(&loaded, out.findings)
}

/// Runs one rule with default settings.
pub fn run(rule: &'static Rule, yaml: &str) -> Vec<Hit> {
    run_with(&[rule], Settings::default(), yaml)
}

fn hits(loaded: &Loaded, findings: Vec<Finding>) -> Vec<Hit> {
    let inv = &loaded.inventory;
    let mut v: Vec<Hit> = findings
        .into_iter()
        .map(|f| {
            let (object, line) = match f.object {
                Some(id) => {
                    let o = inv.object(id);
                    (o.display(), o.span_of(&f.pointer).line)
                }
                None => (String::new(), 0),
            };
            Hit {
                rule: f.rule.id,
                object,
                pointer: f.pointer,
                line,
                message: f.message,
                severity: f.severity,
                status: f.status,
                references: f.references,
            }
        })
        .collect();
    v.sort_by(|a, b| (a.line, &a.pointer, a.rule).cmp(&(b.line, &b.pointer, b.rule)));
    v
}

/// Pointers of the hits, for compact assertions.
pub fn pointers(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.pointer.as_str()).collect()
}

/// An inventory of one object built from JSON (no file, no spans): `name` in `namespace`
/// (`None`: cluster-scoped or defaulted to `default` by the inventory).
pub fn json_inventory(
    v: &serde_json::Value,
    name: &str,
    namespace: Option<&str>,
) -> crate::inventory::Inventory {
    let root = crate::tree::Node::from_json(v);
    let mut inv = crate::inventory::Inventory::new();
    inv.add_objects(
        vec![crate::inventory::NewObject {
            source: crate::inventory::SourceId(0),
            doc: 0,
            base_pointer: String::new(),
            api_version: root.str_at("apiVersion").unwrap_or_default().into(),
            kind: root.str_at("kind").unwrap_or_default().into(),
            name: name.into(),
            namespace: namespace.map(Into::into),
            root,
        }],
        "default",
    );
    inv
}
