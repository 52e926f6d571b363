//! JSON output: the [`Report`] as documented in `docs/report.schema.json`.
//!
//! Layout: one top-level key per line and **one finding per line**, so the output stays
//! greppable and diffable, and so that findings can be serialised in parallel (a large scan has
//! hundreds of thousands of them).

use kubeward_core::report::{LocationOut, Report, ReportFinding, ResourceOut};
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
    let parallel = report.findings.len() > SERIAL_FINDINGS && rayon::current_num_threads() > 1;
    write_with(report, w, parallel, 32 * 1024)
}

/// Below this many findings the JSON is written on one thread.
const SERIAL_FINDINGS: usize = 2048;

fn write_with(
    report: &Report,
    w: &mut impl Write,
    parallel: bool,
    window: usize,
) -> std::io::Result<()> {
    let err = std::io::Error::other;
    w.write_all(b"{\"version\":")?;
    serde_json::to_writer(&mut *w, &report.version).map_err(err)?;
    w.write_all(b",\"tool\":")?;
    serde_json::to_writer(&mut *w, &report.tool).map_err(err)?;
    w.write_all(b",\n\"findings\":[")?;
    // Chunks of findings are serialised in parallel, then written in order; a window of
    // chunks at a time keeps memory bounded whatever the size of the report.
    let total = report.findings.len();
    if !parallel {
        // One thread, or too few findings to share out: write in order through one small
        // buffer. Per-chunk buffers of the size of the whole output were a good part of a
        // small scan's page faults.
        let mut buf = Vec::with_capacity(16 * 1024);
        let mut cache = Fragments::default();
        for (i, f) in report.findings.iter().enumerate() {
            buf.push(b'\n');
            write_finding(&mut buf, f, &mut cache).map_err(err)?;
            if i + 1 < total {
                buf.push(b',');
            }
            if buf.len() >= 12 * 1024 {
                w.write_all(&buf)?;
                buf.clear();
            }
        }
        w.write_all(&buf)?;
    } else {
        write_parallel(report, w, window)?;
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

fn write_parallel(report: &Report, w: &mut impl Write, window: usize) -> std::io::Result<()> {
    let err = std::io::Error::other;
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
    Ok(())
}

/// Escaped JSON of the parts a finding shares with others: what comes from its rule (name,
/// title, remediation, references) and its resource. Escaping these long, repeated strings
/// was most of the serialisation time of a large report.
#[derive(Default)]
struct Fragments {
    /// By rule ID, from the second finding of the rule on (a small report has mostly one
    /// finding per rule, and building the copies then costs more than it saves): the
    /// [`rule_part`]s.
    rules: HashMap<&'static str, Option<[Vec<u8>; 4]>>,
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
        Entry::Occupied(e) => {
            let slot = e.into_mut();
            Some(&*slot.get_or_insert_with(|| {
                [0, 1, 2, 3].map(|i| {
                    let mut part = Vec::with_capacity(256);
                    rule_part(&mut part, f, i);
                    part
                })
            }))
        }
        Entry::Vacant(e) => {
            e.insert(None);
            None
        }
    };
    let part = |buf: &mut Vec<u8>, i: usize| match rule {
        Some(parts) => buf.extend_from_slice(&parts[i]),
        None => rule_part(buf, f, i),
    };
    part(buf, 0);
    write_plain(buf, f.severity.as_str());
    buf.extend_from_slice(b",\"status\":");
    write_plain(buf, f.status.as_str());
    part(buf, 1);
    write_str(buf, &f.message);
    part(buf, 2);
    match &f.resource {
        None => buf.extend_from_slice(b"null"),
        Some(r) => {
            let ptr = Arc::as_ptr(r);
            match &cache.resource {
                Some((p, bytes)) if *p == ptr => buf.extend_from_slice(bytes),
                _ => {
                    let mut bytes = Vec::with_capacity(128);
                    write_resource(&mut bytes, r);
                    buf.extend_from_slice(&bytes);
                    cache.resource = Some((ptr, bytes));
                }
            }
        }
    }
    buf.extend_from_slice(b",\"location\":");
    match &f.location {
        None => buf.extend_from_slice(b"null"),
        Some(l) => write_location(buf, l),
    }
    buf.extend_from_slice(b",\"references\":");
    if f.references.extra.is_empty() {
        part(buf, 3);
    } else {
        write_merged_refs(buf, &f.references);
    }
    buf.extend_from_slice(b",\"related\":");
    if f.related.is_empty() {
        buf.extend_from_slice(b"[]");
    } else {
        serde_json::to_writer(&mut *buf, &f.related)?;
    }
    buf.extend_from_slice(b",\"suppressed\":");
    match &f.suppressed {
        None => buf.extend_from_slice(b"null"),
        Some(x) => serde_json::to_writer(&mut *buf, x)?,
    }
    buf.extend_from_slice(b",\"fingerprint\":");
    write_str(buf, &f.fingerprint);
    if let Some(n) = f.paths {
        buf.extend_from_slice(format!(",\"paths\":{n}").as_bytes());
    }
    buf.push(b'}');
    Ok(())
}

/// Writes a location as its serde derive does: `file`, `line`, `column`, `pointer`,
/// `origin`. Every finding has one, so it is worth not going through serde's field machinery
/// and byte-at-a-time escaping (a third of a small report's JSON time).
fn write_location(buf: &mut Vec<u8>, l: &LocationOut) {
    buf.extend_from_slice(b"{\"file\":");
    match &l.file {
        None => buf.extend_from_slice(b"null"),
        Some(f) => write_str(buf, f),
    }
    buf.extend_from_slice(b",\"line\":");
    write_opt_u32(buf, l.line);
    buf.extend_from_slice(b",\"column\":");
    write_opt_u32(buf, l.column);
    buf.extend_from_slice(b",\"pointer\":");
    write_str(buf, &l.pointer);
    buf.extend_from_slice(b",\"origin\":");
    write_str(buf, l.origin);
    buf.push(b'}');
}

/// Writes a resource as its serde derive does (`cluster` only when set).
fn write_resource(buf: &mut Vec<u8>, r: &ResourceOut) {
    buf.extend_from_slice(b"{\"api_version\":");
    write_str(buf, &r.api_version);
    buf.extend_from_slice(b",\"kind\":");
    write_str(buf, &r.kind);
    buf.extend_from_slice(b",\"namespace\":");
    match &r.namespace {
        None => buf.extend_from_slice(b"null"),
        Some(ns) => write_str(buf, ns),
    }
    buf.extend_from_slice(b",\"name\":");
    write_str(buf, &r.name);
    if let Some(c) = &r.cluster {
        buf.extend_from_slice(b",\"cluster\":");
        write_str(buf, c);
    }
    buf.push(b'}');
}

fn write_opt_u32(buf: &mut Vec<u8>, n: Option<u32>) {
    match n {
        None => buf.extend_from_slice(b"null"),
        Some(n) => buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
    }
}

/// The parts of a finding's JSON that come from its rule: 0 `{"rule_id":..,"rule_name":..,
/// "severity":`, 1 `,"layer":..,"title":..,"message":`, 2 `,"remediation":..,"resource":`,
/// 3 the rule's own references.
fn rule_part(buf: &mut Vec<u8>, f: &ReportFinding, i: usize) {
    match i {
        0 => {
            buf.extend_from_slice(b"{\"rule_id\":");
            write_str(buf, f.rule_id);
            buf.extend_from_slice(b",\"rule_name\":");
            write_str(buf, f.rule_name);
            buf.extend_from_slice(b",\"severity\":");
        }
        1 => {
            buf.extend_from_slice(b",\"layer\":");
            write_plain(buf, f.layer.as_str());
            buf.extend_from_slice(b",\"title\":");
            write_str(buf, f.title);
            buf.extend_from_slice(b",\"message\":");
        }
        2 => {
            buf.extend_from_slice(b",\"remediation\":");
            write_str(buf, f.remediation);
            buf.extend_from_slice(b",\"resource\":");
        }
        _ => write_str_map(buf, &f.references.rule),
    }
}

/// A map of strings as serde writes it: `{"k":"v",...}` in the map's order.
fn write_str_map(
    buf: &mut Vec<u8>,
    m: &std::collections::BTreeMap<&'static str, kubeward_core::report::RefIds>,
) {
    buf.push(b'{');
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        write_str(buf, k);
        buf.push(b':');
        write_str(buf, v);
    }
    buf.push(b'}');
}

