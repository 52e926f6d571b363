//! HTML output: one self-contained page (inline CSS, inline SVG, a little inline JavaScript
//! for the filters; nothing is fetched). Readable without JavaScript: every finding is shown
//! and the filters are the only thing that needs it.
//!
//! Sections: summary by severity, layer and namespace; the top attack paths drawn as SVG
//! (when the caller computed them); every finding with its source line (never for Secrets,
//! kubeconfigs or findings marked `redact_source`, as in the text output), fix, references,
//! suppression state and attack-path count.

pub mod svg;

pub use svg::DrawnPath;

use kubeward_core::finding::{Layer, Severity, Status};
use kubeward_core::inventory::Inventory;
use kubeward_core::report::{Report, ReportFinding};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// What the page shows besides the report.
#[derive(Clone, Debug, Default)]
pub struct HtmlOptions {
    /// The top attack paths, drawn (none: the section says paths were not computed).
    pub paths: Option<Vec<DrawnPath>>,
    /// How many attack paths there are in all.
    pub total_paths: usize,
}

const STYLE: &str = "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1d2330;background:#f6f7f9}\
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9cfdb}\
main{padding:16px 24px;max-width:1280px}section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px 16px;margin:0 0 16px}\
h2{font-size:16px;margin:0 0 10px}table{border-collapse:collapse}td,th{padding:3px 10px 3px 0;text-align:left;vertical-align:top}th{font-weight:600;color:#4a5263}\
.tables{display:flex;gap:40px;flex-wrap:wrap}.num{text-align:right}\
.sev{display:inline-block;min-width:64px;padding:1px 6px;border-radius:4px;font-weight:600;font-size:12px;text-transform:uppercase;color:#fff;text-align:center}\
.sev-critical{background:#7b1fa2}.sev-high{background:#c62828}.sev-medium{background:#ef6c00}.sev-low{background:#0277bd}.sev-info{background:#78828f}.sev-unknown,.sev-na{background:#9aa3af}\
.finding{border-top:1px solid #e6e9ef;padding:10px 0}.finding h3{font-size:14px;margin:0 0 4px}.finding .rid{font-family:ui-monospace,monospace;margin:0 6px}\
.finding .where{font-family:ui-monospace,monospace;color:#4a5263;font-size:12px}pre.src{background:#f1f3f6;padding:6px 8px;border-radius:4px;overflow-x:auto;margin:6px 0}\
.muted{color:#6b7280}.fix{margin:4px 0}.refs{font-size:12px;color:#4a5263}.supp{color:#6b7280;font-style:italic}.onpaths{font-weight:600;color:#7b1fa2}\
.filters{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}.filters fieldset{border:1px solid #dde1e8;border-radius:6px}.filters label{display:block;white-space:nowrap}\
svg.path{display:block;margin:4px 0 14px;max-width:100%;height:auto}svg .v rect{fill:#eef2ff;stroke:#5c6bc0;stroke-width:1.5}svg .entry rect{fill:#fff3e0;stroke:#ef6c00}\
svg .target rect{fill:#fde7ea;stroke:#c62828}svg text{font:12px system-ui,sans-serif;fill:#1d2330}svg text.rule{font:11px ui-monospace,monospace;fill:#555}\
.hidden{display:none}";

/// Filters: hide findings whose severity, layer, namespace or rule is not selected. Without
/// JavaScript nothing is hidden. `#selftest` applies a filter and records the result on
/// `<body>` (used by the browser test).
const SCRIPT: &str = r#"(function(){
window.addEventListener('error',function(e){var d=document.createElement('div');d.id='kw-js-error';d.textContent=String(e.message);document.body.appendChild(d);});
var f=document.getElementById('filters');if(!f)return;f.hidden=false;
function sel(name){var s=new Set();f.querySelectorAll('input[name="'+name+'"]:checked').forEach(function(i){s.add(i.value)});return s;}
function pick(id){var v=document.getElementById(id).value;return v;}
function apply(){var sev=sel('sev'),lay=sel('layer'),ns=pick('f-ns'),rule=pick('f-rule'),shown=0;
document.querySelectorAll('.finding').forEach(function(el){var ok=sev.has(el.dataset.sev)&&lay.has(el.dataset.layer)&&(ns===''||el.dataset.ns===ns)&&(rule===''||el.dataset.rule===rule);el.classList.toggle('hidden',!ok);if(ok)shown++;});
document.getElementById('shown').textContent=shown;return shown;}
f.addEventListener('change',apply);apply();
if(location.hash==='#selftest'){f.querySelectorAll('input[name="sev"]').forEach(function(i){i.checked=(i.value==='critical')});var n=apply();document.body.dataset.kwSelftest='critical='+n;}
document.body.dataset.kwReady='1';})();"#;

fn sev_class(f: &ReportFinding) -> (&'static str, &'static str) {
    match f.status {
        Status::Fail => (f.severity.as_str(), f.severity.as_str()),
        Status::Unknown => ("unknown", "unknown"),
        Status::NotApplicable => ("na", "n/a"),
    }
}

