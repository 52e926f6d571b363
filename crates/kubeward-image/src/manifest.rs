//! OCI / Docker manifests, indexes and image configs (the fields the inventory needs).

use crate::{Error, bail};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
pub const DOCKER_SCHEMA1_PLAIN: &str = "application/vnd.docker.distribution.manifest.v1+json";

/// All manifest types we read, for the `Accept` header.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
    application/vnd.oci.image.manifest.v1+json, \
    application/vnd.docker.distribution.manifest.list.v2+json, \
    application/vnd.docker.distribution.manifest.v2+json";

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub platform: Option<PlatformSpec>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct PlatformSpec {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

/// An index, a manifest list, or an image manifest: which one is told by `mediaType` or by
/// which of `manifests` / `layers` is present.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestDoc {
    #[serde(default)]
    pub schema_version: Option<u32>,
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Option<Vec<Descriptor>>,
}

pub enum Parsed {
    Index(Vec<Descriptor>),
    Image {
        config: Descriptor,
        layers: Vec<Descriptor>,
    },
}

impl ManifestDoc {
    /// Parses a manifest or index; `content_type` is the registry's `Content-Type`, if any.
    pub fn parse(bytes: &[u8], content_type: Option<&str>, what: &str) -> Result<Parsed, Error> {
        let doc: ManifestDoc = serde_json::from_slice(bytes)
            .map_err(|e| Error::Invalid(format!("{what}: not a valid manifest: {e}")))?;
        let ct = content_type
            .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
            .filter(|c| {
                !c.is_empty() && c != "application/json" && c != "application/octet-stream"
            });
        if let (Some(ct), Some(mt)) = (&ct, &doc.media_type) {
            if ct != mt {
                bail!("{what}: the registry says {ct} but the manifest says mediaType {mt}");
            }
        }
        let mt = doc.media_type.clone().or(ct).unwrap_or_default();
        if mt == DOCKER_SCHEMA1 || mt == DOCKER_SCHEMA1_PLAIN || doc.schema_version == Some(1) {
            bail!(
                "{what}: Docker schema 1 manifests are deprecated and not read; push the image again with a current client"
            );
        }
        if let Some(m) = doc.manifests {
            if mt == OCI_MANIFEST || mt == DOCKER_MANIFEST {
                bail!("{what}: mediaType {mt} but the document is an index");
            }
            return Ok(Parsed::Index(m));
        }
        match (doc.config, doc.layers) {
            (Some(config), Some(layers)) => Ok(Parsed::Image { config, layers }),
            _ => bail!(
                "{what}: neither an index (manifests) nor an image manifest (config and layers)"
            ),
        }
    }
}

/// The image config: platform and the uncompressed layer digests.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub rootfs: RootFs,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct RootFs {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

impl ImageConfig {
    pub fn parse(bytes: &[u8], what: &str) -> Result<ImageConfig, Error> {
        let c: ImageConfig = serde_json::from_slice(bytes)
            .map_err(|e| Error::Invalid(format!("{what}: not a valid image config: {e}")))?;
        if !c.rootfs.kind.is_empty() && c.rootfs.kind != "layers" {
            bail!(
                "{what}: rootfs.type is `{}`, expected `layers`",
                c.rootfs.kind
            );
        }
        Ok(c)
    }

    pub fn platform(&self) -> String {
        match &self.variant {
            Some(v) if !v.is_empty() => format!("{}/{}/{v}", self.os, self.architecture),
            _ => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// True for BuildKit attestation manifests and other non-runnable entries of an index.
pub fn is_attestation(d: &Descriptor) -> bool {
    d.annotations
        .get("vnd.docker.reference.type")
        .is_some_and(|t| t == "attestation-manifest")
        || d.platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}
