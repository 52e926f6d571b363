//! JUnit XML for CI test tabs: one test suite per rule, one test case per (rule, resource).
//! A case fails when the rule has an active finding on the resource (all its findings are in
//! the failure text), is skipped when every finding there is suppressed or undecided, and a rule
//! with no findings at all gets one passing case so the report shows that it ran. Input errors
//! are failing cases of a suite of their own.

use crate::xml_escape;
use kubeward_core::RuleMeta;
use kubeward_core::finding::Status;
use kubeward_core::input::Level;
use kubeward_core::report::{Report, ReportFinding};
use std::collections::BTreeMap;
use std::fmt::Write;

fn resource_key(f: &ReportFinding) -> String {
    match &f.resource {
        Some(r) => {
            let name = match &r.namespace {
                Some(ns) => format!("{} {}/{}", r.kind, ns, r.name),
                None => format!("{} {}", r.kind, r.name),
            };
            match &r.cluster {
                Some(c) => format!("{name} [{c}]"),
                None => name,
            }
        }
        None => "(scan)".into(),
    }
}

fn line_of(f: &ReportFinding) -> String {
    let at = match &f.location {
        Some(l) => match (&l.file, l.line) {
            (Some(file), Some(line)) => format!("{file}:{line}:{}: ", l.column.unwrap_or(1)),
            (Some(file), None) => format!("{file} {}: ", l.pointer),
            (None, _) => format!("{}: ", l.pointer),
        },
        None => String::new(),
    };
    format!("{at}{}", f.message)
}

/// Renders `report`; `rules` are the rules that ran.
pub fn render(report: &Report, rules: &[&'static RuleMeta]) -> String {
    // rule id → resource → findings
    let mut by_rule: BTreeMap<&str, BTreeMap<String, Vec<&ReportFinding>>> = BTreeMap::new();
    for r in rules {
        by_rule.entry(r.id).or_default();
    }
    for f in &report.findings {
        by_rule
            .entry(f.rule_id)
            .or_default()
            .entry(resource_key(f))
            .or_default()
            .push(f);
    }
    let meta: BTreeMap<&str, &RuleMeta> = rules.iter().map(|r| (r.id, *r)).collect();

    let mut suites = String::new();
    let (mut total, mut total_fail, mut total_skip) = (0usize, 0usize, 0usize);
    // Part of a cluster could not be read (KW-CP-001): a rule without findings did not run on
    // everything, so it is an error, not a pass.
    let gaps = report.summary.coverage_gaps;
    let mut total_err = 0usize;
    for (rule_id, cases) in &by_rule {
        let title = meta
            .get(rule_id)
            .map(|m| m.title)
            .or_else(|| cases.values().flatten().next().map(|f| f.title))
            .unwrap_or("");
        let mut body = String::new();
        let (mut tests, mut failures, mut skipped, mut errored) = (0, 0, 0, 0);
        if cases.is_empty() && gaps > 0 {
            tests += 1;
            errored += 1;
            let _ = writeln!(
                body,
                "    <testcase classname=\"{}\" name=\"not run on the whole cluster\">\n      <error message=\"{gaps} cluster resource{} could not be read (see KW-CP-001): this rule did not check what they hold\"/>\n    </testcase>",
                xml_escape(rule_id),
                if gaps == 1 { "" } else { "s" }
            );
        } else if cases.is_empty() {
            tests += 1;
            let _ = writeln!(
                body,
                "    <testcase classname=\"{}\" name=\"no findings\"/>",
                xml_escape(rule_id)
            );
        }
        for (resource, findings) in cases {
            tests += 1;
            let active: Vec<&&ReportFinding> = findings
                .iter()
                .filter(|f| f.suppressed.is_none() && f.status == Status::Fail)
                .collect();
            let _ = write!(
                body,
                "    <testcase classname=\"{}\" name=\"{}\">",
                xml_escape(rule_id),
                xml_escape(resource)
            );
            if *rule_id == "KW-CP-001" && findings.iter().any(|f| f.suppressed.is_none()) {
                errored += 1;
                let text: Vec<String> = findings.iter().map(|f| line_of(f)).collect();
                let _ = write!(
                    body,
                    "\n      <error message=\"{}\">{}</error>\n    ",
                    xml_escape(&findings[0].message),
                    xml_escape(&text.join("\n"))
                );
            } else if let Some(first) = active.first() {
                failures += 1;
                let worst = active
                    .iter()
                    .map(|f| f.severity)
                    .max()
                    .unwrap_or(first.severity);
                let text: Vec<String> = active.iter().map(|f| line_of(f)).collect();
                let _ = write!(
                    body,
                    "\n      <failure type=\"{}\" message=\"{}\">{}\nfix: {}</failure>\n    ",
                    worst.as_str(),
                    xml_escape(&first.message),
                    xml_escape(&text.join("\n")),
                    xml_escape(first.remediation)
                );
            } else {
                skipped += 1;
                let why: Vec<String> = findings
                    .iter()
                    .map(|f| match &f.suppressed {
                        Some(s) => format!("suppressed by {}: {}", s.by, s.reason),
                        None => format!("{}: {}", f.status.as_str(), f.message),
                    })
                    .collect();
                let _ = write!(
                    body,
                    "\n      <skipped message=\"{}\"/>\n    ",
                    xml_escape(&why.join("; "))
                );
            }
            body.push_str("</testcase>\n");
        }
        total += tests;
        total_fail += failures;
        total_skip += skipped;
        total_err += errored;
        let _ = write!(
            suites,
            "  <testsuite name=\"{} {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errored}\" skipped=\"{skipped}\">\n{body}  </testsuite>\n",
            xml_escape(rule_id),
            xml_escape(title)
        );
    }
    let errors: Vec<_> = report
        .errors
        .iter()
        .filter(|e| e.level == Level::Error)
        .collect();
    if !errors.is_empty() {
        let mut body = String::new();
        for e in &errors {
            let at = if e.line > 0 {
                format!("{}:{}:{}", e.file, e.line, e.column)
            } else {
                e.file.clone()
            };
            let _ = writeln!(
                body,
                "    <testcase classname=\"kubeward.input\" name=\"{}\">\n      <error message=\"{}\"/>\n    </testcase>",
                xml_escape(&at),
                xml_escape(&e.message)
            );
        }
        total += errors.len();
        let _ = write!(
            suites,
            "  <testsuite name=\"input\" tests=\"{n}\" failures=\"0\" errors=\"{n}\" skipped=\"0\">\n{body}  </testsuite>\n",
            n = errors.len()
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kubeward\" tests=\"{total}\" failures=\"{total_fail}\" errors=\"{}\" skipped=\"{total_skip}\">\n{suites}</testsuites>\n",
        errors.len() + total_err
    )
}
