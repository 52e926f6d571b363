//! `etcd verify` throughput: fills a loopback etcd (TLS, client certificates) with 100,000
//! Secret keys in mixed formats, then times `verify` (keys/s). Run:
//! `cargo bench -p kubeward-etcd --bench verify` (KW_BENCH_KEYS to change the count).

#[path = "../tests/support/mod.rs"]
mod support;

use etcd_client::{Txn, TxnOp};
use std::time::Instant;

fn main() {
    let Some(bin) = support::etcd_binary() else {
        return;
    };
    let n: usize = std::env::var("KW_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let etcd = support::start(&bin);
    rt.block_on(async {
        let mut c = etcd.client().await;
        let kinds = [
            "protobuf",
            "k8s:enc:aescbc:v1:key1:",
            "k8s:enc:secretbox:v1:box:",
            "k8s:enc:kms:v2:vault:",
        ];
        let t = Instant::now();
        // Transactions of 100 puts (etcd's default --max-txn-ops is 128).
        for start in (0..n).step_by(100) {
            let ops: Vec<TxnOp> = (start..(start + 100).min(n))
                .map(|i| {
                    TxnOp::put(
                        format!("/registry/secrets/ns-{}/secret-{i:07}", i % 50),
                        support::value(kinds[i % kinds.len()], 400),
                        None,
                    )
                })
                .collect();
            c.txn(Txn::new().and_then(ops)).await.unwrap();
        }
        eprintln!("filled {n} keys in {:.1}s", t.elapsed().as_secs_f64());
        let opts = kubeward_etcd::Options {
            resources: vec!["secrets".into()],
            ..etcd.options()
        };
        for run in 0..3 {
            let t = Instant::now();
            let r = kubeward_etcd::verify(&opts).await.unwrap();
            let s = t.elapsed().as_secs_f64();
            assert_eq!(r.resources[0].counts.total as usize, n);
            println!(
                "etcd verify run {run}: {n} keys in {s:.2}s = {:.0} keys/s",
                n as f64 / s
            );
        }
    });
}
