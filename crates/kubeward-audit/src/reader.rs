//! Reading audit events from files and streams, in constant memory.
//!
//! Accepted, in any mix, per line: `audit.k8s.io/v1` Events (the log backend's JSON lines),
//! `EventList` documents (what the webhook backend posts), GKE Cloud Logging entries
//! (`protoPayload`), Azure diagnostic records (`properties.log` holding the event as a JSON
//! string, or `records[]` of them), and EKS CloudWatch exports (`message` holding the event,
//! `logEvents[]`/`events[]` of them, or S3-export lines `TIMESTAMP {event}`). A file whose first
//! JSON value spans several lines (a pretty-printed `EventList` or `filter-log-events` output)
//! is read as one document, streaming its item array. Gzip input is recognised by its magic
//! bytes, concatenated members included.
//!
//! A line that cannot be read is counted and reported with its file and line number, and
//! reading goes on. Lines longer than the limit are skipped without being held in memory.

use crate::envelope;
use crate::event::Event;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

/// Where an event came from.
#[derive(Clone, Copy, Debug)]
pub struct Location<'p> {
    pub file: &'p str,
    /// 1-based line of the event (of the document, for multi-line documents).
    pub line: u64,
    /// 0-based position in an `EventList` or envelope array, when the event was one of several.
    pub item: Option<u64>,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(i) = self.item {
            write!(f, " (item {i})")?;
        }
        Ok(())
    }
}

/// Receives what the reader finds.
pub trait Sink {
    fn event(&mut self, event: &Event<'_>, at: Location<'_>);
    /// A line or item that is not a readable audit event.
    fn bad(&mut self, at: Location<'_>, message: &str);
}

/// Reader limits.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Longest line accepted, in bytes (default 16 MiB; the API server's webhook backend
    /// truncates events at 100 KiB by default and batches at 10 MiB).
    pub max_line_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_line_bytes: 16 << 20,
        }
    }
}

/// Counts of one read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub lines: u64,
    pub bytes: u64,
}

/// Wraps `r` in a gzip decoder when it starts with the gzip magic bytes.
pub fn maybe_gunzip<'r>(r: impl Read + 'r) -> io::Result<Box<dyn BufRead + 'r>> {
    let mut br = BufReader::with_capacity(256 << 10, r);
    let head = br.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        Ok(Box::new(BufReader::with_capacity(
            256 << 10,
            flate2::bufread::MultiGzDecoder::new(br),
        )))
    } else {
        Ok(Box::new(br))
    }
}

/// Reads every event of `input` (already decompressed) into `sink`. An I/O error (a truncated
/// gzip stream) ends the read and is returned; everything before it was delivered.
pub fn read_stream(
    file: &str,
    mut input: impl BufRead,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> io::Result<ReadStats> {
    let mut stats = ReadStats::default();
    let mut line: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut line_no = 0u64;
    let mut first_value = true;
    loop {
        // Fast path, after the first value: a whole line already in the reader's buffer is
        // processed where it is, without copying it.
        if !first_value {
            let chunk = match input.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(i) = memchr::memchr(b'\n', chunk).filter(|&i| i <= opts.max_line_bytes) {
                line_no += 1;
                stats.lines += 1;
                stats.bytes += i as u64 + 1;
                let text = trim(&chunk[..i]);
                if !text.is_empty() {
                    let at = Location {
                        file,
                        line: line_no,
                        item: None,
                    };
                    process_line(text, at, sink);
                }
                input.consume(i + 1);
                continue;
            }
        }
        line.clear();
        let (read, overflow) = read_line_bounded(&mut input, &mut line, opts.max_line_bytes)?;
        if read == 0 {
            break;
        }
        line_no += 1;
        stats.lines += 1;
        stats.bytes += read as u64;
        let at = Location {
            file,
            line: line_no,
            item: None,
        };
        if overflow {
            sink.bad(
                at,
                &format!(
                    "line is longer than {} bytes ({read} bytes); skipped",
                    opts.max_line_bytes
                ),
            );
            first_value = false;
            continue;
        }
        let text = trim(&line);
        if text.is_empty() {
            continue;
        }
        if first_value {
            first_value = false;
            // A document spread over lines: its first line is an incomplete JSON value.
            if matches!(text[0], b'{' | b'[') {
                if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(text) {
                    // Only a pretty-printed document (next line indented or closing), not a
                    // JSON-lines file whose first line is cut short: that one is a bad line.
                    let next = input.fill_buf().ok().and_then(|b| b.first().copied());
                    let pretty = text.iter().all(|c| matches!(c, b'{' | b'[' | b' ' | b'\t'))
                        || matches!(next, Some(b' ' | b'\t' | b'}' | b']' | b'"'));
                    if e.is_eof() && pretty {
                        let head = std::mem::take(&mut line);
                        let rest = io::Cursor::new(head).chain(&mut input);
                        read_document(file, line_no, rest, sink);
                        return Ok(stats);
                    }
                }
            }
        }
        process_line(text, at, sink);
    }
    Ok(stats)
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    // A UTF-8 byte-order mark before the first value.
    let s = &b[start..end.max(start)];
    s.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(s)
}

/// Reads one line into `buf` (without the newline), holding at most `max` bytes. Returns the
/// bytes consumed and whether the line was longer than `max` (then `buf` is incomplete).
fn read_line_bounded(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    let mut total = 0usize;
    let mut overflow = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((total, overflow));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let content = if done { &chunk[..take - 1] } else { chunk };
        if !overflow {
            if buf.len() + content.len() > max {
                overflow = true;
                buf.clear();
            } else {
                buf.extend_from_slice(content);
            }
        }
        total += take;
        r.consume(take);
        if done {
            return Ok((total, overflow));
        }
    }
}

