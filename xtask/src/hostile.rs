//! `cargo run -p xtask -- gen-hostile --out DIR [--value-mb N] [--namespaces N] [--workloads N]`
//! writes the inputs of the reliability benchmarks (docs/reliability.md):
//!
//! - `DIR/large-value.yaml`: one Pod whose `env[].value` is N MB (default 50) of random
//!   letters and digits (time and peak memory must stay under 1 s and 4x the input);
//! - `DIR/workload-tokens/`: N namespaces (default 2000), each with a ServiceAccount that may
//!   read Secrets and N Deployments (default 20) mounting its token: every Deployment is a
//!   KW-RBAC-031 finding, which was quadratic in the number of workloads.

use std::fmt::Write as _;
use std::path::PathBuf;

pub fn gen_hostile(args: &[String]) {
    let out = PathBuf::from(
        super::flag(args, "--out").unwrap_or_else(|| super::fail("--out DIR is required")),
    );
    let num = |name: &str, default: usize| {
        super::flag(args, name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mb = num("--value-mb", 50);
    let namespaces = num("--namespaces", 2000);
    let per_ns = num("--workloads", 20);
    std::fs::create_dir_all(out.join("workload-tokens"))
        .unwrap_or_else(|e| super::fail(&format!("cannot create {out:?}: {e}")));

    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut value = Vec::with_capacity(mb << 20);
    for _ in 0..mb << 20 {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let r = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
        value.push(ALNUM[(r >> 58) as usize % ALNUM.len()]);
    }
    let mut text = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: large-value, namespace: bench}\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    env:\n    - name: BLOB\n      value: ",
    );
    text.push_str(std::str::from_utf8(&value).expect("ASCII"));
    text.push('\n');
    let path = out.join("large-value.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| super::fail(&format!("{path:?}: {e}")));

    for n in 0..namespaces {
        let ns = format!("team-{n}");
        let mut t = String::new();
        let _ = write!(
            t,
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\n\
             apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: app, namespace: {ns}}}\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: reader, namespace: {ns}}}\n\
             rules:\n- apiGroups: ['']\n  resources: [secrets]\n  verbs: [get, list]\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: reader, namespace: {ns}}}\n\
             roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}\n\
             subjects:\n- {{kind: ServiceAccount, name: app, namespace: {ns}}}\n"
        );
        for m in 0..per_ns {
            let _ = write!(
                t,
                "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{m}, namespace: {ns}}}\n\
                 spec:\n  selector: {{matchLabels: {{app: a{m}}}}}\n  template:\n    metadata: {{labels: {{app: a{m}}}}}\n\
                 \x20   spec:\n      serviceAccountName: app\n      containers:\n      - {{name: c, image: 'nginx:1.27'}}\n"
            );
        }
        let path = out.join("workload-tokens").join(format!("{ns}.yaml"));
        std::fs::write(&path, t).unwrap_or_else(|e| super::fail(&format!("{path:?}: {e}")));
    }
    println!(
        "wrote {} ({mb} MB value) and {} namespaces x {per_ns} Deployments to {}",
        path.display(),
        namespaces,
        out.join("workload-tokens").display()
    );
}
