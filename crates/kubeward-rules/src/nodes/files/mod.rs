//! Host file permissions and owners (KW-NODE-201..): per-object rules on `HostFile` facts
//! (`node.kubeward.io/v1alpha1`) that `kubeward node` gathers for each file it found or that
//! a configuration names: static pod manifests, kubeconfigs, the kubelet's configuration and
//! service files, the PKI, the etcd data directory.
//!
//! ```yaml
//! apiVersion: node.kubeward.io/v1alpha1
//! kind: HostFile
//! metadata: {name: /etc/kubernetes/admin.conf}
//! spec: {path: /etc/kubernetes/admin.conf, role: admin-kubeconfig}
//! status: {exists: true, type: file, mode: "0600", uid: 0, gid: 0, user: root, group: root}
//! ```
//!
//! A file that is absent or could not be examined (`status.error`) is UNKNOWN, never a FAIL.

mod node_owner;
mod node_perms;

use crate::nodes::kubelet::ANN_VERSION;
use crate::support::kubelet_cis;
use kubeward_core::inventory::parse_major_minor;
use kubeward_core::{Emitter, Object, Rule, Status};

pub static RULES: &[&Rule] = &[&node_perms::RULE, &node_owner::RULE];

pub const KIND: &str = "HostFile";
pub const GROUP: &str = "node.kubeward.io";

/// Which CIS section a file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    ControlPlane,
    Node,
}

/// What the benchmark expects of one kind of file.
pub struct RoleSpec {
    pub role: &'static str,
    pub section: Section,
    pub what: &'static str,
    /// Widest allowed mode in CIS 1.8 and later; `None`: the mode is not checked.
    pub max_mode: Option<u32>,
    /// Widest allowed mode in earlier benchmarks.
    pub max_mode_old: Option<u32>,
    /// Expected `user:group`.
    pub owner: (&'static str, &'static str),
    pub cis_mode: Option<&'static str>,
    pub cis_owner: &'static str,
}

const fn spec(
    role: &'static str,
    section: Section,
    what: &'static str,
    modes: (Option<u32>, Option<u32>),
    owner: (&'static str, &'static str),
    cis_mode: Option<&'static str>,
    cis_owner: &'static str,
) -> RoleSpec {
    RoleSpec {
        role,
        section,
        what,
        max_mode: modes.0,
        max_mode_old: modes.1,
        owner,
        cis_mode,
        cis_owner,
    }
}

const ROOT: (&str, &str) = ("root", "root");
const M600: (Option<u32>, Option<u32>) = (Some(0o600), Some(0o644));
const KEY: (Option<u32>, Option<u32>) = (Some(0o600), Some(0o600));

