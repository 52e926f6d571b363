//! YAML as Kubernetes reads it.
//!
//! `kubectl` and the API server turn YAML into JSON with `sigs.k8s.io/yaml`, which decodes with
//! a fork of go-yaml v2 into untyped values. That decoder follows YAML 1.1 habits that a YAML 1.2
//! parser does not: `yes`/`on`/`y` are booleans, `0400` is octal 256, `1_000` is 1000, `<<` merges
//! mappings in document order, and a repeated key silently keeps the last value. A scanner that
//! reads a manifest any other way can be bypassed (`privileged: false` followed by
//! `privileged: yes`), so this module reproduces that reading on top of the saphyr event parser
//! and reports every place where the reading is surprising (duplicate keys, merges overriding
//! explicit keys).
//!
//! A stream is split into documents at `---`/`...` marker lines before parsing, so that a syntax
//! error in one document does not hide the others. Alias expansion is budgeted (a "billion
//! laughs" document gets an error, not an out-of-memory kill) and nesting depth is capped.

use crate::tree::{Key, KeyIndex, Map, Node, Span, Value};
use compact_str::{CompactString, ToCompactString};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};
use std::borrow::Cow;

/// Limits that protect the loader from hostile input.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Nodes that alias expansion may add to one document.
    pub max_alias_nodes: usize,
    /// Maximum nesting of sequences and mappings.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_alias_nodes: 100_000,
            max_depth: 256,
        }
    }
}

/// A syntax or decoding error, located in the whole stream (1-based line and column).
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// A mapping key whose value was replaced while reading the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Duplicate {
    /// JSON pointer of the key that now holds the last value.
    pub pointer: String,
    pub key: String,
    /// Where the value that was discarded was written.
    pub first: Span,
    /// Where the value that is kept was written.
    pub kept: Span,
    /// True when a `<<` merge overrode a key written explicitly earlier in the mapping.
    pub by_merge: bool,
}

/// One document of a stream.
#[derive(Debug)]
pub struct Document {
    /// 0-based position in the stream, counting empty documents.
    pub index: usize,
    /// First line of the document's text.
    pub start_line: u32,
    /// `Ok(None)` for an empty document (only comments or nothing).
    pub result: Result<Option<Node>, YamlError>,
    pub duplicates: Vec<Duplicate>,
}

/// Splits `text` into documents and reads each one.
pub fn load_stream(text: &str, limits: &Limits) -> Vec<Document> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    split_documents(text)
        .into_iter()
        .enumerate()
        .map(|(index, chunk)| {
            let mut duplicates = Vec::new();
            let result = load_chunk(chunk.text, chunk.line - 1, limits, &mut duplicates);
            Document {
                index,
                start_line: chunk.line,
                result,
                duplicates,
            }
        })
        .collect()
}

struct Chunk<'a> {
    text: &'a str,
    /// 1-based line of the chunk's first line in the stream.
    line: u32,
}

fn is_marker_line(line: &str, marker: &str) -> bool {
    line.starts_with(marker)
        && line[3..]
            .chars()
            .next()
            .is_none_or(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n')
}

/// Splits at document markers at column 0. YAML forbids `---` and `...` at the start of a line
/// inside any scalar, so a marker line always separates documents.
fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize; // byte offset of the current chunk
    let mut start_line = 1u32;
    let mut line_no = 1u32;
    let mut pos = 0usize;
    // Directive lines (`%YAML`) written just before a `---` belong to the next document.
    let mut directive_from: Option<(usize, u32)> = None;
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        match bytes[pos] {
            b'-' if is_marker_line(line, "---") => {
                let (cut, cut_line) = directive_from.unwrap_or((pos, line_no));
                if cut > start {
                    chunks.push(Chunk {
                        text: &text[start..cut],
                        line: start_line,
                    });
                }
                start = cut;
                start_line = cut_line;
                directive_from = None;
            }
            b'.' if is_marker_line(line, "...") => {
                chunks.push(Chunk {
                    text: &text[start..end],
                    line: start_line,
                });
                start = end;
                start_line = line_no + 1;
                directive_from = None;
            }
            b'%' => {
                if directive_from.is_none() {
                    directive_from = Some((pos, line_no));
                }
            }
            b'#' | b'\n' | b'\r' => {}
            _ => directive_from = None,
        }
        pos = end;
        line_no += 1;
    }
    if start < bytes.len() || chunks.is_empty() {
        chunks.push(Chunk {
            text: &text[start..],
            line: start_line,
        });
    }
    chunks
}

