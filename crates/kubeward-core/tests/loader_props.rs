//! Property tests: the loaders never panic, whatever the input, and every position they report
//! lies inside the input.

use kubeward_core::tree::Node;
use kubeward_core::yaml::{Limits, load_stream};
use proptest::prelude::*;

fn check_spans(n: &Node, lines: u32) {
    if !n.span.is_none() {
        // An implicit empty value at the very end of the input (`? ` or `a:` without a final
        // newline) is placed at the end-of-stream position, one line past the last.
        assert!(
            n.span.line >= 1 && n.span.line <= lines + 1,
            "{:?} of {lines}",
            n.span
        );
        assert!(n.span.col >= 1);
    }
    for (_, v) in n.entries() {
        check_spans(v, lines);
    }
    for v in n.items() {
        check_spans(v, lines);
    }
}

fn lines(s: &str) -> u32 {
    s.split('\n').count() as u32
}

/// YAML-looking text: keys, indentation, flow collections, anchors, aliases, merges, quotes,
/// document markers and YAML 1.1 scalars, in random order.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a: ",
        "b:",
        "- ",
        "  ",
        "    ",
        "\n",
        "---\n",
        "...\n",
        "&x ",
        "*x",
        "<<: ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "'q'",
        "\"d\\n\"",
        "yes",
        "0400",
        "~",
        "|\n  text\n",
        ">-\n  f\n",
        "# c\n",
        "!!str ",
        "? ",
        ": ",
        "privileged: true\n",
        "\t",
        "é",
        "%YAML 1.1\n",
    ]);
    prop::collection::vec(token, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn yaml_loader_never_panics_on_yamlish_text(s in yamlish()) {
        for d in load_stream(&s, &Limits::default()) {
            match d.result {
                Ok(Some(n)) => check_spans(&n, lines(&s)),
                Ok(None) => {}
                Err(e) => prop_assert!(e.line >= 1 && e.line <= lines(&s) + 1, "{e:?}"),
            }
        }
    }

    #[test]
    fn yaml_loader_never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = load_stream(&s, &Limits::default());
    }

    #[test]
    fn json_loader_never_panics(s in "[\\[\\]{}\":,0-9a-z\\\\. -]{0,120}") {
        for d in kubeward_core::json::load_stream(&s, &Limits::default()) {
            if let Ok(Some(n)) = d.result {
                check_spans(&n, lines(&s));
            }
        }
    }

    #[test]
    fn alias_expansion_stays_within_budget(depth in 1usize..12, width in 1usize..12) {
        let mut y = String::from("a0: &a0 [x]\n");
        for i in 1..depth {
            let refs = vec![format!("*a{}", i - 1); width].join(", ");
            y.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let limits = Limits { max_alias_nodes: 1000, ..Limits::default() };
        if let Ok(Some(n)) = &load_stream(&y, &limits)[0].result {
            // Whatever was built is bounded by the budget plus the written nodes.
            prop_assert!(n.count() <= 1000 + 4 * y.len());
        }
    }
}
