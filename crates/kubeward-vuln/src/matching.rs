//! Matching installed packages against the database: the ecosystem's own version order, OSV
//! `ranges` (introduced / fixed / last_affected / limit) and `versions` lists; distribution
//! packages looked up by their source package.

use crate::cvss::Level;
use crate::db::{Database, Entry, Event, Range, SevSource};
use crate::error::QueryError;
use crate::version::{Scheme, semver};
use serde::Serialize;
use std::cmp::Ordering;

/// One installed package to check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageQuery {
    /// OSV ecosystem with its release where the ecosystem has them: `Debian:12`,
    /// `Ubuntu:22.04` (`:LTS` optional), `Alpine:v3.19` (or `Alpine:3.19.1`), `Red Hat:9`,
    /// `Rocky Linux:9`, `AlmaLinux:9`, `Wolfi`, `npm`, `crates.io`, `Go`, `PyPI`, `Maven`.
    pub ecosystem: String,
    /// The installed (binary) package name; Maven `group:artifact`, Go module path.
    pub name: String,
    pub version: String,
    /// The source package for distributions (dpkg `Source:`, apk origin, SRPM name): distro
    /// advisories are keyed by it.
    pub source_name: Option<String>,
    /// The source version when it differs from the binary's (dpkg `Source: name (version)`).
    pub source_version: Option<String>,
}

impl PackageQuery {
    pub fn new(ecosystem: &str, name: &str, version: &str) -> PackageQuery {
        PackageQuery {
            ecosystem: ecosystem.into(),
            name: name.into(),
            version: version.into(),
            source_name: None,
            source_version: None,
        }
    }

    pub fn with_source(mut self, name: &str, version: Option<&str>) -> PackageQuery {
        self.source_name = Some(name.into());
        self.source_version = version.map(Into::into);
        self
    }

    /// Reads `ecosystem:name@version` (the ecosystem may contain `:`; the name is after the
    /// last `:` before `@`, except for Maven where it is `group:artifact`).
    pub fn parse(spec: &str) -> Result<PackageQuery, QueryError> {
        let bad = || QueryError {
            spec: spec.to_string(),
        };
        let (left, version) = spec.rsplit_once('@').ok_or_else(bad)?;
        let (eco, name) = if let Some(rest) = left.strip_prefix("Maven:") {
            ("Maven", rest)
        } else {
            left.rsplit_once(':').ok_or_else(bad)?
        };
        if eco.is_empty() || name.is_empty() || version.is_empty() {
            return Err(bad());
        }
        Ok(PackageQuery::new(eco, name, version))
    }
}

/// A vulnerability affecting a queried package.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Match {
    pub id: String,
    /// CVE and other ids of the same vulnerability (`aliases` and `upstream`).
    pub aliases: Vec<String>,
    pub summary: String,
    /// The record's ecosystem (`Debian:12`).
    pub ecosystem: String,
    /// The installed package.
    pub package: String,
    /// The package name the record names (the source package for distributions).
    pub record_package: String,
    /// The version compared (the source version where one was given).
    pub installed: String,
    /// The lowest fixed version above the installed one, when a fix exists.
    pub fixed: Option<String>,
    pub severity: Level,
    /// CVSS base score computed from the record's vector, when it has one.
    pub score: Option<f32>,
    pub severity_source: SevSource,
    pub url: String,
}

impl Match {
    pub fn fix_available(&self) -> bool {
        self.fixed.is_some()
    }
}

/// The result for one query: matches (sorted by severity, then id) and notes about what could
/// not be decided.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Outcome {
    pub matches: Vec<Match>,
    pub notes: Vec<String>,
}

/// The name as the ecosystem compares names: PyPI names are PEP 503-normalised (lower case,
/// runs of `-_.` as one `-`); others are exact.
pub fn normalize_name(base: &str, name: &str) -> String {
    if base == "PyPI" {
        let mut out = String::with_capacity(name.len());
        let mut sep = false;
        for c in name.trim().chars() {
            if matches!(c, '-' | '_' | '.') {
                sep = true;
            } else {
                if sep && !out.is_empty() {
                    out.push('-');
                }
                sep = false;
                out.push(c.to_ascii_lowercase());
            }
        }
        out
    } else {
        name.trim().to_string()
    }
}

