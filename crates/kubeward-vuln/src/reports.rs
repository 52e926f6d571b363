//! Reports users already produce, read as vulnerability facts about images: Trivy
//! (`trivy image --format json`), Grype (`grype -o json`) and CycloneDX VEX (statements that
//! mark vulnerabilities not exploitable, or exploitable).

use crate::cvss::{self, Level};
use crate::error::{ReportError, ReportProblem};
use crate::matching::Match;
use kubeward_core::image::ImageRef;
use serde_json::Value;

/// An image as a report names it: every (repository, tag, digest) it is known by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageIdentity {
    /// `(full name, tag, digest)`, full name as kubeward-core normalises it
    /// (`nginx` → `docker.io/library/nginx`).
    pub names: Vec<(String, Option<String>, Option<String>)>,
    /// The reference as the report writes it, for messages.
    pub display: String,
}

impl ImageIdentity {
    /// From the references a report gives (tags, `name@digest` forms). Unparsable ones are
    /// skipped; `None` when none parses.
    pub fn from_refs<'a>(refs: impl IntoIterator<Item = &'a str>) -> Option<ImageIdentity> {
        let mut id = ImageIdentity::default();
        for r in refs {
            let Ok(p) = ImageRef::parse(r) else { continue };
            if id.display.is_empty() {
                id.display = r.to_string();
            }
            let entry = (
                p.full_name(),
                p.tag.map(String::from),
                p.digest.map(String::from),
            );
            if !id.names.contains(&entry) {
                id.names.push(entry);
            }
        }
        (!id.names.is_empty()).then_some(id)
    }

    /// Whether a workload's image reference runs this image: same repository, and the same
    /// digest when the workload pins one the report also knows, else the same tag.
    pub fn runs(&self, w: &ImageRef<'_>) -> bool {
        let name = w.full_name();
        let same: Vec<_> = self.names.iter().filter(|(n, _, _)| *n == name).collect();
        if same.is_empty() {
            return false;
        }
        if let Some(d) = w.digest {
            if same.iter().any(|(_, _, rd)| rd.is_some()) {
                return same.iter().any(|(_, _, rd)| rd.as_deref() == Some(d));
            }
        }
        let Some(tag) = w.effective_tag().or(w.tag) else {
            return false;
        };
        same.iter().any(|(_, t, _)| t.as_deref() == Some(tag))
    }
}

/// One vulnerable package in an image.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageFinding {
    pub id: String,
    pub aliases: Vec<String>,
    pub package: String,
    pub source_package: Option<String>,
    pub installed: String,
    /// Fixed version(s) as the source gives them; `None` when no fix exists.
    pub fixed: Option<String>,
    pub severity: Level,
    pub score: Option<f32>,
    pub title: String,
    pub url: String,
    /// Where the package was found in the image (Trivy target, Grype location).
    pub location: Option<String>,
    /// Set when the source itself says the package is not affected or the match is ignored.
    pub suppressed: Option<String>,
}

impl ImageFinding {
    /// A match from kubeward's own database.
    pub fn from_match(m: &Match) -> ImageFinding {
        ImageFinding {
            id: m.id.clone(),
            aliases: m.aliases.clone(),
            package: m.package.clone(),
            source_package: (m.record_package != m.package).then(|| m.record_package.clone()),
            installed: m.installed.clone(),
            fixed: m.fixed.clone(),
            severity: m.severity,
            score: m.score,
            title: m.summary.clone(),
            url: m.url.clone(),
            location: None,
            suppressed: None,
        }
    }

    /// Every id the vulnerability is known by.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// The findings about one image from one source.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageReport {
    pub image: ImageIdentity,
    /// `Trivy report FILE`, `Grype report FILE`, or the database description.
    pub origin: String,
    pub findings: Vec<ImageFinding>,
}

impl ImageReport {
    /// Matches of kubeward's own database for the packages of one image, as a report: `image`
    /// is the reference the inventory was taken of (tag and/or digest), `origin` says which
    /// database (for example [`crate::Database::describe`]), shown in every finding.
    pub fn from_matches(image: &str, origin: String, matches: &[Match]) -> Option<ImageReport> {
        Some(ImageReport {
            image: ImageIdentity::from_refs([image])?,
            origin,
            findings: matches.iter().map(ImageFinding::from_match).collect(),
        })
    }
}

/// A VEX statement: the state of one vulnerability, for some packages (all when empty), in
/// some image (every image when `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct VexStatement {
    pub id: String,
    pub state: String,
    pub justification: Option<String>,
    pub detail: Option<String>,
    pub packages: Vec<String>,
    pub image: Option<ImageIdentity>,
    pub origin: String,
}

impl VexStatement {
    /// Whether the statement says the vulnerability cannot be exploited here.
    pub fn not_exploitable(&self) -> bool {
        matches!(
            self.state.as_str(),
            "not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree"
        )
    }

