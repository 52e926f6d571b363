//! The kubelet's effective configuration: its configuration file (`--config`), drop-ins
//! (`--config-dir`), and flags, merged as the kubelet merges them (flags win), with the
//! defaults written out for what none of them sets, and the origin of every value.

use crate::cmdline::Flag;
use crate::render::{leaves, merge, quote, set_path, write_map};
use crate::{Host, warning};
use kubeward_core::input::Diagnostic;
use kubeward_core::tree::{Node, Value};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Ty {
    Bool,
    Int,
    Str,
    List,
    Gates,
}

/// Flags that have a `KubeletConfiguration` field, and the field.
const MAPPED: &[(&str, &[&str], Ty)] = &[
    (
        "anonymous-auth",
        &["authentication", "anonymous", "enabled"],
        Ty::Bool,
    ),
    (
        "authentication-token-webhook",
        &["authentication", "webhook", "enabled"],
        Ty::Bool,
    ),
    (
        "client-ca-file",
        &["authentication", "x509", "clientCAFile"],
        Ty::Str,
    ),
    ("authorization-mode", &["authorization", "mode"], Ty::Str),
    ("read-only-port", &["readOnlyPort"], Ty::Int),
    ("port", &["port"], Ty::Int),
    ("address", &["address"], Ty::Str),
    (
        "streaming-connection-idle-timeout",
        &["streamingConnectionIdleTimeout"],
        Ty::Str,
    ),
    (
        "protect-kernel-defaults",
        &["protectKernelDefaults"],
        Ty::Bool,
    ),
    (
        "make-iptables-util-chains",
        &["makeIPTablesUtilChains"],
        Ty::Bool,
    ),
    ("event-qps", &["eventRecordQPS"], Ty::Int),
    ("event-burst", &["eventBurst"], Ty::Int),
    ("tls-cert-file", &["tlsCertFile"], Ty::Str),
    ("tls-private-key-file", &["tlsPrivateKeyFile"], Ty::Str),
    ("tls-cipher-suites", &["tlsCipherSuites"], Ty::List),
    ("tls-min-version", &["tlsMinVersion"], Ty::Str),
    ("rotate-certificates", &["rotateCertificates"], Ty::Bool),
    (
        "rotate-server-certificates",
        &["serverTLSBootstrap"],
        Ty::Bool,
    ),
    ("feature-gates", &["featureGates"], Ty::Gates),
    ("seccomp-default", &["seccompDefault"], Ty::Bool),
    ("pod-max-pids", &["podPidsLimit"], Ty::Int),
    ("pod-manifest-path", &["staticPodPath"], Ty::Str),
    ("healthz-bind-address", &["healthzBindAddress"], Ty::Str),
];

/// Defaults: (field, v1beta1 default for a configuration file, default without `--config`
/// where the kubelet keeps its legacy flag defaults).
fn defaults() -> Vec<(&'static [&'static str], Value, Value)> {
    let b = Value::Bool;
    let s = |v: &str| Value::Str(v.into());
    vec![
        (
            &["authentication", "anonymous", "enabled"],
            b(false),
            b(true),
        ),
        (&["authentication", "webhook", "enabled"], b(true), b(false)),
        (&["authorization", "mode"], s("Webhook"), s("AlwaysAllow")),
        (&["readOnlyPort"], Value::Int(0), Value::Int(10255)),
        (
            &["streamingConnectionIdleTimeout"],
            s("4h0m0s"),
            s("4h0m0s"),
        ),
        (&["protectKernelDefaults"], b(false), b(false)),
        (&["makeIPTablesUtilChains"], b(true), b(true)),
        (&["eventRecordQPS"], Value::Int(50), Value::Int(50)),
        (&["rotateCertificates"], b(false), b(false)),
        (&["serverTLSBootstrap"], b(false), b(false)),
        (&["seccompDefault"], b(false), b(false)),
    ]
}

/// What discovery found about the kubelet.
#[derive(Default)]
pub struct KubeletInput {
    /// Flags in the order the kubelet sees them (later wins): distribution-implied ones first.
    pub flags: Vec<Flag>,
    /// Whether a command line (process, unit or distribution service) was found.
    pub command_line_known: bool,
    /// Where the command line was found, for messages.
    pub found_in: Option<String>,
    /// A configuration file to use when no `--config` flag is known (distribution default).
    pub default_config: Option<String>,
}

/// The effective configuration, as YAML text with origin comments, and the files it names.
pub struct Effective {
    pub text: String,
    pub config_file: Option<String>,
    pub config_dir_files: Vec<String>,
    pub kubeconfig: Option<String>,
    pub client_ca: Option<String>,
    pub static_pod_path: Option<String>,
}

