//! The `audit:` block of `.kubeward.yaml`.
//!
//! ```yaml
//! audit:
//!   auth_failure_threshold: 20          # KW-AUD-018: this many 401/403 ...
//!   auth_failure_window_seconds: 60     # ... within this window, per user and per source IP
//!   allowed_source_ranges: [10.0.0.0/8, 192.168.0.0/16]   # KW-AUD-019 (off when empty)
//!   controllers: ["system:serviceaccount:argocd:*"]       # more subjects treated as controllers
//!   secret_readers:                      # KW-AUD-005/006: more allowed readers
//!     - {subject: "system:serviceaccount:vault:*", namespace: "*", name: "*"}
//!   workload_rules: [KW-PSS-002, KW-PSS-003]   # scan rules run on request bodies (KW-AUD-004)
//!   anonymous_allowed_paths: ["/healthz*", "/livez*", "/readyz*", "/version"]
//!   user_agent_match: product           # KW-AUD-020: `product` (kubectl/v1.30 = kubectl/v1.31) or `full`
//!   max_tracked_keys: 100000            # bound on per-user / per-IP / per-account state
//!   pod_security: baseline:latest       # profile the workload rules check bodies against
//!   ignore:                              # suppression, as the top-level `ignore:` plus `subject`
//!     - rules: [KW-AUD-001]
//!       subject: "alice@example.com"
//!       namespace: "dev-*"
//!       reason: developers debug their own namespaces
//!       expires: 2027-06-30
//! ```

use crate::error::{CidrError, SettingsError};
use globset::{Glob, GlobMatcher};
use kubeward_core::Node;
use kubeward_core::config::{Config, ConfigError, parse_date};
use serde::Deserialize;
use std::net::IpAddr;

/// The scan rules run on pod and workload request bodies by default: the pod-to-node
/// (Pod Security baseline) rules and the container rules about host access.
pub const DEFAULT_WORKLOAD_RULES: &[&str] = &[
    "KW-PSS-001",
    "KW-PSS-002",
    "KW-PSS-003",
    "KW-PSS-004",
    "KW-PSS-005",
    "KW-PSS-006",
    "KW-PSS-009",
    "KW-CTR-006",
    "KW-CTR-007",
];

/// Subjects treated as controllers (globs on the username): control-plane components, the
/// kubelets (Node authorizer), and the controllers that run as kube-system service accounts.
pub const BUILTIN_CONTROLLERS: &[&str] = &[
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:apiserver",
    "system:kube-proxy",
    "system:node:*",
    "system:serviceaccount:kube-system:*",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Raw {
    auth_failure_threshold: u32,
    auth_failure_window_seconds: u64,
    allowed_source_ranges: Vec<String>,
    controllers: Vec<String>,
    secret_readers: Vec<RawReader>,
    workload_rules: Option<Vec<String>>,
    anonymous_allowed_paths: Option<Vec<String>>,
    user_agent_match: String,
    max_tracked_keys: usize,
    pod_security: String,
    ignore: Vec<RawIgnore>,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            auth_failure_threshold: 20,
            auth_failure_window_seconds: 60,
            allowed_source_ranges: Vec::new(),
            controllers: Vec::new(),
            secret_readers: Vec::new(),
            workload_rules: None,
            anonymous_allowed_paths: None,
            user_agent_match: "product".into(),
            max_tracked_keys: 100_000,
            pod_security: "baseline:latest".into(),
            ignore: Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReader {
    subject: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rules: Vec<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

/// An IP range (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| CidrError::Address(s.to_string()))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| CidrError::Prefix(s.to_string()))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(i) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(i) & mask
            }
            _ => false,
        }
    }
}

/// An allowed secret reader.
#[derive(Clone, Debug)]
pub struct SecretReader {
    pub subject: GlobMatcher,
    pub namespace: Option<GlobMatcher>,
    pub name: Option<GlobMatcher>,
}

/// An audit suppression.
#[derive(Clone, Debug)]
pub struct AuditIgnore {
    pub rules: Vec<String>,
    pub subject: Option<GlobMatcher>,
    pub namespace: Option<GlobMatcher>,
    pub name: Option<GlobMatcher>,
    pub reason: String,
    pub expires: Option<(i32, u32, u32)>,
    /// Where it is written (`.kubeward.yaml:12:5`).
    pub location: String,
}

