//! Version ordering exactly as each package manager orders versions.

pub mod apk;
pub mod dpkg;
pub mod maven;
pub mod pep440;
pub mod rpm;
pub mod semver;

use std::cmp::Ordering;

/// A package manager's version order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    Dpkg,
    Apk,
    Rpm,
    Semver,
    Pep440,
    Maven,
}

impl Scheme {
    /// The order used for an OSV ecosystem (the part before the first `:`), as osv.dev maps
    /// them. `None` for ecosystems kubeward does not know how to order.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or("");
        Some(match base {
            "Debian" | "Ubuntu" => Scheme::Dpkg,
            "Alpine"
            | "Wolfi"
            | "Chainguard"
            | "MinimOS"
            | "Alpaquita"
            | "BellSoft Hardened Containers" => Scheme::Apk,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "Azure Linux" | "openEuler" | "Photon OS" => Scheme::Rpm,
            "npm" | "crates.io" | "Go" | "Hex" | "Pub" | "SwiftURL" | "Bitnami" => Scheme::Semver,
            "PyPI" => Scheme::Pep440,
            "Maven" => Scheme::Maven,
            _ => return None,
        })
    }

    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Scheme::Dpkg => dpkg::compare(a, b),
            Scheme::Apk => apk::compare(a, b),
            Scheme::Rpm => rpm::compare(a, b),
            Scheme::Semver => semver::compare(a, b),
            Scheme::Pep440 => pep440::compare(a, b),
            Scheme::Maven => maven::compare(a, b),
        }
    }

    /// Whether `v` is a version this scheme reads without falling back to text order.
    pub fn is_valid(self, v: &str) -> bool {
        match self {
            Scheme::Dpkg => dpkg::DebVersion::parse(v).is_ok(),
            Scheme::Apk => apk::is_valid(v),
            Scheme::Rpm => !v.trim().is_empty(),
            Scheme::Semver => semver::SemVer::parse(v).is_ok(),
            Scheme::Pep440 => pep440::Pep440::parse(v).is_ok(),
            Scheme::Maven => !v.trim().is_empty(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Semver => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Maven => "maven",
        }
    }
}