/// Every role `kubeward node` assigns, with the benchmark's expectations.
pub static ROLES: &[RoleSpec] = &[
    spec(
        "apiserver-manifest",
        Section::ControlPlane,
        "API server pod specification",
        M600,
        ROOT,
        Some("1.1.1"),
        "1.1.2",
    ),
    spec(
        "controller-manager-manifest",
        Section::ControlPlane,
        "controller manager pod specification",
        M600,
        ROOT,
        Some("1.1.3"),
        "1.1.4",
    ),
    spec(
        "scheduler-manifest",
        Section::ControlPlane,
        "scheduler pod specification",
        M600,
        ROOT,
        Some("1.1.5"),
        "1.1.6",
    ),
    spec(
        "etcd-manifest",
        Section::ControlPlane,
        "etcd pod specification",
        M600,
        ROOT,
        Some("1.1.7"),
        "1.1.8",
    ),
    spec(
        "cni-config",
        Section::ControlPlane,
        "CNI configuration",
        M600,
        ROOT,
        Some("1.1.9"),
        "1.1.10",
    ),
    spec(
        "etcd-data-dir",
        Section::ControlPlane,
        "etcd data directory",
        (Some(0o700), Some(0o700)),
        ("etcd", "etcd"),
        Some("1.1.11"),
        "1.1.12",
    ),
    spec(
        "admin-kubeconfig",
        Section::ControlPlane,
        "administrator kubeconfig",
        KEY,
        ROOT,
        Some("1.1.13"),
        "1.1.14",
    ),
    spec(
        "scheduler-kubeconfig",
        Section::ControlPlane,
        "scheduler kubeconfig",
        KEY,
        ROOT,
        Some("1.1.15"),
        "1.1.16",
    ),
    spec(
        "controller-manager-kubeconfig",
        Section::ControlPlane,
        "controller manager kubeconfig",
        KEY,
        ROOT,
        Some("1.1.17"),
        "1.1.18",
    ),
    spec(
        "pki-dir",
        Section::ControlPlane,
        "PKI directory",
        (None, None),
        ROOT,
        None,
        "1.1.19",
    ),
    spec(
        "pki-cert",
        Section::ControlPlane,
        "PKI certificate",
        M600,
        ROOT,
        Some("1.1.20"),
        "1.1.19",
    ),
    spec(
        "pki-key",
        Section::ControlPlane,
        "PKI private key",
        KEY,
        ROOT,
        Some("1.1.21"),
        "1.1.19",
    ),
    spec(
        "encryption-config",
        Section::ControlPlane,
        "encryption provider configuration (holds the keys)",
        KEY,
        ROOT,
        None,
        "1.1.19",
    ),
    spec(
        "kubelet-service",
        Section::Node,
        "kubelet service file",
        M600,
        ROOT,
        Some("4.1.1"),
        "4.1.2",
    ),
    spec(
        "proxy-kubeconfig",
        Section::Node,
        "kube-proxy kubeconfig",
        M600,
        ROOT,
        Some("4.1.3"),
        "4.1.4",
    ),
    spec(
        "kubelet-kubeconfig",
        Section::Node,
        "kubelet kubeconfig",
        M600,
        ROOT,
        Some("4.1.5"),
        "4.1.6",
    ),
    spec(
        "client-ca",
        Section::Node,
        "kubelet client CA file",
        M600,
        ROOT,
        Some("4.1.7"),
        "4.1.8",
    ),
    spec(
        "kubelet-config",
        Section::Node,
        "kubelet configuration file",
        M600,
        ROOT,
        Some("4.1.9"),
        "4.1.10",
    ),
];

/// The expectations for a role.
pub fn role(name: &str) -> Option<&'static RoleSpec> {
    ROLES.iter().find(|r| r.role == name)
}

/// A host file fact, when `o` is one.
pub struct HostFile<'a> {
    pub object: &'a Object,
    pub path: &'a str,
    pub spec: &'static RoleSpec,
}

/// Why a host file was not examined (the reason in an `unknown` finding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotExamined {
    /// The node scanner could not stat the file (`status.error`).
    #[error("{what} {path} could not be examined: {error}")]
    Failed {
        what: &'static str,
        path: String,
        error: String,
    },
    #[error("{what} {path} is absent")]
    Absent { what: &'static str, path: String },
}

impl<'a> HostFile<'a> {
    pub fn of(o: &'a Object, section: Section) -> Option<HostFile<'a>> {
        if o.kind != KIND || o.group() != GROUP {
            return None;
        }
        let spec = role(o.root.path(&["spec", "role"])?.as_str()?)?;
        (spec.section == section).then(|| HostFile {
            object: o,
            path: o
                .root
                .path(&["spec", "path"])
                .and_then(|n| n.as_str())
                .unwrap_or(&o.name),
            spec,
        })
    }

    /// `Err(reason)` when the file was not examined.
    pub fn examined(&self) -> Result<(), NotExamined> {
        let st = self.object.root.get("status");
        if let Some(e) = st.and_then(|s| s.str_at("error")) {
            return Err(NotExamined::Failed {
                what: self.spec.what,
                path: self.path.to_string(),
                error: e.to_string(),
            });
        }
        if st.and_then(|s| s.bool_at("exists")) != Some(true) {
            return Err(NotExamined::Absent {
                what: self.spec.what,
                path: self.path.to_string(),
            });
        }
        Ok(())
    }

    /// The benchmark for the node's version.
    pub fn benchmark(&self) -> &'static str {
        kubelet_cis::benchmark(
            self.object
                .annotation(ANN_VERSION)
                .and_then(parse_major_minor),
        )
    }

    pub fn max_mode(&self) -> Option<u32> {
        let b = self.benchmark();
        if kubelet_cis::old_numbering(b) || b == "cis-1.7" {
            self.spec.max_mode_old
        } else {
            self.spec.max_mode
        }
    }
}

fn cis_ref(f: &HostFile<'_>, id: Option<&str>) -> Option<String> {
    id.map(|i| format!("{i} ({})", f.benchmark()))
}

