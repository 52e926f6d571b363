//! Text output for people: findings grouped by defence layer, each with its source line and a
//! caret under the offending value, then errors and a summary. Colour codes are always written;
//! the CLI strips them when the output is not a terminal or `NO_COLOR` is set.

use kubeward_core::Layer;
use kubeward_core::finding::{Severity, Status};
use kubeward_core::inventory::Inventory;
use kubeward_core::report::{Report, ReportFinding};
use std::collections::HashMap;
use std::fmt::Write;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const BLUE: &str = "\x1b[34m";
const CYAN: &str = "\x1b[36m";

fn sev_style(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;35m",
        Severity::High => "\x1b[1;31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

/// Options for the text renderer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    /// List suppressed findings one per line (they are always counted).
    pub show_suppressed: bool,
}

/// Renders `report`. `inventory` supplies the source lines.
pub fn render(report: &Report, inventory: &Inventory, opts: TextOptions) -> String {
    let sources: HashMap<&str, &kubeward_core::inventory::Source> = inventory
        .sources()
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let mut texts = TextCache {
        sources,
        texts: HashMap::new(),
    };
    let mut o = String::new();
    let shown: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();

    // With attack paths computed (`scan --sort risk`), the findings on paths come first, in
    // report order (most paths first).
    let on_paths: Vec<&&ReportFinding> = shown
        .iter()
        .filter(|f| f.paths.is_some_and(|n| n > 0))
        .collect();
    if !on_paths.is_empty() {
        let _ = writeln!(
            o,
            "{BOLD}{BLUE}━━ on attack paths {RESET}{DIM}(fixing one breaks every path it is on; `kubeward paths` shows them){RESET}\n"
        );
        for f in &on_paths {
            finding(&mut o, f, &mut texts);
        }
    }
    for layer in Layer::ALL {
        let in_layer: Vec<&&ReportFinding> = shown
            .iter()
            .filter(|f| f.layer == layer && f.paths.is_none_or(|n| n == 0))
            .collect();
        if in_layer.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "{BOLD}{BLUE}━━ {} {RESET}{DIM}({}){RESET}\n",
            layer.as_str(),
            layer.describe()
        );
        for f in in_layer {
            finding(&mut o, f, &mut texts);
        }
    }

    let suppressed: Vec<&ReportFinding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    if opts.show_suppressed && !suppressed.is_empty() {
        let _ = writeln!(o, "{BOLD}suppressed{RESET}");
        for f in &suppressed {
            let s = f.suppressed.as_ref().expect("filtered");
            let _ = writeln!(
                o,
                "  {DIM}{} {} {} — by {}: {}{RESET}",
                f.rule_id,
                resource_name(f),
                where_(f),
                s.by,
                s.reason
            );
        }
        o.push('\n');
    }

    for e in &report.errors {
        let (style, word) = match e.level {
            kubeward_core::input::Level::Error => ("\x1b[1;31m", "error"),
            kubeward_core::input::Level::Warning => ("\x1b[33m", "warning"),
        };
        if e.line > 0 {
            let _ = writeln!(
                o,
                "{style}{word}{RESET}: {}:{}:{}: {}",
                e.file, e.line, e.column, e.message
            );
        } else {
            let _ = writeln!(o, "{style}{word}{RESET}: {}: {}", e.file, e.message);
        }
    }
    if !report.errors.is_empty() {
        o.push('\n');
    }
    if report.summary.findings.active > 0 {
        o.push_str(DIM);
        o.push_str(&crate::summary::render(report));
        o.push_str(RESET);
        o.push('\n');
    }

    summary(
        &mut o,
        report,
        inventory,
        suppressed.len(),
        opts.show_suppressed,
    );
    o
}

fn resource_name(f: &ReportFinding) -> String {
    match &f.resource {
        Some(r) => match &r.namespace {
            Some(ns) => format!("{} {}/{}", r.kind, ns, r.name),
            None => format!("{} {}", r.kind, r.name),
        },
        None => "(scan)".into(),
    }
}

