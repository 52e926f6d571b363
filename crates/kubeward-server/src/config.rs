//! The `admission:` block of `.kubeward.yaml`: what the server does with each finding, which
//! requests it leaves alone, and how it resolves image digests. Read with the same located
//! YAML loader as the rest of the file, so a mistake is reported with file, line and column.
//!
//! ```yaml
//! admission:
//!   actions: {KW-PSS-003: enforce, KW-CTR-004: warn, monitoring: audit, KW-CTR-010: off}
//!   enforce_severity: high        # unlisted rules: enforce at or above this severity...
//!   default_action: warn          # ...and this below it
//!   exempt_namespaces: [kube-system, "team-*"]
//!   exempt_system_namespaces: true  # kube-system and the server's own namespace
//!   exempt: [{kind: DaemonSet, namespace: monitoring, name: "node-exporter*", reason: ...}]
//!   grandfather_updates: true     # UPDATE: findings already on the old object only warn
//!   decision_log: "-"             # "-" stderr, a file path, or "" for none
//!   mutate: {pin_digests: true, kinds: [Pod], failure: open, timeout_ms: 2500, ...}
//!   image_policy: {require_digest: false, break_glass: true}
//! ```

use globset::{Glob, GlobMatcher};
use kubeward_core::config::ConfigError;
use kubeward_core::yaml::{self, Limits};
use kubeward_core::{Layer, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What the server does with an active finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Deny the request, naming rule and field.
    Enforce,
    /// Allow, and return an AdmissionReview warning (kubectl prints it).
    Warn,
    /// Allow, and record the finding in an audit annotation only.
    Audit,
    /// Ignore the rule at admission.
    Off,
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // YAML 1.1 reads an unquoted `off` as false.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Bool(bool),
        }
        match Raw::deserialize(d)? {
            Raw::Bool(false) => Ok(Action::Off),
            Raw::Text(t) => match t.as_str() {
                "enforce" => Ok(Action::Enforce),
                "warn" => Ok(Action::Warn),
                "audit" => Ok(Action::Audit),
                "off" => Ok(Action::Off),
                _ => Err(serde::de::Error::custom(format!(
                    "unknown action `{t}`, expected enforce, warn, audit or off"
                ))),
            },
            Raw::Bool(true) => Err(serde::de::Error::custom(
                "unknown action `true`, expected enforce, warn, audit or off",
            )),
        }
    }
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Enforce => "enforce",
            Action::Warn => "warn",
            Action::Audit => "audit",
            Action::Off => "off",
        }
    }
}