/// The permissions check shared by the control-plane and node rules.
pub fn check_mode(o: &Object, out: &mut Emitter<'_>, section: Section) {
    let Some(f) = HostFile::of(o, section) else {
        return;
    };
    let Some(max) = f.max_mode() else { return };
    let cis = cis_ref(&f, f.spec.cis_mode);
    if let Err(reason) = f.examined() {
        let fi = out.report(o, "/status", format!("cannot check the mode: {reason}"));
        fi.status(Status::Unknown);
        if let Some(c) = cis {
            fi.reference("cis", c);
        }
        return;
    }
    let mode = o
        .root
        .path(&["status", "mode"])
        .and_then(|n| n.as_str())
        .and_then(|m| u32::from_str_radix(m, 8).ok());
    let Some(mode) = mode else {
        out.report(o, "/status", format!("the mode of {} is not known", f.path))
            .status(Status::Unknown);
        return;
    };
    let extra = mode & 0o777 & !max;
    if extra != 0 {
        let fi = out.report(
            o,
            "/status/mode",
            format!(
                "{} {} has mode {:04o}; the benchmark wants {:04o} or stricter",
                f.spec.what,
                f.path,
                mode & 0o7777,
                max
            ),
        );
        if let Some(c) = cis {
            fi.reference("cis", c);
        }
    }
}

/// The ownership check shared by the control-plane and node rules.
pub fn check_owner(o: &Object, out: &mut Emitter<'_>, section: Section) {
    let Some(f) = HostFile::of(o, section) else {
        return;
    };
    let cis = cis_ref(&f, Some(f.spec.cis_owner));
    if let Err(reason) = f.examined() {
        let fi = out.report(o, "/status", format!("cannot check the owner: {reason}"));
        fi.status(Status::Unknown);
        if let Some(c) = cis {
            fi.reference("cis", c);
        }
        return;
    }
    let st = o.root.get("status");
    let name = |k: &str, id: &str| -> Option<String> {
        let st = st?;
        st.str_at(k).map(str::to_string).or_else(|| {
            // Without a user database, uid/gid 0 is still root.
            (st.get(id)?.as_i64()? == 0).then(|| "root".to_string())
        })
    };
    let (want_user, want_group) = f.spec.owner;
    match (name("user", "uid"), name("group", "gid")) {
        (Some(u), Some(g)) => {
            if u != want_user || g != want_group {
                let fi = out.report(
                    o,
                    "/status/user",
                    format!(
                        "{} {} is owned by {u}:{g}; the benchmark wants {want_user}:{want_group}",
                        f.spec.what, f.path
                    ),
                );
                if let Some(c) = cis {
                    fi.reference("cis", c);
                }
            }
        }
        _ => {
            let uid = st.and_then(|s| s.get("uid")).and_then(|n| n.as_i64());
            let fi = out.report(
                o,
                "/status",
                format!(
                    "the owner of {} (uid {}) has no name in the host's user database, so \
                     {want_user}:{want_group} cannot be confirmed",
                    f.path,
                    uid.map_or_else(|| "?".into(), |u| u.to_string())
                ),
            );
            fi.status(Status::Unknown);
            if let Some(c) = cis {
                fi.reference("cis", c);
            }
        }
    }
}

/// The CIS ID rule `rule_id` (KW-NODE-201..204) checks on the host file `o`, if it applies.
pub fn cis_id(rule_id: &str, o: &Object) -> Option<&'static str> {
    let (section, mode) = match rule_id {
        "KW-NODE-201" => (Section::ControlPlane, true),
        "KW-NODE-202" => (Section::ControlPlane, false),
        "KW-NODE-203" => (Section::Node, true),
        "KW-NODE-204" => (Section::Node, false),
        _ => return None,
    };
    let f = HostFile::of(o, section)?;
    if mode {
        f.max_mode()?;
        f.spec.cis_mode
    } else {
        Some(f.spec.cis_owner)
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    /// A HostFile fact.
    pub fn host_file(path: &str, role: &str, status: &str, version: &str) -> String {
        format!(
            "apiVersion: node.kubeward.io/v1alpha1\nkind: HostFile\nmetadata:\n  name: {path}\n  annotations:\n    kubeward.io/kubernetes-version: {version}\nspec:\n  path: {path}\n  role: {role}\nstatus:\n{status}"
        )
    }
}
