//! The summary tables: active findings per rule and per namespace, counted by severity, and a
//! score per namespace. Printed at the end of the text output, and alone by `--format summary`.

use kubeward_core::Severity;
use kubeward_core::finding::Status;
use kubeward_core::report::{Report, ReportFinding};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Points each active finding weighs in a namespace's score.
pub const WEIGHTS: [(Severity, u32); 5] = [
    (Severity::Critical, 25),
    (Severity::High, 10),
    (Severity::Medium, 4),
    (Severity::Low, 1),
    (Severity::Info, 0),
];

/// Counts by severity, critical first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts([usize; 5]);

impl Counts {
    fn add(&mut self, s: Severity) {
        self.0[4 - s as usize] += 1;
    }

    pub fn get(&self, s: Severity) -> usize {
        self.0[4 - s as usize]
    }

    pub fn total(&self) -> usize {
        self.0.iter().sum()
    }

    /// The weighted findings ([`WEIGHTS`]).
    pub fn points(&self) -> u64 {
        WEIGHTS
            .iter()
            .map(|(s, w)| u64::from(*w) * self.get(*s) as u64)
            .sum()
    }

    /// `100 × 50 / (50 + points)`, rounded: 100 with no finding, 67 with one critical, 83 with
    /// one high; it falls ever more slowly and never reaches 0, so namespaces with many
    /// findings still rank against each other.
    pub fn score(&self) -> u32 {
        let p = self.points();
        ((100 * 50 + (50 + p) / 2) / (50 + p)) as u32
    }
}

/// Active findings per rule (with its title) and per namespace (`(cluster-scoped)` for objects
/// without one, `(scan)` for findings about the scan as a whole).
pub struct Tables {
    pub rules: BTreeMap<&'static str, (&'static str, Counts)>,
    pub namespaces: BTreeMap<String, Counts>,
}

fn active(f: &ReportFinding) -> bool {
    f.suppressed.is_none() && f.status == Status::Fail
}

pub fn tables(report: &Report) -> Tables {
    let mut t = Tables {
        rules: BTreeMap::new(),
        namespaces: BTreeMap::new(),
    };
    for f in report.findings.iter().filter(|f| active(f)) {
        t.rules
            .entry(f.rule_id)
            .or_insert((f.title, Counts::default()))
            .1
            .add(f.severity);
        let ns = match &f.resource {
            None => "(scan)".to_string(),
            Some(r) => r
                .namespace
                .clone()
                .unwrap_or_else(|| "(cluster-scoped)".to_string()),
        };
        t.namespaces.entry(ns).or_default().add(f.severity);
    }
    t
}

const HEAD: &str = "crit  high   med   low  info";

fn row(c: &Counts) -> String {
    let mut o = String::new();
    for s in Severity::ALL {
        let n = c.get(s);
        if n == 0 {
            o.push_str("     -");
        } else {
            let _ = write!(o, "{n:>6}");
        }
    }
    o[2..].to_string()
}

/// The tables as plain text (no colour), ending with a newline; empty when nothing is active.
pub fn render(report: &Report) -> String {
    let t = tables(report);
    let mut o = String::new();
    if t.rules.is_empty() {
        let _ = writeln!(o, "no active findings");
        return o;
    }
    let w = t.rules.keys().map(|k| k.len()).max().unwrap_or(0).max(4);
    let _ = writeln!(o, "{:<w$}  {HEAD}  title", "rule");
    // Most severe rules first, then by ID.
    let mut rules: Vec<_> = t.rules.iter().collect();
    rules.sort_by(|a, b| {
        let key = |c: &Counts| std::cmp::Reverse(c.0);
        key(&a.1.1).cmp(&key(&b.1.1)).then(a.0.cmp(b.0))
    });
    for (id, (title, c)) in rules {
        let _ = writeln!(o, "{id:<w$}  {}  {title}", row(c));
    }
    o.push('\n');
    let w = t
        .namespaces
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .max(9);
    let _ = writeln!(o, "{:<w$}  {HEAD}  score", "namespace");
    let mut nss: Vec<_> = t.namespaces.iter().collect();
    // Lowest score first: where to start.
    nss.sort_by(|a, b| a.1.score().cmp(&b.1.score()).then(a.0.cmp(b.0)));
    for (ns, c) in nss {
        let _ = writeln!(o, "{ns:<w$}  {}  {:>3}/100", row(c), c.score());
    }
    let _ = writeln!(
        o,
        "(score: 100 x 50 / (50 + points); points: 25 per critical, 10 per high, 4 per medium, 1 per low finding)"
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_weights_and_shape() {
        let mut c = Counts::default();
        assert_eq!(c.score(), 100);
        c.add(Severity::High);
        assert_eq!(c.score(), 83);
        c.add(Severity::Medium);
        c.add(Severity::Low);
        c.add(Severity::Info);
        assert_eq!(c.points(), 15);
        assert_eq!(c.score(), 77);
        assert_eq!(c.total(), 4);
        for _ in 0..40 {
            c.add(Severity::Critical);
        }
        assert_eq!(c.get(Severity::Critical), 40);
        assert_eq!(c.score(), 5);
        let mut one = Counts::default();
        one.add(Severity::Critical);
        assert_eq!(one.score(), 67);
    }

    #[test]
    fn rows_align_and_show_dashes_for_zero() {
        let mut c = Counts::default();
        c.add(Severity::Critical);
        c.add(Severity::Low);
        c.add(Severity::Low);
        assert_eq!(row(&c), "   1     -     -     2     -");
        assert_eq!(row(&c).len(), HEAD.len());
    }
}