/// How KW-AUD-020 compares user agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAgentMatch {
    /// The product token (`kubectl`, `kube-controller-manager`); version changes are ignored.
    Product,
    Full,
}

/// Validated audit settings.
#[derive(Clone, Debug)]
pub struct AuditSettings {
    pub auth_failure_threshold: u32,
    pub auth_failure_window_micros: i64,
    pub allowed_source_ranges: Vec<Cidr>,
    pub controllers: Vec<GlobMatcher>,
    pub secret_readers: Vec<SecretReader>,
    pub workload_rules: Vec<String>,
    pub anonymous_allowed_paths: Vec<GlobMatcher>,
    pub user_agent_match: UserAgentMatch,
    pub max_tracked_keys: usize,
    /// The Pod Security profile the workload rules check request bodies against (default
    /// `baseline:latest`: the baseline rules flag privileged, host-namespace and hostPath pods;
    /// at `restricted` they leave some of that to the restricted rules).
    pub pod_security: String,
    pub ignores: Vec<AuditIgnore>,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings::from_raw(Raw::default(), &|_| (0, 0), "").expect("defaults are valid")
    }
}

fn glob(p: &str) -> Result<GlobMatcher, String> {
    Glob::new(p)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid glob `{p}`: {e}"))
}

impl AuditSettings {
    /// Reads the `audit:` block of `config` (defaults without one). Rule IDs are checked
    /// against `registry`.
    pub fn from_config(
        config: &Config,
        registry: &kubeward_core::Registry,
    ) -> Result<AuditSettings, ConfigError> {
        let file = config
            .path
            .as_ref()
            .map_or_else(|| ".kubeward.yaml".to_string(), |p| p.display().to_string());
        let Some(node) = &config.audit else {
            return Ok(AuditSettings::default());
        };
        let err = |pointer: &str, message: String| {
            let s = node.locate(pointer).span();
            ConfigError {
                file: file.clone(),
                line: s.line,
                column: s.col,
                message: format!("audit: {message}"),
            }
        };
        let raw: Raw =
            serde_json::from_value(node.to_json()).map_err(|e| err("", e.to_string()))?;
        let s = AuditSettings::from_raw(
            raw,
            &|p: &str| {
                let s = node.locate(p).span();
                (s.line, s.col)
            },
            &file,
        )
        .map_err(|(p, m)| err(&p, m))?;
        for (i, id) in s.workload_rules.iter().enumerate() {
            if registry.get(id).is_none() {
                return Err(err(
                    &format!("/workload_rules/{i}"),
                    format!("unknown rule ID `{id}`"),
                ));
            }
        }
        for (i, ig) in s.ignores.iter().enumerate() {
            for r in &ig.rules {
                if r != "*" && registry.get(r).is_none() {
                    return Err(err(
                        &format!("/ignore/{i}"),
                        format!("unknown rule ID `{r}`"),
                    ));
                }
            }
        }
        Ok(s)
    }

