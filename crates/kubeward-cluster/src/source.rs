//! The cluster crate's [`Source`]s: a snapshot file read offline, and a live cluster context.

use crate::{ClusterOptions, add_to, read_cluster, snapshot, source_name};
use kubeward_core::input::source::{Scope, Source};
use kubeward_core::input::{Diagnostic, Level, Loaded};
use std::path::PathBuf;

/// A `.kwsnap` snapshot: the objects and cluster facts a cluster scan saved, read offline. It
/// joins the shared inventory, as files do.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub path: PathBuf,
    /// Refuse a snapshot whose decompressed text is larger than this.
    pub max_size: u64,
}

impl Source for Snapshot {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn load_into(&self, loaded: &mut Loaded) {
        match snapshot::read_limited(&self.path, self.max_size) {
            Ok(s) => {
                loaded.stats.files += 1;
                add_to(loaded, s.cluster, s.objects, Some(&self.path));
            }
            Err(e) => loaded.diagnostics.push(Diagnostic {
                file: self.path.display().to_string(),
                line: 0,
                column: 0,
                level: Level::Error,
                message: e.to_string(),
            }),
        }
    }
}

/// A live cluster through one kubeconfig context (`options.context`; `None`: the current
/// one), read-only. A failure to connect or list is an input error naming the context.
#[derive(Clone, Debug)]
pub struct ClusterContext {
    pub options: ClusterOptions,
}

impl ClusterContext {
    fn name(&self) -> String {
        self.options
            .context
            .clone()
            .unwrap_or_else(|| "current context".into())
    }
}

impl Source for ClusterContext {
    fn describe(&self) -> String {
        match &self.options.context {
            Some(c) => format!("cluster context {c}"),
            None => "the current cluster context".into(),
        }
    }

    fn load_into(&self, loaded: &mut Loaded) {
        match read_cluster(&self.options) {
            Ok(c) => add_to(loaded, c.info, c.objects, None),
            Err(e) => loaded.diagnostics.push(Diagnostic {
                file: source_name(&self.name()),
                line: 0,
                column: 0,
                level: Level::Error,
                message: e.to_string(),
            }),
        }
    }

    fn scope(&self) -> Scope {
        Scope::Cluster
    }
}
