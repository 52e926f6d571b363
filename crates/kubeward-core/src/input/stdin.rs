//! Standard input (`-`): read once, within the size limit; JSON when it starts with `{`.

use super::LoadOptions;
use super::files::into_text;
use super::parse::{ParsedUnit, parse_text};
use crate::inventory::SourceKind;
use std::io::Read;

/// Reads and parses standard input.
pub(super) fn read_stdin(opts: &LoadOptions) -> ParsedUnit {
    let mut buf = Vec::new();
    let limit = opts.max_file_size;
    if let Err(e) = std::io::stdin().take(limit + 1).read_to_end(&mut buf) {
        return ParsedUnit::failed("-".into(), format!("cannot read standard input: {e}"));
    }
    if buf.len() as u64 > limit {
        return ParsedUnit::failed(
            "-".into(),
            format!(
                "cannot read: standard input is larger than the {limit}-byte limit \
                 (--max-input-size)"
            ),
        );
    }
    let text = match into_text(buf) {
        Ok(t) => t,
        Err(d) => return ParsedUnit::failed("-".into(), d),
    };
    let is_json = text.trim_start().starts_with('{');
    parse_text("-", None, SourceKind::Stdin, text, is_json, true, opts)
}
