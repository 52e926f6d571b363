//! Interned label sets and compiled label selectors (`matchLabels` + `matchExpressions`).

use compact_str::CompactString;
use kubeward_core::Node;
use std::collections::HashMap;
use std::fmt::Write;

/// An interned string.
pub type Sym = u32;

/// String interner for label keys and values.
#[derive(Default, Debug, Clone)]
pub struct Interner {
    map: HashMap<CompactString, Sym>,
    strings: Vec<CompactString>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&v) = self.map.get(s) {
            return v;
        }
        let v = self.strings.len() as Sym;
        self.strings.push(CompactString::from(s));
        self.map.insert(CompactString::from(s), v);
        v
    }

    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    pub fn str(&self, s: Sym) -> &str {
        &self.strings[s as usize]
    }
}

/// A label set, sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(pub Vec<(Sym, Sym)>);

impl Labels {
    pub fn from_pairs(mut v: Vec<(Sym, Sym)>) -> Labels {
        v.sort_unstable();
        v.dedup_by(|a, b| a.0 == b.0);
        Labels(v)
    }

    /// Labels of a `metadata.labels` node. Non-string values are skipped (the loader reports
    /// them elsewhere); returns the keys that were skipped.
    pub fn from_node(node: Option<&Node>, syms: &mut Interner) -> Labels {
        let mut v = Vec::new();
        if let Some(n) = node {
            for (k, val) in n.entries() {
                let text = match &val.value {
                    kubeward_core::Value::Str(s) => s.to_string(),
                    kubeward_core::Value::Int(i) => i.to_string(),
                    kubeward_core::Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                v.push((syms.intern(k), syms.intern(&text)));
            }
        }
        Labels::from_pairs(v)
    }

    pub fn get(&self, key: Sym) -> Option<Sym> {
        self.0
            .binary_search_by_key(&key, |p| p.0)
            .ok()
            .map(|i| self.0[i].1)
    }

    pub fn insert(&mut self, key: Sym, value: Sym) {
        match self.0.binary_search_by_key(&key, |p| p.0) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }

    pub fn is_superset_of(&self, o: &Labels) -> bool {
        o.0.iter().all(|(k, v)| self.get(*k) == Some(*v))
    }

    pub fn display(&self, syms: &Interner) -> String {
        let mut s = String::new();
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{}={}", syms.str(*k), syms.str(*v));
        }
        s
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub key: Sym,
    pub op: Op,
    pub values: Vec<Sym>,
}

/// A compiled label selector. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    pub match_labels: Vec<(Sym, Sym)>,
    pub exprs: Vec<Expr>,
}

/// A problem in an input object: where and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

