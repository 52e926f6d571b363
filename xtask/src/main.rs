//! Developer tasks.
//!
//! `cargo run -p xtask -- gen-corpus --objects N --out DIR [--seed S] [--files-per-dir N]`
//! writes a realistic, deterministic corpus of mixed Kubernetes manifests for benchmarks: apps
//! made of a Deployment or StatefulSet, a Service, a ConfigMap, sometimes an Ingress, RBAC, a
//! NetworkPolicy, CronJobs and DaemonSets, with a realistic share of insecure settings, several
//! objects per file, spread over team folders.
//!
//! `cargo run -p xtask -- bench-runs --runs N LABEL=COMMAND...` runs each command N times,
//! interleaved (so drift in the machine's load hits all of them alike), and prints the median
//! and 10th-percentile wall time of a run and its mean CPU time (user + system, from the
//! children's times in /proc/self/stat, which count in 10 ms ticks: the mean is only worth
//! reading over a few hundred runs). For commands too short for one-shot timing, such as
//! scanning the examples. COMMAND is split on spaces; its output goes to /dev/null.

mod hostile;

use std::fmt::Write as _;
use std::path::PathBuf;

// Same allocator as the kubeward binary, so baselines compare like with like.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen-corpus") => gen_corpus(&args[1..]),
        Some("parse-baseline") => parse_baseline(&args[1..]),
        Some("bench-runs") => bench_runs(&args[1..]),
        Some("gen-hostile") => hostile::gen_hostile(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo run -p xtask -- gen-corpus --objects N --out DIR [--seed S] [--files-per-dir N] [--json]\n       cargo run -p xtask -- parse-baseline DIR\n       cargo run -p xtask -- bench-runs [--runs N] LABEL=COMMAND...\n       cargo run -p xtask -- gen-hostile --out DIR [--value-mb N] [--namespaces N] [--workloads N]"
            );
            std::process::exit(2);
        }
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn gen_corpus(args: &[String]) {
    let objects: usize = flag(args, "--objects")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| fail("--objects N is required"));
    let out = PathBuf::from(flag(args, "--out").unwrap_or_else(|| fail("--out DIR is required")));
    let seed: u64 = flag(args, "--seed")
        .and_then(|v| v.parse().ok())
        .unwrap_or(42);
    let per_dir: usize = flag(args, "--files-per-dir")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    // `--json`: write each app as a stream of JSON objects instead of YAML documents.
    let json = args.iter().any(|a| a == "--json");
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .unwrap_or_else(|e| fail(&format!("cannot clear {out:?}: {e}")));
    }
    let mut g = Gen {
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
    };
    let (mut written, mut files, mut bytes) = (0usize, 0usize, 0usize);
    let mut app = 0usize;
    while written < objects {
        let team = app % 37;
        let (docs, n) = g.app(app, team, objects - written);
        let dir = out
            .join(format!("team-{team:02}"))
            .join(format!("batch-{:03}", files / per_dir));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(&format!("{dir:?}: {e}")));
        let (body, ext) = if json {
            (to_json(&docs.join("---\n")), "json")
        } else {
            (docs.join("---\n"), "yaml")
        };
        let path = dir.join(format!("app-{app:06}.{ext}"));
        std::fs::write(&path, &body).unwrap_or_else(|e| fail(&format!("{path:?}: {e}")));
        bytes += body.len();
        written += n;
        files += 1;
        app += 1;
    }
    println!(
        "wrote {written} objects in {files} files ({:.1} MB) to {}",
        bytes as f64 / 1e6,
        out.display()
    );
}