fn split_eco(e: &str) -> (&str, &str) {
    match e.trim().split_once(':') {
        Some((b, r)) => (b, r),
        None => (e.trim(), ""),
    }
}

fn norm_release(base: &str, rel: &str) -> String {
    match base {
        "Ubuntu" => rel.strip_suffix(":LTS").unwrap_or(rel).to_string(),
        "Alpine" => {
            let r = rel.strip_prefix('v').unwrap_or(rel);
            let mm: Vec<&str> = r.split('.').take(2).collect();
            format!("v{}", mm.join("."))
        }
        _ => rel.to_string(),
    }
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

/// Whether a record's ecosystem (`entry`) applies to the queried one. Releases must agree
/// (a `Debian:11` record says nothing about Debian 12); a record without a release applies to
/// every release. RPM families compare major releases, and a `Red Hat` query `Red Hat:9`
/// matches records whose CPE-like release names major 9 (`enterprise_linux:9::appstream`).
pub fn ecosystem_applies(entry: &str, query: &str) -> bool {
    let (eb, er) = split_eco(entry);
    let (qb, qr) = split_eco(query);
    if eb != qb {
        return false;
    }
    if er.is_empty() {
        return true;
    }
    if qr.is_empty() {
        return false;
    }
    let (er, qr) = (norm_release(eb, er), norm_release(qb, qr));
    if er == qr {
        return true;
    }
    match eb {
        "Red Hat" => {
            if qr.contains(':') {
                return false;
            }
            er.split(':')
                .any(|f| !f.is_empty() && (f == qr || major(f) == qr || f == major(&qr)))
        }
        "Rocky Linux" | "AlmaLinux" | "openEuler" | "Azure Linux" | "Photon OS" | "Mageia" => {
            major(&er) == major(&qr)
        }
        _ => false,
    }
}

/// Whether `v` is in the range (OSV "Evaluation"). `None` when the range cannot be evaluated
/// (an ECOSYSTEM range of an ecosystem without a known order).
fn in_range(scheme: Option<Scheme>, r: &Range, v: &str) -> Option<bool> {
    let cmp = |a: &str, b: &str| -> Option<Ordering> {
        if r.semver {
            Some(semver::compare(a, b))
        } else {
            scheme.map(|s| s.compare(a, b))
        }
    };
    let limits: Vec<&str> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(l) => Some(l.as_str()),
            _ => None,
        })
        .collect();
    if !limits.is_empty() {
        let mut below = false;
        for l in limits {
            if l == "*" || cmp(v, l)? == Ordering::Less {
                below = true;
            }
        }
        if !below {
            return Some(false);
        }
    }
    let mut events: Vec<&Event> = r
        .events
        .iter()
        .filter(|e| !matches!(e, Event::Limit(_)))
        .collect();
    let zero = |e: &Event| matches!(e, Event::Introduced(x) if x == "0");
    let mut failed = false;
    events.sort_by(|a, b| match (zero(a), zero(b)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => cmp(a.version(), b.version()).unwrap_or_else(|| {
            failed = true;
            Ordering::Equal
        }),
    });
    if failed {
        return None;
    }
    let mut affected = false;
    for e in events {
        match e {
            Event::Introduced(x) => {
                if x == "0" || cmp(x, v)? != Ordering::Greater {
                    affected = true;
                }
            }
            Event::Fixed(x) => {
                if cmp(x, v)? != Ordering::Greater {
                    affected = false;
                }
            }
            Event::LastAffected(x) => {
                if cmp(x, v)? == Ordering::Less {
                    affected = false;
                }
            }
            Event::Limit(_) => {}
        }
    }
    Some(affected)
}