impl Problem {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl Selector {
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.exprs.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        for (k, v) in &self.match_labels {
            if labels.get(*k) != Some(*v) {
                return false;
            }
        }
        for e in &self.exprs {
            let have = labels.get(e.key);
            let ok = match e.op {
                Op::In => have.is_some_and(|h| e.values.contains(&h)),
                Op::NotIn => have.is_none_or(|h| !e.values.contains(&h)),
                Op::Exists => have.is_some(),
                Op::DoesNotExist => have.is_none(),
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// Compiles a selector written at `pointer`, validating it as the API server does.
    pub fn parse(node: &Node, pointer: &str, syms: &mut Interner) -> Result<Selector, Problem> {
        if node.as_map().is_none() {
            return Err(Problem::new(
                pointer,
                format!(
                    "a label selector must be a mapping, not a {}",
                    node.type_name()
                ),
            ));
        }
        let mut sel = Selector::default();
        for (k, v) in node.entries() {
            match k {
                "matchLabels" => {
                    if v.is_null() {
                        continue;
                    }
                    if v.as_map().is_none() {
                        return Err(Problem::new(
                            format!("{pointer}/matchLabels"),
                            "`matchLabels` must be a mapping of label keys to values",
                        ));
                    }
                    for (lk, lv) in v.entries() {
                        let p = kubeward_core::ptr!(pointer, "matchLabels", lk);
                        check_key(lk).map_err(|m| Problem::new(&p, m))?;
                        let Some(val) = lv.as_str() else {
                            return Err(Problem::new(
                                &p,
                                format!(
                                    "label value for `{lk}` must be a string, not a {} (quote it)",
                                    lv.type_name()
                                ),
                            ));
                        };
                        check_value(val).map_err(|m| Problem::new(&p, m))?;
                        sel.match_labels.push((syms.intern(lk), syms.intern(val)));
                    }
                }
                "matchExpressions" => {
                    if v.is_null() {
                        continue;
                    }
                    let Some(items) = v.as_seq() else {
                        return Err(Problem::new(
                            format!("{pointer}/matchExpressions"),
                            "`matchExpressions` must be a list",
                        ));
                    };
                    for (i, e) in items.iter().enumerate() {
                        let p = kubeward_core::ptr!(pointer, "matchExpressions", i);
                        let key = e.str_at("key").ok_or_else(|| {
                            Problem::new(&p, "a match expression needs a string `key`")
                        })?;
                        check_key(key).map_err(|m| Problem::new(format!("{p}/key"), m))?;
                        let op_text = e.str_at("operator").ok_or_else(|| {
                            Problem::new(&p, "a match expression needs an `operator`")
                        })?;
                        let op = match op_text {
                            "In" => Op::In,
                            "NotIn" => Op::NotIn,
                            "Exists" => Op::Exists,
                            "DoesNotExist" => Op::DoesNotExist,
                            other => {
                                return Err(Problem::new(
                                    format!("{p}/operator"),
                                    format!(
                                        "unknown operator `{other}` (expected In, NotIn, Exists or DoesNotExist)"
                                    ),
                                ));
                            }
                        };
                        let mut values = Vec::new();
                        for (j, val) in e
                            .get("values")
                            .map(Node::items)
                            .unwrap_or(&[])
                            .iter()
                            .enumerate()
                        {
                            let Some(s) = val.as_str() else {
                                return Err(Problem::new(
                                    kubeward_core::ptr!(&p, "values", j),
                                    "values must be strings",
                                ));
                            };
                            check_value(s).map_err(|m| {
                                Problem::new(kubeward_core::ptr!(&p, "values", j), m)
                            })?;
                            values.push(syms.intern(s));
                        }
                        match op {
                            Op::In | Op::NotIn if values.is_empty() => {
                                return Err(Problem::new(
                                    &p,
                                    format!("operator `{op_text}` needs a non-empty `values` list"),
                                ));
                            }
                            Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                                return Err(Problem::new(
                                    format!("{p}/values"),
                                    format!("operator `{op_text}` must not have `values`"),
                                ));
                            }
                            _ => {}
                        }
                        sel.exprs.push(Expr {
                            key: syms.intern(key),
                            op,
                            values,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(sel)
    }

    /// A selector matching exactly these labels.
    pub fn from_labels(labels: &[(Sym, Sym)]) -> Selector {
        Selector {
            match_labels: labels.to_vec(),
            exprs: Vec::new(),
        }
    }

    /// `app=web,tier in (a,b),!legacy` (kubectl's notation).
    pub fn display(&self, syms: &Interner) -> String {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{}={}", syms.str(*k), syms.str(*v)))
            .collect();
        for e in &self.exprs {
            let vals = || {
                e.values
                    .iter()
                    .map(|v| syms.str(*v))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            parts.push(match e.op {
                Op::In => format!("{} in ({})", syms.str(e.key), vals()),
                Op::NotIn => format!("{} notin ({})", syms.str(e.key), vals()),
                Op::Exists => syms.str(e.key).to_string(),
                Op::DoesNotExist => format!("!{}", syms.str(e.key)),
            });
        }
        parts.join(",")
    }

    /// When the selector is exactly `matchLabels: {key: value}`, the value.
    pub fn single_label(&self, key: Sym) -> Option<Sym> {
        match (self.match_labels.as_slice(), self.exprs.as_slice()) {
            ([(k, v)], []) if *k == key => Some(*v),
            (
                [],
                [
                    Expr {
                        key: k,
                        op: Op::In,
                        values,
                    },
                ],
            ) if *k == key && values.len() == 1 => Some(values[0]),
            _ => None,
        }
    }
}

/// A label key: `[prefix/]name`, name ≤ 63 characters of `[A-Za-z0-9._-]` starting and ending
/// alphanumeric; prefix a DNS subdomain.
fn check_key(k: &str) -> Result<(), String> {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    if let Some(p) = prefix {
        let ok = !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !ok {
            return Err(format!(
                "label key `{k}`: prefix `{p}` must be a lower-case DNS subdomain"
            ));
        }
    }
    if name.is_empty() || name.len() > 63 || !name_ok(name) {
        return Err(format!(
            "label key `{k}` is invalid: the name part must be 1-63 characters of letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
        ));
    }
    Ok(())
}

fn name_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter()
        .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_' || *c == b'.')
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
}

fn check_value(v: &str) -> Result<(), String> {
    if v.is_empty() || (v.len() <= 63 && name_ok(v)) {
        Ok(())
    } else {
        Err(format!(
            "label value `{v}` is invalid: at most 63 characters of letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sel(v: serde_json::Value, syms: &mut Interner) -> Result<Selector, Problem> {
        Selector::parse(&Node::from_json(&v), "/s", syms)
    }

    fn labels(v: serde_json::Value, syms: &mut Interner) -> Labels {
        Labels::from_node(Some(&Node::from_json(&v)), syms)
    }

    #[test]
    fn every_operator_and_missing_keys() {
        let mut s = Interner::default();
        let l = labels(json!({"app": "web", "tier": "front"}), &mut s);
        let none = Labels::default();
        let cases = [
            (
                json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}),
                true,
                false,
            ),
            (
                json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["api"]}]}),
                true,
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}),
                false,
                true,
            ),
            (
                json!({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}),
                true,
                false,
            ),
            (
                json!({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}),
                false,
                true,
            ),
            (
                json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]}),
                false,
                false,
            ),
            (json!({}), true, true),
        ];
        for (v, on_l, on_none) in cases {
            let x = sel(v.clone(), &mut s).unwrap();
            assert_eq!(x.matches(&l), on_l, "{v}");
            assert_eq!(x.matches(&none), on_none, "{v} on no labels");
        }
    }

    #[test]
    fn invalid_selectors_are_located() {
        let mut s = Interner::default();
        let e = sel(
            json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
            &mut s,
        )
        .unwrap_err();
        assert_eq!(e.pointer, "/s/matchExpressions/0");
        let e = sel(
            json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            &mut s,
        )
        .unwrap_err();
        assert_eq!(e.pointer, "/s/matchExpressions/0/values");
        let e = sel(
            json!({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]}),
            &mut s,
        )
        .unwrap_err();
        assert_eq!(e.pointer, "/s/matchExpressions/0/operator");
        let e = sel(json!({"matchLabels": {"app": 3}}), &mut s).unwrap_err();
        assert_eq!(e.pointer, "/s/matchLabels/app");
        let e = sel(json!({"matchLabels": {"-bad": "x"}}), &mut s).unwrap_err();
        assert_eq!(e.pointer, "/s/matchLabels/-bad");
        assert!(
            sel(
                json!({"matchLabels": {"kubernetes.io/metadata.name": "a"}}),
                &mut s
            )
            .is_ok()
        );
    }
}
