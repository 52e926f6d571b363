//! The inputs every command takes: paths (files, folders, `-`, snapshot files), namespace
//! defaulting, Kustomize rendering and size limits, and a live cluster (`--cluster`,
//! `--kubeconfig`, `--context`/`--all-contexts`, `--cluster-namespace`, `--timeout`), so that
//! `scan`, `rbac` and `netpol` all read the same things the same way.

use clap::Args;
use kubeward::{ClusterContext, Failed, Source};
use kubeward_cluster::ClusterOptions;
use kubeward_core::input::{Diagnostic, Level, LoadOptions, Loaded};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Clone, Debug)]
pub struct InputArgs {
    /// Files or folders to scan; `-` reads standard input; a `.kwsnap` file is a cluster
    /// snapshot (read offline). Default: the current folder, unless a cluster is scanned.
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
    /// Let Kustomize fetch the remote resources (URLs, git repositories) a kustomization
    /// names; by default they are refused and rendering is offline.
    #[arg(long)]
    pub allow_remote_kustomize: bool,
    /// Refuse any single input (file, standard input, Kustomize output) larger than this many
    /// bytes: an error naming the input.
    #[arg(long, alias = "max-file-size", value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_input_size: u64,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Where and how to read a live cluster.
#[derive(Args, Clone, Debug)]
pub struct ClusterArgs {
    /// Scan the live cluster of the kubeconfig's current context (read-only: discovery and list;
    /// Secrets as metadata only). Implied by --kubeconfig, --context and --all-contexts.
    #[arg(long)]
    pub cluster: bool,
    /// Kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config, then in-cluster
    /// credentials).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to scan (default: the current context).
    #[arg(long, value_name = "NAME", conflicts_with = "all_contexts")]
    pub context: Option<String>,
    /// Scan every context of the kubeconfig, each as its own cluster.
    #[arg(long)]
    pub all_contexts: bool,
    /// Read namespaced resources from these namespaces only (repeatable or comma-separated);
    /// cluster-scoped resources are always read. Not to be confused with `scan -n`, which
    /// sets the namespace of manifests that name none.
    #[arg(long = "cluster-namespace", value_name = "NS", value_delimiter = ',')]
    pub cluster_namespaces: Vec<String>,
    /// Deadline for reading each cluster: seconds, or a number with s/m/h (`90s`, `5m`).
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Read the kubelet configuration (`/configz`, through `get nodes/proxy`) of at most N nodes
    /// per node pool (default: every node). Without the permission the kubelet checks say
    /// UNKNOWN and why.
    #[arg(long, value_name = "N")]
    pub kubelet_sample: Option<usize>,
    /// Do not read kubelet configurations through the API server's node proxy.
    #[arg(long)]
    pub no_kubelet_configz: bool,
}

/// `30`, `30s`, `5m`, `1h`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mult_ms) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1u64)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        (s, 1000)
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 30s, 5m)"))?;
    if n == 0 {
        return Err("the timeout must be above zero".into());
    }
    Ok(Duration::from_millis(n.saturating_mul(mult_ms)))
}

impl ClusterArgs {
    /// Whether a live cluster is to be read.
    pub fn wanted(&self) -> bool {
        self.cluster || self.kubeconfig.is_some() || self.context.is_some() || self.all_contexts
    }

    /// Options for one context (`None`: the current one).
    pub fn options(&self, context: Option<String>) -> ClusterOptions {
        ClusterOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: context.or_else(|| self.context.clone()),
            namespaces: self.cluster_namespaces.clone(),
            timeout: self.timeout,
            progress: true,
            kubelet: (!self.no_kubelet_configz).then(|| {
                kubeward_cluster::configz::KubeletOptions {
                    sample: self.kubelet_sample,
                    ..Default::default()
                }
            }),
            ..ClusterOptions::default()
        }
    }

    /// The contexts to read: every one with --all-contexts, else the chosen or current one.
    pub fn contexts(&self) -> Result<Vec<Option<String>>, String> {
        if self.all_contexts {
            let all = kubeward_cluster::contexts(self.kubeconfig.as_deref())
                .map_err(|e| e.to_string())?;
            if all.is_empty() {
                return Err("the kubeconfig has no contexts".into());
            }
            Ok(all.into_iter().map(Some).collect())
        } else {
            Ok(vec![self.context.clone()])
        }
    }

    /// One source per context to read (none unless a cluster is wanted); contexts that
    /// cannot be listed become an input error.
    pub fn sources(&self) -> Vec<Box<dyn Source>> {
        if !self.wanted() {
            return Vec::new();
        }
        match self.contexts() {
            Ok(contexts) => contexts
                .into_iter()
                .map(|ctx| {
                    Box::new(ClusterContext {
                        options: self.options(ctx),
                    }) as Box<dyn Source>
                })
                .collect(),
            Err(message) => vec![Box::new(Failed {
                file: self
                    .kubeconfig
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "kubeconfig".into()),
                message,
            })],
        }
    }
}

impl InputArgs {
    /// The paths, defaulting to the current folder unless a cluster is read.
    pub fn paths(&self) -> Vec<String> {
        if self.paths.is_empty() && !self.cluster.wanted() {
            vec![".".into()]
        } else {
            self.paths.clone()
        }
    }

    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            default_namespace: self.default_namespace.clone(),
            max_file_size: self.max_input_size,
            kustomize: !self.no_kustomize,
            allow_remote_kustomize: self.allow_remote_kustomize,
            ..LoadOptions::default()
        }
    }

    /// Reads files, snapshots and (when asked) the cluster into one inventory. Several
    /// clusters (--all-contexts) are refused here: RBAC and NetworkPolicy analyses must not mix
    /// clusters; `scan` handles them with [`InputArgs::load_each`].
    #[allow(dead_code)] // for the commands that analyse one cluster (rbac, netpol)
    pub fn load(&self) -> Loaded {
        let mut all = self.load_each();
        let mut first = all.remove(0);
        if !all.is_empty() {
            first.diagnostics.push(Diagnostic {
                file: "--all-contexts".into(),
                line: 0,
                column: 0,
                level: Level::Error,
                message: "this command analyses one cluster at a time: pick one with --context \
                          (`kubeward scan --all-contexts` scans each context separately)"
                    .into(),
            });
        }
        first
    }

    /// Every source named: paths (files, folders, `-`, snapshots), then the cluster contexts.
    pub fn sources(&self) -> Vec<Box<dyn Source>> {
        let mut out = kubeward::path_sources(&self.paths(), &self.load_options());
        out.extend(self.cluster.sources());
        out
    }

    /// Files and snapshots (with the first context) in the first inventory, then one
    /// inventory per further context.
    pub fn load_each(&self) -> Vec<Loaded> {
        kubeward::load(&self.sources())
    }
}

/// Paths named on the command line that are directories or files (for messages).
pub fn describe_inputs(args: &InputArgs) -> String {
    let mut parts: Vec<String> = args.paths();
    if args.cluster.wanted() {
        parts.push(match (&args.cluster.context, args.cluster.all_contexts) {
            (_, true) => "every kubeconfig context".into(),
            (Some(c), _) => format!("cluster context {c}"),
            _ => "the current cluster context".into(),
        });
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