/// Fail-open or fail-closed when a digest cannot be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Failure {
    Open,
    Closed,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExempt {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub reason: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MutateSettings {
    /// Rewrite `repo:tag` to `repo:tag@sha256:…`.
    pub pin_digests: bool,
    /// Kinds whose images are pinned. Pods only by default: pinning workload templates makes
    /// GitOps tools see drift.
    pub kinds: Vec<String>,
    /// Images starting with one of these are left alone (and get `imagePullPolicy: Always`).
    pub skip_prefixes: Vec<String>,
    /// What to do when a digest cannot be resolved.
    pub failure: Failure,
    /// Budget for all registry calls of one request; keep it under the webhook's
    /// `timeoutSeconds`.
    pub timeout_ms: u64,
    pub cache_ttl_seconds: u64,
    pub cache_entries: usize,
    /// A Docker `config.json` with registry credentials (`auths`).
    pub docker_config: Option<PathBuf>,
    /// Extra CA certificates (PEM) trusted for registries, besides the system roots.
    pub registry_ca_file: Option<PathBuf>,
    /// Registries spoken to over plain HTTP (`host:port`); for loopback test registries only.
    pub plain_http_registries: Vec<String>,
}

impl Default for MutateSettings {
    fn default() -> Self {
        MutateSettings {
            pin_digests: true,
            kinds: vec!["Pod".into()],
            skip_prefixes: Vec::new(),
            failure: Failure::Open,
            timeout_ms: 2500,
            cache_ttl_seconds: 300,
            cache_entries: 4096,
            docker_config: None,
            registry_ca_file: None,
            plain_http_registries: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImagePolicySettings {
    /// Deny images not referenced by digest.
    pub require_digest: bool,
    /// Honour `*.image-policy.k8s.io/break-glass: "true"` (always recorded).
    pub break_glass: bool,
}

impl Default for ImagePolicySettings {
    fn default() -> Self {
        ImagePolicySettings {
            require_digest: false,
            break_glass: true,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawAdmission {
    actions: BTreeMap<String, Action>,
    enforce_severity: Severity,
    default_action: Action,
    exempt_namespaces: Vec<String>,
    exempt_system_namespaces: bool,
    exempt: Vec<RawExempt>,
    grandfather_updates: bool,
    decision_log: String,
    max_body_bytes: usize,
    mutate: MutateSettings,
    image_policy: ImagePolicySettings,
}

impl Default for RawAdmission {
    fn default() -> Self {
        RawAdmission {
            actions: BTreeMap::new(),
            enforce_severity: Severity::High,
            default_action: Action::Warn,
            exempt_namespaces: Vec::new(),
            exempt_system_namespaces: true,
            exempt: Vec::new(),
            grandfather_updates: true,
            decision_log: "-".into(),
            max_body_bytes: 4 * 1024 * 1024,
            mutate: MutateSettings::default(),
            image_policy: ImagePolicySettings::default(),
        }
    }
}

/// An object exemption: globs on kind, namespace and name.
#[derive(Clone, Debug)]
pub struct Exempt {
    pub kind: Option<GlobMatcher>,
    pub namespace: Option<GlobMatcher>,
    pub name: Option<GlobMatcher>,
    pub reason: String,
}

impl Exempt {
    pub fn matches(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let m = |g: &Option<GlobMatcher>, v: &str| g.as_ref().is_none_or(|g| g.is_match(v));
        m(&self.kind, kind) && m(&self.namespace, namespace) && m(&self.name, name)
    }
}

/// The validated `admission:` settings.
#[derive(Clone, Debug)]
pub struct AdmissionSettings {
    /// Rule ID (upper case) or layer name → action.
    pub actions: BTreeMap<String, Action>,
    pub enforce_severity: Severity,
    pub default_action: Action,
    pub exempt_namespaces: Vec<GlobMatcher>,
    pub exempt_namespace_names: Vec<String>,
    pub exempt_system_namespaces: bool,
    pub exempt: Vec<Exempt>,
    pub grandfather_updates: bool,
    pub decision_log: String,
    pub max_body_bytes: usize,
    pub mutate: MutateSettings,
    pub image_policy: ImagePolicySettings,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        Self::from_raw(RawAdmission::default(), &|_, m| ConfigError {
            file: String::new(),
            line: 0,
            column: 0,
            message: m,
        })
        .expect("defaults are valid")
    }
}

impl AdmissionSettings {
    /// The action for a finding of `rule` (`id`, `layer`) at `severity`.
    pub fn action(&self, id: &str, layer: Layer, severity: Severity) -> Action {
        if let Some(a) = self.actions.get(id) {
            return *a;
        }
        if let Some(a) = self.actions.get(layer.as_str()) {
            return *a;
        }
        if severity >= self.enforce_severity {
            Action::Enforce
        } else {
            self.default_action
        }
    }

    /// Whether requests in `namespace` are exempt; `own` is the server's own namespace.
    pub fn namespace_exempt(&self, namespace: &str, own: Option<&str>) -> bool {
        if self.exempt_system_namespaces && (namespace == "kube-system" || Some(namespace) == own) {
            return true;
        }
        self.exempt_namespaces.iter().any(|g| g.is_match(namespace))
    }

    /// Reads the `admission:` block of a `.kubeward.yaml` text (defaults when absent).
    /// `known_rule` tells whether a rule ID exists.
    pub fn parse(
        text: &str,
        file: &str,
        known_rule: &dyn Fn(&str) -> bool,
    ) -> Result<AdmissionSettings, ConfigError> {
        let err = |line: u32, column: u32, message: String| ConfigError {
            file: file.to_string(),
            line,
            column,
            message,
        };
        let docs = yaml::load_stream(text, &Limits::default());
        let root = match docs.into_iter().next().map(|d| d.result) {
            Some(Err(e)) => return Err(err(e.line, e.col, e.message)),
            Some(Ok(r)) => r,
            None => None,
        };
        let Some(root) = root else {
            return Ok(AdmissionSettings::default());
        };
        let Some(block) = root.path(&["admission"]) else {
            return Ok(AdmissionSettings::default());
        };
        let locate = |pointer: &str| {
            let s = root.locate(pointer).span();
            (s.line, s.col)
        };
        let raw: RawAdmission = serde_path_to_error::deserialize(block.to_json()).map_err(|e| {
            let mut pointer = String::from("/admission");
            for seg in e.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Seq { index } => {
                        pointer.push('/');
                        pointer.push_str(&index.to_string());
                    }
                    serde_path_to_error::Segment::Map { key } => {
                        pointer.push('/');
                        pointer.push_str(&kubeward_core::tree::escape_token(key));
                    }
                    _ => {}
                }
            }
            let (l, c) = locate(&pointer);
            err(l, c, e.inner().to_string())
        })?;
        for key in raw.actions.keys() {
            if key.parse::<Layer>().is_err() && !known_rule(key) {
                let p = format!(
                    "/admission/actions/{}",
                    kubeward_core::tree::escape_token(key)
                );
                let (l, c) = locate(&p);
                return Err(err(l, c, format!("unknown rule ID or layer `{key}`")));
            }
        }
        let at = |p: &str, m: String| {
            let (l, c) = locate(p);
            err(l, c, m)
        };
        Self::from_raw(raw, &at)
    }

    fn from_raw(
        raw: RawAdmission,
        err: &dyn Fn(&str, String) -> ConfigError,
    ) -> Result<AdmissionSettings, ConfigError> {
        let glob = |p: &str, pointer: &str| {
            Glob::new(p)
                .map(|g| g.compile_matcher())
                .map_err(|e| err(pointer, format!("invalid glob `{p}`: {e}")))
        };
        let mut exempt_namespaces = Vec::new();
        for (i, n) in raw.exempt_namespaces.iter().enumerate() {
            exempt_namespaces.push(glob(n, &format!("/admission/exempt_namespaces/{i}"))?);
        }
        let mut exempt = Vec::new();
        for (i, e) in raw.exempt.iter().enumerate() {
            if e.reason.trim().is_empty() {
                return Err(err(
                    &format!("/admission/exempt/{i}/reason"),
                    "an exemption needs a reason".into(),
                ));
            }
            let g = |v: &Option<String>, f: &str| -> Result<Option<GlobMatcher>, ConfigError> {
                v.as_deref()
                    .map(|p| glob(p, &format!("/admission/exempt/{i}/{f}")))
                    .transpose()
            };
            exempt.push(Exempt {
                kind: g(&e.kind, "kind")?,
                namespace: g(&e.namespace, "namespace")?,
                name: g(&e.name, "name")?,
                reason: e.reason.clone(),
            });
        }
        let m = &raw.mutate;
        if m.timeout_ms == 0 || m.timeout_ms > 29_000 {
            return Err(err(
                "/admission/mutate/timeout_ms",
                "timeout_ms must be between 1 and 29000 (the webhook timeoutSeconds is at most 30)"
                    .into(),
            ));
        }
        if m.cache_entries == 0 {
            return Err(err(
                "/admission/mutate/cache_entries",
                "cache_entries must be at least 1".into(),
            ));
        }
        if raw.max_body_bytes < 1024 {
            return Err(err(
                "/admission/max_body_bytes",
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        Ok(AdmissionSettings {
            actions: raw
                .actions
                .into_iter()
                .map(|(k, v)| {
                    if k.parse::<Layer>().is_ok() {
                        (k, v)
                    } else {
                        (k.to_ascii_uppercase(), v)
                    }
                })
                .collect(),
            enforce_severity: raw.enforce_severity,
            default_action: raw.default_action,
            exempt_namespace_names: raw.exempt_namespaces,
            exempt_namespaces,
            exempt_system_namespaces: raw.exempt_system_namespaces,
            exempt,
            grandfather_updates: raw.grandfather_updates,
            decision_log: raw.decision_log,
            max_body_bytes: raw.max_body_bytes,
            mutate: raw.mutate,
            image_policy: raw.image_policy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<AdmissionSettings, ConfigError> {
        AdmissionSettings::parse(t, "k.yaml", &|id| id.eq_ignore_ascii_case("KW-PSS-003"))
    }

    #[test]
    fn absent_block_gives_defaults() {
        let s = parse("rules: {}\n").unwrap();
        assert_eq!(
            s.action("KW-X", Layer::Containers, Severity::High),
            Action::Enforce
        );
        assert_eq!(
            s.action("KW-X", Layer::Containers, Severity::Low),
            Action::Warn
        );
        assert!(s.namespace_exempt("kube-system", None));
        assert!(s.namespace_exempt("kubeward", Some("kubeward")));
        assert!(!s.namespace_exempt("default", Some("kubeward")));
    }

    #[test]
    fn actions_by_rule_beat_layer_and_severity() {
        let s = parse(
            "admission:\n  actions: {kw-pss-003: audit, containers: off}\n  exempt_namespaces: [\"team-*\"]\n",
        )
        .unwrap();
        assert_eq!(
            s.action("KW-PSS-003", Layer::Containers, Severity::Critical),
            Action::Audit
        );
        assert_eq!(
            s.action("KW-CTR-001", Layer::Containers, Severity::Critical),
            Action::Off
        );
        assert!(s.namespace_exempt("team-a", None));
    }

    #[test]
    fn errors_are_located() {
        let e = parse("admission:\n  actions: {KW-NOPE-001: warn}\n").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (2, "unknown rule ID or layer `KW-NOPE-001`")
        );
        let e = parse("admission:\n  actions:\n    KW-PSS-003: deny\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("unknown action `deny`"), "{e}");
        let e = parse("admission:\n  mutate:\n    timeout_ms: 60000\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = parse("admission:\n  bogus: 1\n").unwrap_err();
        assert!(e.message.contains("unknown field"), "{e}");
        let e = parse("admission:\n  exempt:\n    - {kind: Pod, reason: \" \"}\n").unwrap_err();
        assert!(e.message.contains("needs a reason"), "{e}");
    }
}
