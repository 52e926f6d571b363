//! JSON output: the [`Report`] as documented in `docs/report.schema.json`.
//!
//! Layout: one top-level key per line and **one finding per line**, so the output stays
//! greppable and diffable, and so that findings can be serialised in parallel (a large scan has
//! hundreds of thousands of them).

use kubeward_core::report::{Report, ReportFinding, ResourceOut};
use rayon::prelude::*;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write;
use std::sync::Arc;

/// The report as a string.
pub fn render(report: &Report) -> String {
    let mut buf = Vec::new();
    write(report, &mut buf).expect("writing to memory");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Streams the report to `w`.
pub fn write(report: &Report, w: &mut impl Write) -> std::io::Result<()> {
    write_windowed(report, w, 32 * 1024)
}

fn write_windowed(report: &Report, w: &mut impl Write, window: usize) -> std::io::Result<()> {
    let err = std::io::Error::other;
    w.write_all(b"{\"version\":")?;
    serde_json::to_writer(&mut *w, &report.version).map_err(err)?;
    w.write_all(b",\"tool\":")?;
    serde_json::to_writer(&mut *w, &report.tool).map_err(err)?;
    w.write_all(b",\n\"findings\":[")?;
    // Chunks of findings are serialised in parallel, then written in order; a window of
    // chunks at a time keeps memory bounded whatever the size of the report.
    let total = report.findings.len();
    for (w_i, part) in report.findings.chunks(window).enumerate() {
        let chunks: Vec<Result<Vec<u8>, serde_json::Error>> = part
            .par_chunks(512)
            .map(|chunk| {
                let mut buf = Vec::with_capacity(chunk.len() * 1024);
                let mut cache = Fragments::default();
                for f in chunk {
                    buf.push(b'\n');
                    write_finding(&mut buf, f, &mut cache)?;
                    buf.push(b',');
                }
                Ok(buf)
            })
            .collect();
        let last_window = (w_i + 1) * window >= total;
        let n = chunks.len();
        for (i, c) in chunks.into_iter().enumerate() {
            let c = c.map_err(err)?;
            // Drop the comma after the very last finding.
            let end = if last_window && i + 1 == n {
                c.len() - 1
            } else {
                c.len()
            };
            w.write_all(&c[..end])?;
        }
    }
    if !report.findings.is_empty() {
        w.write_all(b"\n")?;
    }
    w.write_all(b"],\n\"errors\":")?;
    serde_json::to_writer(&mut *w, &report.errors).map_err(err)?;
    w.write_all(b",\n\"skipped\":")?;
    serde_json::to_writer(&mut *w, &report.skipped).map_err(err)?;
    w.write_all(b",\n\"summary\":")?;
    serde_json::to_writer(&mut *w, &report.summary).map_err(err)?;
    w.write_all(b"}\n")
}

/// Escaped JSON of the parts a finding shares with others: what comes from its rule (name,
/// title, remediation, references) and its resource. Escaping these long, repeated strings
/// was most of the serialisation time of a large report.
#[derive(Default)]
struct Fragments {
    /// By rule ID: `{"rule_id":..,"rule_name":..,"severity":` / `"title":..,"message":` /
    /// `,"remediation":..,"resource":` / the rule's own references.
    rules: HashMap<&'static str, [Vec<u8>; 4]>,
    /// The last resource written, by address (findings on one object are adjacent).
    resource: Option<(*const ResourceOut, Vec<u8>)>,
}

/// Writes `f` exactly as `serde_json::to_writer(f)` would (same keys, order and escaping).
fn write_finding(
    buf: &mut Vec<u8>,
    f: &ReportFinding,
    cache: &mut Fragments,
) -> Result<(), serde_json::Error> {
    let rule = match cache.rules.entry(f.rule_id) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => {
            let mut head = b"{\"rule_id\":".to_vec();
            write_str(&mut head, f.rule_id);
            head.extend_from_slice(b",\"rule_name\":");
            write_str(&mut head, f.rule_name);
            head.extend_from_slice(b",\"severity\":");
            let mut title = b",\"layer\":".to_vec();
            serde_json::to_writer(&mut title, &f.layer)?;
            title.extend_from_slice(b",\"title\":");
            write_str(&mut title, f.title);
            title.extend_from_slice(b",\"message\":");
            let mut fix = b",\"remediation\":".to_vec();
            write_str(&mut fix, f.remediation);
            fix.extend_from_slice(b",\"resource\":");
            let refs = serde_json::to_vec(&*f.references.rule)?;
            e.insert([head, title, fix, refs])
        }
    };
    buf.extend_from_slice(&rule[0]);
    serde_json::to_writer(&mut *buf, &f.severity)?;
    buf.extend_from_slice(b",\"status\":");
    serde_json::to_writer(&mut *buf, &f.status)?;
    buf.extend_from_slice(&rule[1]);
    write_str(buf, &f.message);
    buf.extend_from_slice(&rule[2]);
    match &f.resource {
        None => buf.extend_from_slice(b"null"),
        Some(r) => {
            let ptr = Arc::as_ptr(r);
            match &cache.resource {
                Some((p, bytes)) if *p == ptr => buf.extend_from_slice(bytes),
                _ => {
                    let bytes = serde_json::to_vec(&**r)?;
                    buf.extend_from_slice(&bytes);
                    cache.resource = Some((ptr, bytes));
                }
            }
        }
    }
    buf.extend_from_slice(b",\"location\":");
    serde_json::to_writer(&mut *buf, &f.location)?;
    buf.extend_from_slice(b",\"references\":");
    if f.references.extra.is_empty() {
        buf.extend_from_slice(&rule[3]);
    } else {
        serde_json::to_writer(&mut *buf, &f.references)?;
    }
    buf.extend_from_slice(b",\"related\":");
    serde_json::to_writer(&mut *buf, &f.related)?;
    buf.extend_from_slice(b",\"suppressed\":");
    serde_json::to_writer(&mut *buf, &f.suppressed)?;
    buf.extend_from_slice(b",\"fingerprint\":");
    write_str(buf, &f.fingerprint);
    buf.push(b'}');
    Ok(())
}