/// `bench-runs [--runs N] LABEL=COMMAND...`: see the module documentation.
fn bench_runs(args: &[String]) {
    let runs: usize = flag(args, "--runs")
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| fail("--runs N: N is a number"))
        })
        .unwrap_or(300);
    let mut cmds: Vec<(String, Vec<String>)> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--runs" {
            it.next();
            continue;
        }
        let (label, cmd) = a
            .split_once('=')
            .unwrap_or_else(|| fail(&format!("`{a}`: expected LABEL=COMMAND")));
        let argv: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        if argv.is_empty() {
            fail(&format!("`{a}`: empty command"));
        }
        cmds.push((label.to_string(), argv));
    }
    if cmds.is_empty() || runs == 0 {
        fail("bench-runs [--runs N] LABEL=COMMAND...");
    }
    let mut wall: Vec<Vec<f64>> = vec![Vec::with_capacity(runs); cmds.len()];
    let mut cpu_ticks = vec![0u64; cmds.len()];
    for _ in 0..runs {
        for (i, (label, argv)) in cmds.iter().enumerate() {
            let before = children_cpu_ticks();
            let t = std::time::Instant::now();
            let status = std::process::Command::new(&argv[0])
                .args(&argv[1..])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap_or_else(|e| fail(&format!("{label}: {e}")));
            wall[i].push(t.elapsed().as_secs_f64() * 1e3);
            cpu_ticks[i] += children_cpu_ticks() - before;
            if status.code().is_none_or(|c| c > 1) {
                fail(&format!("{label}: exited with {status} (0 or 1 expected)"));
            }
        }
    }
    // Clock ticks: 100 per second on Linux (the kernel's USER_HZ).
    const TICKS_PER_MS: f64 = 0.1;
    for (i, (label, _)) in cmds.iter().enumerate() {
        let w = &mut wall[i];
        w.sort_by(f64::total_cmp);
        println!(
            "{label:<16} wall median {:.3} ms, p10 {:.3} ms; CPU mean {:.3} ms ({runs} runs)",
            w[w.len() / 2],
            w[w.len() / 10],
            cpu_ticks[i] as f64 / TICKS_PER_MS / runs as f64
        );
    }
}

/// User + system time of the waited-for children, in clock ticks.
fn children_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_else(|e| fail(&e.to_string()));
    children_ticks(&stat)
}

/// Fields 16 and 17 (`cutime`, `cstime`) of a /proc/PID/stat line.
fn children_ticks(stat: &str) -> u64 {
    // The command name (field 2) may hold spaces and parentheses: count fields after the
    // last closing parenthesis, where field 3 starts.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| {
        f.get(n - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(16) + field(17)
}

/// `parse-baseline DIR`: reads every .yaml file under DIR and parses it with saphyr's own
/// located loader (`MarkedYaml`), one thread, nothing else. This is the parsing floor the scan
/// engine is compared against (time it with /usr/bin/time next to `kubeward scan --threads 1`).
fn parse_baseline(args: &[String]) {
    use saphyr::{LoadableYamlNode, MarkedYaml};
    let dir = PathBuf::from(args.first().unwrap_or_else(|| fail("parse-baseline DIR")));
    let mut stack = vec![dir];
    let (mut files, mut bytes, mut docs) = (0usize, 0usize, 0usize);
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| fail(&format!("{d:?}: {e}"))) {
            let p = e.expect("dir entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                let t =
                    std::fs::read_to_string(&p).unwrap_or_else(|e| fail(&format!("{p:?}: {e}")));
                files += 1;
                bytes += t.len();
                docs += MarkedYaml::load_from_str(&t).map(|d| d.len()).unwrap_or(0);
            }
        }
    }
    println!(
        "parsed {docs} documents in {files} files ({:.1} MB)",
        bytes as f64 / 1e6
    );
}