    fn from_raw(
        raw: Raw,
        at: &dyn Fn(&str) -> (u32, u32),
        file: &str,
    ) -> Result<AuditSettings, (String, String)> {
        if raw.auth_failure_threshold == 0 {
            return Err((
                "/auth_failure_threshold".into(),
                "auth_failure_threshold must be at least 1".into(),
            ));
        }
        if raw.auth_failure_window_seconds == 0 {
            return Err((
                "/auth_failure_window_seconds".into(),
                "auth_failure_window_seconds must be at least 1".into(),
            ));
        }
        let mut ranges = Vec::new();
        for (i, r) in raw.allowed_source_ranges.iter().enumerate() {
            ranges.push(
                Cidr::parse(r)
                    .map_err(|m| (format!("/allowed_source_ranges/{i}"), m.to_string()))?,
            );
        }
        let mut controllers = Vec::new();
        for p in BUILTIN_CONTROLLERS {
            controllers.push(glob(p).expect("built-in globs are valid"));
        }
        for (i, p) in raw.controllers.iter().enumerate() {
            controllers.push(glob(p).map_err(|m| (format!("/controllers/{i}"), m))?);
        }
        let opt =
            |v: &Option<String>, p: String| -> Result<Option<GlobMatcher>, (String, String)> {
                v.as_deref().map(glob).transpose().map_err(|m| (p, m))
            };
        let mut readers = Vec::new();
        for (i, r) in raw.secret_readers.iter().enumerate() {
            readers.push(SecretReader {
                subject: glob(&r.subject)
                    .map_err(|m| (format!("/secret_readers/{i}/subject"), m))?,
                namespace: opt(&r.namespace, format!("/secret_readers/{i}/namespace"))?,
                name: opt(&r.name, format!("/secret_readers/{i}/name"))?,
            });
        }
        let paths = raw.anonymous_allowed_paths.unwrap_or_else(|| {
            ["/healthz*", "/livez*", "/readyz*", "/version"]
                .map(String::from)
                .to_vec()
        });
        let mut anonymous_allowed_paths = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            anonymous_allowed_paths
                .push(glob(p).map_err(|m| (format!("/anonymous_allowed_paths/{i}"), m))?);
        }
        let user_agent_match = match raw.user_agent_match.as_str() {
            "product" => UserAgentMatch::Product,
            "full" => UserAgentMatch::Full,
            other => {
                return Err((
                    "/user_agent_match".into(),
                    format!("unknown user_agent_match `{other}` (expected product or full)"),
                ));
            }
        };
        if let Err(m) = kubeward_core::config::PssProfile::parse(&raw.pod_security) {
            return Err(("/pod_security".into(), m.to_string()));
        }
        let mut ignores = Vec::new();
        for (i, ig) in raw.ignore.into_iter().enumerate() {
            let p = |f: &str| format!("/ignore/{i}/{f}");
            if ig.rules.is_empty() {
                return Err((
                    p("rules"),
                    "`rules` must list at least one rule ID or `*`".into(),
                ));
            }
            if ig.reason.trim().is_empty() {
                return Err((p("reason"), "an ignore needs a reason".into()));
            }
            let expires = match &ig.expires {
                None => None,
                Some(d) => Some(parse_date(d).ok_or_else(|| {
                    (
                        p("expires"),
                        format!("invalid date `{d}` (expected YYYY-MM-DD)"),
                    )
                })?),
            };
            let (l, c) = at(&format!("/ignore/{i}"));
            ignores.push(AuditIgnore {
                rules: ig.rules.iter().map(|r| r.to_ascii_uppercase()).collect(),
                subject: opt(&ig.subject, p("subject"))?,
                namespace: opt(&ig.namespace, p("namespace"))?,
                name: opt(&ig.name, p("name"))?,
                reason: ig.reason,
                expires,
                location: format!("{file}:{l}:{c}"),
            });
        }
        Ok(AuditSettings {
            auth_failure_threshold: raw.auth_failure_threshold,
            auth_failure_window_micros: (raw.auth_failure_window_seconds as i64)
                .saturating_mul(1_000_000),
            allowed_source_ranges: ranges,
            controllers,
            secret_readers: readers,
            workload_rules: raw
                .workload_rules
                .unwrap_or_else(|| {
                    DEFAULT_WORKLOAD_RULES
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                })
                .into_iter()
                .map(|s| s.to_ascii_uppercase())
                .collect(),
            anonymous_allowed_paths,
            user_agent_match,
            max_tracked_keys: raw.max_tracked_keys.max(1),
            pod_security: raw.pod_security,
            ignores,
        })
    }

    pub fn is_controller(&self, user: &str) -> bool {
        self.controllers.iter().any(|g| g.is_match(user))
    }
}

/// Reads settings from a located node (tests and the webhook's own config).
pub fn from_node(node: &Node) -> Result<AuditSettings, SettingsError> {
    let raw: Raw = serde_json::from_value(node.to_json()).map_err(SettingsError::Shape)?;
    AuditSettings::from_raw(raw, &|_| (0, 0), "config")
        .map_err(|(pointer, message)| SettingsError::Invalid { pointer, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.contains("11.1.2.3".parse().unwrap()));
        assert!(c.contains("::ffff:10.0.0.1".parse().unwrap()));
        let c = Cidr::parse("2001:db8::/32").unwrap();
        assert!(c.contains("2001:db8::1".parse().unwrap()));
        assert!(!c.contains("2001:db9::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert_eq!(
            Cidr::parse("10.0.0.0/33"),
            Err(CidrError::Prefix("10.0.0.0/33".into()))
        );
        assert_eq!(Cidr::parse("nope"), Err(CidrError::Address("nope".into())));
        assert_eq!(
            Cidr::parse("nope").unwrap_err().to_string(),
            "invalid IP range `nope`"
        );
    }
}
