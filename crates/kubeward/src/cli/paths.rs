//! `kubeward paths`: attack paths from entry points to targets across the layers, the top N
//! with the changes that break the most paths first. Same inputs as `scan`.

use super::input::InputArgs;
use clap::{Args, ValueEnum};
use kubeward_analysis::paths::{self, render};
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
pub struct PathsArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Namespace given to namespaced objects that do not name one (like `kubectl apply -n`).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// How many paths to print (the best first).
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = PathsFormat::Text)]
    format: PathsFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum PathsFormat {
    Text,
    Json,
    Mermaid,
    Dot,
}

/// Exit codes: 0 no path, 1 at least one path, 2 input error.
pub fn run(mut args: PathsArgs) -> ExitCode {
    super::init_threads(None);
    if let Some(ns) = &args.namespace {
        args.input.default_namespace = ns.clone();
    }
    let loaded = args.input.load();
    let mut err = anstream::stderr();
    for d in &loaded.diagnostics {
        let _ = writeln!(err, "{d}");
    }
    if loaded.has_errors() {
        return ExitCode::from(2);
    }
    if loaded.inventory.is_empty() {
        return super::usage_error(format!(
            "no Kubernetes objects found in {}",
            super::input::describe_inputs(&args.input)
        ));
    }
    let t = std::time::Instant::now();
    let p = paths::analyze(&loaded.inventory);
    kubeward_core::timing("paths", t);
    let inv = &loaded.inventory;
    let body = match args.format {
        PathsFormat::Text => render::text(&p, inv, args.top),
        PathsFormat::Json => render::json(&p, inv, args.top),
        PathsFormat::Mermaid => render::mermaid(&p, inv, args.top),
        PathsFormat::Dot => render::dot(&p, inv, args.top),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(body.as_bytes());
    let _ = out.flush();
    if p.paths.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