/// The same objects as pretty-printed JSON, read through kubeward's own YAML loader.
fn to_json(yaml: &str) -> String {
    let mut out = String::new();
    for d in kubeward_core::yaml::load_stream(yaml, &kubeward_core::yaml::Limits::default()) {
        if let Ok(Some(n)) = d.result {
            out.push_str(&serde_json::to_string_pretty(&n.to_json()).expect("json"));
            out.push('\n');
        }
    }
    out
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(2)
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

struct Gen {
    rng: Rng,
}

const IMAGES: &[&str] = &[
    "nginx:1.27.2",
    "nginx:latest",
    "redis:7.4",
    "postgres",
    "ghcr.io/acme/api:v2.3.1",
    "registry.example.com/shop/web:4.1.0",
    "quay.io/prometheus/node-exporter:v1.8.2",
    "docker.io/library/python:3.12-slim",
    "gcr.io/distroless/static:nonroot",
    "registry.example.com/payments/ledger@sha256:4f5c8a1e9b2d7c6f3a0e8d1b5c9f2a7e6d3b0c4a8f1e5d9c2b7a6f3e0d4c8b1a",
];

impl Gen {
    /// One application: returns its documents and how many objects they hold.
    fn app(&mut self, id: usize, team: usize, budget: usize) -> (Vec<String>, usize) {
        let ns = format!("team-{team:02}");
        let name = format!("svc-{id:06}");
        let mut docs = Vec::new();
        let kind = match self.rng.below(10) {
            0 => "StatefulSet",
            1 => "DaemonSet",
            2 => "CronJob",
            _ => "Deployment",
        };
        docs.push(self.workload(kind, &name, &ns));
        if budget > docs.len() {
            docs.push(self.service(&name, &ns));
        }
        if budget > docs.len() {
            docs.push(self.configmap(&name, &ns));
        }
        if budget > docs.len() && self.rng.chance(30) {
            docs.push(self.ingress(&name, &ns));
        }
        if budget > docs.len() && self.rng.chance(40) {
            docs.push(self.service_account(&name, &ns));
        }
        if budget > docs.len() + 1 && self.rng.chance(25) {
            docs.push(self.role(&name, &ns));
            docs.push(self.role_binding(&name, &ns));
        }
        if budget > docs.len() && self.rng.chance(35) {
            docs.push(self.network_policy(&name, &ns));
        }
        let n = docs.len();
        (docs, n)
    }

    fn container(&mut self, name: &str, indent: &str) -> String {
        let image = self.rng.pick(IMAGES);
        let mut s = String::new();
        let _ = write!(
            s,
            "{indent}- name: {name}\n{indent}  image: {image}\n{indent}  ports:\n{indent}  - name: http\n{indent}    containerPort: {}\n",
            8000 + self.rng.below(1000)
        );
        if self.rng.chance(60) {
            let _ = write!(
                s,
                "{indent}  env:\n{indent}  - name: LOG_LEVEL\n{indent}    value: info\n{indent}  - name: POD_NAME\n{indent}    valueFrom:\n{indent}      fieldRef:\n{indent}        fieldPath: metadata.name\n"
            );
        }
        if self.rng.chance(70) {
            let _ = write!(
                s,
                "{indent}  resources:\n{indent}    requests:\n{indent}      cpu: 100m\n{indent}      memory: 128Mi\n{indent}    limits:\n{indent}      cpu: 500m\n{indent}      memory: 256Mi\n"
            );
        }
        let _ = writeln!(s, "{indent}  securityContext:");
        if self.rng.chance(5) {
            let _ = writeln!(s, "{indent}    privileged: true");
        }
        let _ = write!(
            s,
            "{indent}    allowPrivilegeEscalation: {}\n{indent}    readOnlyRootFilesystem: {}\n{indent}    capabilities:\n{indent}      drop: [\"ALL\"]\n",
            if self.rng.chance(80) { "false" } else { "true" },
            if self.rng.chance(70) { "true" } else { "false" },
        );
        if self.rng.chance(50) {
            let _ = write!(
                s,
                "{indent}  livenessProbe:\n{indent}    httpGet:\n{indent}      path: /healthz\n{indent}      port: http\n{indent}    periodSeconds: 10\n"
            );
        }
        s
    }

    fn pod_spec(&mut self, name: &str, indent: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{indent}serviceAccountName: {name}");
        if self.rng.chance(50) {
            let _ = writeln!(s, "{indent}automountServiceAccountToken: false");
        }
        if self.rng.chance(4) {
            let _ = writeln!(s, "{indent}hostNetwork: true");
        }
        let _ = write!(
            s,
            "{indent}securityContext:\n{indent}  runAsNonRoot: true\n{indent}  runAsUser: {}\n{indent}  seccompProfile:\n{indent}    type: RuntimeDefault\n",
            10000 + self.rng.below(5000)
        );
        let _ = writeln!(s, "{indent}containers:");
        s.push_str(&self.container("app", indent));
        if self.rng.chance(20) {
            s.push_str(&self.container("sidecar", indent));
        }
        if self.rng.chance(15) {
            let _ = writeln!(s, "{indent}initContainers:");
            s.push_str(&self.container("migrate", indent));
        }
        let _ = write!(
            s,
            "{indent}volumes:\n{indent}- name: config\n{indent}  configMap:\n{indent}    name: {name}\n"
        );
        if self.rng.chance(3) {
            let _ = write!(
                s,
                "{indent}- name: host\n{indent}  hostPath:\n{indent}    path: /var/log\n"
            );
        }
        s
    }

    fn workload(&mut self, kind: &str, name: &str, ns: &str) -> String {
        let (api, pre, ind) = match kind {
            "CronJob" => (
                "batch/v1",
                "  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels:\n            app: NAME\n        spec:\n          restartPolicy: OnFailure\n",
                "          ",
            ),
            _ => (
                "apps/v1",
                "  selector:\n    matchLabels:\n      app: NAME\n  template:\n    metadata:\n      labels:\n        app: NAME\n        tier: backend\n    spec:\n",
                "      ",
            ),
        };
        let replicas = if kind == "Deployment" || kind == "StatefulSet" {
            format!("  replicas: {}\n", 1 + self.rng.below(5))
        } else {
            String::new()
        };
        let spec = self.pod_spec(name, ind);
        format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app: {name}\n    app.kubernetes.io/part-of: shop\n  annotations:\n    owner: platform@example.com\nspec:\n{replicas}{}{spec}",
            pre.replace("NAME", name)
        )
    }

    fn service(&mut self, name: &str, ns: &str) -> String {
        let ty = match self.rng.below(20) {
            0 => "LoadBalancer",
            1 => "NodePort",
            _ => "ClusterIP",
        };
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: {ty}\n  selector:\n    app: {name}\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n"
        )
    }

    fn configmap(&mut self, name: &str, ns: &str) -> String {
        let mut s = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"checkout,search\"\n  config.yaml: |\n    server:\n      port: 8080\n      timeout: 30s\n    upstreams:\n    - http://orders.{ns}.svc:8080\n"
        );
        if self.rng.chance(5) {
            s.push_str("  DATABASE_URL: postgres://app:hunter2hunter2@db:5432/app\n");
        }
        s
    }

    fn ingress(&mut self, name: &str, ns: &str) -> String {
        let tls = if self.rng.chance(70) {
            format!("  tls:\n  - hosts: [\"{name}.example.com\"]\n    secretName: {name}-tls\n")
        } else {
            String::new()
        };
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  ingressClassName: nginx\n{tls}  rules:\n  - host: {name}.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: {name}\n            port:\n              number: 80\n"
        )
    }

    fn service_account(&mut self, name: &str, ns: &str) -> String {
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\nautomountServiceAccountToken: false\n"
        )
    }

    fn role(&mut self, name: &str, ns: &str) -> String {
        let verbs = if self.rng.chance(10) {
            "[\"*\"]"
        } else {
            "[\"get\", \"list\", \"watch\"]"
        };
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {ns}\nrules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\", \"services\"]\n  verbs: {verbs}\n"
        )
    }

    fn role_binding(&mut self, name: &str, ns: &str) -> String {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: {ns}\nsubjects:\n- kind: ServiceAccount\n  name: {name}\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {name}\n"
        )
    }

    fn network_policy(&mut self, name: &str, ns: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels:\n      app: {name}\n  policyTypes: [\"Ingress\"]\n  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          tier: frontend\n    ports:\n    - protocol: TCP\n      port: 8080\n"
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn children_times_are_read_after_the_command_name() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        // utime stime cutime cstime ...
        let line = "42 (a b) c)) S 1 42 42 0 -1 4194560 10 20 0 0 7 8 123 45 20 0 1 0";
        assert_eq!(super::children_ticks(line), 168);
    }
}
