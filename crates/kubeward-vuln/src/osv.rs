//! OSV records (ossf/osv-schema), read with serde, and their conversion into index entries.

use crate::cvss::{self, Level};
use crate::db::{Entry, Event, Range, Sev, SevSource, Vuln};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Record {
    pub id: String,
    pub modified: String,
    pub published: Option<String>,
    pub withdrawn: Option<String>,
    pub aliases: Vec<String>,
    pub upstream: Vec<String>,
    pub summary: Option<String>,
    pub details: Option<String>,
    pub severity: Vec<SeverityEntry>,
    pub affected: Vec<Affected>,
    pub references: Vec<Reference>,
    pub database_specific: Option<Value>,
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(default)]
pub struct SeverityEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Reference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Package {
    pub ecosystem: String,
    pub name: String,
    pub purl: Option<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct Affected {
    pub package: Option<Package>,
    pub severity: Vec<SeverityEntry>,
    pub ranges: Vec<OsvRange>,
    pub versions: Vec<String>,
    pub ecosystem_specific: Option<Value>,
    pub database_specific: Option<Value>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct OsvRange {
    #[serde(rename = "type")]
    pub kind: String,
    pub events: Vec<OsvEvent>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct OsvEvent {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

/// The severity of one affected entry: its own `severity`, else the record's, else the
/// labels databases put in `ecosystem_specific`/`database_specific`.
fn severity(rec: &Record, aff: &Affected) -> Sev {
    let list = if aff.severity.is_empty() {
        &rec.severity
    } else {
        &aff.severity
    };
    let find = |t: &str| list.iter().find(|s| s.kind == t);
    if let Some(s) = find("CVSS_V3") {
        if let Ok(score) = cvss::v3_base_score(&s.score) {
            return Sev {
                level: Level::from_v3_score(score),
                score: Some(score as f32),
                source: SevSource::CvssV3,
            };
        }
    }
    if let Some(s) = find("CVSS_V2") {
        if let Ok(score) = cvss::v2_base_score(&s.score) {
            return Sev {
                level: Level::from_v2_score(score),
                score: Some(score as f32),
                source: SevSource::CvssV2,
            };
        }
    }
    if let Some(s) = find("Ubuntu") {
        let level = Level::from_label(&s.score);
        if level != Level::Unknown {
            return Sev {
                level,
                score: None,
                source: SevSource::Label,
            };
        }
    }
    let label = |v: &Option<Value>, key: &str| {
        v.as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(Level::from_label)
            .filter(|l| *l != Level::Unknown)
    };
    let level = label(&aff.ecosystem_specific, "severity")
        .or_else(|| label(&aff.ecosystem_specific, "urgency"))
        .or_else(|| label(&aff.database_specific, "severity"))
        .or_else(|| label(&rec.database_specific, "severity"));
    match level {
        Some(level) => Sev {
            level,
            score: None,
            source: SevSource::Label,
        },
        None => Sev {
            level: Level::Unknown,
            score: None,
            source: SevSource::None,
        },
    }
}

impl Record {
    /// The vulnerability part of the record (id, aliases and upstream ids, summary, link).
    pub fn vuln(&self) -> Vuln {
        let mut aliases: Vec<String> = self
            .aliases
            .iter()
            .chain(&self.upstream)
            .filter(|a| **a != self.id)
            .cloned()
            .collect();
        aliases.sort();
        aliases.dedup();
        let url = self
            .references
            .iter()
            .find(|r| r.kind == "ADVISORY")
            .or_else(|| self.references.first())
            .map(|r| r.url.clone())
            .unwrap_or_default();
        let summary = self
            .summary
            .clone()
            .filter(|s| !s.trim().is_empty())
            .or_else(|| {
                self.details
                    .as_ref()
                    .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
                    .map(|l| l.chars().take(200).collect())
            })
            .unwrap_or_default();
        let vectors = self
            .severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| &a.severity))
            .filter(|s| s.kind.starts_with("CVSS"))
            .map(|s| s.score.clone())
            .fold(Vec::new(), |mut v, s| {
                if !v.contains(&s) {
                    v.push(s);
                }
                v
            });
        Vuln {
            id: self.id.clone(),
            aliases,
            summary,
            modified: self.modified.clone(),
            published: self.published.clone().unwrap_or_default(),
            url,
            vectors,
        }
    }

    /// One index entry per `affected[]` with a package (entries without a package, such as
    /// GIT-only ones, cannot match an installed package).
    pub fn entries(&self, vuln: u32) -> Vec<Entry> {
        let mut out = Vec::new();
        for aff in &self.affected {
            let Some(pkg) = &aff.package else { continue };
            if pkg.ecosystem.is_empty() || pkg.name.is_empty() {
                continue;
            }
            let ranges = aff
                .ranges
                .iter()
                .filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM")
                .map(|r| Range {
                    semver: r.kind == "SEMVER",
                    events: r
                        .events
                        .iter()
                        .flat_map(|e| {
                            let mut v = Vec::new();
                            if let Some(x) = &e.introduced {
                                v.push(Event::Introduced(x.clone()));
                            }
                            if let Some(x) = &e.fixed {
                                v.push(Event::Fixed(x.clone()));
                            }
                            if let Some(x) = &e.last_affected {
                                v.push(Event::LastAffected(x.clone()));
                            }
                            if let Some(x) = &e.limit {
                                v.push(Event::Limit(x.clone()));
                            }
                            v
                        })
                        .collect(),
                })
                .filter(|r| !r.events.is_empty())
                .collect::<Vec<_>>();
            if ranges.is_empty() && aff.versions.is_empty() {
                continue;
            }
            out.push(Entry {
                vuln,
                ecosystem: pkg.ecosystem.trim().to_string(),
                name: pkg.name.trim().to_string(),
                severity: severity(self, aff),
                ranges,
                versions: aff.versions.clone(),
            });
        }
        out
    }
}
