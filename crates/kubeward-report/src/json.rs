//! JSON output: the [`Report`] as documented in `docs/report.schema.json`.

use kubeward_core::report::Report;
use std::io::Write;

/// The report as a string.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}

/// Streams the report to `w` (the same bytes as [`render`], without holding them in memory).
pub fn write(report: &Report, w: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_and_render_agree() {
        let l = kubeward_core::testing::load(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n",
        );
        let r = kubeward_core::report::build(
            &l.inventory,
            Vec::new(),
            Vec::new(),
            Vec::new(),
            &l.stats,
        );
        let mut buf = Vec::new();
        super::write(&r, &mut buf).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), super::render(&r));
    }
}
