//! Writes a generated RBAC inventory to stdout:
//! `cargo run --release -p kubeward-analysis --features bench-gen --example gen_rbac -- 10000 50000 > rbac.yaml`.

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let roles = args.first().copied().unwrap_or(10_000);
    let bindings = args.get(1).copied().unwrap_or(50_000);
    print!(
        "{}",
        kubeward_analysis::rbac::generate::corpus(roles, bindings, 42)
    );
}