fn namespace(f: &ReportFinding) -> &str {
    f.resource
        .as_ref()
        .and_then(|r| r.namespace.as_deref())
        .unwrap_or("")
}

/// The source line of a finding, unless it may hold a secret (the text renderer's rules).
fn source_line(
    f: &ReportFinding,
    inventory: &Inventory,
    cache: &mut HashMap<String, Option<std::sync::Arc<str>>>,
) -> Option<String> {
    let secret_bearing = f.redact_source
        || f.resource.as_ref().is_some_and(|r| {
            (r.kind == "Config" || r.kind == "Secret") && !r.api_version.contains('/')
        });
    if secret_bearing {
        return None;
    }
    let loc = f.location.as_ref()?;
    let (file, line) = (loc.file.as_deref()?, loc.line?);
    let text = cache.entry(file.to_string()).or_insert_with(|| {
        inventory
            .sources()
            .iter()
            .find(|s| s.name == file)
            .and_then(|s| s.read_text())
    });
    kubeward_core::inventory::line_of(text.as_deref()?, line).map(str::to_string)
}

fn where_(f: &ReportFinding) -> String {
    match &f.location {
        Some(l) => match (&l.file, l.line) {
            (Some(file), Some(line)) => format!("{file}:{line}:{}", l.column.unwrap_or(1)),
            (Some(file), None) => format!("{file} {}", l.pointer),
            (None, _) => l.pointer.clone(),
        },
        None => String::new(),
    }
}

fn resource(f: &ReportFinding) -> String {
    match &f.resource {
        Some(r) => match &r.namespace {
            Some(ns) => format!("{} {}/{}", r.kind, ns, r.name),
            None => format!("{} {}", r.kind, r.name),
        },
        None => "(scan)".into(),
    }
}

fn count_table(o: &mut String, title: &str, rows: &[(String, usize)]) {
    let _ = write!(
        o,
        "<table><tr><th>{}</th><th class=\"num\">active</th></tr>",
        esc(title)
    );
    for (k, n) in rows {
        let _ = write!(o, "<tr><td>{}</td><td class=\"num\">{n}</td></tr>", esc(k));
    }
    o.push_str("</table>");
}

