//! The Pod Security labels of a Namespace, read as the admission plugin reads them.
//!
//! `pod-security.kubernetes.io/{enforce,audit,warn}` name a level and
//! `pod-security.kubernetes.io/{enforce,audit,warn}-version` a version (`latest` or `v1.N`).
//! An absent level means the admission configuration's default (privileged, unless the cluster
//! sets another default, which a manifest scan cannot see); an absent version means `latest`. A
//! value that does not parse makes the admission plugin refuse the Namespace, and were such a
//! Namespace stored anyway, the plugin would evaluate `restricted` / `latest` for it. When `warn`
//! is not set and `enforce` is, `warn` follows `enforce` (with its version unless
//! `warn-version` is set).

use kubeward_core::config::{PSS_LATEST_MINOR, PssLevel, PssProfile};
use kubeward_core::{Node, Object, ptr};

/// The common prefix of the Pod Security labels.
pub const PREFIX: &str = "pod-security.kubernetes.io/";

/// The six Pod Security label keys.
pub const KNOWN: [&str; 6] = [
    "pod-security.kubernetes.io/enforce",
    "pod-security.kubernetes.io/enforce-version",
    "pod-security.kubernetes.io/audit",
    "pod-security.kubernetes.io/audit-version",
    "pod-security.kubernetes.io/warn",
    "pod-security.kubernetes.io/warn-version",
];

/// The three modes of the admission plugin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Enforce,
    Audit,
    Warn,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Audit, Mode::Warn];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
        }
    }

    /// The mode's level label and version label.
    pub fn keys(self) -> (&'static str, &'static str) {
        let i = self as usize * 2;
        (KNOWN[i], KNOWN[i + 1])
    }
}

/// A label value that the admission plugin refuses.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelError {
    pub key: String,
    pub pointer: String,
    pub message: String,
}

/// The policy of one mode.
#[derive(Clone, Debug, PartialEq)]
pub struct ModePolicy {
    pub level: PssLevel,
    /// The minor version evaluated (newer-than-known versions evaluate as the newest known).
    pub minor: u32,
    /// The version as written (`latest`, `v1.25`), or `None` when not set.
    pub version_label: Option<String>,
    /// Whether the level was written (validly or not) rather than defaulted.
    pub level_set: bool,
    /// Pointer of the level label (whether or not it is written).
    pub level_pointer: String,
}

impl ModePolicy {
    pub fn profile(&self) -> PssProfile {
        PssProfile {
            level: self.level,
            minor: self.minor,
        }
    }

    /// `restricted:latest`, `baseline:v1.25`.
    pub fn describe(&self) -> String {
        format!(
            "{}:{}",
            self.level.as_str(),
            match &self.version_label {
                Some(v) if v != "latest" => v.clone(),
                _ => "latest".to_string(),
            }
        )
    }
}

/// Everything the labels of a Namespace say.
#[derive(Clone, Debug, PartialEq)]
pub struct NamespacePolicy {
    pub enforce: ModePolicy,
    pub audit: ModePolicy,
    pub warn: ModePolicy,
    /// Values the admission plugin refuses.
    pub errors: Vec<LabelError>,
    /// Labels with the Pod Security prefix that are not one of the six keys (ignored).
    pub unknown_keys: Vec<(String, String)>,
    /// Pod Security keys written as annotations (ignored: the plugin reads labels).
    pub in_annotations: Vec<(String, String)>,
}

impl NamespacePolicy {
    pub fn mode(&self, m: Mode) -> &ModePolicy {
        match m {
            Mode::Enforce => &self.enforce,
            Mode::Audit => &self.audit,
            Mode::Warn => &self.warn,
        }
    }
}

/// Parses a level label value as the admission plugin does (exact, lower case).
pub fn parse_level(s: &str) -> Option<PssLevel> {
    match s {
        "privileged" => Some(PssLevel::Privileged),
        "baseline" => Some(PssLevel::Baseline),
        "restricted" => Some(PssLevel::Restricted),
        _ => None,
    }
}