fn where_(f: &ReportFinding) -> String {
    match &f.location {
        Some(l) => match (&l.file, l.line) {
            (Some(file), Some(line)) => format!("{file}:{line}:{}", l.column.unwrap_or(1)),
            (Some(file), None) => format!("{file} {}", l.pointer),
            (None, _) => match f.resource.as_ref().and_then(|r| r.cluster.as_deref()) {
                Some(c) => format!("cluster {c} {}", l.pointer),
                None => l.pointer.clone(),
            },
        },
        None => String::new(),
    }
}

/// Source texts, read once per file when a finding needs a line.
struct TextCache<'a> {
    sources: HashMap<&'a str, &'a kubeward_core::inventory::Source>,
    texts: HashMap<String, Option<std::sync::Arc<str>>>,
}

impl TextCache<'_> {
    fn line(&mut self, file: &str, line: u32) -> Option<String> {
        let sources = &self.sources;
        let text = self
            .texts
            .entry(file.to_string())
            .or_insert_with(|| match sources.get(file) {
                Some(s) => s.read_text(),
                // A file a finding was moved to (the origin of a Kustomize-rendered object).
                None => std::fs::metadata(file)
                    .ok()
                    .filter(|m| m.is_file() && m.len() <= 16 << 20)
                    .and_then(|_| std::fs::read_to_string(file).ok())
                    .map(std::sync::Arc::from),
            });
        kubeward_core::inventory::line_of(text.as_deref()?, line).map(str::to_string)
    }
}

fn finding(o: &mut String, f: &ReportFinding, texts: &mut TextCache<'_>) {
    let label = match f.status {
        Status::Fail => format!("{}{:<8}{RESET}", sev_style(f.severity), f.severity.as_str()),
        Status::Unknown => format!("{DIM}{:<8}{RESET}", "unknown"),
        Status::NotApplicable => format!("{DIM}{:<8}{RESET}", "n/a"),
    };
    let _ = writeln!(o, "  {label} {BOLD}{}{RESET}  {}", f.rule_id, f.title);
    let _ = writeln!(o, "  {}: {}", resource_name(f), f.message);
    if let Some(n) = f.paths.filter(|n| *n > 0) {
        let _ = writeln!(
            o,
            "   {BOLD}on {n} attack path{}{RESET}",
            if n == 1 { "" } else { "s" }
        );
    }
    let w = where_(f);
    if !w.is_empty() {
        let _ = writeln!(o, "   {BLUE}-->{RESET} {w}");
    }
    // Source lines of kubeconfigs and Secrets may hold keys, tokens or values, and a finding
    // may mark its own line as secret-bearing: such lines are never shown.
    let secret_bearing = f.redact_source
        || f.resource.as_ref().is_some_and(|r| {
            (r.kind == "Config" || r.kind == "Secret") && !r.api_version.contains('/')
        });
    if let Some(loc) = &f.location {
        if secret_bearing {
            if loc.line.is_some() {
                let _ = writeln!(
                    o,
                    "   {BLUE}={RESET} {DIM}source line not shown: it may hold a secret value{RESET}"
                );
            }
        } else if let (Some(file), Some(line)) = (&loc.file, loc.line) {
            if let Some(text) = texts.line(file, line) {
                let text = text.as_str();
                let gutter = line.to_string().len();
                let col = loc.column.unwrap_or(1).max(1) as usize;
                let width = token_width(text, col);
                let shown: String = text.replace('\t', " ");
                let _ = writeln!(o, "   {BLUE}{:gutter$} |{RESET}", "");
                let _ = writeln!(o, "   {BLUE}{line} |{RESET} {shown}");
                let _ = writeln!(
                    o,
                    "   {BLUE}{:gutter$} |{RESET} {}{}{}{RESET}",
                    "",
                    " ".repeat(col - 1),
                    sev_style(f.severity),
                    "^".repeat(width)
                );
            }
        }
    }
    for r in &f.related {
        let l = &r.location;
        let at = match (&l.file, l.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            _ => l.pointer.clone(),
        };
        let _ = writeln!(o, "   {CYAN}= via{RESET} {} ({at})", r.message);
    }
    let _ = writeln!(o, "   {CYAN}= fix:{RESET} {}", f.remediation);
    o.push('\n');
}

