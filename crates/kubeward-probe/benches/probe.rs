//! `probe` of 1,000 loopback ports (a NodePort-style range where every tenth port listens):
//! wall time and ports/s. Run: `cargo bench -p kubeward-probe --bench probe`.

use kubeward_probe::{Options, Service, probe};
use std::time::{Duration, Instant};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // Find 1,000 consecutive free ports, listen on every tenth.
    let mut base = 41000u16;
    let listeners = loop {
        let ls: Vec<_> = (0..1000u16)
            .step_by(10)
            .filter_map(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).ok())
            .collect();
        if ls.len() == 100 {
            break ls;
        }
        base += 1000;
        assert!(base < 60000, "no free range");
    };
    let opts = Options {
        targets: vec!["127.0.0.1".into()],
        services: vec![Service::NodePort],
        nodeport_range: (base, base + 999),
        timeout: Duration::from_secs(1),
        concurrency: 256,
        ..Options::default()
    };
    for run in 0..3 {
        let t = Instant::now();
        let answers = rt.block_on(probe(&opts));
        let s = t.elapsed().as_secs_f64();
        assert_eq!(answers.iter().filter(|a| a.is_open()).count(), 100);
        println!(
            "probe run {run}: 1000 loopback ports in {:.1} ms = {:.0} ports/s",
            s * 1e3,
            1000.0 / s
        );
    }
    drop(listeners);
}