/// Whether the entry affects version `v`, with the lowest fix above it.
fn entry_affects(
    scheme: Option<Scheme>,
    e: &Entry,
    v: &str,
    notes: &mut Vec<String>,
) -> Option<Option<String>> {
    let listed = e.versions.iter().any(|x| {
        x == v || scheme.is_some_and(|s| s.is_valid(x) && s.compare(x, v) == Ordering::Equal)
    });
    let mut hit = listed;
    let mut fixes: Vec<&str> = Vec::new();
    for r in &e.ranges {
        match in_range(scheme, r, v) {
            Some(true) => {
                hit = true;
                fixes.extend(r.events.iter().filter_map(|ev| match ev {
                    Event::Fixed(x) => Some(x.as_str()),
                    _ => None,
                }));
            }
            Some(false) => {}
            None => notes.push(format!(
                "{}: ECOSYSTEM range of `{}` not evaluated (no known version order for this ecosystem)",
                e.name, e.ecosystem
            )),
        }
    }
    if !hit {
        return None;
    }
    let cmp = |a: &str, b: &str| match scheme {
        Some(s) => s.compare(a, b),
        None => semver::compare(a, b),
    };
    let fixed = fixes
        .into_iter()
        .filter(|f| cmp(f, v) == Ordering::Greater)
        .min_by(|a, b| cmp(a, b))
        .map(String::from);
    Some(fixed)
}