enum Pending {
    None,
    Key(Key),
    Merge(Span),
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        map: Map,
        start: Span,
        anchor: usize,
        pending: Pending,
        /// Keys whose current value came from a `<<` merge.
        merged: Vec<CompactString>,
        index: KeyIndex,
    },
}

struct Builder<'l> {
    line_offset: u32,
    limits: &'l Limits,
    stack: Vec<Frame>,
    anchors: Vec<Option<(Node, usize)>>,
    alias_nodes: usize,
    root: Option<Node>,
    duplicates: Vec<Duplicate>,
    /// Scratch collections reused across mappings and sequences, so that each finished one
    /// is allocated once at its exact size.
    map_pool: Vec<Map>,
    seq_pool: Vec<Vec<Node>>,
}

fn load_chunk(
    text: &str,
    line_offset: u32,
    limits: &Limits,
    duplicates: &mut Vec<Duplicate>,
) -> Result<Option<Node>, YamlError> {
    let mut b = Builder {
        line_offset,
        limits,
        stack: Vec::new(),
        anchors: Vec::new(),
        alias_nodes: 0,
        root: None,
        duplicates: Vec::new(),
        map_pool: Vec::new(),
        seq_pool: Vec::new(),
    };
    let mut docs = 0usize;
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| YamlError {
            line: e.marker().line() as u32 + line_offset,
            col: e.marker().col() as u32 + 1,
            message: e.info().to_string(),
        })?;
        match ev {
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 {
                    // Only reachable through unusual marker placement (e.g. `--- ` inside a
                    // flow collection on one line); refuse rather than merge two documents.
                    return Err(b.error(span.start, "more than one document in one chunk"));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let sp = b.span(span.start);
                b.scalar(value, style, anchor, tag, sp)?;
            }
            Event::SequenceStart(anchor, tag) => {
                b.check_depth(span.start)?;
                check_collection_tag(&tag, "seq").map_err(|m| b.error(span.start, m))?;
                let start = b.span(span.start);
                let items = b.seq_pool.pop().unwrap_or_default();
                b.stack.push(Frame::Seq {
                    items,
                    start,
                    anchor,
                });
            }
            Event::MappingStart(anchor, tag) => {
                b.check_depth(span.start)?;
                check_collection_tag(&tag, "map").map_err(|m| b.error(span.start, m))?;
                let start = b.span(span.start);
                let map = b.map_pool.pop().unwrap_or_default();
                b.stack.push(Frame::Map {
                    map,
                    start,
                    anchor,
                    pending: Pending::None,
                    merged: Vec::new(),
                    index: KeyIndex::default(),
                });
            }
            Event::SequenceEnd => match b.stack.pop() {
                Some(Frame::Seq {
                    mut items,
                    start,
                    anchor,
                }) => {
                    // Not `mem::take`: collecting allocates exactly `len`, and the scratch
                    // vector keeps its capacity for the next sequence.
                    #[allow(clippy::drain_collect)]
                    let exact: Vec<Node> = items.drain(..).collect();
                    b.seq_pool.push(items);
                    b.value(Node::new(Value::Seq(exact), start), anchor, span.start)?;
                }
                _ => return Err(b.error(span.start, "unbalanced sequence end")),
            },
            Event::MappingEnd => match b.stack.pop() {
                Some(Frame::Map {
                    mut map,
                    start,
                    anchor,
                    ..
                }) => {
                    let exact = map.take_exact();
                    b.map_pool.push(map);
                    b.value(Node::new(Value::Map(exact), start), anchor, span.start)?;
                }
                _ => return Err(b.error(span.start, "unbalanced mapping end")),
            },
            Event::Alias(id) => {
                let (node, count) = match b.anchors.get(id).and_then(Option::as_ref) {
                    Some((n, c)) => (n, *c),
                    None => {
                        return Err(b.error(
                            span.start,
                            "alias refers to an anchor that is not defined yet (a recursive alias)",
                        ));
                    }
                };
                b.alias_nodes += count;
                if b.alias_nodes > b.limits.max_alias_nodes {
                    return Err(b.error(
                        span.start,
                        &format!(
                            "alias expansion exceeds {} nodes: refusing a possible YAML bomb",
                            b.limits.max_alias_nodes
                        ),
                    ));
                }
                let mut node = node.clone();
                // Point the copy at the alias, where a reader sees it.
                node.span = b.span(span.start);
                b.value(node, 0, span.start)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
    duplicates.append(&mut b.duplicates);
    // `---` with nothing after it is a null document, which kubectl skips like an empty one.
    Ok(b.root.filter(|n| !n.is_null()))
}

fn check_collection_tag(tag: &Option<Cow<'_, Tag>>, want: &str) -> Result<(), &'static str> {
    match tag {
        Some(t) if is_core(t) && t.suffix != want => {
            Err("a collection carries a scalar tag; the API server cannot decode it")
        }
        _ => Ok(()),
    }
}

fn is_core(t: &Tag) -> bool {
    t.handle == "tag:yaml.org,2002:" || t.handle == "!!"
}

impl Builder<'_> {
    fn span(&self, start: Marker) -> Span {
        Span {
            line: start.line() as u32 + self.line_offset,
            col: start.col() as u32 + 1,
        }
    }

    fn error(&self, at: Marker, message: &str) -> YamlError {
        YamlError {
            line: at.line() as u32 + self.line_offset,
            col: at.col() as u32 + 1,
            message: message.to_string(),
        }
    }

    fn check_depth(&self, at: Marker) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            Err(self.error(
                at,
                &format!("nesting deeper than {} levels", self.limits.max_depth),
            ))
        } else {
            Ok(())
        }
    }

    fn awaiting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending: Pending::None,
                ..
            })
        )
    }

    fn scalar(
        &mut self,
        raw: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        span: Span,
    ) -> Result<(), YamlError> {
        if self.awaiting_key()
            && anchor == 0
            && raw == "<<"
            && ((style == ScalarStyle::Plain && tag.is_none())
                || tag
                    .as_deref()
                    .is_some_and(|t| is_core(t) && t.suffix == "merge"))
        {
            if let Some(Frame::Map { pending, .. }) = self.stack.last_mut() {
                *pending = Pending::Merge(span);
            }
            return Ok(());
        }
        let value = match raw {
            // A long string keeps the parser's buffer instead of being copied (a 50 MB value
            // would otherwise be held twice). Only numbers (and floats written with a leading
            // `.`) resolve to something other than a string at this length.
            Cow::Owned(text)
                if text.len() > 4096
                    && tag.is_none()
                    && (style != ScalarStyle::Plain
                        || !matches!(text.as_bytes()[0], b'0'..=b'9' | b'+' | b'-' | b'.')) =>
            {
                Value::Str(text.into())
            }
            raw => resolve_scalar(&raw, style, tag.as_deref()).map_err(|e| YamlError {
                line: span.line,
                col: span.col,
                message: e.to_string(),
            })?,
        };
        let node = Node::new(value, span);
        if anchor != 0 {
            self.remember(anchor, &node);
        }
        self.attach(node)
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if self.anchors.len() <= anchor {
            self.anchors.resize_with(anchor + 1, || None);
        }
        self.anchors[anchor] = Some((node.clone(), node.count()));
    }

    fn value(&mut self, node: Node, anchor: usize, _at: Marker) -> Result<(), YamlError> {
        if anchor != 0 {
            self.remember(anchor, &node);
        }
        self.attach(node)
    }

    fn pointer_to_top(&self) -> String {
        let mut p = String::new();
        let n = self.stack.len();
        for f in &self.stack[..n.saturating_sub(1)] {
            p.push('/');
            match f {
                Frame::Seq { items, .. } => p.push_str(&items.len().to_string()),
                Frame::Map {
                    pending: Pending::Key(k),
                    ..
                } => p.push_str(&crate::tree::escape_token(&k.name)),
                Frame::Map { .. } => p.push_str("<<"),
            }
        }
        p
    }

    fn attach(&mut self, node: Node) -> Result<(), YamlError> {
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match top {
            Frame::Seq { items, .. } => {
                items.push(node);
                Ok(())
            }
            Frame::Map { pending, .. } => match std::mem::replace(pending, Pending::None) {
                Pending::None => {
                    let span = node.span;
                    let type_name = node.type_name();
                    let key = key_of(node).ok_or_else(|| YamlError {
                        line: span.line,
                        col: span.col,
                        message: format!(
                            "a {type_name} cannot be a mapping key in a Kubernetes object"
                        ),
                    })?;
                    *pending = Pending::Key(Key { name: key, span });
                    Ok(())
                }
                Pending::Key(key) => {
                    self.insert_explicit(key, node);
                    Ok(())
                }
                Pending::Merge(at) => self.merge(node, at),
            },
        }
    }

    fn insert_explicit(&mut self, key: Key, node: Node) {
        let Some(Frame::Map {
            map, merged, index, ..
        }) = self.stack.last_mut()
        else {
            return;
        };
        let name = key.name.clone();
        let kept = key.span;
        let Some(old) = map.insert_indexed(key, node, index) else {
            return;
        };
        if let Some(i) = merged.iter().position(|m| *m == name) {
            // An explicit key after a merge overrides the merged value: intended YAML.
            merged.swap_remove(i);
            return;
        }
        // The pointer is only built on the rare duplicate.
        let base = self.pointer_to_top();
        self.duplicates.push(Duplicate {
            pointer: format!("{base}/{}", crate::tree::escape_token(&name)),
            key: name.to_string(),
            first: old.span,
            kept,
            by_merge: false,
        });
    }

    fn merge(&mut self, source: Node, at: Span) -> Result<(), YamlError> {
        let sources: Vec<Map> = match source.value {
            Value::Map(m) => vec![m],
            Value::Seq(items) => {
                let mut maps = Vec::with_capacity(items.len());
                // Earlier mappings take precedence: apply them last.
                for item in items.into_iter().rev() {
                    match item.value {
                        Value::Map(m) => maps.push(m),
                        _ => return Err(merge_error(at)),
                    }
                }
                maps
            }
            _ => return Err(merge_error(at)),
        };
        let base = self.pointer_to_top();
        let Some(Frame::Map {
            map, merged, index, ..
        }) = self.stack.last_mut()
        else {
            return Ok(());
        };
        for m in sources {
            for (k, v) in m.into_entries() {
                let name = k.name.clone();
                let kept = v.span;
                if let Some(old) = map.insert_indexed(k, v, index) {
                    if !merged.contains(&name) {
                        self.duplicates.push(Duplicate {
                            pointer: format!("{base}/{}", crate::tree::escape_token(&name)),
                            key: name.to_string(),
                            first: old.span,
                            kept,
                            by_merge: true,
                        });
                        merged.push(name);
                    }
                } else {
                    merged.push(name);
                }
            }
        }
        Ok(())
    }
}

