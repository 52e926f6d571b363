//! Attack paths drawn as inline SVG: one row of boxes per path, arrows between them labelled
//! with the rule IDs of the step. No fonts, images or scripts are fetched.

use super::esc;
use std::fmt::Write;

/// One path to draw: the vertices in order and, for each hop, the rules that make it possible.
#[derive(Clone, Debug, Default)]
pub struct DrawnPath {
    /// `#1 score 30: Internet → cluster-admin equivalent`.
    pub title: String,
    pub vertices: Vec<String>,
    /// One per hop (`vertices.len() - 1`): `KW-NET-002, KW-NET-104`.
    pub hops: Vec<String>,
}

const BOX_W: usize = 170;
const GAP: usize = 90;
const BOX_H: usize = 54;

/// Splits a label into at most three lines of about 24 characters.
fn lines(label: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in label.split(' ') {
        if !cur.is_empty() && cur.chars().count() + word.chars().count() > 24 {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    if out.len() > 3 {
        out.truncate(3);
        out[2].push('…');
    }
    out
}

pub fn path(p: &DrawnPath, index: usize) -> String {
    let n = p.vertices.len();
    let width = n * BOX_W + n.saturating_sub(1) * GAP + 20;
    let height = BOX_H + 40;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"path\" role=\"img\" aria-labelledby=\"path-{index}-title\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <title id=\"path-{index}-title\">{}</title>\
         <defs><marker id=\"arrow-{index}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>",
        esc(&p.title)
    );
    for (i, v) in p.vertices.iter().enumerate() {
        let x = 10 + i * (BOX_W + GAP);
        let y = 28;
        let class = if i == 0 {
            "entry"
        } else if i + 1 == n {
            "target"
        } else {
            "hop"
        };
        let _ = write!(
            s,
            "<g class=\"v {class}\"><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"8\"/>"
        );
        let ls = lines(v);
        let first = y + BOX_H / 2 + 4 - (ls.len().saturating_sub(1)) * 7;
        for (j, l) in ls.iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + BOX_W / 2,
                first + j * 14,
                esc(l)
            );
        }
        s.push_str("</g>");
        if i + 1 < n {
            let x1 = x + BOX_W;
            let x2 = x1 + GAP;
            let ym = y + BOX_H / 2;
            let _ = write!(
                s,
                "<line x1=\"{x1}\" y1=\"{ym}\" x2=\"{}\" y2=\"{ym}\" stroke=\"#555\" stroke-width=\"2\" marker-end=\"url(#arrow-{index})\"/>",
                x2 - 2
            );
            let label = p.hops.get(i).map(String::as_str).unwrap_or("");
            for (j, l) in label.split(", ").take(3).enumerate() {
                let _ = write!(
                    s,
                    "<text class=\"rule\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    x1 + GAP / 2,
                    14 + j * 12,
                    esc(l)
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}
