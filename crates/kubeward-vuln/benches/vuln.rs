//! Benchmarks on generated data: importing OSV records from a zip export, loading a
//! 200k-record index, and matching 10k packages against it.
//!
//! `cargo bench -p kubeward-vuln --bench vuln`

use criterion::{Criterion, criterion_group, criterion_main};
use kubeward_vuln::Database;
use kubeward_vuln::import::import_paths;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "generate.rs"]
mod generate;
use generate::{queries, write_zip};

fn benches(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("20k.zip");
    write_zip(&small, 20_000);
    let big = tmp.path().join("200k.zip");
    write_zip(&big, 200_000);

    let mut g = c.benchmark_group("vuln");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("import 20k OSV records (zip)", |b| {
        b.iter(|| import_paths(std::slice::from_ref(&small)).unwrap())
    });

    let t = Instant::now();
    let imported = import_paths(std::slice::from_ref(&big)).unwrap();
    eprintln!(
        "import of 200k OSV records (zip, {} MiB): {:.2}s",
        std::fs::metadata(&big).unwrap().len() >> 20,
        t.elapsed().as_secs_f64()
    );
    let dir = tmp.path().join("db");
    let path = imported.db.save(&dir).unwrap();
    eprintln!(
        "index file for 200k records: {:.1} MiB",
        std::fs::metadata(&path).unwrap().len() as f64 / (1 << 20) as f64
    );
    drop(imported);
    g.bench_function("load 200k-record index", |b| {
        b.iter(|| Database::load(&dir).unwrap())
    });
    let db = Database::load(&dir).unwrap();
    let qs = queries(10_000);
    let hits: usize = db.match_all(&qs).iter().map(|o| o.matches.len()).sum();
    eprintln!("10k packages against 200k records: {hits} matches");
    g.bench_function("match 10k packages against 200k records", |b| {
        b.iter(|| db.match_all(&qs))
    });
    g.bench_function("match 10k packages against 200k records, one thread", |b| {
        b.iter(|| {
            qs.iter()
                .map(|q| db.matches(q).matches.len())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(vuln, benches);
criterion_main!(vuln);
