//! The located document tree every rule reads.
//!
//! A [`Node`] is a JSON-shaped value (null, bool, number, string, sequence, mapping) that also
//! carries the [`Span`] it came from. YAML and JSON inputs build it with positions; objects
//! that come from a live cluster or an admission request build it from `serde_json::Value`
//! with empty spans. Mappings keep their keys in document order and hold each key once: the
//! loaders resolve duplicates (last one wins, as the API server's decoder does) before a rule
//! ever sees the tree.

use compact_str::CompactString;
use std::fmt;

/// Where a value starts in its source text. Lines are 1-based, columns 1-based and counted in
/// Unicode code points. `line == 0` means "no source position" (cluster objects). Only the
/// start is kept: it is all a finding needs, and a smaller node makes large scans faster;
/// renderers find the end of the token in the source line when they underline it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub line: u32,
    pub col: u32,
}

impl Span {
    pub const NONE: Span = Span { line: 0, col: 0 };

    pub fn is_none(&self) -> bool {
        self.line == 0
    }
}

/// A mapping key with the span of the key text.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: CompactString,
    pub span: Span,
}

/// A located value.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(CompactString),
    Seq(Vec<Node>),
    Map(Map),
}

/// An ordered mapping with unique keys. Lookups are linear: Kubernetes objects have small
/// mappings, and a scan over a few keys beats hashing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    entries: Vec<(Key, Node)>,
}

impl Map {
    pub fn new() -> Self {
        Map {
            entries: Vec::new(),
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        Map {
            entries: Vec::with_capacity(n),
        }
    }

    /// Inserts or replaces. Returns the replaced entry's key when the key was already present.
    pub fn insert(&mut self, key: Key, value: Node) -> Option<Key> {
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| k.name == key.name) {
            let old = std::mem::replace(&mut slot.0, key);
            slot.1 = value;
            Some(old)
        } else {
            self.entries.push((key, value));
            None
        }
    }

    /// [`Map::insert`] in constant time for large maps: past a few entries the loaders keep a
    /// hash index of the keys, so a ConfigMap with thousands of keys loads in linear time.
    pub(crate) fn insert_indexed(
        &mut self,
        key: Key,
        value: Node,
        index: &mut KeyIndex,
    ) -> Option<Key> {
        const LINEAR: usize = 16;
        if index.0.is_none() && self.entries.len() < LINEAR {
            return self.insert(key, value);
        }
        let entries = &self.entries;
        let idx = index.0.get_or_insert_with(|| {
            entries
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.name.clone(), i))
                .collect()
        });
        match idx.get(&key.name) {
            Some(&i) => {
                let slot = &mut self.entries[i];
                let old = std::mem::replace(&mut slot.0, key);
                slot.1 = value;
                Some(old)
            }
            None => {
                idx.insert(key.name.clone(), self.entries.len());
                self.entries.push((key, value));
                None
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    pub fn get_entry(&self, key: &str) -> Option<(&Key, &Node)> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, v)| (k, v))
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let pos = self.entries.iter().position(|(k, _)| k.name == key)?;
        Some(self.entries.remove(pos).1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Node)> {
        self.entries.iter().map(|(k, v)| (k.name.as_str(), v))
    }

    pub fn entries(&self) -> &[(Key, Node)] {
        &self.entries
    }

    pub fn into_entries(self) -> Vec<(Key, Node)> {
        self.entries
    }

    /// Moves the entries into a new map of exactly their size, leaving `self` empty with its
    /// capacity (the loaders reuse it as scratch space).
    #[allow(clippy::drain_collect)]
    pub(crate) fn take_exact(&mut self) -> Map {
        Map {
            entries: self.entries.drain(..).collect(),
        }
    }
}

/// The key index of a map being built (see [`Map::insert_indexed`]).
#[derive(Debug, Default)]
pub(crate) struct KeyIndex(Option<foldhash::HashMap<CompactString, usize>>);

