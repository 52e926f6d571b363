//! KW-CTR-021: containers started through a shell with a tag-pinned image.

use kubeward_core::{
    Check, Container, Emitter, Layer, Node, ObjectCtx, Rule, RuleMeta, Severity, Targets,
};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-021",
        name: "shell-command-mutable-image",
        layer: Layer::Containers,
        severity: Severity::Low,
        title: "Container runs through a shell from an image pinned by tag only",
        why: "A container whose command is `sh -c`, `bash -c` (or a shell with args starting \
              with `-c`) runs a script assembled from its arguments: whoever can change the \
              args, an environment variable they expand or the image behind the tag runs \
              arbitrary commands, and admission policies that vet the image or its entrypoint \
              never see what runs. A digest pins at least the shell and tools the script uses; \
              a tag can be moved to an image with a different /bin/sh. Off by default: shell \
              wrappers are common and mostly harmless, so the rule is noisy on ordinary \
              repositories; enable it where images are vetted by admission policy.",
        fix: "Call the program directly in `command`/`args` (exec form), move scripts into the \
              image, and pin images by digest (`image: repo@sha256:...`).",
        references: &[
            ("mitre", "T1059.004"),
            (
                "docs",
                "https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/",
            ),
        ],
        default_enabled: false,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];

fn strings(n: Option<&Node>) -> Vec<&str> {
    n.map(|l| l.items().iter().filter_map(Node::as_str).collect())
        .unwrap_or_default()
}

/// A shell flag cluster that includes `c`: `-c`, `-ec`, `-xc`, `-euxc`.
fn is_c_flag(s: &str) -> bool {
    s.strip_prefix('-').is_some_and(|f| {
        !f.is_empty()
            && !f.starts_with('-')
            && f.contains('c')
            && f.chars().all(|c| c.is_ascii_alphabetic())
    })
}

fn is_shell(s: &str) -> bool {
    let base = s.rsplit('/').next().unwrap_or(s);
    SHELLS.contains(&base)
}

/// The shell of a container started through one, and the field that shows it.
fn shell(c: &Container<'_>) -> Option<(String, &'static str)> {
    let cmd = strings(c.node.get("command"));
    let args = strings(c.node.get("args"));
    let mut words: Vec<&str> = cmd.clone();
    // `/usr/bin/env bash -c ...`
    if words
        .first()
        .is_some_and(|w| w.rsplit('/').next() == Some("env"))
    {
        words.remove(0);
    }
    // `busybox sh -c ...`
    if words
        .first()
        .is_some_and(|w| w.rsplit('/').next() == Some("busybox"))
        && words.len() > 1
    {
        words.remove(0);
    }
    let first = *words.first()?;
    if !is_shell(first) {
        return None;
    }
    if words.get(1).is_some_and(|w| is_c_flag(w)) {
        return Some((format!("{first} {}", words[1]), "command"));
    }
    if words.len() == 1 && args.first().is_some_and(|a| is_c_flag(a)) {
        return Some((format!("{first} {}", args[0]), "args"));
    }
    None
}

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    for c in pod.containers() {
        let Some((text, Ok(image))) = c.image_ref() else {
            continue;
        };
        if image.digest.is_some() {
            continue;
        }
        let Some((sh, field)) = shell(&c) else {
            continue;
        };
        out.report(
            ctx.object,
            c.ptr(&[field]),
            format!(
                "{} runs `{sh}` from image {text}, pinned by tag, not digest: the script comes from its arguments and the shell from whatever the tag points at{}",
                c.describe(),
                pod.found_note()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::{pod_yaml, sorted};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn shells_in_command_or_args() {
        let y = pod_yaml(json!({"containers": [
            {"name": "a", "image": "alpine:3.20", "command": ["/bin/sh", "-c", "echo $X"]},
            {"name": "b", "image": "bash:5", "command": ["bash"], "args": ["-ec", "run"]},
            {"name": "c", "image": "debian:12", "command": ["/usr/bin/env", "bash", "-c", "x"]},
            {"name": "d", "image": "alpine:3.20@sha256:0000000000000000000000000000000000000000000000000000000000000000",
             "command": ["sh", "-c", "x"]},
            {"name": "e", "image": "alpine:3.20", "command": ["/app/server"], "args": ["-c", "/etc/app.conf"]},
            {"name": "f", "image": "alpine:3.20", "command": ["sh", "/run.sh"]},
            {"name": "g", "image": "busybox:1.36", "command": ["busybox", "sh", "-c", "x"]}
        ]}));
        let hits = run(&RULE, &y);
        assert_eq!(
            sorted(pointers(&hits)),
            sorted(vec![
                "/spec/containers/0/command",
                "/spec/containers/1/args",
                "/spec/containers/2/command",
                "/spec/containers/6/command",
            ])
        );
        assert!(
            hits[0]
                .message
                .contains("runs `/bin/sh -c` from image alpine:3.20"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn off_by_default() {
        assert!(!RULE.meta.default_enabled);
    }
}