/// A finding's references as serde writes [`References`]: the rule's and the finding's own
/// merged, sorted by source, the finding's winning on the same source (the last of them if it
/// gives one twice).
fn write_merged_refs(buf: &mut Vec<u8>, r: &kubeward_core::report::References) {
    let mut extra: Vec<(&str, &str)> = Vec::with_capacity(r.extra.len());
    for (k, v) in r.extra.iter().rev() {
        if !extra.iter().any(|(e, _)| e == k) {
            extra.push((k, v));
        }
    }
    extra.sort_unstable_by_key(|(k, _)| *k);
    let mut rule = r.rule.iter().map(|(k, v)| (*k, &**v)).peekable();
    let mut extra = extra.into_iter().peekable();
    buf.push(b'{');
    let mut first = true;
    loop {
        let next = match (rule.peek(), extra.peek()) {
            (None, None) => break,
            (Some(_), None) => rule.next(),
            (None, Some(_)) => extra.next(),
            (Some(a), Some(b)) => match a.0.cmp(b.0) {
                std::cmp::Ordering::Less => rule.next(),
                std::cmp::Ordering::Greater => extra.next(),
                std::cmp::Ordering::Equal => {
                    rule.next();
                    extra.next()
                }
            },
        };
        let (k, v) = next.expect("peeked");
        if !first {
            buf.push(b',');
        }
        first = false;
        write_str(buf, k);
        buf.push(b':');
        write_str(buf, v);
    }
    buf.push(b'}');
}