fn merge_error(at: Span) -> YamlError {
    YamlError {
        line: at.line,
        col: at.col,
        message: "a `<<` merge needs a mapping or a sequence of mappings".into(),
    }
}

/// The JSON key a scalar becomes: `sigs.k8s.io/yaml` formats non-string keys (`on:` is the key
/// "true", `1:` is "1").
fn key_of(node: Node) -> Option<CompactString> {
    Some(match node.value {
        Value::Str(s) => s,
        Value::Bool(b) => b.to_compact_string(),
        Value::Int(i) => i.to_compact_string(),
        Value::Float(f) => format_float(f).into(),
        Value::Null => "null".into(),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

fn format_float(f: f64) -> String {
    if f.is_infinite() {
        if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else if f.is_nan() {
        "NaN".into()
    } else {
        format!("{f}")
    }
}

/// A scalar whose explicit core tag does not fit its text (`!!int abc`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode `{raw}` as !!{tag}")]
pub struct ScalarError {
    pub raw: String,
    pub tag: String,
}

/// Resolves one scalar the way go-yaml v2 does for an untyped target.
pub fn resolve_scalar(
    raw: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, ScalarError> {
    let core_tag = tag.filter(|t| is_core(t)).map(|t| t.suffix.as_str());
    match (tag, core_tag) {
        // `!!str 0400`, `!!binary ...` and application tags keep the text.
        (_, Some("str" | "binary")) => return Ok(Value::Str(raw.into())),
        (Some(t), None) if !(t.handle == "!" && t.suffix.is_empty()) => {
            return Ok(Value::Str(raw.into()));
        }
        (Some(_), None) => return Ok(Value::Str(raw.into())),
        _ => {}
    }
    if style != ScalarStyle::Plain && core_tag.is_none() {
        return Ok(Value::Str(raw.into()));
    }
    let v = resolve_plain(raw);
    if let Some(want) = core_tag {
        let ok = matches!(
            (want, &v),
            ("int", Value::Int(_))
                | ("float", Value::Float(_))
                | ("bool", Value::Bool(_))
                | ("null", Value::Null)
                | ("timestamp", Value::Str(_))
        );
        if want == "float" {
            if let Value::Int(i) = v {
                return Ok(Value::Float(i as f64));
            }
        }
        if !ok && !matches!(want, "map" | "seq" | "merge") {
            return Err(ScalarError {
                raw: raw.to_string(),
                tag: want.to_string(),
            });
        }
    }
    Ok(v)
}

/// Plain-scalar resolution of go-yaml v2 (`resolve.go`): the YAML 1.1 boolean and null
/// spellings, Go integer syntax with underscores removed (`0400` octal, `0x`, `0o`, `0b`),
/// YAML-style floats, and strings for everything else (timestamps stay strings).
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    match first {
        b'.' => {
            // Go's ParseFloat on the raw text.
            if let Some(f) = go_parse_float(s) {
                return Value::Float(f);
            }
        }
        b'0'..=b'9' | b'+' | b'-' => {
            let plain: Cow<'_, str> = if s.contains('_') {
                Cow::Owned(s.replace('_', ""))
            } else {
                Cow::Borrowed(s)
            };
            match go_parse_int(&plain) {
                Some(IntParse::Signed(i)) => return Value::Int(i),
                Some(IntParse::Unsigned(u)) => return Value::Float(u as f64),
                None => {}
            }
            if is_yaml_style_float(&plain) {
                if let Ok(f) = plain.parse::<f64>() {
                    return Value::Float(f);
                }
            }
        }
        _ => {}
    }
    Value::Str(s.into())
}

enum IntParse {
    Signed(i64),
    Unsigned(u64),
}

/// `strconv.ParseInt(s, 0, 64)`, then `ParseUint` on overflow.
fn go_parse_int(s: &str) -> Option<IntParse> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(r) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, r)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some(IntParse::Signed((mag as i128).wrapping_neg() as i64))
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(IntParse::Signed(mag as i64))
    } else if s.starts_with('+') {
        // ParseUint does not take a sign.
        None
    } else {
        Some(IntParse::Unsigned(mag))
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The subset of Go's `ParseFloat` reachable from a scalar starting with `.`.
fn go_parse_float(s: &str) -> Option<f64> {
    if is_yaml_style_float(s) {
        s.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let docs = load_stream(text, &Limits::default());
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.into_iter().next().unwrap().result.unwrap().unwrap()
    }

    #[test]
    fn long_scalars_resolve_as_short_ones_do() {
        let long = "a".repeat(10_000);
        assert_eq!(
            one(&format!("k: {long}\n")).get("k").unwrap().as_str(),
            Some(&*long)
        );
        assert_eq!(
            one(&format!("k: \"{long}\"\n")).get("k").unwrap().as_str(),
            Some(&*long)
        );
        // A long number is still a number (a float, as go-yaml reads it), a tagged scalar
        // still follows its tag.
        let digits = "1".repeat(5000);
        assert!(matches!(
            one(&format!("k: {digits}\n")).get("k").unwrap().value,
            Value::Float(_)
        ));
        assert_eq!(
            one(&format!("k: !!str {digits}\n"))
                .get("k")
                .unwrap()
                .as_str(),
            Some(&*digits)
        );
        let quoted = one(&format!("k: '{digits}'\n"));
        assert_eq!(quoted.get("k").unwrap().as_str(), Some(&*digits));
    }

    #[test]
    fn yaml_1_1_booleans_and_nulls() {
        for t in [
            "yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true", "True",
        ] {
            assert_eq!(resolve_plain(t), Value::Bool(true), "{t}");
        }
        for f in ["no", "No", "off", "OFF", "n", "N", "false", "FALSE"] {
            assert_eq!(resolve_plain(f), Value::Bool(false), "{f}");
        }
        for n in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(resolve_plain(n), Value::Null, "{n}");
        }
        // Not YAML 1.1 booleans in go-yaml: stay strings.
        for s in ["yEs", "tRue", "enabled", "ofF"] {
            assert_eq!(resolve_plain(s), Value::Str(s.into()), "{s}");
        }
    }

    #[test]
    fn go_integer_syntax() {
        assert_eq!(resolve_plain("0400"), Value::Int(256));
        assert_eq!(resolve_plain("0644"), Value::Int(420));
        assert_eq!(resolve_plain("0o400"), Value::Int(256));
        assert_eq!(resolve_plain("0x1F"), Value::Int(31));
        assert_eq!(resolve_plain("0b101"), Value::Int(5));
        assert_eq!(resolve_plain("-0b101"), Value::Int(-5));
        assert_eq!(resolve_plain("1_000"), Value::Int(1000));
        assert_eq!(resolve_plain("+12"), Value::Int(12));
        assert_eq!(resolve_plain("-0"), Value::Int(0));
        assert_eq!(resolve_plain("0"), Value::Int(0));
        // Invalid octal falls through to a float, as in Go.
        assert_eq!(resolve_plain("08"), Value::Float(8.0));
        assert_eq!(resolve_plain("1e3"), Value::Float(1000.0));
        assert_eq!(resolve_plain(".5"), Value::Float(0.5));
        assert_eq!(resolve_plain("1.10"), Value::Float(1.1));
        // Not numbers.
        for s in ["1.2.3", "12:30", "2001-12-14", "0x", "1e", "+", "-", "0xZZ"] {
            assert!(matches!(resolve_plain(s), Value::Str(_)), "{s}");
        }
        // go-yaml drops every underscore before parsing.
        assert_eq!(resolve_plain("1_"), Value::Int(1));
        assert_eq!(resolve_plain(".inf"), Value::Float(f64::INFINITY));
    }

    #[test]
    fn quoted_and_tagged_scalars_keep_their_text() {
        let n = one("a: '0400'\nb: \"yes\"\nc: !!str 0400\nd: 0400\ne: |\n  yes\n");
        assert_eq!(n.str_at("a"), Some("0400"));
        assert_eq!(n.str_at("b"), Some("yes"));
        assert_eq!(n.str_at("c"), Some("0400"));
        assert_eq!(n.get("d").unwrap().as_i64(), Some(256));
        assert_eq!(n.str_at("e"), Some("yes\n"));
        let n = one("a: !!int '12'\nb: !!float 3\n");
        assert_eq!(n.get("a").unwrap().as_i64(), Some(12));
        assert_eq!(n.get("b").unwrap().value, Value::Float(3.0));
        let docs = load_stream("a: !!int yes\n", &Limits::default());
        assert!(docs[0].result.is_err());
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_and_are_reported() {
        let docs = load_stream(
            "spec:\n  privileged: false\n  x: 1\n  privileged: yes\n",
            &Limits::default(),
        );
        let d = &docs[0];
        let n = d.result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(
            n.path(&["spec", "privileged"]).unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(d.duplicates.len(), 1);
        let dup = &d.duplicates[0];
        assert_eq!(dup.pointer, "/spec/privileged");
        assert_eq!((dup.first.line, dup.kept.line), (2, 4));
        assert!(!dup.by_merge);
    }

    #[test]
    fn large_maps_keep_duplicate_semantics_past_the_index_threshold() {
        let mut y = String::from("data:\n");
        for i in 0..100 {
            y.push_str(&format!("  k{i}: v{i}\n"));
        }
        y.push_str("  k3: late\n  k90: later\n");
        let docs = load_stream(&y, &Limits::default());
        let n = docs[0].result.as_ref().unwrap().as_ref().unwrap();
        let data = n.get("data").unwrap().as_map().unwrap();
        assert_eq!(data.len(), 100);
        assert_eq!(data.get("k3").unwrap().as_str(), Some("late"));
        assert_eq!(data.get("k90").unwrap().as_str(), Some("later"));
        let ptrs: Vec<&str> = docs[0]
            .duplicates
            .iter()
            .map(|d| d.pointer.as_str())
            .collect();
        assert_eq!(ptrs, vec!["/data/k3", "/data/k90"]);
    }

    #[test]
    fn keys_are_stringified_like_sigs_yaml() {
        // `on` and `true` are the same key once converted: last wins, reported.
        let docs = load_stream("on: a\ntrue: b\n1: c\n", &Limits::default());
        let n = docs[0].result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(n.str_at("true"), Some("b"));
        assert_eq!(n.str_at("1"), Some("c"));
        assert_eq!(docs[0].duplicates.len(), 1);
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2_order() {
        let n = one("base: &b {privileged: true, user: 0}\n\
             other: &o {user: 5, extra: 1}\n\
             a:\n  <<: *b\n  privileged: false\n\
             c:\n  privileged: false\n  <<: *b\n\
             d:\n  <<: [*o, *b]\n\
             e:\n  '<<': literal\n");
        // Explicit key after the merge wins.
        assert_eq!(n.path(&["a", "privileged"]).unwrap().as_bool(), Some(false));
        // A merge after an explicit key overrides it (go-yaml v2 applies keys in order).
        assert_eq!(n.path(&["c", "privileged"]).unwrap().as_bool(), Some(true));
        // In a merge list, earlier mappings take precedence.
        assert_eq!(n.path(&["d", "user"]).unwrap().as_i64(), Some(5));
        assert_eq!(n.path(&["d", "privileged"]).unwrap().as_bool(), Some(true));
        // A quoted `<<` is an ordinary key.
        assert_eq!(n.path(&["e", "<<"]).unwrap().as_str(), Some("literal"));
    }

    #[test]
    fn merge_overriding_an_explicit_key_is_reported() {
        let docs = load_stream(
            "x: &x {privileged: true}\nc:\n  privileged: false\n  <<: *x\n",
            &Limits::default(),
        );
        assert_eq!(docs[0].duplicates.len(), 1);
        assert!(docs[0].duplicates[0].by_merge);
        assert_eq!(docs[0].duplicates[0].pointer, "/c/privileged");
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut y = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            y.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                p = i - 1
            ));
        }
        let docs = load_stream(&y, &Limits::default());
        let err = docs[0].result.as_ref().unwrap_err();
        assert!(err.message.contains("YAML bomb"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let y = "[".repeat(1000) + &"]".repeat(1000);
        let docs = load_stream(&y, &Limits::default());
        let e = docs[0].result.as_ref().unwrap_err();
        assert!(
            e.message.contains("nesting") || e.message.contains("recursion limit"),
            "{e:?}"
        );
    }

    #[test]
    fn a_broken_document_does_not_hide_the_others() {
        let text = "a: 1\n---\nb: [1, 2\n---\nc: 3\n...\n---\n# only a comment\n";
        let docs = load_stream(text, &Limits::default());
        assert_eq!(docs.len(), 4);
        assert_eq!(
            docs[0]
                .result
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .get("a")
                .unwrap()
                .as_i64(),
            Some(1)
        );
        let e = docs[1].result.as_ref().unwrap_err();
        assert!(e.line >= 3 && e.line <= 4, "{e:?}");
        assert_eq!(
            docs[2]
                .result
                .as_ref()
                .unwrap()
                .as_ref()
                .unwrap()
                .get("c")
                .unwrap()
                .as_i64(),
            Some(3)
        );
        assert!(docs[3].result.as_ref().unwrap().is_none());
    }

    #[test]
    fn spans_are_stream_positions() {
        let text = "a: 1\n---\nkind: Pod\nspec:\n  hostPID: true\n";
        let docs = load_stream(text, &Limits::default());
        let n = docs[1].result.as_ref().unwrap().as_ref().unwrap();
        let v = n.path(&["spec", "hostPID"]).unwrap();
        assert_eq!((v.span.line, v.span.col), (5, 12));
        let (k, _) = n
            .get("spec")
            .unwrap()
            .as_map()
            .unwrap()
            .get_entry("hostPID")
            .unwrap();
        assert_eq!((k.span.line, k.span.col), (5, 3));
    }

    #[test]
    fn directives_belong_to_the_next_document() {
        let docs = load_stream("a: 1\n%YAML 1.1\n---\nb: 2\n", &Limits::default());
        assert_eq!(docs.len(), 2);
        assert!(docs[0].result.is_ok());
        assert!(docs[1].result.is_ok(), "{:?}", docs[1].result);
    }

    #[test]
    fn marker_lookalikes_are_not_markers() {
        let docs = load_stream("a: |\n  ---\n  x\nb: ---x\n", &Limits::default());
        assert_eq!(docs.len(), 1);
        let n = docs[0].result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(n.str_at("a"), Some("---\nx\n"));
    }

    #[test]
    fn complex_keys_are_errors() {
        let docs = load_stream("? [a, b]\n: c\n", &Limits::default());
        assert!(docs[0].result.is_err());
    }
}
