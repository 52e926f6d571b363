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

use kubeward_core::RuleMeta;
use kubeward_core::inventory::Inventory;
use kubeward_core::report::Report;
use std::io::Write;

/// The output formats (the command line's `--format` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Format {
    /// Grouped by layer, with the source line of each finding and the summary tables.
    Text,
    /// The report as JSON (docs/report.schema.json), streamed.
    Json,
    /// SARIF 2.1.0 for code scanning, streamed.
    Sarif,
    /// JUnit XML: one test case per rule and resource.
    Junit,
    /// Only the tables: findings per rule and per namespace, with a score per namespace.
    Summary,
    /// One self-contained HTML page (summary, attack paths, filters; works offline).
    Html,
    /// wg-policy PolicyReport per namespace + ClusterPolicyReport (a JSON v1 List).
    #[cfg_attr(feature = "clap", value(name = "policyreport"))]
    PolicyReport,
}

impl Format {
    /// Whether the format lists the rules that ran (passed ones too).
    pub fn needs_rules(self) -> bool {
        matches!(self, Format::Sarif | Format::Junit)
    }
}

/// What the renderers may need besides the report.
pub struct RenderContext<'a> {
    /// The scanned objects (source lines for text, objects for HTML).
    pub inventory: &'a Inventory,
    /// The rules that ran; read only by formats that [`Format::needs_rules`].
    pub rules: &'a [&'static RuleMeta],
    pub text: text::TextOptions,
    /// The attack paths drawn in HTML (`None`: the page says they were not computed).
    pub html: Option<&'a html::HtmlOptions>,
}

/// Renders `report` in `format` to `w`: the one entry to every renderer. JSON and SARIF are
/// streamed; the others are built and written whole. Text carries ANSI styles: give an
/// `anstream` writer to strip them where colour is off.
pub fn render(
    format: Format,
    report: &Report,
    ctx: &RenderContext<'_>,
    mut w: &mut dyn Write,
) -> std::io::Result<()> {
    let body = match format {
        Format::Json => return json::write(report, &mut w),
        Format::Sarif => return sarif::write(report, ctx.rules, &mut w),
        Format::Text => text::render(report, ctx.inventory, ctx.text),
        Format::Junit => junit::render(report, ctx.rules),
        Format::Summary => summary::render(report),
        Format::PolicyReport => policyreport::render(report),
        Format::Html => {
            let none = html::HtmlOptions::default();
            html::render(report, ctx.inventory, ctx.html.unwrap_or(&none))
        }
    };
    w.write_all(body.as_bytes())
}

/// A format name that is not one of [`Format`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}` (expected text, json, sarif, junit, summary, html or policyreport)")]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            "junit" => Ok(Format::Junit),
            "summary" => Ok(Format::Summary),
            "html" => Ok(Format::Html),
            "policyreport" => Ok(Format::PolicyReport),
            _ => Err(UnknownFormat(s.to_string())),
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

#[cfg(test)]
mod format_name_tests {
    use super::*;

    #[test]
    fn unknown_format_names_itself_and_the_choices() {
        assert!(matches!("sarif".parse::<Format>(), Ok(Format::Sarif)));
        let e = "xml".parse::<Format>().unwrap_err();
        assert_eq!(e, UnknownFormat("xml".into()));
        assert_eq!(
            e.to_string(),
            "unknown format `xml` (expected text, json, sarif, junit, summary, html or policyreport)"
        );
    }
}