/// Renders `report` as one HTML page.
pub fn render(report: &Report, inventory: &Inventory, opts: &HtmlOptions) -> String {
    let mut o = String::with_capacity(64 * 1024 + report.findings.len() * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
        <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\
        <title>kubeward report</title><style>");
    o.push_str(STYLE);
    o.push_str("</style></head><body>");
    let s = &report.summary;
    let _ = write!(
        o,
        "<header><h1>kubeward report</h1><p>{} {} · {} objects in {} files · {} active findings ({} suppressed, {} unknown) · {} input errors</p></header><main>",
        esc(report.tool.name),
        esc(report.tool.version),
        s.objects,
        s.files,
        s.findings.active,
        s.findings.suppressed,
        s.findings.unknown,
        s.errors
    );

    // Summary.
    o.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"tables\">");
    let sev_rows: Vec<(String, usize)> = Severity::ALL
        .iter()
        .map(|sv| {
            (
                sv.as_str().to_string(),
                s.findings.by_severity.get(sv).copied().unwrap_or(0),
            )
        })
        .collect();
    count_table(&mut o, "severity", &sev_rows);
    let layer_rows: Vec<(String, usize)> = Layer::ALL
        .iter()
        .map(|l| {
            (
                l.as_str().to_string(),
                s.findings.by_layer.get(l).copied().unwrap_or(0),
            )
        })
        .collect();
    count_table(&mut o, "layer", &layer_rows);
    let mut by_ns: BTreeMap<String, usize> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none() && f.status == Status::Fail)
    {
        let ns = namespace(f);
        *by_ns
            .entry(if ns.is_empty() {
                "(cluster-scoped / none)".into()
            } else {
                ns.to_string()
            })
            .or_default() += 1;
    }
    let ns_rows: Vec<(String, usize)> = by_ns.into_iter().collect();
    count_table(&mut o, "namespace", &ns_rows);
    o.push_str("</div></section>");

    // Attack paths.
    o.push_str("<section id=\"paths\"><h2>Top attack paths</h2>");
    match &opts.paths {
        None => o.push_str("<p class=\"muted\">Attack paths were not computed.</p>"),
        Some(v) if v.is_empty() => {
            o.push_str("<p>No attack path from an entry point to a target.</p>")
        }
        Some(v) => {
            let _ = write!(
                o,
                "<p class=\"muted\">{} of {} paths (<code>kubeward paths</code> lists every step and the changes that break the most paths).</p>",
                v.len(),
                opts.total_paths
            );
            for (i, p) in v.iter().enumerate() {
                let _ = write!(o, "<h3>{}</h3>", esc(&p.title));
                o.push_str(&svg::path(p, i));
            }
        }
    }
    o.push_str("</section>");

    // Filters (hidden until the script runs: without JavaScript they would do nothing).
    let namespaces: BTreeSet<&str> = report.findings.iter().map(namespace).collect();
    let rules: BTreeSet<&str> = report.findings.iter().map(|f| f.rule_id).collect();
    o.push_str("<section id=\"filters\" hidden><h2>Filters</h2><form class=\"filters\" onsubmit=\"return false\">");
    o.push_str("<fieldset><legend>severity</legend>");
    for sv in Severity::ALL {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"sev\" value=\"{0}\" checked> {0}</label>",
            sv.as_str()
        );
    }
    o.push_str("<label><input type=\"checkbox\" name=\"sev\" value=\"unknown\" checked> unknown</label><label><input type=\"checkbox\" name=\"sev\" value=\"na\" checked> n/a</label></fieldset>");
    o.push_str("<fieldset><legend>layer</legend>");
    for l in Layer::ALL {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"layer\" value=\"{0}\" checked> {0}</label>",
            l.as_str()
        );
    }
    o.push_str("</fieldset><fieldset><legend>namespace and rule</legend><label>namespace <select id=\"f-ns\"><option value=\"\">all</option>");
    for ns in &namespaces {
        let shown = if ns.is_empty() { "(none)" } else { ns };
        let _ = write!(o, "<option value=\"{}\">{}</option>", esc(ns), esc(shown));
    }
    o.push_str(
        "</select></label><label>rule <select id=\"f-rule\"><option value=\"\">all</option>",
    );
    for r in &rules {
        let _ = write!(o, "<option value=\"{0}\">{0}</option>", esc(r));
    }
    let _ = write!(
        o,
        "</select></label><p>showing <span id=\"shown\">{}</span> of {}</p></fieldset></form></section>",
        report.findings.len(),
        report.findings.len()
    );

    // Findings.
    let _ = write!(
        o,
        "<section id=\"findings\"><h2>Findings ({})</h2>",
        report.findings.len()
    );
    if report.findings.is_empty() {
        o.push_str("<p>No findings.</p>");
    }
    let mut cache = HashMap::new();
    for f in &report.findings {
        let (class, label) = sev_class(f);
        let _ = write!(
            o,
            "<article class=\"finding\" data-sev=\"{class}\" data-layer=\"{}\" data-ns=\"{}\" data-rule=\"{}\">\
             <h3><span class=\"sev sev-{class}\">{label}</span><span class=\"rid\">{}</span>{}</h3>",
            f.layer.as_str(),
            esc(namespace(f)),
            esc(f.rule_id),
            esc(f.rule_id),
            esc(f.title)
        );
        let _ = write!(
            o,
            "<div><strong>{}</strong>: {}</div>",
            esc(&resource(f)),
            esc(&f.message)
        );
        if let Some(n) = f.paths.filter(|n| *n > 0) {
            let _ = write!(
                o,
                "<div class=\"onpaths\">on {n} attack path{}</div>",
                if n == 1 { "" } else { "s" }
            );
        }
        let w = where_(f);
        if !w.is_empty() {
            let _ = write!(o, "<div class=\"where\">{}</div>", esc(&w));
        }
        match source_line(f, inventory, &mut cache) {
            Some(line) => {
                let _ = write!(o, "<pre class=\"src\">{}</pre>", esc(&line));
            }
            None if f.location.as_ref().is_some_and(|l| l.line.is_some()) => {
                o.push_str(
                    "<div class=\"muted\">source line not shown: it may hold a secret value</div>",
                );
            }
            None => {}
        }
        let _ = write!(
            o,
            "<div class=\"fix\"><strong>Fix:</strong> {}</div>",
            esc(f.remediation)
        );
        let refs = f.references.merged();
        if !refs.is_empty() {
            o.push_str("<div class=\"refs\">references: ");
            let parts: Vec<String> = refs
                .iter()
                .map(|(k, v)| format!("{}: {}", esc(k), esc(v)))
                .collect();
            o.push_str(&parts.join(" · "));
            o.push_str("</div>");
        }
        match &f.suppressed {
            Some(sp) => {
                let _ = write!(
                    o,
                    "<div class=\"supp\">suppressed by {}: {}</div>",
                    esc(&sp.by),
                    esc(&sp.reason)
                );
            }
            None => o.push_str("<div class=\"supp\">not suppressed</div>"),
        }
        o.push_str("</article>");
    }
    o.push_str("</section>");
    if !report.errors.is_empty() {
        o.push_str("<section id=\"errors\"><h2>Input errors and warnings</h2><ul>");
        for d in &report.errors {
            let _ = write!(o, "<li>{}</li>", esc(&d.to_string()));
        }
        o.push_str("</ul></section>");
    }
    o.push_str("</main><script>");
    o.push_str(SCRIPT);
    o.push_str("</script></body></html>\n");
    o
}
