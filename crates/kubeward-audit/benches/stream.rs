//! `cargo bench -p kubeward-audit --features bench-gen --bench stream`: a large gzip audit log read through the
//! analyzer in bounded memory. Generates KW_BENCH_GZ_MB (default 1024) MB of event lines,
//! gzip-compressed, into a temporary file, then reads it back (one thread) and reports
//! events/s, MB/s and the peak resident set size.

use kubeward_audit::{Analyzer, AnalyzerSink, AuditSettings};
use kubeward_core::Registry;
use kubeward_core::config::Config;
use std::io::Write;
use std::time::Instant;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// CPU time of the calling thread (seconds): events per CPU-second is events/s per core,
/// whatever else the machine is running.
fn thread_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
        })
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let mb: u64 = std::env::var("KW_BENCH_GZ_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("audit.log.gz");
    let t = Instant::now();
    let mut rng = kubeward_audit::synth::Rng::new(7);
    let file = std::fs::File::create(&path).expect("create");
    let mut gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut line = String::new();
    let (mut written, mut n) = (0u64, 0u64);
    while written < mb << 20 {
        line.clear();
        kubeward_audit::synth::event_line(&mut rng, n, &mut line);
        gz.write_all(line.as_bytes()).expect("write");
        written += line.len() as u64;
        n += 1;
    }
    gz.finish().expect("finish").flush().expect("flush");
    let gz_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "generated {n} events, {:.0} MB uncompressed, {:.0} MB gzip, in {:.1} s (peak RSS so far {} MiB)",
        written as f64 / 1048576.0,
        gz_size as f64 / 1048576.0,
        t.elapsed().as_secs_f64(),
        peak_rss_kib() / 1024
    );

    let mut reg = Registry::new();
    reg.extend(kubeward_rules::rules());
    reg.extend(kubeward_audit::rules());
    let cfg = Config::default();
    let mut analyzer = Analyzer::new(&reg, &cfg, AuditSettings::default());
    let mut alerts = 0u64;
    let mut out = |_a: kubeward_audit::Alert| alerts += 1;
    let mut sink = AnalyzerSink {
        analyzer: &mut analyzer,
        out: &mut out,
    };
    let t = Instant::now();
    let cpu = thread_cpu_secs();
    let file = std::fs::File::open(&path).expect("open");
    let input = kubeward_audit::reader::maybe_gunzip(file).expect("gunzip");
    kubeward_audit::reader::read_stream("bench", input, &Default::default(), &mut sink)
        .expect("read");
    let secs = t.elapsed().as_secs_f64();
    let cpu = thread_cpu_secs() - cpu;
    let s = analyzer.summary();
    assert_eq!(s.events, n);
    println!(
        "gzip stream: read {} events ({} alerts, {} bad) in {secs:.2} s wall, {cpu:.2} s CPU: {:.0} events/s wall, {:.0} events/s per core (CPU), {:.0} MB/s uncompressed per core; peak RSS {} MiB",
        s.events,
        alerts,
        s.bad,
        s.events as f64 / secs,
        s.events as f64 / cpu,
        written as f64 / 1048576.0 / cpu,
        peak_rss_kib() / 1024
    );

    // The analyzer alone, from memory (no gzip, no disk): events per CPU-second.
    let m = 400_000u64;
    let text = kubeward_audit::synth::lines(m, 42);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let mut analyzer = Analyzer::new(&reg, &cfg, AuditSettings::default());
        let mut out = |_a: kubeward_audit::Alert| {};
        let mut sink = AnalyzerSink {
            analyzer: &mut analyzer,
            out: &mut out,
        };
        let cpu = thread_cpu_secs();
        kubeward_audit::reader::read_bytes("bench", text.as_bytes(), &mut sink).expect("read");
        best = best.min(thread_cpu_secs() - cpu);
    }
    println!(
        "analyze from memory: {m} events ({:.0} bytes/event) in {best:.3} s CPU: {:.0} events/s per core",
        text.len() as f64 / m as f64,
        m as f64 / best
    );
}
