//! kubeward-vuln: known vulnerabilities of installed packages.
//!
//! - [`version`]: version ordering exactly as each package manager does it (dpkg, apk, rpm,
//!   SemVer, PEP 440, Maven).
//! - [`osv`], [`db`], [`import`]: OSV records imported into a compact local index.
//! - [`matching`]: `(ecosystem, name, version, source package)` → vulnerabilities.
//! - [`cvss`]: base scores from CVSS vectors.

pub mod cvss;
pub mod db;
pub mod error;
pub mod import;
pub mod matching;
pub mod osv;
pub mod reports;
pub mod version;

pub use cvss::Level;
pub use db::Database;
pub use error::{
    CvssError, DbError, DecodeError, ImportError, QueryError, ReportError, ReportProblem,
    VersionError,
};
pub use matching::{Match, Outcome, PackageQuery};
pub mod rules;

pub use rules::{Facts, attach, rules};
