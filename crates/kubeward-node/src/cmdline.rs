//! Command lines: running processes (`ROOT/proc/*/cmdline`), systemd units with their drop-ins
//! and environment files, and the k3s / RKE2 configuration files that become flags.
//!
//! Every argument keeps where it was written, so a finding can name the unit line or process.

use crate::Host;
use kubeward_core::Node;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One command-line argument and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub text: String,
    /// `/proc/812/cmdline`, `/etc/systemd/system/kubelet.service.d/10-kubeadm.conf:7`,
    /// `$KUBELET_EXTRA_ARGS from /etc/default/kubelet:1 (ExecStart at ...)`.
    pub origin: String,
}

/// A parsed flag: `--name=value`, `--name value` or a bare `--name`.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    pub origin: String,
}

impl Flag {
    /// `--name=value` as written (the value is left out for credentials).
    pub fn spelled(&self) -> String {
        match &self.value {
            Some(v) => format!("--{}={v}", self.name),
            None => format!("--{}", self.name),
        }
    }
}

/// A command line found on the host.
#[derive(Clone, Debug)]
pub struct CommandLine {
    pub args: Vec<Arg>,
    /// `process 812` or `systemd unit kubelet.service`.
    pub found_in: String,
}

impl CommandLine {
    /// The executable's base name.
    pub fn exe(&self) -> &str {
        self.args
            .first()
            .map(|a| a.text.rsplit('/').next().unwrap_or(&a.text))
            .unwrap_or("")
    }

    /// Flags after the first `skip` words.
    pub fn flags(&self, skip: usize) -> Vec<Flag> {
        parse_flags(self.args.get(skip..).unwrap_or(&[]))
    }
}

/// Splits arguments into flags. Values that look like flags are not taken as values.
pub fn parse_flags(args: &[Arg]) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        let Some(body) = a
            .text
            .strip_prefix("--")
            .or_else(|| a.text.strip_prefix('-'))
        else {
            continue;
        };
        if body.is_empty() {
            continue;
        }
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => match args.get(i) {
                Some(next) if !next.text.starts_with('-') => {
                    i += 1;
                    (body.to_string(), Some(next.text.clone()))
                }
                _ => (body.to_string(), None),
            },
        };
        out.push(Flag {
            name,
            value,
            origin: a.origin.clone(),
        });
    }
    out
}

/// Processes under `ROOT/proc` whose executable base name is one of `names`, by pid.
pub fn processes(host: &Host, names: &[&str]) -> Vec<CommandLine> {
    let mut found: Vec<(u32, CommandLine)> = Vec::new();
    let Ok(dir) = std::fs::read_dir(host.path("/proc")) else {
        return Vec::new();
    };
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(raw) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let origin = format!("/proc/{pid}/cmdline");
        let args: Vec<Arg> = raw
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| Arg {
                text: String::from_utf8_lossy(s).into_owned(),
                origin: origin.clone(),
            })
            .collect();
        let cl = CommandLine {
            args,
            found_in: format!("process {pid}"),
        };
        if names.contains(&cl.exe()) {
            found.push((pid, cl));
        }
    }
    found.sort_by_key(|(p, _)| *p);
    found.into_iter().map(|(_, c)| c).collect()
}

/// Where systemd looks for units, most specific first.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// A systemd unit: its main file and drop-ins, in the order systemd reads them.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    pub name: String,
    /// Host paths (without the root) of the unit file and its drop-ins.
    pub files: Vec<String>,
    pub exec_start: Option<CommandLine>,
}

/// Reads the unit `name` with its drop-ins; `None` when there is no unit file.
pub fn unit(host: &Host, name: &str) -> Option<Unit> {
    let main = UNIT_DIRS
        .iter()
        .map(|d| format!("{d}/{name}"))
        .find(|p| host.path(p).is_file())?;
    // Drop-ins: the same file name in a more specific folder wins; read in file-name order.
    let mut dropins: BTreeMap<String, String> = BTreeMap::new();
    for d in UNIT_DIRS.iter().rev() {
        let dir = format!("{d}/{name}.d");
        if let Ok(rd) = std::fs::read_dir(host.path(&dir)) {
            for e in rd.flatten() {
                let f = e.file_name().to_string_lossy().into_owned();
                if f.ends_with(".conf") {
                    dropins.insert(f.clone(), format!("{dir}/{f}"));
                }
            }
        }
    }
    let mut files = vec![main];
    files.extend(dropins.into_values());
    let mut env: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut exec: Option<(String, String)> = None;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(host.path(f)) else {
            continue;
        };
        for (line_no, line) in logical_lines(&text) {
            let here = format!("{f}:{line_no}");
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            match key.trim() {
                "Environment" => {
                    for w in split_words(value) {
                        if let Some((k, v)) = w.split_once('=') {
                            env.insert(k.to_string(), (v.to_string(), here.clone()));
                        }
                    }
                }
                "EnvironmentFile" => {
                    let p = value.trim();
                    let p = p.strip_prefix('-').unwrap_or(p);
                    for (k, (v, line)) in env_file(host, p) {
                        env.insert(k, (v, format!("{p}:{line}")));
                    }
                }
                "ExecStart" => {
                    let v = value.trim();
                    exec = if v.is_empty() {
                        None
                    } else {
                        Some((v.to_string(), here))
                    };
                }
                _ => {}
            }
        }
    }
    let exec_start = exec.map(|(cmd, here)| {
        let cmd = cmd.trim_start_matches(['-', '@', '+', '!', ':']);
        let mut args = Vec::new();
        for w in split_words_raw(cmd) {
            expand(&w, &env, &here, &mut args);
        }
        CommandLine {
            args,
            found_in: format!("systemd unit {name}"),
        }
    });
    Some(Unit {
        name: name.to_string(),
        files,
        exec_start,
    })
}

