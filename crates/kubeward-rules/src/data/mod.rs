//! Data: secrets in the wrong places (literal values in env and ConfigMaps, Secrets exposed as
//! environment variables) and storage without encryption at rest or in transit.

mod committed_secret;
mod configmap_credentials;
mod encryption;
pub mod encryption_config;
mod host_path_pv;
mod legacy_token_secret;
mod literal_env_secret;
mod nfs_volume;
mod public_registry_pull_secret;
mod secret_env;
mod static_cloud_credentials;
mod storage_class_encryption;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[
    &literal_env_secret::RULE,
    &configmap_credentials::RULE,
    &secret_env::RULE,
    &storage_class_encryption::RULE,
    &nfs_volume::RULE,
    &host_path_pv::RULE,
    &legacy_token_secret::RULE,
    &static_cloud_credentials::RULE,
    &public_registry_pull_secret::RULE,
    &committed_secret::RULE,
    &encryption::RULE,
    &encryption_config::identity_first::RULE,
    &encryption_config::secrets_not_covered::RULE,
    &encryption_config::aescbc::RULE,
    &encryption_config::aesgcm::RULE,
    &encryption_config::kms_v1::RULE,
    &encryption_config::key_rotation::RULE,
    &encryption_config::masked_resources::RULE,
    &encryption_config::key_length::RULE,
];
