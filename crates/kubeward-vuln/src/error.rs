//! The crate's errors, one enum per idea: the database file, scanner reports, OSV import,
//! CVSS vectors and package queries. Each prints the text the CLI has always shown.

use std::path::PathBuf;

/// The vulnerability database could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No database in the folder.
    #[error(
        "{}: no vulnerability database here (create one with `kubeward vuln db import FILE|DIR --vuln-db {}`)",
        path.display(),
        dir.display()
    )]
    Missing { path: PathBuf, dir: PathBuf },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a database this version can read.
    #[error("{}: {source}", path.display())]
    Decode {
        path: PathBuf,
        #[source]
        source: DecodeError,
    },
}

/// The bytes are not a database this version of kubeward wrote.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "not a kubeward vulnerability database (or written by another version of kubeward: import again)"
    )]
    NotADatabase,
    #[error("corrupt database header")]
    Header,
    #[error("corrupt database: {0}")]
    Decompress(#[source] std::io::Error),
    /// Truncated or inconsistent contents; the text says what.
    #[error("corrupt database: {0}")]
    Corrupt(&'static str),
    #[error("database too large")]
    TooLarge,
}

/// A scanner report (Trivy, Grype, CycloneDX VEX) that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct ReportError {
    /// The file name as given.
    pub file: String,
    #[source]
    pub problem: ReportProblem,
}

impl ReportError {
    pub(crate) fn new(file: &str, problem: ReportProblem) -> ReportError {
        ReportError {
            file: file.to_string(),
            problem,
        }
    }
}

/// What is wrong with a scanner report.
#[derive(Debug, thiserror::Error)]
pub enum ReportProblem {
    #[error("{0}")]
    Read(#[source] std::io::Error),
    #[error("line {line} column {column}: not JSON: {source}")]
    NotJson {
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("a `trivy k8s` report; give `trivy image --format json` reports of the images instead")]
    TrivyK8s,
    #[error(
        "not a Trivy JSON, Grype JSON or CycloneDX report (no `Results`, `matches` or `bomFormat`)"
    )]
    UnknownFormat,
    #[error("Trivy report: `ArtifactName` `{artifact}` is not an image reference")]
    TrivyNoImage { artifact: String },
    #[error("Results[{result}].Vulnerabilities[{vulnerability}] has no VulnerabilityID")]
    TrivyNoId { result: usize, vulnerability: usize },
    #[error("Grype report: `source.target` names no image (source type `{source_type}`)")]
    GrypeNoImage { source_type: String },
    #[error("{list}[{index}].vulnerability has no id")]
    GrypeNoId { list: &'static str, index: usize },
    #[error("vulnerabilities[{index}]: a VEX statement needs `id` and `analysis.state`")]
    VexIncomplete { index: usize },
    #[error("CycloneDX document without VEX statements (`vulnerabilities[].analysis`)")]
    NoVex,
}

/// OSV data that cannot be imported or downloaded (records that do not parse are not errors:
/// they are listed in [`crate::import::Imported::errors`]).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no .json or .zip files")]
    NoFiles { path: String },
    #[error("{path}: not a readable zip archive: {source}")]
    Zip {
        path: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{path}: member {index}: {source}")]
    ZipMember {
        path: String,
        index: usize,
        #[source]
        source: zip::result::ZipError,
    },
    /// The request failed (DNS, connection, TLS, timeout).
    #[error("{url}: {source}")]
    Request {
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    /// The server answered with an error status.
    #[error("{url}: HTTP {status}")]
    Status {
        url: String,
        status: ureq::http::StatusCode,
    },
    /// The response body could not be read or stored.
    #[error("{url}: {source}")]
    Body {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: larger than {max_bytes} bytes")]
    TooLarge { url: String, max_bytes: u64 },
}

/// A CVSS vector that cannot be scored.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    #[error("`{vector}` is not a CVSS v3 vector")]
    NotV3 { vector: String },
    #[error("CVSS vector `{vector}`: `{part}` is not METRIC:VALUE")]
    NotMetric { vector: String, part: String },
    #[error("CVSS vector `{vector}` lacks {metric}")]
    Missing { vector: String, metric: String },
    /// `label` is `CVSS` or `CVSS v2`.
    #[error("{label} vector `{vector}`: unknown {metric} value `{value}`")]
    UnknownValue {
        label: &'static str,
        vector: String,
        metric: String,
        value: String,
    },
}

/// A package query that is not `ECOSYSTEM:NAME@VERSION`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{spec}`: expected ECOSYSTEM:NAME@VERSION")]
pub struct QueryError {
    pub spec: String,
}

/// A package version that cannot be read in its ecosystem's scheme. Each variant carries the
/// version as given (trimmed for Debian) and prints the text the CLI has always shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// A Debian version that is empty.
    #[error("empty version")]
    Empty,
    /// A Debian epoch that is not a number.
    #[error("version `{version}`: epoch `{epoch}` is not a number")]
    EpochNotANumber { version: String, epoch: String },
    /// A Debian epoch past `u64`.
    #[error("version `{version}`: epoch `{epoch}` is too large")]
    EpochTooLarge { version: String, epoch: String },
    /// A Debian version with nothing before the revision.
    #[error("version `{0}` has an empty upstream version")]
    EmptyUpstream(String),
    /// Not `MAJOR[.MINOR[.PATCH]]` with numbers.
    #[error("`{0}` is not a semantic version")]
    NotSemVer(String),
    /// A semantic version number past `u64`.
    #[error("`{version}`: number `{number}` is too large")]
    NumberTooLarge { version: String, number: String },
    /// A semantic version pre-release with an empty or non-alphanumeric identifier.
    #[error("`{0}` has an invalid pre-release")]
    BadPreRelease(String),
    /// Not a PEP 440 version.
    #[error("`{0}` is not a PEP 440 version")]
    NotPep440(String),
}
