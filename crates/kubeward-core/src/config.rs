//! Configuration: `.kubeward.yaml`, found upward from the scanned path or named with `--config`.
//!
//! ```yaml
//! rules:
//!   disable: [KW-CTR-004, monitoring]      # rule IDs or layer names
//!   enable: [KW-CTR-010]                   # turn on rules that are off by default
//!   severity: {KW-CTR-001: low}            # override a rule's severity
//! ignore:
//!   - rules: [KW-PSS-003]                  # or ["*"]
//!     kind: DaemonSet                      # globs; omitted means any
//!     namespace: kube-system
//!     name: "node-exporter*"
//!     reason: the exporter reads host metrics
//!     expires: 2027-03-31                  # optional; after it, the ignore stops applying
//! audit:                                   # `kubeward audit` (see docs/audit.md)
//!   allowed_source_ranges: [10.0.0.0/8]
//! settings:
//!   pod_security: restricted:latest
//!   allowed_registries: [registry.example.com/, ghcr.io/acme/]
//!   min_user_id: 10000
//! ```
//!
//! The file is read with the same YAML loader as manifests; unknown keys, unknown rule IDs, bad
//! globs and bad dates are errors with file, line and column.

use crate::finding::{Layer, Severity};
use crate::rule::Registry;
use crate::tree::Node;
use crate::yaml::{self, Limits};
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::collections::BTreeMap;

pub use crate::settings::{
    IngressController, PSS_LATEST_MINOR, PssError, PssLevel, PssProfile, Settings,
};
use std::path::{Path, PathBuf};

