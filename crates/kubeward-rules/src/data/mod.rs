//! Data: secrets in the wrong places (literal values in env and ConfigMaps, Secrets exposed as
//! environment variables) and storage without encryption at rest or in transit.

mod configmap_credentials;
mod host_path_pv;
mod literal_env_secret;
mod nfs_volume;
mod secret_env;
pub mod secrets;
mod storage_class_encryption;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &literal_env_secret::RULE,
    &configmap_credentials::RULE,
    &secret_env::RULE,
    &storage_class_encryption::RULE,
    &nfs_volume::RULE,
    &host_path_pv::RULE,
];
