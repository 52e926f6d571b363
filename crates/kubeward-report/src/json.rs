//! JSON output: the [`Report`] as documented in `docs/report.schema.json`.
//!
//! Layout: one top-level key per line and **one finding per line**, so the output stays
//! greppable and diffable, and so that findings can be serialised in parallel (a large scan has
//! hundreds of thousands of them).

use kubeward_core::report::Report;
use rayon::prelude::*;
use std::io::Write;

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
                for f in chunk {
                    buf.push(b'\n');
                    serde_json::to_writer(&mut buf, f)?;
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
