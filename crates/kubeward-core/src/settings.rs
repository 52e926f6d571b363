//! Rule settings (`settings:` in `.kubeward.yaml`): everything a rule may read besides the
//! objects. Separate from the config loader, which needs the rule registry.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Rule settings: everything a rule may read besides the objects.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Pod Security Standards profile, `LEVEL[:VERSION]` (`restricted:latest`).
    pub pod_security: String,
    /// Registry/repository prefixes images may come from. `None`: not configured.
    pub allowed_registries: Option<Vec<String>>,
    /// Lowest acceptable runAsUser.
    pub min_user_id: i64,
    /// Lowest acceptable runAsGroup.
    pub min_group_id: i64,
    /// Subjects allowed to hold cluster-admin (`group:system:masters`, `user:admin`).
    pub cluster_admin_allowed: Vec<String>,
    /// Whether NetworkPolicy `ipBlock` peers also match pod IPs.
    pub ipblock_matches_pods: bool,
    /// Days before expiry at which a certificate is reported.
    pub cert_expiry_warning_days: i64,
    /// Host paths that KW-CTR-007 treats as sensitive in addition to its built-in list
    /// (the path itself, everything below it, and its parents).
    pub extra_sensitive_host_paths: Vec<String>,
    /// KW-RBAC-035: a subject bound to more distinct roles than this is reported.
    pub rbac_max_roles_per_subject: usize,
    /// KW-RBAC-036: a namespace whose RoleBindings name more distinct subjects than this is
    /// reported.
    pub rbac_max_subjects_per_namespace: usize,
    /// Key of the fingerprints shown with redacted credentials (`fp 3a9c1e07`), which tell
    /// values apart within and across reports. Unset (and `KUBEWARD_FINGERPRINT_KEY` unset): no
    /// fingerprint is shown. Keep it as secret as the values.
    pub fingerprint_key: Option<String>,
    /// Folder of the offline vulnerability database (`kubeward vuln db import`) that
    /// `scan --images` matches image contents against; `--vuln-db` overrides it.
    pub vuln_db: Option<String>,
    /// Where the cluster's ingress controller runs, for the NetworkPolicy analysis of the
    /// traffic Ingresses and Routes send it (`{ingress-controller}`). Unset: its location is
    /// unknown and only policies that admit every namespace or every source admit it.
    pub ingress_controller: Option<IngressController>,
}

/// The ingress controller's namespace and pod labels (`settings.ingress_controller`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct IngressController {
    pub namespace: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pod_security: "restricted:latest".into(),
            allowed_registries: None,
            min_user_id: 10000,
            min_group_id: 10000,
            cluster_admin_allowed: vec!["group:system:masters".into()],
            ipblock_matches_pods: false,
            cert_expiry_warning_days: 30,
            extra_sensitive_host_paths: Vec::new(),
            rbac_max_roles_per_subject: 10,
            rbac_max_subjects_per_namespace: 25,
            fingerprint_key: None,
            vuln_db: None,
            ingress_controller: None,
        }
    }
}

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PssLevel {
    Privileged,
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Privileged => "privileged",
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

/// Why a Pod Security profile (`LEVEL[:VERSION]`) cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PssError {
    #[error("unknown Pod Security level `{0}` (expected privileged, baseline or restricted)")]
    UnknownLevel(String),
    #[error("invalid Pod Security version `{0}` (expected latest or v1.N)")]
    InvalidVersion(String),
    #[error(
        "Pod Security version `{0}` is newer than the newest known (v1.{PSS_LATEST_MINOR}); use latest"
    )]
    TooNew(String),
}

impl std::str::FromStr for PssLevel {
    type Err = PssError;
    fn from_str(s: &str) -> Result<Self, PssError> {
        match s {
            "privileged" => Ok(PssLevel::Privileged),
            "baseline" => Ok(PssLevel::Baseline),
            "restricted" => Ok(PssLevel::Restricted),
            _ => Err(PssError::UnknownLevel(s.to_string())),
        }
    }
}

/// The newest Pod Security Standards version kubeward implements (`latest` means this).
pub const PSS_LATEST_MINOR: u32 = 37;

/// A Pod Security Standards profile: level and version (`v1.<minor>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PssProfile {
    pub level: PssLevel,
    /// The minor version (`v1.25` → 25); `latest` is [`PSS_LATEST_MINOR`].
    pub minor: u32,
}

impl PssProfile {
    /// Parses `LEVEL[:VERSION]`, VERSION being `latest` or `v1.N` (`1.N` accepted), N ≤ 37.
    pub fn parse(s: &str) -> Result<PssProfile, PssError> {
        let (level, version) = match s.split_once(':') {
            Some((l, v)) => (l, Some(v)),
            None => (s, None),
        };
        let level: PssLevel = level.trim().parse()?;
        let minor = match version.map(str::trim) {
            None | Some("latest") => PSS_LATEST_MINOR,
            Some(v) => {
                let minor = v
                    .strip_prefix('v')
                    .unwrap_or(v)
                    .strip_prefix("1.")
                    .and_then(|m| m.parse::<u32>().ok())
                    .ok_or_else(|| PssError::InvalidVersion(v.to_string()))?;
                if minor > PSS_LATEST_MINOR {
                    return Err(PssError::TooNew(v.to_string()));
                }
                minor
            }
        };
        Ok(PssProfile { level, minor })
    }
}

impl std::fmt::Display for PssProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:v1.{}", self.level.as_str(), self.minor)
    }
}

impl Settings {
    /// The Pod Security profile rules check against. Validated when the config is loaded and
    /// by the CLI, so rules may treat an error as the default.
    pub fn pss_profile(&self) -> PssProfile {
        PssProfile::parse(&self.pod_security).unwrap_or(PssProfile {
            level: PssLevel::Restricted,
            minor: PSS_LATEST_MINOR,
        })
    }
}