    pub fn applies(&self, image: &ImageRef<'_>, f: &ImageFinding) -> bool {
        if let Some(i) = &self.image {
            if !i.runs(image) {
                return false;
            }
        }
        f.ids().any(|id| id.eq_ignore_ascii_case(&self.id))
            && (self.packages.is_empty()
                || self
                    .packages
                    .iter()
                    .any(|p| *p == f.package || f.source_package.as_deref() == Some(p.as_str())))
    }

    pub fn reason(&self) -> String {
        let mut s = format!("VEX ({}): {}", self.origin, self.state);
        if let Some(j) = &self.justification {
            s.push_str(&format!(", {j}"));
        }
        if let Some(d) = &self.detail {
            s.push_str(&format!(": {d}"));
        }
        s
    }
}

/// Everything read from the given reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reports {
    pub images: Vec<ImageReport>,
    pub vex: Vec<VexStatement>,
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Reads one report file's text; `name` is used in messages.
pub fn parse(name: &str, text: &str) -> Result<Reports, ReportError> {
    let v: Value = serde_json::from_str(text).map_err(|source| {
        ReportError::new(
            name,
            ReportProblem::NotJson {
                line: source.line(),
                column: source.column(),
                source,
            },
        )
    })?;
    if v.get("Results").is_some() || v.get("ArtifactName").is_some() {
        trivy(name, &v).map(|r| Reports {
            images: vec![r],
            vex: Vec::new(),
        })
    } else if v.get("matches").is_some() {
        grype(name, &v).map(|r| Reports {
            images: vec![r],
            vex: Vec::new(),
        })
    } else if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(name, &v)
    } else if v.get("Resources").is_some() || v.get("ClusterName").is_some() {
        Err(ReportError::new(name, ReportProblem::TrivyK8s))
    } else {
        Err(ReportError::new(name, ReportProblem::UnknownFormat))
    }
}

fn trivy(name: &str, v: &Value) -> Result<ImageReport, ReportError> {
    let artifact = s(v, "ArtifactName");
    let meta = v.get("Metadata").cloned().unwrap_or(Value::Null);
    let mut refs = vec![artifact.clone()];
    refs.extend(strs(meta.get("RepoTags")));
    refs.extend(strs(meta.get("RepoDigests")));
    let image = ImageIdentity::from_refs(refs.iter().map(String::as_str)).ok_or_else(|| {
        ReportError::new(
            name,
            ReportProblem::TrivyNoImage {
                artifact: artifact.clone(),
            },
        )
    })?;
    let mut findings = Vec::new();
    for (ri, r) in v
        .get("Results")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let target = non_empty(s(r, "Target"));
        for (vi, x) in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let id = s(x, "VulnerabilityID");
            if id.is_empty() {
                return Err(ReportError::new(
                    name,
                    ReportProblem::TrivyNoId {
                        result: ri,
                        vulnerability: vi,
                    },
                ));
            }
            // The score of the source Trivy took the severity from, else NVD, else any.
            let cvss = x.get("CVSS").and_then(Value::as_object);
            let source = s(x, "SeveritySource");
            let score = cvss.and_then(|m| {
                m.get(&source)
                    .or_else(|| m.get("nvd"))
                    .or_else(|| m.values().next())
                    .and_then(|c| {
                        c.get("V3Score").and_then(Value::as_f64).or_else(|| {
                            c.get("V3Vector")
                                .and_then(Value::as_str)
                                .and_then(|v| cvss::v3_base_score(v).ok())
                        })
                    })
            });
            let status = s(x, "Status");
            let fixed = non_empty(s(x, "FixedVersion"));
            findings.push(ImageFinding {
                aliases: strs(x.get("VendorIDs")),
                id,
                package: s(x, "PkgName"),
                source_package: None,
                installed: s(x, "InstalledVersion"),
                fixed,
                severity: Level::from_label(&s(x, "Severity")),
                score: score.map(|s| s as f32),
                title: s(x, "Title"),
                url: s(x, "PrimaryURL"),
                location: target.clone(),
                suppressed: (status == "not_affected")
                    .then(|| "Trivy: status not_affected".to_string()),
            });
        }
    }
    Ok(ImageReport {
        image,
        origin: format!("Trivy report {name}"),
        findings,
    })
}

