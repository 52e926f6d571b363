//! `cargo bench -p kubeward-audit --features bench-gen --bench audit`: events per second (one core) for the audit
//! analyzer on a generated realistic mix, in memory (no disk, no gzip). Wall clock: on a busy
//! machine `--bench stream` gives the per-core figure from CPU time.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubeward_audit::{Analyzer, AnalyzerSink, AuditSettings};
use kubeward_core::Registry;
use kubeward_core::config::Config;

fn registry() -> Registry {
    let mut r = Registry::new();
    r.extend(kubeward_rules::rules());
    r.extend(kubeward_audit::rules());
    r
}

fn analyze(c: &mut Criterion) {
    let n = 200_000u64;
    let text = kubeward_audit::synth::lines(n, 42);
    let reg = registry();
    let cfg = Config::default();
    let mut g = c.benchmark_group("analyze");
    g.throughput(Throughput::Elements(n));
    g.sample_size(10);
    g.bench_function("mix_200k_events", |b| {
        b.iter(|| {
            let mut analyzer = Analyzer::new(&reg, &cfg, AuditSettings::default());
            let mut alerts = 0u64;
            let mut out = |_a: kubeward_audit::Alert| alerts += 1;
            let mut sink = AnalyzerSink {
                analyzer: &mut analyzer,
                out: &mut out,
            };
            kubeward_audit::reader::read_bytes("bench", text.as_bytes(), &mut sink).unwrap();
            assert_eq!(analyzer.summary().events, n);
            alerts
        })
    });
    g.finish();
}

criterion_group!(benches, analyze);
criterion_main!(benches);
