//! Alert text for exec and attach: the command, decoded from the request URI.

use crate::event::Event;

/// `alice ran `sh -c id` in pods default/web (container app)`.
pub(super) fn exec_message(e: &Event<'_>, sub: &str) -> String {
    let mut command = Vec::new();
    let mut container = None;
    if let Some((_, query)) = e.request_uri.split_once('?') {
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "command" => command.push(percent_decode(v)),
                "container" => container = Some(percent_decode(v)),
                _ => {}
            }
        }
    }
    let target = match (e.namespace(), e.name()) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        (_, Some(n)) => n.to_string(),
        _ => "a pod".into(),
    };
    let container = container
        .map(|c| format!(" (container {c})"))
        .unwrap_or_default();
    if sub == "attach" {
        format!("{} attached to pod {target}{container}", e.subject())
    } else if command.is_empty() {
        format!("{} ran a command in pod {target}{container}", e.subject())
    } else {
        format!(
            "{} ran `{}` in pod {target}{container}",
            e.subject(),
            command.join(" ")
        )
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
