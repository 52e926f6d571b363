//! Attack paths at scale: the 10,000-workload NetworkPolicy benchmark topology (5,000
//! policies) with exposure, RBAC, privileged workloads and a node agent added
//! (`paths::generate::topology`). One iteration = build every model the graph joins (RBAC
//! analysis, NetworkPolicy model), the graph, every path, and the cut advice. Parsing the
//! YAML is not measured.
//!
//! `cargo bench -p kubeward-analysis --features bench-gen --bench paths`

use criterion::{Criterion, criterion_group, criterion_main};
use kubeward_analysis::paths;
use kubeward_core::input::{LoadOptions, load_text};
use std::time::{Duration, Instant};

fn bench(c: &mut Criterion) {
    let workloads: usize = std::env::var("KUBEWARD_BENCH_WORKLOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let yaml = paths::generate::topology(workloads, 5_000, 42);
    let mut loaded = load_text("topology.yaml", &yaml, &LoadOptions::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let p = paths::analyze(&loaded.inventory);
    eprintln!(
        "graph: {} vertices, {} edges, {} steps; {} paths; first cut breaks {}",
        p.graph.vertices.len(),
        p.graph.edges.len(),
        p.graph.steps.len(),
        p.paths.len(),
        p.cut.first().map_or(0, |c| c.breaks)
    );
    let mut g = c.benchmark_group("paths");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function(
        format!("{workloads} workloads: models, graph, paths, cut"),
        |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Forget the previous iteration's memoised RBAC analysis (not timed).
                    loaded.inventory.add_objects(Vec::new(), "default");
                    let start = Instant::now();
                    let p = paths::analyze(&loaded.inventory);
                    std::hint::black_box(p.paths.len());
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
