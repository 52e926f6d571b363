//! Scan throughput on a generated corpus, with parsing and checking measured separately.
//!
//! `KUBEWARD_BENCH_CORPUS=DIR` points at a corpus made by
//! `cargo run --release -p xtask -- gen-corpus --objects N --out DIR` (default: a 10k-object
//! corpus generated into target/ on first use). Run single-threaded for per-core figures:
//! `RAYON_NUM_THREADS=1 cargo bench -p kubeward --bench scan`.
//!
//! Groups:
//! - `saphyr_marked`: saphyr's own located loader (`MarkedYaml`) on the same files: the parsing
//!   floor the issue measures against (it rejects duplicate keys, so it is not what we ship).
//! - `load`: kubeward's loader (read, parse with Kubernetes semantics, build the inventory).
//! - `check`: every enabled rule on the loaded inventory, suppression, report building.
//! - `end_to_end`: load + check + JSON rendering.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubeward_core::config::Config;
use kubeward_core::input::{InputArg, LoadOptions, load};
use std::path::PathBuf;
use std::time::Duration;

fn corpus() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBEWARD_BENCH_CORPUS") {
        return PathBuf::from(p);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-corpus-10k");
    if !dir.exists() {
        let st = std::process::Command::new(env!("CARGO"))
            .args([
                "run",
                "--release",
                "-q",
                "-p",
                "xtask",
                "--",
                "gen-corpus",
                "--objects",
                "10000",
                "--out",
            ])
            .arg(&dir)
            .status()
            .expect("run xtask");
        assert!(st.success());
    }
    dir
}

fn files(dir: &std::path::Path) -> Vec<(PathBuf, String)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                let t = std::fs::read_to_string(&p).unwrap();
                v.push((p, t));
            }
        }
    }
    v
}

fn bench(c: &mut Criterion) {
    let dir = corpus();
    let texts = files(&dir);
    let bytes: u64 = texts.iter().map(|(_, t)| t.len() as u64).sum();
    let reg = kubeward::registry();
    let config = Config::default();
    let inputs = vec![InputArg::Path(dir.clone())];
    let opts = LoadOptions::default();

    let mut g = c.benchmark_group("scan");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("saphyr_marked", |b| {
        b.iter(|| {
            use saphyr::{LoadableYamlNode, MarkedYaml};
            let mut n = 0usize;
            for (_, t) in &texts {
                n += MarkedYaml::load_from_str(t).map(|d| d.len()).unwrap_or(0);
            }
            n
        })
    });
    g.bench_function("load", |b| b.iter(|| load(&inputs, &opts).inventory.len()));
    let loaded = load(&inputs, &opts);
    g.bench_function("check", |b| {
        b.iter(|| {
            let out = kubeward_core::engine::Engine {
                registry: &reg,
                config: &config,
            }
            .run(&loaded.inventory, &loaded.duplicates, None);
            kubeward_core::report::build(
                &loaded.inventory,
                out.findings,
                Vec::new(),
                Vec::new(),
                &loaded.stats,
            )
            .findings
            .len()
        })
    });
    g.bench_function("end_to_end", |b| {
        b.iter(|| {
            let sources: Vec<Box<dyn kubeward::Source>> = vec![Box::new(kubeward::Files {
                inputs: inputs.clone(),
                options: opts.clone(),
            })];
            let o = kubeward::scan(&sources, &reg, &config, None).expect("one source");
            kubeward_report::json::render(&o.report).len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
