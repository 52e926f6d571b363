//! The inputs every command takes: paths (files, folders, `-`), namespace defaulting,
//! Kustomize rendering and size limits. Later sources (a live cluster, snapshots) are added here
//! so that `scan`, `rbac` and `netpol` all read the same things the same way.

use clap::Args;
use kubeward_core::input::{InputArg, LoadOptions, Loaded, load};

#[derive(Args, Clone, Debug)]
pub struct InputArgs {
    /// Files or folders to scan; `-` reads standard input. Default: the current folder.
    pub paths: Vec<String>,
    /// Namespace for namespaced objects that do not name one.
    #[arg(
        long = "default-namespace",
        default_value = "default",
        value_name = "NS"
    )]
    pub default_namespace: String,
    /// Read Kustomize folders file by file instead of rendering them with `kubectl kustomize`.
    #[arg(long)]
    pub no_kustomize: bool,
    /// Refuse files larger than this many bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    pub max_file_size: u64,
}

impl InputArgs {
    /// The paths, defaulting to the current folder.
    pub fn paths(&self) -> Vec<String> {
        if self.paths.is_empty() {
            vec![".".into()]
        } else {
            self.paths.clone()
        }
    }

    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            default_namespace: self.default_namespace.clone(),
            max_file_size: self.max_file_size,
            kustomize: !self.no_kustomize,
            ..LoadOptions::default()
        }
    }

    /// Reads every input into an inventory (with diagnostics).
    pub fn load(&self) -> Loaded {
        let inputs: Vec<InputArg> = self.paths().iter().map(|p| InputArg::parse(p)).collect();
        load(&inputs, &self.load_options())
    }
}
