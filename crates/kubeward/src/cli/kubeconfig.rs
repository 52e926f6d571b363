//! `kubeward kubeconfig [FILE...]`: kubeconfig hygiene (the KW-KCFG-* rules) on the files
//! kubectl would use, or the ones named. The same rules run in `scan` when a kubeconfig is
//! among the inputs. Keys, tokens and passwords are never printed.

use super::usage_error;
use clap::Args;
use kubeward::scan_loaded;
use kubeward::{Files, Source};
use kubeward_core::config::Config;
use kubeward_core::input::{Diagnostic, InputArg, Level, LoadOptions};
use kubeward_core::{Registry, Severity};
use kubeward_report::text::TextOptions;
use kubeward_report::{Format, RenderContext};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct KubeconfigArgs {
    /// Kubeconfig files (default: every file in $KUBECONFIG, else ~/.kube/config).
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, default_value = "high")]
    fail_on: Severity,
    /// Warn about client certificates expiring within this many days.
    #[arg(long, value_name = "DAYS")]
    expiry_warning_days: Option<i64>,
}

pub fn run(args: KubeconfigArgs) -> ExitCode {
    let files = if args.files.is_empty() {
        kubeward_cluster::kubeconfig::default_files()
    } else {
        args.files.clone()
    };
    if files.is_empty() {
        return usage_error("no kubeconfig to check: $KUBECONFIG is empty and $HOME is not set");
    }
    if args.files.is_empty() && !files.iter().any(|f| f.is_file()) {
        return usage_error(format!(
            "no kubeconfig found ({}); name one: kubeward kubeconfig FILE",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let source: Box<dyn Source> = Box::new(Files {
        inputs: files.iter().map(|f| InputArg::Path(f.clone())).collect(),
        options: LoadOptions {
            kustomize: false,
            ..LoadOptions::default()
        },
    });
    // One shared inventory (no cluster source), file facts attached.
    let mut loaded = kubeward::load(&[source]).remove(0);
    for (sid, src) in loaded.inventory.sources().iter().enumerate() {
        let has_config = loaded
            .inventory
            .objects()
            .iter()
            .any(|o| o.source.0 as usize == sid && o.kind == "Config" && o.group().is_empty());
        if !has_config {
            loaded.diagnostics.push(Diagnostic {
                file: src.name.clone(),
                line: 0,
                column: 0,
                level: Level::Error,
                message: "not a kubeconfig (no `apiVersion: v1`, `kind: Config` document)".into(),
            });
        }
    }
    let mut reg = Registry::new();
    reg.extend(
        kubeward::registry()
            .iter()
            .filter(|r| r.meta.id.starts_with("KW-KCFG-")),
    );
    let mut config = Config::default();
    if let Some(d) = args.expiry_warning_days {
        config.settings.cert_expiry_warning_days = d;
    }
    let outcome = scan_loaded(loaded, &reg, &config, None);
    let report = &outcome.report;
    let rules: Vec<_> = reg.iter().map(|r| &r.meta).collect();
    let ctx = RenderContext {
        inventory: &outcome.loaded.inventory,
        rules: &rules,
        text: TextOptions::default(),
        html: None,
    };
    let mut body = Vec::new();
    if let Err(e) = kubeward_report::render(args.format, report, &ctx, &mut body) {
        return usage_error(e.to_string());
    }
    super::print_stdout(&String::from_utf8_lossy(&body), args.format == Format::Text);
    if report.summary.errors > 0 {
        return ExitCode::from(2);
    }
    if report.failing(args.fail_on) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