/// Lines with `\` continuations joined, comments dropped, each with its first line number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if cur.is_none() {
            let t = line.trim_start();
            if t.starts_with('#') || t.starts_with(';') || t.is_empty() {
                continue;
            }
        }
        let (n, mut s) = cur.take().unwrap_or((i + 1, String::new()));
        if let Some(body) = line.strip_suffix('\\') {
            s.push_str(body);
            s.push(' ');
            cur = Some((n, s));
        } else {
            s.push_str(line);
            out.push((n, s.trim().to_string()));
        }
    }
    if let Some((n, s)) = cur {
        out.push((n, s.trim().to_string()));
    }
    out
}

/// `KEY=VALUE` lines of an environment file, with their line numbers.
pub fn env_file(host: &Host, path: &str) -> BTreeMap<String, (String, usize)> {
    let mut out = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(host.path(path)) else {
        return out;
    };
    for (n, line) in logical_lines(&text) {
        let line = line.strip_prefix("export ").unwrap_or(&line);
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            out.insert(k.trim().to_string(), (v.to_string(), n));
        }
    }
    out
}

/// Words with quotes removed (`"A=B C" D` → `A=B C`, `D`).
fn split_words(s: &str) -> Vec<String> {
    split_words_raw(s)
}

fn split_words_raw(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

/// Expands `$VAR` (split into words, as systemd does) and `${VAR}` (one word) in one word of
/// an ExecStart line.
fn expand(word: &str, env: &BTreeMap<String, (String, String)>, exec_at: &str, out: &mut Vec<Arg>) {
    let lookup = |name: &str| env.get(name);
    if let Some(name) = word.strip_prefix('$') {
        let (name, split) = match name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            Some(n) => (n, false),
            None => (name, true),
        };
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            if let Some((v, at)) = lookup(name) {
                let origin = format!("${name} set at {at}");
                if split {
                    for w in split_words(v) {
                        out.push(Arg {
                            text: w,
                            origin: origin.clone(),
                        });
                    }
                } else {
                    out.push(Arg {
                        text: v.clone(),
                        origin,
                    });
                }
            }
            return;
        }
    }
    out.push(Arg {
        text: word.to_string(),
        origin: exec_at.to_string(),
    });
}

/// The `*-arg` options of a k3s / RKE2 configuration file (`kubelet-arg`, ...) and its other
/// keys, each with its line. Files: `config.yaml` then `config.yaml.d/*.yaml` in name order;
/// later files win for plain keys and append for `-arg` lists (as k3s does).
pub fn rancher_config(host: &Host, dir: &str) -> Vec<(String, String, String)> {
    let mut files = vec![format!("{dir}/config.yaml")];
    if let Ok(rd) = std::fs::read_dir(host.path(&format!("{dir}/config.yaml.d"))) {
        let mut v: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
            .collect();
        v.sort();
        files.extend(v.into_iter().map(|f| format!("{dir}/config.yaml.d/{f}")));
    }
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = std::fs::read_to_string(host.path(&f)) else {
            continue;
        };
        for doc in kubeward_core::yaml::load_stream(&text, &Default::default()) {
            let Ok(Some(root)) = doc.result else { continue };
            for (k, v) in root.entries() {
                let mut push = |n: &Node| {
                    let text = match &n.value {
                        kubeward_core::Value::Str(s) => s.to_string(),
                        kubeward_core::Value::Null => return,
                        _ => n.to_json().to_string(),
                    };
                    out.push((k.to_string(), text, format!("{f}:{}", n.span.line)));
                };
                match v.as_seq() {
                    Some(items) => items.iter().for_each(&mut push),
                    None => push(v),
                }
            }
        }
    }
    out
}

/// A path on the host as a path under the root.
pub fn under(root: &Path, host_path: &str) -> PathBuf {
    root.join(host_path.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_lines() {
        assert_eq!(
            split_words(r#""KUBELET_CONFIG_ARGS=--config=/a b" X=1 ''"#),
            vec!["KUBELET_CONFIG_ARGS=--config=/a b", "X=1", ""]
        );
        let l = logical_lines("# c\nExecStart=/k \\\n  --a=1\nX=2\n");
        assert_eq!(
            l,
            vec![(2, "ExecStart=/k    --a=1".into()), (4, "X=2".into())]
        );
    }

    #[test]
    fn flags() {
        let a = |t: &str| Arg {
            text: t.into(),
            origin: "o".into(),
        };
        let f = parse_flags(&[a("--a=1"), a("--b"), a("2"), a("--c"), a("-d"), a("x")]);
        let names: Vec<(&str, Option<&str>)> = f
            .iter()
            .map(|f| (f.name.as_str(), f.value.as_deref()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("a", Some("1")),
                ("b", Some("2")),
                ("c", None),
                ("d", Some("x"))
            ]
        );
    }
}