/// One line (or one array item): an event or an envelope of events.
pub(crate) fn process_line(text: &[u8], at: Location<'_>, sink: &mut dyn Sink) {
    if text.first() == Some(&b'{') || text.first() == Some(&b'[') {
        process_json(text, at, sink, 0);
        return;
    }
    // EKS S3 exports and `aws logs tail`: `2026-01-01T00:00:00.000Z {...}`.
    if let Some(i) = memchr::memchr(b'{', text) {
        let prefix = &text[..i];
        if prefix.first().is_some_and(u8::is_ascii_digit)
            && prefix.last().is_some_and(|c| c.is_ascii_whitespace())
        {
            process_json(&text[i..], at, sink, 0);
            return;
        }
    }
    sink.bad(at, "not JSON (an audit event line starts with `{`)");
}

const MAX_DEPTH: u32 = 3;

pub(crate) fn process_json(text: &[u8], at: Location<'_>, sink: &mut dyn Sink, depth: u32) {
    // Validated once here, so the parser does not validate each string again.
    let Ok(text) = std::str::from_utf8(text) else {
        sink.bad(at, "not UTF-8");
        return;
    };
    if text.starts_with('[') {
        match serde_json::from_str::<Vec<&RawValue>>(text) {
            Ok(items) => each_item(&items, at, sink, depth),
            Err(e) => sink.bad(at, &format!("invalid JSON: {e}")),
        }
        return;
    }
    let ev: Event<'_> = match serde_json::from_str(text) {
        Ok(e) => e,
        Err(e) => {
            sink.bad(at, &json_error(&e));
            return;
        }
    };
    dispatch(ev, at, sink, depth);
}

fn json_error(e: &serde_json::Error) -> String {
    if e.is_data() {
        format!("not an audit event: {e}")
    } else {
        format!("invalid JSON: {e}")
    }
}

fn each_item(items: &[&RawValue], at: Location<'_>, sink: &mut dyn Sink, depth: u32) {
    for (i, item) in items.iter().enumerate() {
        let at = Location {
            item: Some(i as u64),
            ..at
        };
        process_json(item.get().as_bytes(), at, sink, depth + 1);
    }
}

