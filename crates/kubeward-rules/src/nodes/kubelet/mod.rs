//! Kubelet settings (KW-NODE-101..): per-object rules on `KubeletConfiguration`
//! (`kubelet.config.k8s.io/v1beta1`), however it was obtained:
//!
//! - a configuration file scanned with `kubeward scan` (unset fields take the v1beta1 defaults);
//! - the effective configuration `kubeward node` builds on a host (file, drop-ins and flags
//!   merged, flags winning, defaults written out), with the origin of every value in the
//!   `kubeward.io/origins` annotation;
//! - a node's `/configz` read through the API server proxy during `scan --cluster`.
//!
//! The sources say what they could not determine (annotation `kubeward.io/undetermined`):
//! such a value is UNKNOWN with the reason, never a FAIL.

mod anonymous_auth;
mod authorization_mode;
mod cipher_suites;
mod client_ca;
mod event_qps;
mod hostname_override;
mod iptables_chains;
mod protect_kernel_defaults;
mod read_only_port;
mod rotate_certificates;
mod seccomp_default;
mod server_cert_rotation;
mod streaming_idle_timeout;
mod tls_cert;

use crate::support::kubelet_cis::KubeletCheck;
use kubeward_core::inventory::parse_major_minor;
use kubeward_core::{Emitter, Finding, Node, Object, Rule, Status};

pub static RULES: &[&Rule] = &[
    &anonymous_auth::RULE,
    &authorization_mode::RULE,
    &client_ca::RULE,
    &read_only_port::RULE,
    &streaming_idle_timeout::RULE,
    &protect_kernel_defaults::RULE,
    &iptables_chains::RULE,
    &hostname_override::RULE,
    &event_qps::RULE,
    &tls_cert::RULE,
    &rotate_certificates::RULE,
    &server_cert_rotation::RULE,
    &cipher_suites::RULE,
    &seccomp_default::RULE,
];

/// The kind the rules target.
pub const KIND: &str = "KubeletConfiguration";
/// Its API group.
pub const GROUP: &str = "kubelet.config.k8s.io";
/// Where each value came from: lines of `POINTER<TAB>ORIGIN` (`/readOnlyPort\tflag
/// --read-only-port=10255 (/proc/812/cmdline)`, `/rotateCertificates\tdefault`).
pub const ANN_ORIGINS: &str = "kubeward.io/origins";
/// `node` (built by `kubeward node`) or `configz` (read from the kubelet through the API).
pub const ANN_SOURCE: &str = "kubeward.io/kubelet-source";
/// The Kubernetes version of the kubelet, when known (selects the CIS benchmark).
pub const ANN_VERSION: &str = "kubeward.io/kubernetes-version";
/// Why values not written in the object cannot be known (an unreadable configuration file).
pub const ANN_UNDETERMINED: &str = "kubeward.io/undetermined";
/// Settings that exist only as command-line flags, as `NAME=VALUE` lines. Present (possibly
/// empty) when the kubelet's command line was read.
pub const ANN_FLAGS: &str = "kubeward.io/kubelet-flags";

/// Whether `o` is a kubelet configuration.
pub fn is_kubelet_config(o: &Object) -> bool {
    o.kind == KIND && o.group() == GROUP
}

/// What a rule knows about one setting.
pub struct Setting<'a> {
    pub object: &'a Object,
    pub pointer: String,
    pub node: Option<&'a Node>,
}

/// How a setting resolved.
pub enum Resolved<'a> {
    /// Written in the object (by the file, a flag, or the node source's defaults).
    Set(&'a Node),
    /// Not written: the v1beta1 default applies.
    Default,
    /// Not written and not knowable (the reason).
    Undetermined(&'a str),
}

impl<'a> Setting<'a> {
    pub fn of(object: &'a Object, path: &[&str]) -> Setting<'a> {
        let mut pointer = String::new();
        for p in path {
            pointer.push('/');
            kubeward_core::tree::PointerToken::push_to(p, &mut pointer);
        }
        Setting {
            object,
            node: object.root.path(path).filter(|n| !n.is_null()),
            pointer,
        }
    }

    pub fn resolved(&self) -> Resolved<'a> {
        match self.node {
            Some(n) => Resolved::Set(n),
            None => match self.object.annotation(ANN_UNDETERMINED) {
                Some(r) => Resolved::Undetermined(r),
                None => Resolved::Default,
            },
        }
    }

    /// Where the value came from, from the `kubeward.io/origins` annotation.
    pub fn origin(&self) -> Option<&'a str> {
        origin(self.object, &self.pointer)
    }

    /// ` (from ORIGIN)`, or empty.
    pub fn from(&self) -> String {
        match self.origin() {
            Some(o) => format!(" (from {o})"),
            None => String::new(),
        }
    }
}

