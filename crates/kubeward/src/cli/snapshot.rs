//! `kubeward snapshot`: read a cluster once and save it for offline analysis
//! (`kubeward scan FILE.kwsnap`).

use super::input::ClusterArgs;
use super::usage_error;
use clap::Args;
use kubeward_cluster::snapshot;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// Where to write the snapshot (zstd-compressed JSON; `.kwsnap` by convention).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: SnapshotArgs) -> ExitCode {
    if args.cluster.all_contexts {
        return usage_error(
            "a snapshot holds one cluster: pick it with --context (or run once per context)",
        );
    }
    let opts = args.cluster.options(None);
    let started = std::time::Instant::now();
    let c = match kubeward_cluster::read_cluster(&opts) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    if let Err(e) = snapshot::write(&args.output, &c.info, &c.discovery, &c.objects) {
        return usage_error(e);
    }
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    let mut err = anstream::stderr();
    let _ = writeln!(
        err,
        "wrote {}: {} objects from context {} ({}, {} resource types, {}) in {:.1}s",
        args.output.display(),
        c.objects.len(),
        c.info.context,
        c.info
            .version
            .as_ref()
            .map(|v| v.git_version.as_str())
            .unwrap_or("unknown version"),
        c.discovery
            .resources
            .iter()
            .filter(|r| kubeward_cluster::collect::wanted(r))
            .count(),
        human_size(size),
        started.elapsed().as_secs_f64()
    );
    for g in &c.info.gaps {
        let _ = writeln!(
            err,
            "\x1b[33mwarning\x1b[0m: not in the snapshot: {}{} ({})",
            if g.group.is_empty() {
                g.resource.clone()
            } else {
                format!("{}.{}", g.resource, g.group)
            },
            g.namespace
                .as_ref()
                .map(|n| format!(" in {n}"))
                .unwrap_or_default(),
            g.reason
        );
    }
    ExitCode::SUCCESS
}

/// "812 bytes", "12.3 KiB", "4.0 MiB": a 12 KB snapshot is not "0.0 MiB".
fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} byte{}", if bytes == 1 { "" } else { "s" })
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else if b < KIB * KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else {
        format!("{:.1} GiB", b / (KIB * KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_in_a_unit_that_shows_them() {
        use super::human_size;
        assert_eq!(human_size(812), "812 bytes");
        assert_eq!(human_size(1), "1 byte");
        assert_eq!(human_size(12 * 1024 + 300), "12.3 KiB");
        assert_eq!(human_size(4 * 1024 * 1024), "4.0 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