static NULL_NODE: Node = Node {
    value: Value::Null,
    span: Span::NONE,
};

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    pub fn null() -> &'static Node {
        &NULL_NODE
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The value at `key` of a mapping. An explicit `null` counts as absent, as it does for
    /// the API server's typed decoding.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(m) => m.get(key).filter(|n| !n.is_null()),
            _ => None,
        }
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for k in keys {
            cur = cur.get(k)?;
        }
        Some(cur)
    }

    pub fn index(&self, i: usize) -> Option<&Node> {
        match &self.value {
            Value::Seq(s) => s.get(i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer; floats with an integral value count (JSON has one number type and the API
    /// server accepts `8.0` for an int field).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Elements of a sequence; empty for anything else (absent lists are common).
    pub fn items(&self) -> &[Node] {
        self.as_seq().unwrap_or(&[])
    }

    /// Entries of a mapping; empty for anything else.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.as_map()
            .map(|m| m.entries())
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (k.name.as_str(), v))
    }

    /// `get(key)` then `as_str`.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// `get(key)` then `as_bool`.
    pub fn bool_at(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Node::as_bool)
    }

    /// A short name for the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }

    /// Resolves an RFC 6901 JSON pointer. Returns the deepest node reached and whether the
    /// whole pointer resolved. A pointer into a missing field resolves to its nearest existing
    /// ancestor, which is where a "field is missing" finding should point. When the last step
    /// is a mapping key, the key's span is preferred for a missing value.
    pub fn locate(&self, pointer: &str) -> Located<'_> {
        let mut cur = self;
        let mut key_span = None;
        if pointer.is_empty() {
            return Located {
                node: cur,
                key_span: None,
                complete: true,
            };
        }
        let mut complete = true;
        // Pointers are short: a predicate splits them faster than the `char` searcher, which
        // sets up a memchr per token (-15% instructions for `locate`).
        #[allow(clippy::manual_pattern_char_comparison)]
        for raw in pointer.split(|c: char| c == '/').skip(1) {
            let token = unescape_token(raw);
            let next = match &cur.value {
                Value::Map(m) => m.get_entry(&token).map(|(k, v)| (Some(k.span), v)),
                Value::Seq(s) => token
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| s.get(i))
                    .map(|v| (None, v)),
                _ => None,
            };
            match next {
                Some((ks, v)) => {
                    key_span = ks;
                    cur = v;
                }
                None => {
                    complete = false;
                    key_span = None;
                    break;
                }
            }
        }
        Located {
            node: cur,
            key_span,
            complete,
        }
    }

    /// The value as `serde_json::Value` (spans dropped).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Seq(s) => serde_json::Value::Array(s.iter().map(Node::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(
                m.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Builds an unlocated tree from JSON (live-cluster objects, admission requests).
    pub fn from_json(v: &serde_json::Value) -> Node {
        let value = match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(CompactString::from(s.as_str())),
            serde_json::Value::Array(a) => Value::Seq(a.iter().map(Node::from_json).collect()),
            serde_json::Value::Object(o) => {
                let mut m = Map::with_capacity(o.len());
                for (k, v) in o {
                    m.insert(
                        Key {
                            name: CompactString::from(k.as_str()),
                            span: Span::NONE,
                        },
                        Node::from_json(v),
                    );
                }
                Value::Map(m)
            }
        };
        Node {
            value,
            span: Span::NONE,
        }
    }

    /// Number of nodes in this subtree (itself included).
    pub fn count(&self) -> usize {
        match &self.value {
            Value::Seq(s) => 1 + s.iter().map(Node::count).sum::<usize>(),
            Value::Map(m) => 1 + m.iter().map(|(_, v)| v.count()).sum::<usize>(),
            _ => 1,
        }
    }
}

impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match &self.value {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(v) => s.serialize_str(v),
            Value::Seq(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m.iter() {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// The result of [`Node::locate`].
#[derive(Clone, Copy, Debug)]
pub struct Located<'a> {
    pub node: &'a Node,
    /// The span of the mapping key of the last step, when the last step was a key.
    pub key_span: Option<Span>,
    /// Whether every step of the pointer resolved.
    pub complete: bool,
}

impl Located<'_> {
    /// The span a finding should show: the value when the pointer resolved, else the nearest
    /// existing ancestor.
    pub fn span(&self) -> Span {
        if self.node.span.is_none() {
            self.key_span.unwrap_or(Span::NONE)
        } else {
            self.node.span
        }
    }
}

/// Escapes one JSON pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if needs_escape(token) {
        let mut out = String::with_capacity(token.len() + 4);
        push_escaped(&mut out, token);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

fn needs_escape(token: &str) -> bool {
    token.bytes().any(|b| b == b'~' || b == b'/')
}

/// Appends `token` escaped (`~` as `~0`, `/` as `~1`), without an intermediate string: every
/// finding's pointer is built this way.
fn push_escaped(out: &mut String, token: &str) {
    if !needs_escape(token) {
        out.push_str(token);
        return;
    }
    let mut start = 0;
    for (i, b) in token.bytes().enumerate() {
        let esc = match b {
            b'~' => "~0",
            b'/' => "~1",
            _ => continue,
        };
        // `~` and `/` are ASCII, so `i` is a character boundary.
        out.push_str(&token[start..i]);
        out.push_str(esc);
        start = i + 1;
    }
    out.push_str(&token[start..]);
}

/// Reverses [`escape_token`].
pub fn unescape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.as_bytes().contains(&b'~') {
        std::borrow::Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

/// Builds JSON pointers without repeated escaping at call sites:
/// `ptr!("/spec/template/spec", "containers", 0, "image")`.
#[macro_export]
macro_rules! ptr {
    ($base:expr $(, $tok:expr)* $(,)?) => {{
        let mut p = ::std::string::String::from($base);
        $(
            p.push('/');
            $crate::tree::PointerToken::push_to(&$tok, &mut p);
        )*
        p
    }};
}

/// Something that can be one JSON pointer token.
pub trait PointerToken {
    fn push_to(&self, out: &mut String);
}

impl PointerToken for str {
    fn push_to(&self, out: &mut String) {
        push_escaped(out, self);
    }
}
impl PointerToken for &str {
    fn push_to(&self, out: &mut String) {
        push_escaped(out, self);
    }
}
impl PointerToken for String {
    fn push_to(&self, out: &mut String) {
        push_escaped(out, self);
    }
}
impl PointerToken for usize {
    fn push_to(&self, out: &mut String) {
        // Decimal digits without the formatter (list indexes are in most pointers).
        let mut digits = [0u8; 20];
        let mut n = *self;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"));
    }
}

impl fmt::Display for Node {
    /// Compact JSON rendering, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Value::Str(s) => write!(f, "{s:?}"),
            _ => write!(f, "{}", self.to_json()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Key {
        Key {
            name: s.into(),
            span: Span::NONE,
        }
    }

    #[test]
    fn pointer_tokens_are_escaped_as_rfc_6901_says() {
        let cases = [
            ("", ""),
            ("plain", "plain"),
            ("a/b", "a~1b"),
            ("a~b", "a~0b"),
            ("~/", "~0~1"),
            ("/~1", "~1~01"),
            (
                "pod-security.kubernetes.io/enforce",
                "pod-security.kubernetes.io~1enforce",
            ),
            ("é/ü~", "é~1ü~0"),
        ];
        for (raw, escaped) in cases {
            assert_eq!(escape_token(raw), escaped, "{raw}");
            assert_eq!(unescape_token(escaped), raw, "{escaped}");
            assert_eq!(crate::ptr!("/x", raw), format!("/x/{escaped}"));
        }
        for n in [0usize, 7, 10, 99, 1234, usize::MAX] {
            assert_eq!(crate::ptr!("/items", n, "a/b"), format!("/items/{n}/a~1b"));
        }
    }

    #[test]
    fn insert_replaces_and_keeps_last_value() {
        let mut m = Map::new();
        assert!(
            m.insert(k("a"), Node::new(Value::Int(1), Span::NONE))
                .is_none()
        );
        assert!(
            m.insert(k("a"), Node::new(Value::Int(2), Span::NONE))
                .is_some()
        );
        assert_eq!(m.len(), 1);
        assert_eq!(m.get("a").unwrap().as_i64(), Some(2));
    }

    #[test]
    fn locate_falls_back_to_ancestor_and_unescapes() {
        let n = Node::from_json(&serde_json::json!({
            "metadata": {"annotations": {"a/b": "x"}},
            "spec": {"containers": [{"name": "c"}]}
        }));
        let l = n.locate("/metadata/annotations/a~1b");
        assert!(l.complete);
        assert_eq!(l.node.as_str(), Some("x"));
        let l = n.locate("/spec/containers/0/securityContext/privileged");
        assert!(!l.complete);
        assert_eq!(l.node.str_at("name"), Some("c"));
        assert_eq!(ptr!("/a", "b/c", 3usize), "/a/b~1c/3");
    }

    #[test]
    fn null_counts_as_absent() {
        let n = Node::from_json(&serde_json::json!({"a": null, "b": 8.0}));
        assert!(n.get("a").is_none());
        assert_eq!(n.get("b").unwrap().as_i64(), Some(8));
    }
}
#[cfg(test)]
mod size_tests {
    /// Node size drives memory and speed on large scans: keep it from growing by accident.
    #[test]
    fn node_stays_small() {
        assert_eq!(std::mem::size_of::<super::Span>(), 8);
        assert!(std::mem::size_of::<super::Node>() <= 40);
    }
}