/// The origin recorded for `pointer`.
pub fn origin<'a>(o: &'a Object, pointer: &str) -> Option<&'a str> {
    o.annotation(ANN_ORIGINS)?.lines().find_map(|l| {
        let (p, origin) = l.split_once('\t')?;
        (p == pointer).then_some(origin)
    })
}

/// Why a kubelet command-line flag is not known (the reason in the finding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagUnknown {
    /// The object is the kubelet's /configz, which shows no flags.
    #[error("--{flag} is a command-line flag, which the kubelet's /configz does not show")]
    Configz { flag: String },
    /// The node was read but the kubelet's command line was not.
    #[error("the kubelet's command line could not be read, so --{flag} is not known")]
    CommandLineUnread { flag: String },
    /// The object is a configuration file.
    #[error("--{flag} is a command-line flag, not part of a configuration file")]
    ConfigFile { flag: String },
}

/// The value of a flag-only setting, when the command line was read: `Ok(None)` when the flag
/// is not given, `Err(reason)` when the command line is not known.
pub fn flag<'a>(o: &'a Object, name: &str) -> Result<Option<&'a str>, FlagUnknown> {
    let Some(flags) = o.annotation(ANN_FLAGS) else {
        let flag = name.to_string();
        return Err(match o.annotation(ANN_SOURCE) {
            Some("configz") => FlagUnknown::Configz { flag },
            Some(_) => FlagUnknown::CommandLineUnread { flag },
            None => FlagUnknown::ConfigFile { flag },
        });
    };
    Ok(flags.lines().find_map(|l| {
        let (n, v) = l.split_once('=').unwrap_or((l, ""));
        (n == name).then_some(v)
    }))
}

/// `Kubelet configuration on node X` / the object's display, for messages.
pub fn describe(o: &Object) -> String {
    match o.annotation(ANN_SOURCE) {
        Some("configz") => format!("kubelet on node {} (/configz)", o.name),
        Some("node") => format!("kubelet on {}", o.name),
        _ => o.display(),
    }
}

/// `(major, minor)` of the kubelet, when the source knows it.
pub fn version(o: &Object) -> Option<(u32, u32)> {
    o.annotation(ANN_VERSION).and_then(parse_major_minor)
}

/// Reports a finding for `check`, with the CIS ID of the benchmark for the kubelet's version.
pub fn report<'e>(
    out: &'e mut Emitter<'_>,
    s: &Setting<'_>,
    check: KubeletCheck,
    message: String,
) -> &'e mut Finding {
    let f = out.report(s.object, s.pointer.clone(), message);
    let bench = crate::support::kubelet_cis::benchmark(version(s.object));
    if let Some(id) = crate::support::kubelet_cis::kubelet_id(check, bench) {
        f.reference("cis", format!("{id} ({bench})"));
    }
    f
}

/// The UNKNOWN finding for a setting that could not be determined.
pub fn undetermined(
    out: &mut Emitter<'_>,
    s: &Setting<'_>,
    check: KubeletCheck,
    what: &str,
    reason: &str,
) {
    report(
        out,
        s,
        check,
        format!(
            "{}: {what} cannot be determined: {reason}",
            describe(s.object)
        ),
    )
    .status(Status::Unknown);
}

/// A Go duration (`4h0m0s`, `30m`, `0s`, `1h30m`) in seconds; `None` when unreadable.
pub fn go_duration_secs(s: &str) -> Option<f64> {
    let s = s.trim();
    if s == "0" {
        return Some(0.0);
    }
    let mut total = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if (c == 'm' || c == 'u' || c == 'µ' || c == 'n') && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        any = true;
    }
    (any && num.is_empty()).then_some(total)
}

