//! The inventory an image yields (serialised as the JSON format).

use serde::Serialize;

/// Everything read from one image.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Inventory {
    pub source: SourceInfo,
    /// The OS release, when the image has an os-release file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub layers: Vec<Layer>,
    /// Sorted by ecosystem, name, version, path.
    pub packages: Vec<Package>,
    /// Files that describe packages but could not be read, with the reason (UNKNOWN, never
    /// silently dropped).
    pub unknown: Vec<Unknown>,
}

/// Where the image came from.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SourceInfo {
    /// `registry`, `docker-archive` or `oci-layout`.
    pub kind: String,
    /// The reference, archive or directory as given.
    pub reference: String,
    /// Digest of the image manifest, when known (registry, OCI layout, docker 25+ archives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// Digest of the image config (the image ID).
    pub config_digest: String,
    /// `os/architecture[/variant]` from the config.
    pub platform: String,
    /// Digest of the index the manifest was picked from (multi-platform images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
}

/// One layer as read.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Layer {
    /// Digest of the blob as stored (compressed for registries and OCI layouts).
    pub digest: String,
    /// Digest of the uncompressed tar (config `rootfs.diff_ids`).
    pub diff_id: String,
    pub media_type: String,
    /// `gzip`, `zstd` or `none`, from the content (magic bytes).
    pub compression: String,
    pub size: u64,
    pub entries: u64,
}

/// The OS release (`etc/os-release`, else `usr/lib/os-release`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct OsInfo {
    /// `ID` (`debian`, `ubuntu`, `alpine`, `rhel`, `rocky`, `almalinux`, `wolfi`, ...).
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version_codename: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pretty_name: String,
    /// The OSV ecosystem of OS packages (`Debian`, `Ubuntu`, `Alpine`, `Red Hat`,
    /// `Rocky Linux`, `AlmaLinux`, `Wolfi`, ...); empty when OSV has none for this OS.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ecosystem: String,
    /// The ecosystem with its release, as OSV records name it (`Debian:12`,
    /// `Ubuntu:22.04:LTS`, `Alpine:v3.19`, `Rocky Linux:9`, `Wolfi`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub osv_ecosystem: String,
    /// A Google distroless image (dpkg `status.d` or the distroless PRETTY_NAME).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub distroless: bool,
    pub layer: String,
    pub path: String,
}

/// How a package was found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageKind {
    #[default]
    Deb,
    Apk,
    Rpm,
    GoModule,
    GoStdlib,
    RustCrate,
    Python,
    Npm,
    Maven,
}

impl PackageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Deb => "deb",
            PackageKind::Apk => "apk",
            PackageKind::Rpm => "rpm",
            PackageKind::GoModule => "go-module",
            PackageKind::GoStdlib => "go-stdlib",
            PackageKind::RustCrate => "rust-crate",
            PackageKind::Python => "python",
            PackageKind::Npm => "npm",
            PackageKind::Maven => "maven",
        }
    }

    pub fn is_os(self) -> bool {
        matches!(self, PackageKind::Deb | PackageKind::Apk | PackageKind::Rpm)
    }
}

/// One installed package.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Package {
    /// OSV ecosystem name: `Debian`, `Ubuntu`, `Alpine`, `Red Hat`, `Rocky Linux`,
    /// `AlmaLinux`, `Wolfi`, `npm`, `crates.io`, `Go`, `PyPI`, `Maven` (empty for an OS
    /// package of an OS that OSV does not cover, or of an unknown OS).
    pub ecosystem: String,
    /// The ecosystem with the OS release for OS packages (`Debian:12`), else the ecosystem.
    pub osv_ecosystem: String,
    pub kind: PackageKind,
    /// Installed (binary) package name; Maven `groupId:artifactId`; Go module path.
    pub name: String,
    /// Installed version: dpkg and rpm with their epoch (`1:2.3-4`), Go without the leading
    /// `v`.
    pub version: String,
    /// The source package (dpkg `Source:`, apk origin, rpm source RPM name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source version when it differs from the binary version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The OS release the package belongs to (OS packages): `12`, `22.04`, `v3.19`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_release: Option<String>,
    /// Digest of the layer that installed this version.
    pub layer: String,
    /// Index of that layer (0 = base), used while reading.
    #[serde(skip)]
    pub layer_index: usize,
    /// The file it was read from (package database, binary, metadata file), without the
    /// leading `/`. Inside an archive: `app.jar!/META-INF/...`.
    pub path: String,
    pub purl: String,
    /// rpm: `MODULARITYLABEL`; Go: the module replaced (`=>`); other notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A file that describes packages but could not be read.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unknown {
    pub layer: String,
    pub path: String,
    pub reason: String,
}
