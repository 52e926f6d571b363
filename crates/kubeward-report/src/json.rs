//! JSON output: the [`Report`] as documented in `docs/report.schema.json`.

use kubeward_core::report::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}