fn flag_value(ty: Ty, v: Option<&str>) -> Option<Node> {
    let n = |value| Node::new(value, Default::default());
    let v = v.unwrap_or(if ty == Ty::Bool { "true" } else { "" });
    Some(match ty {
        Ty::Bool => n(Value::Bool(v.parse().ok()?)),
        Ty::Int => n(v
            .trim()
            .parse::<i64>()
            .map(Value::Int)
            .unwrap_or_else(|_| Value::Str(v.into()))),
        Ty::Str => n(Value::Str(v.into())),
        Ty::List => n(Value::Seq(
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Node::new(Value::Str(s.into()), Default::default()))
                .collect(),
        )),
        Ty::Gates => {
            let mut root = n(Value::Map(Default::default()));
            for kv in v.split(',') {
                if let Some((k, b)) = kv.split_once('=') {
                    let val = b
                        .trim()
                        .parse::<bool>()
                        .map(Value::Bool)
                        .unwrap_or_else(|_| Value::Str(b.trim().into()));
                    set_path(&mut root, &[k.trim()], n(val));
                }
            }
            root
        }
    })
}

/// A kubelet configuration file (or drop-in) that cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("{0}")]
    Io(#[source] std::io::Error),
    #[error("line {line}: {message}")]
    Syntax { line: u32, message: String },
    /// Empty, or a document that is not a mapping.
    #[error("not a mapping")]
    NotAMapping,
}

/// Reads a configuration file (YAML or JSON) as a located tree.
fn read_config(host: &Host, path: &str) -> Result<Node, ConfigError> {
    let text = std::fs::read_to_string(host.path(path)).map_err(ConfigError::Io)?;
    let docs = kubeward_core::yaml::load_stream(&text, &Default::default());
    match docs.into_iter().next().map(|d| d.result) {
        Some(Ok(Some(n))) if n.as_map().is_some() => Ok(n),
        Some(Err(e)) => Err(ConfigError::Syntax {
            line: e.line,
            message: e.message,
        }),
        _ => Err(ConfigError::NotAMapping),
    }
}