/// A string known to need no escaping (enum names).
fn write_plain(buf: &mut Vec<u8>, s: &str) {
    debug_assert!(!s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
    buf.push(b'"');
    buf.extend_from_slice(s.as_bytes());
    buf.push(b'"');
}

/// Writes `s` as a JSON string exactly as serde_json does: `"`, `\\` and control characters
/// escaped (`\n`, `\t`, ... or `\u00XX`), everything else, including non-ASCII, as is. Runs
/// that need no escaping, found eight bytes at a time, are copied whole.
fn write_str(buf: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    buf.reserve(b.len() + 2);
    buf.push(b'"');
    let mut start = 0;
    while let Some(i) = next_escape(b, start) {
        buf.extend_from_slice(&b[start..i]);
        let c = b[i];
        match c {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(c >> 4)]);
                buf.push(HEX[usize::from(c & 0xf)]);
            }
        }
        start = i + 1;
    }
    buf.extend_from_slice(&b[start..]);
    buf.push(b'"');
}

/// Whether JSON escapes the byte (control characters, `"` and `\\`).
fn escaped(c: u8) -> bool {
    c < 0x20 || c == b'"' || c == b'\\'
}

/// The first byte at or after `from` that JSON escapes.
fn next_escape(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero / below 0x20: the classic exact word tests.
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let mut i = from;
    while i + 8 <= b.len() {
        let x = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0
            || has_zero(x ^ (ONES * u64::from(b'"')))
            || has_zero(x ^ (ONES * u64::from(b'\\')))
        {
            // Somewhere in these eight bytes.
            return (i..i + 8).find(|&j| escaped(b[j]));
        }
        i += 8;
    }
    (i..b.len()).find(|&j| escaped(b[j]))
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
        // A source the rule gives too (the finding's wins), given twice (the last wins).
        let own = *r.findings[1].references.rule.keys().next().unwrap();
        r.findings[1].references.extra.push((own, "first".into()));
        r.findings[1].references.extra.push((own, "second".into()));
        r.findings[1]
            .references
            .extra
            .push(("aaa", "sorts first".into()));
        r.findings[2].severity = Severity::Info;
        let other = RelatedOut {
            resource: (*r.findings[0].resource.clone().unwrap()).clone(),
            location: r.findings[0].location.clone().unwrap(),
            message: "the other \n place".into(),
        };
        r.findings[2].related.push(other);
        r.findings[3].resource = None;
        r.findings[3].location = None;
        // A cluster object: a context name on the resource, no file or line on the location.
        let mut res = (**r.findings[1].resource.as_ref().unwrap()).clone();
        res.cluster = Some("prod \"eu\"".into());
        r.findings[1].resource = Some(std::sync::Arc::new(res));
        // A cluster-scoped object: no namespace.
        let mut res = (**r.findings[2].resource.as_ref().unwrap()).clone();
        res.namespace = None;
        r.findings[2].resource = Some(std::sync::Arc::new(res));
        let loc = r.findings[1].location.as_mut().unwrap();
        loc.file = None;
        loc.line = None;
        loc.column = None;
        loc.origin = "cluster";
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
    fn enum_names_are_what_serde_writes() {
        use kubeward_core::finding::{Layer, Severity, Status};
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for s in Severity::ALL {
            super::write_plain(&mut ours, s.as_str());
            serde_json::to_writer(&mut theirs, &s).unwrap();
        }
        for l in Layer::ALL {
            super::write_plain(&mut ours, l.as_str());
            serde_json::to_writer(&mut theirs, &l).unwrap();
        }
        for s in [Status::Fail, Status::Unknown, Status::NotApplicable] {
            super::write_plain(&mut ours, s.as_str());
            serde_json::to_writer(&mut theirs, &s).unwrap();
        }
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(theirs).unwrap()
        );
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
                // Two to escape in one word, and one in each of two words.
                cases.push(format!(
                    "{}{c}\"{c}{}",
                    "a".repeat(pad),
                    "b".repeat(9 - pad)
                ));
                cases.push(format!("{c}{}{c}", "x".repeat(pad + 7)));
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
            // In parallel, across window boundaries (the real window is 32k findings), the
            // same bytes as in one thread.
            let mut small = Vec::new();
            super::write_with(&r, &mut small, true, 512).unwrap();
            assert_eq!(String::from_utf8(small).unwrap(), super::render(&r), "{n}");
            let mut serial = Vec::new();
            super::write_with(&r, &mut serial, false, 512).unwrap();
            assert_eq!(String::from_utf8(serial).unwrap(), super::render(&r), "{n}");
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
