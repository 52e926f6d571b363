//! Inputs shared by the tests of the NetworkPolicy rules.

pub(super) fn np(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{}\n",
        spec.lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

pub(super) const DENY: &str = "podSelector: {}\npolicyTypes: [Ingress, Egress]";
pub(super) const DNS_OK: &str = "podSelector: {}\npolicyTypes: [Egress]\negress:\n- to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n  ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]";

pub(super) fn hardened() -> String {
    std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/hardened-app"
    ))
    .unwrap()
    .map(|e| e.unwrap().path())
    .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
    .map(|p| std::fs::read_to_string(p).unwrap() + "\n")
    .collect::<Vec<_>>()
    .concat()
}