/// Builds the effective configuration of the kubelet of `host`.
pub fn effective(
    host: &Host,
    input: &KubeletInput,
    name: &str,
    version: Option<&str>,
    diags: &mut Vec<Diagnostic>,
) -> Effective {
    let last = |n: &str| input.flags.iter().rev().find(|f| f.name == n);
    let mut root = Node::new(Value::Map(Default::default()), Default::default());
    let mut origins: BTreeMap<String, String> = BTreeMap::new();
    let mut undetermined: Option<String> = None;
    let config_flag = last("config").and_then(|f| f.value.clone());
    let config_file = config_flag.clone().or_else(|| {
        (!input.command_line_known)
            .then(|| input.default_config.clone())
            .flatten()
    });
    // Drop-ins (`--config-dir`) make the configuration file-based as `--config` does.
    let with_file = config_file.is_some() || last("config-dir").is_some();
    if let Some(path) = &config_file {
        match read_config(host, path) {
            Ok(mut file) => {
                if let Value::Map(m) = &mut file.value {
                    for k in ["apiVersion", "kind", "metadata"] {
                        m.remove(k);
                    }
                }
                merge(&mut root, &file, "", &mut |p, n| {
                    origins.insert(p.to_string(), format!("{path}:{}", n.span.line));
                });
            }
            Err(e) => {
                diags.push(warning(
                    path,
                    format!("the kubelet configuration file cannot be read: {e}"),
                ));
                undetermined = Some(format!(
                    "{path} (the kubelet's configuration file) cannot be read: {e}"
                ));
            }
        }
    }
    let mut config_dir_files = Vec::new();
    if let Some(dir) = last("config-dir").and_then(|f| f.value.clone()) {
        let mut files: Vec<String> = std::fs::read_dir(host.path(&dir))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|f| f.ends_with(".conf"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        for f in files {
            let p = format!("{}/{f}", dir.trim_end_matches('/'));
            match read_config(host, &p) {
                Ok(mut n) => {
                    if let Value::Map(m) = &mut n.value {
                        for k in ["apiVersion", "kind", "metadata"] {
                            m.remove(k);
                        }
                    }
                    merge(&mut root, &n, "", &mut |ptr, v| {
                        origins.insert(ptr.to_string(), format!("{p}:{} (drop-in)", v.span.line));
                    });
                }
                Err(e) => {
                    diags.push(warning(&p, format!("kubelet drop-in cannot be read: {e}")));
                    undetermined = Some(format!("the kubelet drop-in {p} cannot be read: {e}"));
                }
            }
            config_dir_files.push(p);
        }
    }
    // Flags win over the file.
    let mut flag_only: Vec<String> = Vec::new();
    let mut seen_only: BTreeMap<String, usize> = BTreeMap::new();
    for f in &input.flags {
        if let Some((_, path, ty)) = MAPPED.iter().find(|(n, _, _)| *n == f.name) {
            let Some(v) = flag_value(*ty, f.value.as_deref()) else {
                diags.push(warning(
                    &f.origin,
                    format!("{} is not a valid value for this flag", f.spelled()),
                ));
                continue;
            };
            let what = format!("flag {} ({})", f.spelled(), f.origin);
            if *ty == Ty::Gates {
                // Feature gates merge gate by gate.
                let base = format!("/{}", path.join("/"));
                let mut wrapped = Node::new(Value::Map(Default::default()), Default::default());
                set_path(&mut wrapped, path, v);
                merge(&mut root, &wrapped, "", &mut |p, _| {
                    if p.starts_with(&base) {
                        origins.insert(p.to_string(), what.clone());
                    }
                });
            } else {
                set_path(&mut root, path, v.clone());
                let ptr = format!("/{}", path.join("/"));
                origins.retain(|k, _| !k.starts_with(&format!("{ptr}/")));
                leaves(&v, &ptr, &mut |p, _| {
                    origins.insert(p.to_string(), what.clone());
                });
            }
        } else {
            let line = format!("{}={}", f.name, f.value.as_deref().unwrap_or(""));
            match seen_only.get(&f.name) {
                Some(&i) => flag_only[i] = line,
                None => {
                    seen_only.insert(f.name.clone(), flag_only.len());
                    flag_only.push(line);
                }
            }
            origins.insert(
                format!("/flags/{}", f.name),
                format!("flag {} ({})", f.spelled(), f.origin),
            );
        }
    }
    // Defaults for what nothing set.
    if !input.command_line_known && !with_file {
        undetermined.get_or_insert_with(|| {
            "the kubelet's command line was not found (no kubelet process under /proc, no kubelet \
             unit) and no configuration file is known"
                .to_string()
        });
    }
    if !input.command_line_known && undetermined.is_none() {
        undetermined = Some(
            "the kubelet's command line was not found (no kubelet process under /proc, no kubelet \
             unit), so a flag may set what the configuration file leaves out"
                .to_string(),
        );
    }
    if undetermined.is_none() {
        for (path, file_default, flag_default) in defaults() {
            if root.path(path).is_some() {
                continue;
            }
            let (v, why) = if with_file {
                (file_default, "default (KubeletConfiguration v1beta1)")
            } else {
                (
                    flag_default,
                    "default without --config (the kubelet's legacy flag default)",
                )
            };
            set_path(&mut root, path, Node::new(v, Default::default()));
            origins.insert(format!("/{}", path.join("/")), why.to_string());
        }
    }
    let s = |p: &[&str]| root.path(p).and_then(Node::as_str).map(str::to_string);
    let client_ca = s(&["authentication", "x509", "clientCAFile"]);
    let static_pod_path = s(&["staticPodPath"]);
    let kubeconfig = last("kubeconfig").and_then(|f| f.value.clone());

    let mut text = String::new();
    text.push_str(&format!(
        "# The effective configuration of the kubelet on {name}, built by `kubeward node`:\n\
         # configuration file, drop-ins and flags merged (flags win), defaults written out.\n\
         # Each value's comment says where it came from.\n"
    ));
    text.push_str(
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmetadata:\n",
    );
    text.push_str(&format!("  name: {}\n  annotations:\n", quote(name)));
    text.push_str("    kubeward.io/kubelet-source: node\n");
    if let Some(v) = version {
        text.push_str(&format!(
            "    kubeward.io/kubernetes-version: {}\n",
            quote(v)
        ));
    }
    if let Some(w) = &input.found_in {
        text.push_str(&format!("    kubeward.io/command-line: {}\n", quote(w)));
    }
    if input.command_line_known {
        text.push_str(&format!(
            "    kubeward.io/kubelet-flags: {}\n",
            quote(&flag_only.join("\n"))
        ));
    }
    if let Some(u) = &undetermined {
        text.push_str(&format!("    kubeward.io/undetermined: {}\n", quote(u)));
    }
    let o: Vec<String> = origins.iter().map(|(p, w)| format!("{p}\t{w}")).collect();
    text.push_str(&format!(
        "    kubeward.io/origins: {}\n",
        quote(&o.join("\n"))
    ));
    write_map(&mut text, &root, 0, "", &origins);
    Effective {
        text,
        config_file,
        config_dir_files,
        kubeconfig,
        client_ca,
        static_pod_path,
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn unreadable_configs_say_why() {
        let dir = std::env::temp_dir().join(format!("kw-node-cfg-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::write(dir.join("etc/list.yaml"), "- a\n- b\n").unwrap();
        std::fs::write(dir.join("etc/bad.yaml"), "a: [1,\n").unwrap();
        std::fs::write(dir.join("etc/ok.yaml"), "maxPods: 10\n").unwrap();
        let host = Host::new(&dir);
        assert!(matches!(
            read_config(&host, "/etc/missing.yaml"),
            Err(ConfigError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound
        ));
        let e = read_config(&host, "/etc/list.yaml").unwrap_err();
        assert!(matches!(e, ConfigError::NotAMapping));
        assert_eq!(e.to_string(), "not a mapping");
        match read_config(&host, "/etc/bad.yaml") {
            Err(ConfigError::Syntax { line, message }) => {
                assert!(line >= 1, "{line}");
                assert!(!message.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(read_config(&host, "/etc/ok.yaml").is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
