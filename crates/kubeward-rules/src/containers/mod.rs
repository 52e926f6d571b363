//! Containers and images: where images come from and how they are pinned.

mod image_tag;

use kubeward_core::Rule;

pub static RULES: &[&Rule] = &[&image_tag::RULE];
