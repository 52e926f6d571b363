//! kubeward-vuln: known vulnerabilities of installed packages.
//!
//! - [`version`]: version ordering exactly as each package manager does it (dpkg, apk, rpm,
//!   SemVer, PEP 440, Maven).

pub mod version;