/// Writes `s` as a JSON string exactly as serde_json does. Most strings need no escaping;
/// checking eight bytes at a time for a control character, `"` or `\\` and then copying is
/// several times faster than escaping byte by byte.
fn write_str(buf: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        serde_json::to_writer(&mut *buf, s).expect("writing to memory");
    } else {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    }
}

/// Whether serde_json escapes any byte of `b` (control characters, `"` and `\\`).
fn needs_escape(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero / below 0x20: the classic exact word tests.
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        if x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0
            || has_zero(x ^ (ONES * u64::from(b'"')))
            || has_zero(x ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&c| c < 0x20 || c == b'"' || c == b'\\')
}

#[cfg(test)]
mod tests {
    use kubeward_core::testing::load;

    fn report(yaml: &str) -> kubeward_core::report::Report {
        let l = load(yaml);
        let mut reg = kubeward_core::Registry::new();
        reg.extend(kubeward_core::engine::engine_rules());
        let config = kubeward_core::config::Config::default();
        let out = kubeward_core::engine::Engine {
            registry: &reg,
            config: &config,
        }
        .run(&l.inventory, &l.duplicates, None);
        kubeward_core::report::build(&l.inventory, out.findings, Vec::new(), Vec::new(), &l.stats)
    }

    #[test]
    fn each_finding_is_byte_for_byte_what_serde_writes() {
        use kubeward_core::finding::{Severity, Suppression};
        use kubeward_core::report::RelatedOut;
        let mut y = String::new();
        for (i, ns) in ["a", "b\"q\u{e9}\\"].iter().enumerate() {
            y.push_str(&format!(
                "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: '{ns}'}}\ndata:\n  k: a\n  k: b\n  l: a\n  l: b\n"
            ));
        }
        let mut r = report(&y);
        assert_eq!(r.findings.len(), 4);
        // Every optional part, on some findings and not on others.
        r.findings[0].suppressed = Some(Suppression {
            by: "config".into(),
            reason: "tab\there, quote \" and \u{1f600}".into(),
        });
        r.findings[1].references.extra.push(("cis", "5.1.1".into()));
        r.findings[1]
            .references
            .extra
            .push(("mitre", "T0000 \"x\"".into()));
        r.findings[2].severity = Severity::Info;
        let other = RelatedOut {
            resource: (*r.findings[0].resource.clone().unwrap()).clone(),
            location: r.findings[0].location.clone().unwrap(),
            message: "the other \n place".into(),
        };
        r.findings[2].related.push(other);
        r.findings[3].resource = None;
        r.findings[3].location = None;
        let mut cache = super::Fragments::default();
        for f in &r.findings {
            let mut ours = Vec::new();
            super::write_finding(&mut ours, f, &mut cache).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(f).unwrap()
            );
        }
    }

    #[test]
    fn strings_are_written_as_serde_writes_them() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain ascii text of some length".into(),
            "quote \" inside".into(),
            "back\\slash".into(),
            "tab\tand newline\n".into(),
            "\u{1f}\u{0}\u{7f}".into(),
            "ünïcödé ✓ 😀".into(),
            "/slashes/are/not/escaped".into(),
        ];
        // Every byte value that can start or sit in a string, at every offset of a word.
        for c in (0u8..0x80).map(char::from).chain(['é', '€', '😀']) {
            for pad in 0..10 {
                cases.push(format!("{}{c}{}", "a".repeat(pad), "b".repeat(9 - pad)));
            }
        }
        for s in &cases {
            let mut ours = Vec::new();
            super::write_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn same_value_as_serde_whatever_the_number_of_findings() {
        for n in [0usize, 1, 2, 600, 1024, 1025] {
            let mut y =
                String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n");
            for i in 0..n {
                y.push_str(&format!("  k{i}: a\n  k{i}: b\n"));
            }
            let r = report(&y);
            assert_eq!(r.findings.len(), n);
            let ours: serde_json::Value = serde_json::from_str(&super::render(&r)).unwrap();
            assert_eq!(ours, serde_json::to_value(&r).unwrap(), "{n} findings");
            // Window boundaries (the real window is 32k findings).
            let mut small = Vec::new();
            super::write_windowed(&r, &mut small, 512).unwrap();
            assert_eq!(String::from_utf8(small).unwrap(), super::render(&r), "{n}");
            // One finding per line.
            assert_eq!(
                super::render(&r)
                    .lines()
                    .filter(|l| l.starts_with("{\"rule_id\""))
                    .count(),
                n
            );
        }
    }
}
