//! JSON with positions.
//!
//! `serde_json` drops positions and silently keeps the last of two equal keys. This small
//! parser builds the same located [`Node`] tree as the YAML loader, reports duplicate keys the
//! same way (Go's `encoding/json`, which the API server uses, also keeps the last one), and reads
//! a stream of concatenated JSON values, which `kubectl` accepts.

use crate::tree::{Key, KeyIndex, Map, Node, Span, Value};
use crate::yaml::{Document, Duplicate, Limits, YamlError};
use compact_str::CompactString;

/// Reads every JSON value in `text`. A syntax error ends the stream (JSON has no document
/// markers to resynchronise on); the values before it are kept.
pub fn load_stream(text: &str, limits: &Limits) -> Vec<Document> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut p = JsonParser {
        src: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        col_pos: 0,
        col: 1,
        depth: 0,
        limits,
        path: Vec::new(),
        duplicates: Vec::new(),
        map_pool: Vec::new(),
        seq_pool: Vec::new(),
    };
    let mut docs = Vec::new();
    loop {
        p.skip_ws();
        if p.pos >= p.src.len() {
            break;
        }
        let start_line = p.line;
        let result = p.value();
        let failed = result.is_err();
        docs.push(Document {
            index: docs.len(),
            start_line,
            result: result.map(|n| if n.is_null() { None } else { Some(n) }),
            duplicates: std::mem::take(&mut p.duplicates),
        });
        if failed {
            break;
        }
    }
    if docs.is_empty() {
        docs.push(Document {
            index: 0,
            start_line: 1,
            result: Ok(None),
            duplicates: Vec::new(),
        });
    }
    docs
}

enum PathTok {
    Key(CompactString),
    Index(usize),
}

struct JsonParser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    line_start: usize,
    // Column cache: `col` is the 1-based column of byte `col_pos` on the current line.
    col_pos: usize,
    col: u32,
    depth: usize,
    limits: &'a Limits,
    path: Vec<PathTok>,
    duplicates: Vec<Duplicate>,
    /// Scratch collections, so that each finished object or array is allocated once at its
    /// exact size.
    map_pool: Vec<Map>,
    seq_pool: Vec<Vec<Node>>,
}

type R<T> = Result<T, YamlError>;