/// Decides what a parsed object is and hands the events in it to `sink`.
fn dispatch(mut ev: Event<'_>, at: Location<'_>, sink: &mut dyn Sink, depth: u32) {
    if depth > MAX_DEPTH {
        sink.bad(at, "envelopes nested too deeply");
        return;
    }
    let list = ev
        .items
        .or(ev.records)
        .or(ev.log_events)
        .or(ev.events.filter(|_| ev.verb.is_empty()));
    if let Some(list) = list {
        match serde_json::from_str::<Vec<&RawValue>>(list.get()) {
            Ok(items) => each_item(&items, at, sink, depth),
            Err(e) => sink.bad(at, &format!("envelope array is not a list of objects: {e}")),
        }
        return;
    }
    if let Some(p) = ev.proto_payload {
        let time = ev
            .timestamp
            .and_then(|t| serde_json::from_str::<String>(t.get()).ok());
        match envelope::gke(p, time.as_deref(), ev.labels) {
            Ok(e) => sink.event(&e, at),
            Err(m) => sink.bad(at, &m),
        }
        return;
    }
    if let Some(props) = ev.properties {
        match envelope::azure_log(props) {
            Ok(Some(text)) => process_json(trim(text.as_bytes()), at, sink, depth + 1),
            Ok(None) => sink.bad(at, "Azure record without `properties.log`"),
            Err(m) => sink.bad(at, &m),
        }
        return;
    }
    if ev.verb.is_empty() {
        if let Some(m) = ev.message.take() {
            let m = trim(m.as_bytes()).to_vec();
            if m.first() == Some(&b'{') {
                process_json(&m, at, sink, depth + 1);
            } else {
                sink.bad(at, "`message` does not hold a JSON audit event");
            }
            return;
        }
    }
    let kind = ev.kind.as_deref().unwrap_or("Event");
    if kind != "Event" {
        sink.bad(at, &format!("not an audit event (kind `{kind}`)"));
        return;
    }
    if ev.verb.is_empty() && ev.audit_id.is_empty() {
        sink.bad(at, "not an audit event (no `verb` or `auditID`)");
        return;
    }
    sink.event(&ev, at);
}

/// Reads one JSON document spread over lines, streaming the arrays that carry events.
fn read_document(file: &str, first_line: u64, input: impl Read, sink: &mut dyn Sink) {
    let at = Location {
        file,
        line: first_line,
        item: None,
    };
    let mut de = serde_json::Deserializer::from_reader(input);
    let result = DocSeed {
        at,
        sink: &mut *sink,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    if let Err(e) = result {
        let line = first_line + e.line().saturating_sub(1) as u64;
        sink.bad(
            Location {
                file,
                line,
                item: None,
            },
            &format!("invalid JSON document (reading stopped here): {e}"),
        );
    }
}

struct DocSeed<'s, 'p> {
    at: Location<'p>,
    sink: &'s mut dyn Sink,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Streams an array of items, each processed as a line.
struct ItemsSeed<'s, 'p> {
    at: Location<'p>,
    sink: &'s mut dyn Sink,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of audit events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0u64;
        while let Some(item) = seq.next_element::<Box<RawValue>>()? {
            let at = Location {
                item: Some(i),
                ..self.at
            };
            process_json(item.get().as_bytes(), at, self.sink, 1);
            i += 1;
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an audit event, an EventList or an envelope document")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        ItemsSeed {
            at: self.at,
            sink: self.sink,
        }
        .visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Fields other than the event arrays are kept (small: kind, metadata, or a whole
        // single event) and read as one object if no array was found.
        let mut rest: Vec<(String, Box<RawValue>)> = Vec::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if matches!(key.as_str(), "items" | "records" | "logEvents" | "events") {
                map.next_value_seed(ItemsSeed {
                    at: self.at,
                    sink: &mut *self.sink,
                })?;
                streamed = true;
            } else {
                rest.push((key, map.next_value::<Box<RawValue>>()?));
            }
        }
        if !streamed {
            let mut text = String::from("{");
            for (i, (k, v)) in rest.iter().enumerate() {
                if i > 0 {
                    text.push(',');
                }
                text.push_str(&serde_json::to_string(k).unwrap_or_default());
                text.push(':');
                text.push_str(v.get());
            }
            text.push('}');
            process_json(text.as_bytes(), self.at, self.sink, 0);
        }
        Ok(())
    }
}

/// Convenience for tests and the webhook: reads events from an in-memory text.
pub fn read_bytes(file: &str, bytes: &[u8], sink: &mut dyn Sink) -> io::Result<ReadStats> {
    let input = maybe_gunzip(bytes)?;
    read_stream(file, input, &ReadOptions::default(), sink)
}
