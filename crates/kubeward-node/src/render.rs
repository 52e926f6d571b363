//! Writes synthetic objects (the effective kubelet configuration, host file facts, a k3s
//! server's components) as YAML text whose lines carry comments saying where each value came
//! from. The text is loaded like any file, so findings point at a line of it.

use kubeward_core::tree::{Node, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A JSON string, which is also a valid YAML double-quoted scalar.
pub fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn scalar(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            if f.is_finite() {
                serde_json::Value::from(*f).to_string()
            } else {
                "null".into()
            }
        }
        Value::Str(s) => quote(s),
        // Nested collections inside sequences are written as JSON (flow YAML).
        _ => n.to_json().to_string(),
    }
}

/// Writes `node` (a mapping) at `indent`, with `# origin` comments from `origins` (keyed by
/// JSON pointer, `base` being the pointer of `node`).
pub fn write_map(
    out: &mut String,
    node: &Node,
    indent: usize,
    base: &str,
    origins: &BTreeMap<String, String>,
) {
    let Some(map) = node.as_map() else { return };
    for (k, v) in map.iter() {
        let mut ptr = base.to_string();
        ptr.push('/');
        kubeward_core::tree::PointerToken::push_to(&k, &mut ptr);
        let pad = " ".repeat(indent);
        let comment = origins
            .get(&ptr)
            .map(|o| format!("  # {}", o.replace('\n', " ")))
            .unwrap_or_default();
        let key = if k
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            && !k.is_empty()
        {
            k.to_string()
        } else {
            quote(k)
        };
        match &v.value {
            Value::Map(m) if !m.is_empty() => {
                let _ = writeln!(out, "{pad}{key}:{comment}");
                write_map(out, v, indent + 2, &ptr, origins);
            }
            Value::Map(_) => {
                let _ = writeln!(out, "{pad}{key}: {{}}{comment}");
            }
            Value::Seq(items) if !items.is_empty() => {
                let _ = writeln!(out, "{pad}{key}:{comment}");
                for (i, item) in items.iter().enumerate() {
                    let ip = format!("{ptr}/{i}");
                    let c = origins
                        .get(&ip)
                        .map(|o| format!("  # {o}"))
                        .unwrap_or_default();
                    let _ = writeln!(out, "{pad}- {}{c}", scalar(item));
                }
            }
            Value::Seq(_) => {
                let _ = writeln!(out, "{pad}{key}: []{comment}");
            }
            _ => {
                let _ = writeln!(out, "{pad}{key}: {}{comment}", scalar(v));
            }
        }
    }
}

/// Sets `value` at `path` in `root` (creating mappings on the way).
pub fn set_path(root: &mut Node, path: &[&str], value: Node) {
    let mut cur = root;
    for (i, p) in path.iter().enumerate() {
        if cur.as_map().is_none() {
            *cur = Node::new(Value::Map(Default::default()), Default::default());
        }
        let Value::Map(m) = &mut cur.value else {
            unreachable!()
        };
        if i + 1 == path.len() {
            m.insert(
                kubeward_core::tree::Key {
                    name: (*p).into(),
                    span: Default::default(),
                },
                value,
            );
            return;
        }
        if m.get(p).is_none() {
            m.insert(
                kubeward_core::tree::Key {
                    name: (*p).into(),
                    span: Default::default(),
                },
                Node::new(Value::Map(Default::default()), Default::default()),
            );
        }
        cur = m.get_mut(p).expect("just inserted");
    }
}

/// Deep-merges `over` into `base`: mappings merge key by key, everything else is replaced
/// (the kubelet's drop-in semantics). Calls `on_leaf` with the pointer of every value taken.
pub fn merge(base: &mut Node, over: &Node, ptr: &str, on_leaf: &mut dyn FnMut(&str, &Node)) {
    match (&mut base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) => {
            for (k, v) in o.iter() {
                let mut p = ptr.to_string();
                p.push('/');
                kubeward_core::tree::PointerToken::push_to(&k, &mut p);
                match b.get_mut(k) {
                    Some(existing) if existing.as_map().is_some() && v.as_map().is_some() => {
                        merge(existing, v, &p, on_leaf)
                    }
                    _ => {
                        b.insert(
                            kubeward_core::tree::Key {
                                name: k.into(),
                                span: v.span,
                            },
                            v.clone(),
                        );
                        leaves(v, &p, on_leaf);
                    }
                }
            }
        }
        _ => {
            *base = over.clone();
            leaves(over, ptr, on_leaf);
        }
    }
}

/// Calls `f` for every leaf (and every sequence, as a whole) under `n`.
pub fn leaves(n: &Node, ptr: &str, f: &mut dyn FnMut(&str, &Node)) {
    match &n.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, v) in m.iter() {
                let mut p = ptr.to_string();
                p.push('/');
                kubeward_core::tree::PointerToken::push_to(&k, &mut p);
                leaves(v, &p, f);
            }
        }
        _ => f(ptr, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_loadable_yaml_with_origins() {
        let mut root = Node::new(Value::Map(Default::default()), Default::default());
        set_path(
            &mut root,
            &["authentication", "anonymous", "enabled"],
            Node::new(Value::Bool(false), Default::default()),
        );
        set_path(
            &mut root,
            &["tlsCipherSuites"],
            Node::new(
                Value::Seq(vec![Node::new(Value::Str("A".into()), Default::default())]),
                Default::default(),
            ),
        );
        let mut o = BTreeMap::new();
        o.insert(
            "/authentication/anonymous/enabled".to_string(),
            "flag --anonymous-auth=false (/proc/1/cmdline)".to_string(),
        );
        let mut text = String::new();
        write_map(&mut text, &root, 0, "", &o);
        assert_eq!(
            text,
            "authentication:\n  anonymous:\n    enabled: false  # flag --anonymous-auth=false (/proc/1/cmdline)\ntlsCipherSuites:\n- \"A\"\n"
        );
        let docs = kubeward_core::yaml::load_stream(&text, &Default::default());
        let n = docs[0].result.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(
            n.path(&["authentication", "anonymous", "enabled"])
                .unwrap()
                .span
                .line,
            3
        );
    }
}