/// Names of the config file, searched upward from the scanned path.
pub const CONFIG_NAMES: &[&str] = &[".kubeward.yaml", ".kubeward.yml"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawConfig {
    rules: RawRules,
    ignore: Vec<RawIgnore>,
    settings: Option<serde_json::Value>,
    /// Read by `kubeward audit` (kubeward-audit validates it with locations).
    #[allow(dead_code)]
    audit: Option<serde_json::Value>,
    /// The admission server's block (`kubeward serve`), validated by kubeward-server.
    #[allow(dead_code)]
    admission: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawRules {
    enable: Vec<String>,
    disable: Vec<String>,
    severity: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rules: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

/// A config-file ignore entry, compiled.
#[derive(Debug, Clone)]
pub struct Ignore {
    /// Rule IDs (upper-case) or `*`.
    pub rules: Vec<String>,
    pub kind: Option<GlobMatcher>,
    pub namespace: Option<GlobMatcher>,
    pub name: Option<GlobMatcher>,
    pub reason: String,
    /// `(year, month, day)`.
    pub expires: Option<(i32, u32, u32)>,
    /// Where the entry is written, for messages (`.kubeward.yaml:12:5`).
    pub location: String,
    /// The same place as file, line and column, for diagnostics.
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl Ignore {
    pub fn is_expired(&self, today: (i32, u32, u32)) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    pub fn matches(&self, rule_id: &str, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        (self
            .rules
            .iter()
            .any(|r| r == "*" || r.eq_ignore_ascii_case(rule_id)))
            && self.kind.as_ref().is_none_or(|g| g.is_match(kind))
            && self
                .namespace
                .as_ref()
                .is_none_or(|g| g.is_match(namespace.unwrap_or("")))
            && self.name.as_ref().is_none_or(|g| g.is_match(name))
    }
}

/// Rule IDs and layer names listed under `rules.enable` or `rules.disable`, in file order,
/// with an index so that asking about each of a hundred rules does not scan the list each time.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    list: Vec<String>,
    /// The selectors upper-cased, sorted and deduplicated: looked up for every rule, so
    /// without hashing or allocating.
    upper: Vec<String>,
}

impl<S: Into<String>> FromIterator<S> for Selectors {
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> Self {
        let mut out = Selectors::default();
        for s in items {
            out.push(s.into());
        }
        out
    }
}

impl Selectors {
    pub fn push(&mut self, selector: String) {
        let upper = selector.to_ascii_uppercase();
        if let Err(i) = self.upper.binary_search(&upper) {
            self.upper.insert(i, upper);
        }
        self.list.push(selector);
    }

    /// Whether the rule ID is listed, in any letter case.
    pub fn has_id(&self, id: &str) -> bool {
        if self.upper.is_empty() {
            return false;
        }
        if id.bytes().any(|b| b.is_ascii_lowercase()) {
            let key = id.bytes().map(|b| b.to_ascii_uppercase());
            self.upper
                .binary_search_by(|s| s.bytes().cmp(key.clone()))
                .is_ok()
        } else {
            self.upper.binary_search_by(|s| s.as_str().cmp(id)).is_ok()
        }
    }

    /// Whether the layer is listed (layer names are lower case).
    pub fn has_layer(&self, layer: &str) -> bool {
        self.list.iter().any(|s| s == layer)
    }
}

/// A loaded, validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it came from, if a file.
    pub path: Option<PathBuf>,
    pub enable: Selectors,
    pub disable: Selectors,
    pub severity: BTreeMap<String, Severity>,
    pub ignores: Vec<Ignore>,
    pub settings: Settings,
    /// The `audit:` block as written (located), for `kubeward audit`, which validates it.
    pub audit: Option<Node>,
}

/// A configuration error, located in the config file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Finds `.kubeward.yaml` in `start` (or its folder, if a file) and its parents.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let abs = std::fs::canonicalize(start).ok()?;
        let mut dir = if abs.is_dir() {
            Some(abs.as_path())
        } else {
            abs.parent()
        };
        while let Some(d) = dir {
            for name in CONFIG_NAMES {
                let p = d.join(name);
                if p.is_file() {
                    return Some(p);
                }
            }
            dir = d.parent();
        }
        None
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path, registry: &Registry) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read config: {e}"),
        })?;
        let mut c = Config::parse(&text, &file, registry)?;
        c.path = Some(path.to_path_buf());
        Ok(c)
    }

    /// Parses config text. `file` names it in errors.
    pub fn parse(text: &str, file: &str, registry: &Registry) -> Result<Config, ConfigError> {
        let err = |line: u32, column: u32, message: String| ConfigError {
            file: file.to_string(),
            line,
            column,
            message,
        };
        let docs = yaml::load_stream(text, &Limits::default());
        if docs.len() > 1 {
            return Err(err(
                docs[1].start_line,
                1,
                "a config file holds one YAML document".into(),
            ));
        }
        let root = match docs.into_iter().next().map(|d| (d.result, d.duplicates)) {
            Some((Err(e), _)) => return Err(err(e.line, e.col, e.message)),
            Some((Ok(root), dups)) => {
                if let Some(d) = dups.first() {
                    return Err(err(
                        d.kept.line,
                        d.kept.col,
                        format!("duplicate key `{}` (first at line {})", d.key, d.first.line),
                    ));
                }
                root
            }
            None => None,
        };
        let Some(root) = root else {
            return Ok(Config::default());
        };
        let locate = |pointer: &str| {
            let s = root.locate(pointer).span();
            (s.line, s.col)
        };
        // An unknown field is shown at its key; other errors at the value.
        let locate_err = |pointer: &str, message: &str| {
            let l = root.locate(pointer);
            let s = match l.key_span {
                Some(k) if message.starts_with("unknown field") => k,
                _ => l.span(),
            };
            (s.line, s.col)
        };
        let raw: RawConfig = serde_path_to_error::deserialize(root.to_json()).map_err(|e| {
            let pointer = path_to_pointer(e.path());
            let m = e.inner().to_string();
            let (l, c) = locate_err(&pointer, &m);
            err(l, c, m)
        })?;

        let mut cfg = Config {
            audit: root.get("audit").filter(|n| !n.is_null()).cloned(),
            ..Config::default()
        };
        if let Some(s) = raw.settings {
            cfg.settings = serde_path_to_error::deserialize(s).map_err(|e| {
                let pointer = format!("/settings{}", path_to_pointer(e.path()));
                let m = e.inner().to_string();
                let (l, c) = locate_err(&pointer, &m);
                err(l, c, m)
            })?;
        }
        if let Err(m) = PssProfile::parse(&cfg.settings.pod_security) {
            let (l, c) = locate("/settings/pod_security");
            return Err(err(l, c, m.to_string()));
        }
        if let Some(ic) = &cfg.settings.ingress_controller {
            if ic.namespace.is_empty() {
                let (l, c) = locate("/settings/ingress_controller/namespace");
                return Err(err(
                    l,
                    c,
                    "`ingress_controller.namespace` must name the controller's namespace".into(),
                ));
            }
        }
        let check_selector = |sel: &str, pointer: String| -> Result<String, ConfigError> {
            if sel.parse::<Layer>().is_ok() {
                Ok(sel.to_string())
            } else if registry.get(sel).is_some() {
                Ok(sel.to_ascii_uppercase())
            } else {
                let (l, c) = locate(&pointer);
                Err(err(l, c, format!("unknown rule ID or layer `{sel}`")))
            }
        };
        for (i, s) in raw.rules.enable.iter().enumerate() {
            cfg.enable
                .push(check_selector(s, format!("/rules/enable/{i}"))?);
        }
        for (i, s) in raw.rules.disable.iter().enumerate() {
            cfg.disable
                .push(check_selector(s, format!("/rules/disable/{i}"))?);
        }
        for (id, sev) in &raw.rules.severity {
            let pointer = format!("/rules/severity/{}", crate::tree::escape_token(id));
            if registry.get(id).is_none() {
                let (l, c) = root
                    .path(&["rules", "severity"])
                    .and_then(Node::as_map)
                    .and_then(|m| m.get_entry(id))
                    .map(|(k, _)| (k.span.line, k.span.col))
                    .unwrap_or_else(|| locate(&pointer));
                return Err(err(l, c, format!("unknown rule ID `{id}`")));
            }
            let s: Severity = sev.parse().map_err(|m| {
                let (l, c) = locate(&pointer);
                err(l, c, m)
            })?;
            cfg.severity.insert(id.to_ascii_uppercase(), s);
        }
        for (i, ig) in raw.ignore.into_iter().enumerate() {
            let at = |field: &str| {
                let p = if field.is_empty() {
                    format!("/ignore/{i}")
                } else {
                    format!("/ignore/{i}/{field}")
                };
                locate(&p)
            };
            if ig.rules.is_empty() {
                let (l, c) = at("rules");
                return Err(err(
                    l,
                    c,
                    "`rules` must list at least one rule ID or `*`".into(),
                ));
            }
            for (j, r) in ig.rules.iter().enumerate() {
                if r != "*" && registry.get(r).is_none() {
                    let (l, c) = at(&format!("rules/{j}"));
                    return Err(err(l, c, format!("unknown rule ID `{r}`")));
                }
            }
            if ig.reason.trim().is_empty() {
                let (l, c) = at("reason");
                return Err(err(l, c, "an ignore needs a reason".into()));
            }
            let glob =
                |field: &str, v: &Option<String>| -> Result<Option<GlobMatcher>, ConfigError> {
                    match v {
                        None => Ok(None),
                        Some(p) => Glob::new(p)
                            .map(|g| Some(g.compile_matcher()))
                            .map_err(|e| {
                                let (l, c) = at(field);
                                err(l, c, format!("invalid glob `{p}`: {e}"))
                            }),
                    }
                };
            let expires = match &ig.expires {
                None => None,
                Some(d) => Some(parse_date(d).ok_or_else(|| {
                    let (l, c) = at("expires");
                    err(l, c, format!("invalid date `{d}` (expected YYYY-MM-DD)"))
                })?),
            };
            let (l, c) = at("");
            cfg.ignores.push(Ignore {
                rules: ig.rules.iter().map(|r| r.to_ascii_uppercase()).collect(),
                kind: glob("kind", &ig.kind)?,
                namespace: glob("namespace", &ig.namespace)?,
                name: glob("name", &ig.name)?,
                reason: ig.reason,
                expires,
                location: format!("{file}:{l}:{c}"),
                file: file.to_string(),
                line: l,
                column: c,
            });
        }
        Ok(cfg)
    }

    /// Whether `rule` runs, after `enable`/`disable` (rule IDs beat layer names; disable beats
    /// enable at the same precision).
    pub fn rule_enabled(&self, id: &str, layer: Layer, default_enabled: bool) -> bool {
        if self.disable.has_id(id) {
            return false;
        }
        if self.enable.has_id(id) {
            return true;
        }
        if self.disable.has_layer(layer.as_str()) {
            return false;
        }
        if self.enable.has_layer(layer.as_str()) {
            return true;
        }
        default_enabled
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut p = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => {
                p.push('/');
                p.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                p.push('/');
                p.push_str(&crate::tree::escape_token(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    p
}

/// `YYYY-MM-DD` → `(y, m, d)`.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let mut it = s.trim().splitn(3, '-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > days[m as usize - 1] {
        return None;
    }
    Some((y, m, d))
}

/// Today's date (UTC) as `(y, m, d)`.
pub fn today() -> (i32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    civil_from_days(secs.div_euclid(86_400))
}

/// Days since 1970-01-01 → civil date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::rule::{Check, Rule, RuleMeta};

    static R: Rule = Rule {
        meta: RuleMeta {
            id: "KW-TST-001",
            name: "test-rule",
            layer: Layer::Containers,
            severity: Severity::High,
            title: "a test rule for config parsing",
            why: "tests need a rule to refer to",
            fix: "nothing to fix in a test",
            references: &[("docs", "none")],
            default_enabled: true,
        },
        check: Check::Engine,
    };

    fn reg() -> Registry {
        let mut r = Registry::new();
        r.extend([&R]);
        r
    }

    #[test]
    fn selectors_match_ids_in_any_case_and_nothing_else() {
        let s: Selectors = ["kw-ctr-001", "KW-PSS-002", "pod-to-node", "KW-CTR-001"]
            .into_iter()
            .collect();
        for yes in [
            "KW-CTR-001",
            "kw-ctr-001",
            "Kw-Ctr-001",
            "KW-PSS-002",
            "kw-pss-002",
        ] {
            assert!(s.has_id(yes), "{yes}");
        }
        for no in ["KW-CTR-00", "KW-CTR-0011", "KW-CTR-002", "", "POD-TO-NODX"] {
            assert!(!s.has_id(no), "{no}");
        }
        assert!(s.has_layer("pod-to-node"));
        assert!(!s.has_layer("nodes"));
        assert!(!Selectors::default().has_id("KW-CTR-001"));
    }

    #[test]
    fn parses_a_full_config() {
        let c = Config::parse(
            "rules:\n  disable: [monitoring]\n  severity: {kw-tst-001: low}\n\
             ignore:\n  - rules: [KW-TST-001]\n    kind: Deploy*\n    namespace: kube-system\n    reason: ok\n    expires: 2030-01-31\n\
             settings:\n  min_user_id: 2000\n  allowed_registries: [ghcr.io/acme/]\n",
            "c.yaml",
            &reg(),
        )
        .unwrap();
        assert_eq!(c.severity["KW-TST-001"], Severity::Low);
        assert!(!c.rule_enabled("KW-MON-001", Layer::Monitoring, true));
        assert!(c.rule_enabled("KW-TST-001", Layer::Containers, true));
        assert_eq!(c.settings.min_user_id, 2000);
        assert_eq!(c.settings.min_group_id, 10000);
        let ig = &c.ignores[0];
        assert!(ig.matches("KW-TST-001", "Deployment", Some("kube-system"), "x"));
        assert!(!ig.matches("KW-TST-001", "DaemonSet", Some("kube-system"), "x"));
        assert!(!ig.is_expired((2030, 1, 31)));
        assert!(ig.is_expired((2030, 2, 1)));
        assert_eq!(ig.location, "c.yaml:5:5");
        assert_eq!((ig.file.as_str(), ig.line, ig.column), ("c.yaml", 5, 5));
    }

    #[test]
    fn ingress_controller_setting() {
        let c = Config::parse(
            "settings:\n  ingress_controller:\n    namespace: ingress-nginx\n    labels: {app.kubernetes.io/name: ingress-nginx}\n",
            "c.yaml",
            &reg(),
        )
        .unwrap();
        let ic = c.settings.ingress_controller.unwrap();
        assert_eq!(ic.namespace, "ingress-nginx");
        assert_eq!(ic.labels["app.kubernetes.io/name"], "ingress-nginx");
        let e = Config::parse(
            "settings:\n  ingress_controller: {namespace: ''}\n",
            "c.yaml",
            &reg(),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("ingress_controller.namespace"),
            "{e}"
        );
        assert!(
            Config::parse(
                "settings:\n  ingress_controller: {namespace: x, label: {}}\n",
                "c.yaml",
                &reg(),
            )
            .is_err()
        );
    }

    #[test]
    fn errors_are_located() {
        let cases = [
            (
                "rules:\n  disabel: [x]\n",
                (2, 3),
                "unknown field `disabel`",
            ),
            (
                "ignore:\n  - rules: [KW-NOPE-001]\n    reason: x\n",
                (2, 13),
                "unknown rule ID",
            ),
            (
                "ignore:\n  - rules: [KW-TST-001]\n",
                (2, 5),
                "missing field `reason`",
            ),
            (
                "ignore:\n  - rules: ['*']\n    reason: x\n    expires: 2030-02-30\n",
                (4, 14),
                "invalid date",
            ),
            (
                "ignore:\n  - rules: ['*']\n    reason: ' '\n",
                (3, 13),
                "needs a reason",
            ),
            ("settings:\n  min_user_id: lots\n", (2, 16), "invalid type"),
            (
                "rules:\n  severity: {KW-TST-001: urgent}\n",
                (2, 26),
                "unknown severity",
            ),
            ("rules: [\n", (2, 1), ""),
        ];
        for (text, (line, col), msg) in cases {
            let e = Config::parse(text, "c.yaml", &reg()).unwrap_err();
            assert_eq!((e.line, e.column), (line, col), "{text}: {e}");
            assert!(e.message.contains(msg), "{text}: {e}");
        }
    }

    #[test]
    fn pss_profiles() {
        assert_eq!(
            PssProfile::parse("baseline:v1.25").unwrap(),
            PssProfile {
                level: PssLevel::Baseline,
                minor: 25
            }
        );
        assert_eq!(
            PssProfile::parse("restricted").unwrap().minor,
            PSS_LATEST_MINOR
        );
        assert_eq!(PssProfile::parse("privileged:1.0").unwrap().minor, 0);
        for bad in ["strict", "baseline:v2.1", "baseline:v1.99", "baseline:vx"] {
            assert!(PssProfile::parse(bad).is_err(), "{bad}");
        }
        let e = Config::parse("settings:\n  pod_security: strict\n", "c.yaml", &reg()).unwrap_err();
        assert_eq!((e.line, e.column), (2, 17));
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
    }
}