/// The width (in characters) of the YAML/JSON token starting at 1-based column `col`: a quoted
/// string to its closing quote, a flow collection to its closing bracket, else a plain scalar
/// to the end of the line, a comment or a flow separator.
fn token_width(line: &str, col: usize) -> usize {
    let chars: Vec<char> = line.chars().skip(col - 1).collect();
    let Some(&first) = chars.first() else {
        return 1;
    };
    let end = match first {
        '"' | '\'' => {
            let mut i = 1;
            while i < chars.len() {
                if chars[i] == '\\' && first == '"' {
                    i += 2;
                    continue;
                }
                if chars[i] == first {
                    if first == '\'' && chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            (i + 1).min(chars.len())
        }
        '{' | '[' => {
            let close = if first == '{' { '}' } else { ']' };
            let mut depth = 0usize;
            let mut end = chars.len();
            for (i, c) in chars.iter().enumerate() {
                if *c == first {
                    depth += 1;
                } else if *c == close {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
            }
            end
        }
        _ => {
            let mut end = chars.len();
            for i in 0..chars.len() {
                let c = chars[i];
                if matches!(c, ',' | ']' | '}') || (c == '#' && i > 0 && chars[i - 1] == ' ') {
                    end = i;
                    break;
                }
                if c == ':' && chars.get(i + 1).is_none_or(|n| *n == ' ') {
                    end = i;
                    break;
                }
            }
            while end > 1 && chars[end - 1] == ' ' {
                end -= 1;
            }
            end
        }
    };
    end.max(1)
}

/// Where the objects came from: files, cluster contexts, or both ("in 0 files" for a cluster
/// scan said nothing true).
fn origin(files: usize, inventory: &Inventory) -> String {
    let mut contexts: Vec<&str> = inventory
        .clusters()
        .map(|(_, c)| c.context.as_str())
        .collect();
    contexts.sort_unstable();
    contexts.dedup();
    let files_part = format!("{files} file{}", if files == 1 { "" } else { "s" });
    if contexts.is_empty() {
        return format!("in {files_part}");
    }
    let ctx_part = format!(
        "cluster context{} {}",
        if contexts.len() == 1 { "" } else { "s" },
        contexts.join(", ")
    );
    if files == 0 {
        format!("from {ctx_part}")
    } else {
        format!("in {files_part} and from {ctx_part}")
    }
}

fn summary(
    o: &mut String,
    report: &Report,
    inventory: &Inventory,
    suppressed: usize,
    listed: bool,
) {
    let s = &report.summary;
    let c = &s.findings;
    let mut parts = Vec::new();
    for sev in Severity::ALL {
        if let Some(n) = c.by_severity.get(&sev) {
            parts.push(format!("{}{n} {}{RESET}", sev_style(sev), sev.as_str()));
        }
    }
    let _ = write!(
        o,
        "{BOLD}{} finding{}{RESET}",
        c.active,
        if c.active == 1 { "" } else { "s" }
    );
    if !parts.is_empty() {
        let _ = write!(o, " ({})", parts.join(", "));
    }
    if c.unknown > 0 {
        let _ = write!(o, ", {} undecided", c.unknown);
    }
    if c.not_applicable > 0 {
        let _ = write!(o, ", {} not applicable", c.not_applicable);
    }
    if suppressed > 0 {
        let _ = write!(
            o,
            ", {suppressed} suppressed{}",
            if listed {
                ""
            } else {
                " (--show-suppressed lists them)"
            }
        );
    }
    let _ = writeln!(
        o,
        "\n{DIM}{} object{} {} ({} custom resource{}), {} error{}, {} warning{}, {} document{} skipped{RESET}",
        s.objects,
        if s.objects == 1 { "" } else { "s" },
        origin(s.files, inventory),
        s.custom_resources,
        if s.custom_resources == 1 { "" } else { "s" },
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        s.skipped_documents,
        if s.skipped_documents == 1 { "" } else { "s" },
    );
}
