//! Writes a generated NetworkPolicy topology as YAML to standard output:
//! `cargo run --release -p kubeward-analysis --features bench-gen --example netpol_topology -- 10000 5000 > big.yaml`
//! (workloads, policies, optional seed).

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("numbers: WORKLOADS POLICIES [SEED]"))
        .collect();
    let workloads = args.first().copied().unwrap_or(10_000);
    let policies = args.get(1).copied().unwrap_or(5_000);
    let seed = args.get(2).copied().unwrap_or(42) as u64;
    print!(
        "{}",
        kubeward_analysis::netpol::generate::topology(workloads, policies, seed)
    );
}
