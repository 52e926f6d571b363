//! JSON straight into [`Node`] trees: list pages and snapshots are decoded without building a
//! `serde_json::Value` first (one allocation pass instead of two, which matters at 100k objects).

use compact_str::CompactString;
use kubeward_core::tree::{Key, Map, Node, Span, Value};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A `Node` decoded from JSON (no spans: cluster objects have no source text).
pub struct JsonNode(pub Node);

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor).map(JsonNode)
    }
}

struct NodeVisitor;

fn node(value: Value) -> Node {
    Node::new(value, Span::NONE)
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(node(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(node(Value::Int(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(node(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(v as f64),
        }))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(node(Value::Float(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(node(Value::Str(CompactString::from(v))))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(node(Value::Str(CompactString::from(v))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(JsonNode(n)) = seq.next_element()? {
            items.push(n);
        }
        Ok(node(Value::Seq(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut m = Map::with_capacity(map.size_hint().unwrap_or(4));
        while let Some(k) = map.next_key::<CompactStr>()? {
            let JsonNode(v) = map.next_value()?;
            m.insert(
                Key {
                    name: k.0,
                    span: Span::NONE,
                },
                v,
            );
        }
        Ok(node(Value::Map(m)))
    }
}

/// A map key without an intermediate `String` for borrowed input.
struct CompactStr(CompactString);

impl<'de> Deserialize<'de> for CompactStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = CompactStr;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, v: &str) -> Result<CompactStr, E> {
                Ok(CompactStr(CompactString::from(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_as_from_json() {
        let text = r#"{"a":[1,-2,3.5,true,null,"x"],"b":{"c":18446744073709551615}}"#;
        let JsonNode(n) = serde_json::from_str(text).unwrap();
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(n.to_json(), Node::from_json(&v).to_json());
    }
}
