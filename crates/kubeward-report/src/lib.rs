//! Renderers for kubeward reports: text for people, JSON for programs, SARIF for code scanning,
//! JUnit for CI test tabs. Each takes the resolved [`Report`](kubeward_core::report::Report);
//! none of them decides anything about findings.

pub mod compliance;
pub mod html;
pub mod json;
pub mod junit;
pub mod policyreport;
pub mod sarif;
pub mod summary;
pub mod text;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    /// Only the summary tables (per rule and per namespace, with scores).
    Summary,
    /// One self-contained HTML page.
    Html,
    /// wg-policy PolicyReports (one per namespace) and a ClusterPolicyReport, as a List.
    PolicyReport,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "junit" => Ok(Format::Junit),
            "summary" => Ok(Format::Summary),
            "html" => Ok(Format::Html),
            "policyreport" => Ok(Format::PolicyReport),
            _ => Err(format!(
                "unknown format `{s}` (expected text, json, sarif, junit, summary, html or \
                 policyreport)"
            )),
        }
    }
}

/// Escapes text for XML content and attributes.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters at all.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}