impl Database {
    /// The vulnerabilities affecting one installed package.
    pub fn matches(&self, q: &PackageQuery) -> Outcome {
        let mut out = Outcome::default();
        let (base, _) = split_eco(&q.ecosystem);
        let scheme = Scheme::for_ecosystem(base);
        if scheme.is_none() {
            out.notes.push(format!(
                "ecosystem `{}` has no known version order: only exact `versions` entries and SEMVER ranges are checked",
                q.ecosystem
            ));
        }
        let distro = matches!(scheme, Some(Scheme::Dpkg | Scheme::Apk | Scheme::Rpm));
        // Distribution advisories name the source package; Red Hat's may name either.
        let mut names: Vec<&str> = Vec::new();
        match (&q.source_name, distro) {
            (Some(src), true) => {
                names.push(src);
                if scheme == Some(Scheme::Rpm) && src != &q.name {
                    names.push(&q.name);
                }
            }
            _ => names.push(&q.name),
        }
        let version = match (&q.source_version, distro) {
            (Some(v), true) => v.as_str(),
            _ => q.version.as_str(),
        };
        if let Some(s) = scheme {
            if !s.is_valid(version) {
                out.notes.push(format!(
                    "{}: `{version}` is not a valid {} version; compared as well as the order allows",
                    q.name,
                    s.name()
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for name in names {
            for e in &self.lookup(base, name) {
                if !ecosystem_applies(&e.ecosystem, &q.ecosystem) {
                    continue;
                }
                let Some(fixed) = entry_affects(scheme, e, version, &mut out.notes) else {
                    continue;
                };
                if !seen.insert(e.vuln) {
                    continue;
                }
                let v = self.vuln(e.vuln);
                out.matches.push(Match {
                    id: v.id.clone(),
                    aliases: v.aliases.clone(),
                    summary: v.summary.clone(),
                    ecosystem: e.ecosystem.clone(),
                    package: q.name.clone(),
                    record_package: e.name.clone(),
                    installed: version.to_string(),
                    fixed,
                    severity: e.severity.level,
                    score: e.severity.score,
                    severity_source: e.severity.source,
                    url: v.url.clone(),
                });
            }
        }
        out.matches
            .sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        out.notes.sort();
        out.notes.dedup();
        out
    }

    /// [`Database::matches`] for many packages, in parallel, results in query order.
    pub fn match_all(&self, queries: &[PackageQuery]) -> Vec<Outcome> {
        use rayon::prelude::*;
        queries.par_iter().map(|q| self.matches(q)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_agree_on_release() {
        assert!(ecosystem_applies("Debian:12", "Debian:12"));
        assert!(!ecosystem_applies("Debian:11", "Debian:12"));
        assert!(ecosystem_applies("Debian", "Debian:12"));
        assert!(!ecosystem_applies("Debian:12", "Debian"));
        assert!(ecosystem_applies("Ubuntu:22.04:LTS", "Ubuntu:22.04"));
        assert!(!ecosystem_applies("Ubuntu:Pro:22.04:LTS", "Ubuntu:22.04"));
        assert!(ecosystem_applies("Alpine:v3.19", "Alpine:3.19.1"));
        assert!(!ecosystem_applies("Alpine:v3.18", "Alpine:v3.19"));
        assert!(ecosystem_applies(
            "Red Hat:enterprise_linux:9::appstream",
            "Red Hat:9"
        ));
        assert!(ecosystem_applies(
            "Red Hat:rhel_aus:8.4::appstream",
            "Red Hat:8"
        ));
        assert!(!ecosystem_applies(
            "Red Hat:enterprise_linux:9::baseos",
            "Red Hat:8"
        ));
        assert!(ecosystem_applies("Rocky Linux:9", "Rocky Linux:9.3"));
        assert!(ecosystem_applies("npm", "npm"));
        assert!(!ecosystem_applies("npm", "PyPI"));
    }

    #[test]
    fn names_normalise_for_pypi_only() {
        assert_eq!(normalize_name("PyPI", "Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize_name("npm", "Foo"), "Foo");
    }

    #[test]
    fn package_specs() {
        let q = PackageQuery::parse("Debian:12:openssl@3.0.11-1~deb12u2").unwrap();
        assert_eq!(
            (q.ecosystem.as_str(), q.name.as_str(), q.version.as_str()),
            ("Debian:12", "openssl", "3.0.11-1~deb12u2")
        );
        let q = PackageQuery::parse("Maven:org.apache.logging.log4j:log4j-core@2.14.1").unwrap();
        assert_eq!(q.name, "org.apache.logging.log4j:log4j-core");
        let q = PackageQuery::parse("npm:@babel/core@7.0.0").unwrap();
        assert_eq!(
            (q.name.as_str(), q.version.as_str()),
            ("@babel/core", "7.0.0")
        );
        assert_eq!(
            PackageQuery::parse("openssl@1").unwrap_err(),
            QueryError {
                spec: "openssl@1".into()
            }
        );
        assert!(PackageQuery::parse("npm:x").is_err());
    }

    fn range(semver: bool, events: Vec<Event>) -> Range {
        Range { semver, events }
    }

    #[test]
    fn osv_range_evaluation() {
        use Event::*;
        let s = Some(Scheme::Semver);
        let r = range(
            true,
            vec![Introduced("1.0.0".into()), Fixed("1.2.0".into())],
        );
        assert_eq!(in_range(s, &r, "0.9.0"), Some(false));
        assert_eq!(in_range(s, &r, "1.0.0"), Some(true));
        assert_eq!(in_range(s, &r, "1.1.9"), Some(true));
        assert_eq!(in_range(s, &r, "1.2.0"), Some(false));
        // Two introduced/fixed pairs in one range, unsorted.
        let r = range(
            true,
            vec![
                Fixed("2.1.0".into()),
                Introduced("0".into()),
                Introduced("2.0.0".into()),
                Fixed("1.5.0".into()),
            ],
        );
        for (v, want) in [
            ("1.0.0", true),
            ("1.5.0", false),
            ("2.0.5", true),
            ("2.1.0", false),
        ] {
            assert_eq!(in_range(s, &r, v), Some(want), "{v}");
        }
        let r = range(
            true,
            vec![Introduced("1.0.0".into()), LastAffected("1.4.0".into())],
        );
        assert_eq!(in_range(s, &r, "1.4.0"), Some(true));
        assert_eq!(in_range(s, &r, "1.4.1"), Some(false));
        let r = range(true, vec![Introduced("0".into()), Limit("2.0.0".into())]);
        assert_eq!(in_range(s, &r, "1.9.9"), Some(true));
        assert_eq!(in_range(s, &r, "2.0.0"), Some(false));
        let r = range(false, vec![Introduced("0".into())]);
        assert_eq!(in_range(None, &r, "1"), Some(true));
        let r = range(false, vec![Introduced("1".into())]);
        assert_eq!(in_range(None, &r, "1"), None);
    }
}
