//! RBAC analysis on a generated inventory: 10,000 Roles/ClusterRoles and 50,000 bindings (plus
//! 2,000 Deployments and Services). One iteration = build the analysis, run every RBAC rule
//! (all findings) and answer one who-can query. Parsing the YAML is not measured.
//!
//! `cargo bench -p kubeward-analysis --features bench-gen --bench rbac`

use criterion::{Criterion, criterion_group, criterion_main};
use kubeward_analysis::rbac::analysis::Analysis;
use kubeward_analysis::rbac::authz::{Request, who_can};
use kubeward_core::Registry;
use kubeward_core::config::Config;
use kubeward_core::engine::Engine;
use kubeward_core::input::{LoadOptions, load_text};
use std::time::{Duration, Instant};

fn bench(c: &mut Criterion) {
    let roles: usize = std::env::var("KUBEWARD_BENCH_ROLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let bindings: usize = std::env::var("KUBEWARD_BENCH_BINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let text = kubeward_analysis::rbac::generate::corpus(roles, bindings, 42);
    let mut loaded = load_text("rbac.yaml", &text, &LoadOptions::default());
    assert!(loaded.diagnostics.is_empty());
    let mut reg = Registry::new();
    reg.extend(kubeward_analysis::rules());
    let config = Config::default();
    let req = Request::resource("get", "ns-7", "", "secrets");
    let mut g = c.benchmark_group("rbac");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function(
        format!("analyse {roles} roles + {bindings} bindings: all findings + who-can"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Forget the previous iteration's analysis (not timed).
                    loaded.inventory.add_objects(Vec::new(), "default");
                    let start = Instant::now();
                    let out = Engine {
                        registry: &reg,
                        config: &config,
                    }
                    .run(&loaded.inventory, &[], None);
                    let a = Analysis::of(&loaded.inventory);
                    let w = who_can(&a.model, &req);
                    std::hint::black_box((out.findings.len(), w.len()));
                    total += start.elapsed();
                }
                total
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
