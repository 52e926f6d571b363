//! `kubeward rules` and `kubeward explain`.

use super::usage_error;
use clap::{Args, ValueEnum};
use kubeward::{explain as explain_text, registry, rules_markdown};
use std::fmt::Write;
use std::process::ExitCode;

#[derive(Args)]
pub struct RulesArgs {
    #[arg(short, long, value_enum, default_value_t = RulesFormat::Text)]
    format: RulesFormat,
    /// Only rules of this layer.
    #[arg(long)]
    layer: Option<String>,
}

#[derive(Args)]
pub struct ExplainArgs {
    /// Rule ID, e.g. KW-PSS-003.
    id: String,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

pub fn run(args: RulesArgs) -> ExitCode {
    let reg = registry();
    let layer = match &args.layer {
        Some(l) => match l.parse::<kubeward_core::Layer>() {
            Ok(l) => Some(l),
            Err(e) => return usage_error(e),
        },
        None => None,
    };
    let rules: Vec<_> = reg
        .sorted()
        .into_iter()
        .filter(|r| layer.is_none_or(|l| r.meta.layer == l))
        .collect();
    match args.format {
        RulesFormat::Markdown => super::print_stdout(&rules_markdown(&reg), false),
        RulesFormat::Json => {
            let v: Vec<serde_json::Value> = rules
                .iter()
                .map(|r| {
                    let m = &r.meta;
                    serde_json::json!({
                        "id": m.id, "name": m.name, "layer": m.layer, "severity": m.severity,
                        "title": m.title, "why": m.why, "fix": m.fix,
                        "references": m.reference_map(), "default_enabled": m.default_enabled,
                    })
                })
                .collect();
            super::print_stdout(
                &(serde_json::to_string_pretty(&v).expect("json") + "\n"),
                false,
            );
        }
        RulesFormat::Text => {
            let mut out = String::new();
            for r in rules {
                let m = &r.meta;
                // Where a rule does not run in a default `scan`, the list says so.
                let note = if kubeward_audit::rules::ALL
                    .iter()
                    .any(|a| std::ptr::eq(*a, r))
                {
                    "  (audit logs only: kubeward audit)"
                } else if !m.default_enabled {
                    "  (off by default: enable it in .kubeward.yaml)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "\x1b[1m{:<12}\x1b[0m {:<14} {:<9} {}{note}",
                    m.id,
                    m.layer.as_str(),
                    m.severity.as_str(),
                    m.title
                );
            }
            super::print_stdout(&out, true);
        }
    }
    ExitCode::SUCCESS
}

pub fn explain(args: ExplainArgs) -> ExitCode {
    match registry().get(&args.id) {
        Some(r) => {
            super::print_stdout(&explain_text(&r.meta), true);
            ExitCode::SUCCESS
        }
        None => usage_error(format!("no rule `{}` (see `kubeward rules`)", args.id)),
    }
}