fn grype(name: &str, v: &Value) -> Result<ImageReport, ReportError> {
    let src = v.get("source").cloned().unwrap_or(Value::Null);
    let target = src.get("target").cloned().unwrap_or(Value::Null);
    let mut refs: Vec<String> = Vec::new();
    match &target {
        Value::String(t) => refs.push(t.clone()),
        Value::Object(_) => {
            refs.push(s(&target, "userInput"));
            refs.extend(strs(target.get("tags")));
            refs.extend(strs(target.get("repoDigests")));
        }
        _ => {}
    }
    let image = ImageIdentity::from_refs(refs.iter().map(String::as_str)).ok_or_else(|| {
        ReportError::new(
            name,
            ReportProblem::GrypeNoImage {
                source_type: s(&src, "type"),
            },
        )
    })?;
    let mut findings = Vec::new();
    for (list, suppressed) in [
        ("matches", None),
        ("ignoredMatches", Some("Grype: ignore rule")),
    ] {
        for (i, m) in v
            .get(list)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let vuln = m.get("vulnerability").cloned().unwrap_or(Value::Null);
            let art = m.get("artifact").cloned().unwrap_or(Value::Null);
            let id = s(&vuln, "id");
            if id.is_empty() {
                return Err(ReportError::new(
                    name,
                    ReportProblem::GrypeNoId { list, index: i },
                ));
            }
            let mut aliases: Vec<String> = m
                .get("relatedVulnerabilities")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|r| s(r, "id"))
                        .filter(|x| !x.is_empty() && *x != id)
                        .collect()
                })
                .unwrap_or_default();
            aliases.sort();
            aliases.dedup();
            let fix = vuln.get("fix").cloned().unwrap_or(Value::Null);
            let fixed = strs(fix.get("versions"));
            let score = vuln.get("cvss").and_then(Value::as_array).and_then(|a| {
                a.iter()
                    .filter(|c| s(c, "version").starts_with('3'))
                    .find_map(|c| c.pointer("/metrics/baseScore").and_then(Value::as_f64))
            });
            let upstream = art
                .get("upstreams")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .map(|u| s(u, "name"))
                .filter(|x| !x.is_empty());
            let location = art
                .get("locations")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .map(|l| s(l, "path"))
                .filter(|x| !x.is_empty());
            findings.push(ImageFinding {
                id,
                aliases,
                package: s(&art, "name"),
                source_package: upstream,
                installed: s(&art, "version"),
                fixed: (!fixed.is_empty() && s(&fix, "state") != "not-fixed")
                    .then(|| fixed.join(", ")),
                severity: Level::from_label(&s(&vuln, "severity")),
                score: score.map(|s| s as f32),
                title: s(&vuln, "description")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string(),
                url: strs(vuln.get("urls"))
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| s(&vuln, "dataSource")),
                location,
                suppressed: suppressed.map(String::from),
            });
        }
    }
    Ok(ImageReport {
        image,
        origin: format!("Grype report {name}"),
        findings,
    })
}

/// The package name of a purl (`pkg:deb/debian/openssl@3.0?arch=x` → `openssl`;
/// `pkg:npm/%40acme/widget@1` → `@acme/widget`; Maven → `group:artifact`).
pub fn purl_name(purl: &str) -> Option<String> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let rest = rest.rsplit_once('@').map_or(rest, |(l, _)| l);
    let (ty, path) = rest.split_once('/')?;
    let decoded = path
        .replace("%40", "@")
        .replace("%2F", "/")
        .replace("%2f", "/");
    Some(match ty {
        "maven" => decoded.replacen('/', ":", 1),
        "npm" | "golang" => decoded,
        _ => decoded.rsplit('/').next()?.to_string(),
    })
}

fn cyclonedx(name: &str, v: &Value) -> Result<Reports, ReportError> {
    let comps: Vec<Value> = v
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let lookup = |r: &str| -> Option<String> {
        comps
            .iter()
            .find(|c| s(c, "bom-ref") == r)
            .map(|c| {
                non_empty(s(c, "purl"))
                    .and_then(|p| purl_name(&p))
                    .unwrap_or_else(|| s(c, "name"))
            })
            .or_else(|| purl_name(r))
    };
    let mc = v
        .pointer("/metadata/component")
        .cloned()
        .unwrap_or(Value::Null);
    let image = if s(&mc, "type") == "container" {
        let n = s(&mc, "name");
        let ver = s(&mc, "version");
        let r = if ver.is_empty()
            || n.contains('@')
            || n.rsplit('/').next().is_some_and(|l| l.contains(':'))
        {
            n.clone()
        } else if ver.starts_with("sha256:") {
            format!("{n}@{ver}")
        } else {
            format!("{n}:{ver}")
        };
        ImageIdentity::from_refs([r.as_str()])
    } else {
        None
    };
    let mut out = Reports::default();
    for (i, x) in v
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let Some(a) = x.get("analysis") else { continue };
        let id = s(x, "id");
        let state = s(a, "state");
        if id.is_empty() || state.is_empty() {
            return Err(ReportError::new(
                name,
                ReportProblem::VexIncomplete { index: i },
            ));
        }
        let packages = x
            .get("affects")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|r| lookup(&s(r, "ref"))).collect())
            .unwrap_or_default();
        out.vex.push(VexStatement {
            id,
            state,
            justification: non_empty(s(a, "justification")),
            detail: non_empty(s(a, "detail")),
            packages,
            image: image.clone(),
            origin: name.to_string(),
        });
    }
    if out.vex.is_empty() {
        return Err(ReportError::new(name, ReportProblem::NoVex));
    }
    Ok(out)
}

/// Reads report files and merges them.
pub fn read_files(paths: &[std::path::PathBuf]) -> Result<Reports, ReportError> {
    let mut all = Reports::default();
    for p in paths {
        let name = p.display().to_string();
        let text = std::fs::read_to_string(p)
            .map_err(|e| ReportError::new(&name, ReportProblem::Read(e)))?;
        let r = parse(&name, &text)?;
        all.images.extend(r.images);
        all.vex.extend(r.vex);
    }
    Ok(all)
}