/// The common shape of a boolean kubelet check: `path` must be `want`; unset takes `default`.
pub fn check_bool(
    o: &Object,
    out: &mut Emitter<'_>,
    path: &[&str],
    check: KubeletCheck,
    want: bool,
    default: bool,
) {
    let s = Setting::of(o, path);
    let name = path.join(".");
    let (value, how) = match s.resolved() {
        Resolved::Set(n) => match n
            .as_bool()
            .or_else(|| n.as_str().and_then(|v| v.parse().ok()))
        {
            Some(b) => (b, s.from()),
            None => {
                report(
                    out,
                    &s,
                    check,
                    format!("{}: {name} is not a boolean", describe(o)),
                )
                .status(Status::Unknown);
                return;
            }
        },
        Resolved::Default => (default, format!(" (not set; the default is {default})")),
        Resolved::Undetermined(r) => {
            undetermined(out, &s, check, &name, r);
            return;
        }
    };
    if value != want {
        report(
            out,
            &s,
            check,
            format!("{} sets {name} to {value}{how}", describe(o)),
        );
    }
}

/// The check a kubelet rule implements (for CIS summaries that count passes).
pub fn rule_check(rule_id: &str) -> Option<KubeletCheck> {
    use KubeletCheck::*;
    Some(match rule_id {
        "KW-NODE-101" => AnonymousAuth,
        "KW-NODE-102" => Authorization,
        "KW-NODE-103" => ClientCa,
        "KW-NODE-104" => ReadOnlyPort,
        "KW-NODE-105" => IdleTimeout,
        "KW-NODE-106" => ProtectKernelDefaults,
        "KW-NODE-107" => IptablesChains,
        "KW-NODE-108" => HostnameOverride,
        "KW-NODE-109" => EventQps,
        "KW-NODE-110" => TlsCert,
        "KW-NODE-111" => RotateCertificates,
        "KW-NODE-112" => ServerRotation,
        "KW-NODE-113" => CipherSuites,
        "KW-NODE-114" => SeccompDefault,
        _ => return None,
    })
}

/// The CIS ID (`4.2.4`) rule `rule_id` checks on the kubelet configuration `o`, in the
/// benchmark for its version; `None` when that benchmark has no such check.
pub fn cis_id(rule_id: &str, o: &Object) -> Option<&'static str> {
    crate::support::kubelet_cis::kubelet_id(
        rule_check(rule_id)?,
        crate::support::kubelet_cis::benchmark(version(o)),
    )
}

#[cfg(test)]
pub(crate) mod fixtures {
    /// A KubeletConfiguration file with `body` appended.
    pub fn file(body: &str) -> String {
        format!("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n{body}")
    }

    /// An effective configuration as `kubeward node` writes it: `body`, the origins of the
    /// values, and the flag-only settings.
    pub fn node(body: &str, origins: &[(&str, &str)], flags: Option<&str>) -> String {
        let mut ann = String::new();
        let o: Vec<String> = origins.iter().map(|(p, w)| format!("{p}\\t{w}")).collect();
        ann.push_str(&format!(
            "    kubeward.io/origins: \"{}\"\n    kubeward.io/kubelet-source: node\n    kubeward.io/kubernetes-version: v1.33.1\n",
            o.join("\\n")
        ));
        if let Some(f) = flags {
            ann.push_str(&format!("    kubeward.io/kubelet-flags: \"{f}\"\n"));
        }
        format!(
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmetadata:\n  name: host1\n  annotations:\n{ann}{body}"
        )
    }

    /// What `scan --cluster` makes of a node's /configz.
    pub fn configz(body: &str, version: &str) -> String {
        format!(
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmetadata:\n  name: node-a\n  annotations:\n    kubeward.io/kubelet-source: configz\n    kubeward.io/kubernetes-version: {version}\n{body}"
        )
    }

    /// A node source whose configuration file could not be read.
    pub fn undetermined(body: &str) -> String {
        format!(
            "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmetadata:\n  name: host1\n  annotations:\n    kubeward.io/kubelet-source: node\n    kubeward.io/undetermined: /var/lib/kubelet/config.yaml cannot be read (permission denied)\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::go_duration_secs;

    #[test]
    fn durations() {
        assert_eq!(go_duration_secs("4h0m0s"), Some(14400.0));
        assert_eq!(go_duration_secs("5m"), Some(300.0));
        assert_eq!(go_duration_secs("0s"), Some(0.0));
        assert_eq!(go_duration_secs("0"), Some(0.0));
        assert_eq!(go_duration_secs("1h30m"), Some(5400.0));
        assert_eq!(go_duration_secs("500ms"), Some(0.5));
        assert_eq!(go_duration_secs("soon"), None);
        assert_eq!(go_duration_secs("5"), None);
    }
}