/// Parses a version label value: `latest` or `v1.N` (no leading zeros, no other major).
/// Returns the minor as written (`u32::MAX` for latest).
pub fn parse_version(s: &str) -> Option<u32> {
    if s == "latest" {
        return Some(u32::MAX);
    }
    let minor = s.strip_prefix("v1.")?;
    if minor.is_empty()
        || !minor.bytes().all(|b| b.is_ascii_digit())
        || (minor.len() > 1 && minor.starts_with('0'))
    {
        return None;
    }
    minor.parse().ok()
}

/// The pointer of a label (whether or not it is written).
pub fn label_pointer(key: &str) -> String {
    label_ptr(key)
}

fn label_ptr(key: &str) -> String {
    ptr!("/metadata/labels", key)
}

/// Reads the Pod Security labels of a Namespace object.
pub fn read(ns: &Object) -> NamespacePolicy {
    let labels = ns.labels();
    let mut errors = Vec::new();
    let mut unknown_keys = Vec::new();
    if let Some(l) = labels {
        for (k, _) in l.entries() {
            if k.starts_with(PREFIX) && !KNOWN.contains(&k) {
                unknown_keys.push((k.to_string(), label_ptr(k)));
            }
        }
    }
    let mut in_annotations = Vec::new();
    if let Some(a) = ns.annotations() {
        for (k, _) in a.entries() {
            if KNOWN.contains(&k) {
                in_annotations.push((k.to_string(), ptr!("/metadata/annotations", k)));
            }
        }
    }

    let value = |key: &str, errors: &mut Vec<LabelError>| -> Option<Result<String, ()>> {
        let node: &Node = labels?.get(key)?;
        match node.as_str() {
            Some(s) => Some(Ok(s.to_string())),
            None => {
                errors.push(LabelError {
                    key: key.to_string(),
                    pointer: label_ptr(key),
                    message: format!(
                        "label `{key}` is a {} ({node}); label values are strings, so the API \
                         server refuses this Namespace (quote the value)",
                        node.type_name()
                    ),
                });
                Some(Err(()))
            }
        }
    };

    let mode = |m: Mode, errors: &mut Vec<LabelError>| -> (ModePolicy, bool, bool) {
        let (level_key, version_key) = m.keys();
        let mut level = PssLevel::Privileged;
        let mut level_set = false;
        let mut level_ok = false;
        match value(level_key, errors) {
            None => {}
            Some(Err(())) => {
                level_set = true;
                level = PssLevel::Restricted;
            }
            Some(Ok(v)) => {
                level_set = true;
                match parse_level(&v) {
                    Some(l) => {
                        level = l;
                        level_ok = true;
                    }
                    None => {
                        level = PssLevel::Restricted;
                        errors.push(LabelError {
                            key: level_key.to_string(),
                            pointer: label_ptr(level_key),
                            message: format!(
                                "label `{level_key}: {v}` is not a Pod Security level (privileged, \
                                 baseline or restricted, lower case): the admission plugin \
                                 refuses this Namespace, and would evaluate restricted for it"
                            ),
                        });
                    }
                }
            }
        }
        let mut minor = PSS_LATEST_MINOR;
        let mut version_label = None;
        let mut version_set = false;
        match value(version_key, errors) {
            None => {}
            Some(Err(())) => version_set = true,
            Some(Ok(v)) => {
                version_set = true;
                match parse_version(&v) {
                    Some(m) => {
                        minor = m.min(PSS_LATEST_MINOR);
                        version_label = Some(v);
                    }
                    None => errors.push(LabelError {
                        key: version_key.to_string(),
                        pointer: label_ptr(version_key),
                        message: format!(
                            "label `{version_key}: {v}` is not a Pod Security version (`latest` \
                             or `v1.N`, for example v1.30): the admission plugin refuses this \
                             Namespace, and would evaluate latest for it"
                        ),
                    }),
                }
            }
        }
        (
            ModePolicy {
                level,
                minor,
                version_label,
                level_set,
                level_pointer: label_ptr(level_key),
            },
            level_ok,
            version_set,
        )
    };

    let (enforce, enforce_ok, _) = mode(Mode::Enforce, &mut errors);
    let (audit, _, _) = mode(Mode::Audit, &mut errors);
    let (mut warn, _, warn_version_set) = mode(Mode::Warn, &mut errors);
    // warn follows a stricter enforce level when it is not set itself.
    if !warn.level_set && enforce_ok && enforce.level > warn.level {
        warn.level = enforce.level;
        if !warn_version_set {
            warn.minor = enforce.minor;
            warn.version_label = enforce.version_label.clone();
        }
    }
    NamespacePolicy {
        enforce,
        audit,
        warn,
        errors,
        unknown_keys,
        in_annotations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_core::testing::load;

    fn policy(labels: &str) -> NamespacePolicy {
        let l = load(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels: {labels}\n"
        ));
        read(&l.inventory.objects()[0])
    }

    #[test]
    fn mode_keys_are_the_admission_labels() {
        for m in Mode::ALL {
            assert_eq!(m.keys().0, format!("{PREFIX}{}", m.as_str()));
            assert_eq!(m.keys().1, format!("{PREFIX}{}-version", m.as_str()));
        }
    }

    #[test]
    fn defaults_are_privileged_latest() {
        let p = policy("{app: x}");
        assert_eq!(p.enforce.level, PssLevel::Privileged);
        assert_eq!(p.enforce.minor, PSS_LATEST_MINOR);
        assert!(!p.enforce.level_set);
        assert!(p.errors.is_empty());
    }

    #[test]
    fn versions_parse_like_the_admission_plugin() {
        assert_eq!(parse_version("v1.25"), Some(25));
        assert_eq!(parse_version("v1.0"), Some(0));
        assert_eq!(parse_version("latest"), Some(u32::MAX));
        for bad in ["1.25", "v1.025", "v2.0", "v1.", "Latest", "v1.25.0", ""] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
        let p = policy(
            "{pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.99}",
        );
        assert_eq!(p.enforce.minor, PSS_LATEST_MINOR);
        assert_eq!(p.enforce.describe(), "baseline:v1.99");
    }

    #[test]
    fn invalid_values_evaluate_restricted_latest_and_are_errors() {
        let p = policy(
            "{pod-security.kubernetes.io/enforce: Restricted, pod-security.kubernetes.io/audit-version: '1.25', pod-security.kubernetes.io/warn-version: 1.25}",
        );
        assert_eq!(p.enforce.level, PssLevel::Restricted);
        assert_eq!(p.audit.minor, PSS_LATEST_MINOR);
        assert_eq!(p.errors.len(), 3);
        assert!(p.errors[2].message.contains("is a number"));
    }

    #[test]
    fn warn_follows_a_stricter_enforce() {
        let p = policy(
            "{pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.30}",
        );
        assert_eq!(p.warn.level, PssLevel::Restricted);
        assert_eq!(p.warn.minor, 30);
        assert_eq!(p.audit.level, PssLevel::Privileged);
        let p = policy(
            "{pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/warn: baseline}",
        );
        assert_eq!(p.warn.level, PssLevel::Baseline);
    }

    #[test]
    fn unknown_keys_and_annotations() {
        let l = load(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels: {pod-security.kubernetes.io/enforce-level: restricted}\n  annotations: {pod-security.kubernetes.io/enforce: restricted}\n",
        );
        let p = read(&l.inventory.objects()[0]);
        assert_eq!(
            p.unknown_keys,
            vec![(
                "pod-security.kubernetes.io/enforce-level".to_string(),
                "/metadata/labels/pod-security.kubernetes.io~1enforce-level".to_string()
            )]
        );
        assert_eq!(p.in_annotations.len(), 1);
        assert_eq!(p.enforce.level, PssLevel::Privileged);
    }
}