impl JsonParser<'_> {
    fn column(&mut self, at: usize) -> u32 {
        if self.col_pos < self.line_start || self.col_pos > at {
            self.col_pos = self.line_start;
            self.col = 1;
        }
        let chars = self.src[self.col_pos..at]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count() as u32;
        self.col += chars;
        self.col_pos = at;
        self.col
    }

    fn here(&mut self) -> (u32, u32) {
        let c = self.column(self.pos);
        (self.line, c)
    }

    fn err<T>(&mut self, msg: impl Into<String>) -> R<T> {
        let (line, col) = self.here();
        Err(YamlError {
            line,
            col,
            message: msg.into(),
        })
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    self.line_start = self.pos;
                }
                _ => break,
            }
        }
    }

    fn span_from(&mut self, line: u32, col: u32) -> Span {
        Span { line, col }
    }

    fn value(&mut self) -> R<Node> {
        self.skip_ws();
        let (line, col) = self.here();
        let Some(&b) = self.src.get(self.pos) else {
            return self.err("unexpected end of input, expected a value");
        };
        let value = match b {
            b'{' => return self.object(line, col),
            b'[' => return self.array(line, col),
            b'"' => Value::Str(self.string()?),
            b't' => self.literal("true", Value::Bool(true))?,
            b'f' => self.literal("false", Value::Bool(false))?,
            b'n' => self.literal("null", Value::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => {
                let c = self.text[self.pos..].chars().next().unwrap_or('?');
                return self.err(format!("unexpected character {c:?}, expected a JSON value"));
            }
        };
        let span = self.span_from(line, col);
        Ok(Node::new(value, span))
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return self.err(format!(
                "nesting deeper than {} levels",
                self.limits.max_depth
            ));
        }
        Ok(())
    }

    fn object(&mut self, line: u32, col: u32) -> R<Node> {
        self.enter()?;
        self.pos += 1;
        let mut map = self.map_pool.pop().unwrap_or_default();
        let mut index = KeyIndex::default();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.src.get(self.pos) != Some(&b'"') {
                    return self.err("expected a string key");
                }
                let (kl, kc) = self.here();
                let name = self.string()?;
                let kspan = self.span_from(kl, kc);
                self.skip_ws();
                if self.src.get(self.pos) != Some(&b':') {
                    return self.err("expected ':' after an object key");
                }
                self.pos += 1;
                self.path.push(PathTok::Key(name.clone()));
                let v = self.value()?;
                self.path.pop();
                let key = Key {
                    name: name.clone(),
                    span: kspan,
                };
                if let Some(old) = map.insert_indexed(key, v, &mut index) {
                    let mut pointer = self.pointer();
                    pointer.push('/');
                    pointer.push_str(&crate::tree::escape_token(&name));
                    self.duplicates.push(Duplicate {
                        pointer,
                        key: name.to_string(),
                        first: old.span,
                        kept: kspan,
                        by_merge: false,
                    });
                }
                self.skip_ws();
                match self.src.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return self.err("expected ',' or '}' in an object"),
                }
            }
        }
        self.depth -= 1;
        let span = self.span_from(line, col);
        let exact = map.take_exact();
        self.map_pool.push(map);
        Ok(Node::new(Value::Map(exact), span))
    }

    fn array(&mut self, line: u32, col: u32) -> R<Node> {
        self.enter()?;
        self.pos += 1;
        let mut items = self.seq_pool.pop().unwrap_or_default();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            loop {
                self.path.push(PathTok::Index(items.len()));
                items.push(self.value()?);
                self.path.pop();
                self.skip_ws();
                match self.src.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return self.err("expected ',' or ']' in an array"),
                }
            }
        }
        self.depth -= 1;
        let span = self.span_from(line, col);
        #[allow(clippy::drain_collect)]
        let exact: Vec<Node> = items.drain(..).collect();
        self.seq_pool.push(items);
        Ok(Node::new(Value::Seq(exact), span))
    }

    fn pointer(&self) -> String {
        let mut p = String::new();
        for t in &self.path[..self.path.len()] {
            p.push('/');
            match t {
                PathTok::Key(k) => p.push_str(&crate::tree::escape_token(k)),
                PathTok::Index(i) => p.push_str(&i.to_string()),
            }
        }
        p
    }

    fn literal(&mut self, word: &str, v: Value) -> R<Value> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            self.err(format!("invalid literal, expected `{word}`"))
        }
    }

    fn number(&mut self) -> R<Value> {
        let start = self.pos;
        let b = self.src;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => return self.err("invalid number"),
        }
        let mut float = false;
        if b.get(i) == Some(&b'.') {
            float = true;
            i += 1;
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                self.pos = i;
                return self.err("invalid number: digits expected after '.'");
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            float = true;
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                self.pos = i;
                return self.err("invalid number: digits expected in the exponent");
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        self.pos = i;
        let s = &self.text[start..i];
        if !float {
            if let Ok(v) = s.parse::<i64>() {
                return Ok(Value::Int(v));
            }
        }
        match s.parse::<f64>() {
            Ok(f) => Ok(Value::Float(f)),
            Err(_) => self.err("invalid number"),
        }
    }

    fn string(&mut self) -> R<CompactString> {
        self.pos += 1; // opening quote
        let start = self.pos;
        // Fast path: no escapes.
        loop {
            match self.src.get(self.pos) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    let s = CompactString::from(&self.text[start..self.pos]);
                    self.pos += 1;
                    return Ok(s);
                }
                Some(b'\\') => break,
                Some(&c) if c < 0x20 => return self.err("control character in a string"),
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            match self.src.get(self.pos) {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(CompactString::from(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let Some(&e) = self.src.get(self.pos) else {
                        return self.err("unterminated escape");
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if self.src[self.pos..].starts_with(b"\\u") {
                                    self.pos += 2;
                                    let lo = self.hex4()?;
                                    if (0xDC00..0xE000).contains(&lo) {
                                        char::from_u32(
                                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                        )
                                    } else {
                                        None
                                    }
                                } else {
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            // Go replaces invalid surrogates with U+FFFD rather than failing.
                            out.push(c.unwrap_or('\u{FFFD}'));
                        }
                        _ => return self.err("invalid escape in a string"),
                    }
                }
                Some(&c) if c < 0x20 => return self.err("control character in a string"),
                Some(_) => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\u{FFFD}');
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let Some(h) = self.text.get(self.pos..self.pos + 4) else {
            return self.err("truncated \\u escape");
        };
        match u32::from_str_radix(h, 16) {
            Ok(v) if h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(v)
            }
            _ => self.err("invalid \\u escape"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> Vec<Document> {
        load_stream(s, &Limits::default())
    }

    #[test]
    fn values_and_spans() {
        let docs = load(
            "{\n  \"kind\": \"Pod\",\n  \"spec\": {\"hostPID\": true, \"n\": -1.5e2, \"i\": 42}\n}\n",
        );
        assert_eq!(docs.len(), 1);
        let n = docs[0].result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(n.str_at("kind"), Some("Pod"));
        let h = n.path(&["spec", "hostPID"]).unwrap();
        assert_eq!(h.as_bool(), Some(true));
        assert_eq!((h.span.line, h.span.col), (3, 23));
        assert_eq!(n.path(&["spec", "n"]).unwrap().as_f64(), Some(-150.0));
        assert_eq!(n.path(&["spec", "i"]).unwrap().as_i64(), Some(42));
    }

    #[test]
    fn duplicate_keys_last_wins() {
        let docs = load(r#"{"spec": {"privileged": false, "privileged": true}}"#);
        let n = docs[0].result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(
            n.path(&["spec", "privileged"]).unwrap().as_bool(),
            Some(true)
        );
        assert_eq!(docs[0].duplicates[0].pointer, "/spec/privileged");
    }

    #[test]
    fn escapes_and_unicode_columns() {
        let docs = load("{\"é\": \"a\\u00e9\\n\\ud83d\\ude00\", \"x\": 1}");
        let n = docs[0].result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(n.str_at("é"), Some("aé\n😀"));
        assert_eq!(n.get("x").unwrap().span.col, 37);
    }

    #[test]
    fn concatenated_values_and_errors() {
        let docs = load("{\"a\":1}\n{\"b\":2}\n{\"c\":}\n{\"d\":4}");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].result.is_ok() && docs[1].result.is_ok());
        let e = docs[2].result.as_ref().unwrap_err();
        assert_eq!((e.line, e.col), (3, 6));
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        for bad in [
            "{",
            "[1,",
            "{\"a\" 1}",
            "\"abc",
            "-",
            "1.",
            "tru",
            "{\"a\":1,}",
            "\"\\x\"",
        ] {
            let docs = load(bad);
            assert!(docs.iter().any(|d| d.result.is_err()), "{bad}");
        }
        let deep = "[".repeat(10_000);
        assert!(load(&deep)[0].result.is_err());
    }
}
