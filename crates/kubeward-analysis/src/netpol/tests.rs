//! Table tests: one per semantics rule of NetworkPolicy analysis (the 22 rules listed in the
//! reference notes), each with inline inventories.

use super::eval::Side;
use super::ip::IpRange;
use super::model::{Model, Options};
use super::ports::ConnSet;
use kubeward_core::testing::load;

pub(crate) fn build(yaml: &str) -> Model {
    build_with(yaml, Options::default())
}

pub(crate) fn build_with(yaml: &str, opts: Options) -> Model {
    let l = load(yaml);
    Model::build(&l.inventory, opts)
}

/// A Deployment `ns/name` with pod labels `labels` (`k=v,k2=v2`) and container ports
/// (`name:80/TCP,53/UDP`).
pub(crate) fn deploy(ns: &str, name: &str, labels: &str, ports: &str) -> String {
    let mut l = String::new();
    for kv in labels.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap();
        l.push_str(&format!("        {k}: \"{v}\"\n"));
    }
    if l.is_empty() {
        l.push_str("        {}\n");
    }
    let mut p = String::new();
    for spec in ports.split(',').filter(|s| !s.is_empty()) {
        let (name, rest) = match spec.split_once(':') {
            Some((n, r)) => (Some(n), r),
            None => (None, spec),
        };
        let (num, proto) = rest.split_once('/').unwrap_or((rest, "TCP"));
        p.push_str(&format!(
            "        - containerPort: {num}\n          protocol: {proto}\n{}",
            name.map(|n| format!("          name: {n}\n"))
                .unwrap_or_default()
        ));
    }
    let ports_block = if p.is_empty() {
        String::new()
    } else {
        format!("        ports:\n{p}")
    };
    let labels_block = if l.trim() == "{}" {
        "      labels: {}\n".to_string()
    } else {
        format!("      labels:\n{l}")
    };
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: \"{name}\", namespace: \"{ns}\"}}\nspec:\n  template:\n    metadata:\n{labels_block}    spec:\n      containers:\n      - name: c\n        image: x\n{ports_block}",
    )
}

/// Allowed connections between two workloads (`ns/name`) or an address (`ip:1.2.3.4`).
pub(crate) fn between(m: &Model, src: &str, dst: &str) -> String {
    let side = |t: &str, holder: &mut Option<IpRange>| -> Option<u32> {
        if let Some(ip) = t.strip_prefix("ip:") {
            *holder = Some(IpRange::single(ip.parse().unwrap()));
            None
        } else {
            let e = m.find_endpoint(t).unwrap();
            Some(m.endpoints[e as usize].class)
        }
    };
    let (mut hs, mut hd) = (None, None);
    let s = side(src, &mut hs);
    let d = side(dst, &mut hd);
    let ss = match s {
        Some(c) => Side::Class(c),
        None => Side::External(hs.as_ref().unwrap()),
    };
    let ds = match d {
        Some(c) => Side::Class(c),
        None => Side::External(hd.as_ref().unwrap()),
    };
    m.allowed(ss, ds).to_string()
}

pub(crate) fn lines(m: &Model) -> Vec<String> {
    super::connections(m)
        .into_iter()
        .map(|c| format!("{} => {} : {}", c.src, c.dst, c.conn))
        .collect()
}

fn errors(m: &Model) -> Vec<(String, String)> {
    m.issues
        .iter()
        .filter(|i| i.error)
        .map(|i| (i.pointer.clone(), i.message.clone()))
        .collect()
}

fn warnings(m: &Model) -> Vec<String> {
    m.issues
        .iter()
        .filter(|i| !i.error)
        .map(|i| i.message.clone())
        .collect()
}

fn np(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{}\n",
        spec.lines()
            .map(|l| format!("  {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

fn two() -> String {
    deploy("a", "x", "app=x", "http:80")
        + &deploy("a", "v", "app=v", "http:8080")
        + &deploy("b", "z", "app=z", "")
}

#[test]
fn r01_isolation_is_per_direction() {
    let m = build(
        &(two()
            + &np(
                "a",
                "in-x",
                "podSelector: {matchLabels: {app: x}}\npolicyTypes: [Ingress]",
            )),
    );
    // x is isolated for ingress only: nothing reaches it, it still reaches everyone.
    assert_eq!(between(&m, "a/v", "a/x"), "No Connections");
    assert_eq!(between(&m, "a/x", "a/v"), "All Connections");
    assert_eq!(between(&m, "a/x", "ip:8.8.8.8"), "All Connections");
    // y is selected by nothing: unaffected.
    assert_eq!(between(&m, "b/z", "a/v"), "All Connections");
}

#[test]
fn r02_policy_types_default() {
    // egress: [] without policyTypes: only Ingress is isolated (egress has no rules).
    let m = build(&(two() + &np("a", "p", "podSelector: {matchLabels: {app: x}}\negress: []")));
    assert_eq!(between(&m, "a/x", "a/v"), "All Connections");
    assert_eq!(between(&m, "a/v", "a/x"), "No Connections");
    // Egress rules without policyTypes: both directions isolated.
    let m = build(
        &(two()
            + &np(
                "a",
                "p",
                "podSelector: {matchLabels: {app: x}}\negress:\n- to: [{podSelector: {matchLabels: {app: v}}}]",
            )),
    );
    assert_eq!(between(&m, "a/x", "a/v"), "All Connections");
    assert_eq!(between(&m, "a/x", "b/z"), "No Connections");
    assert_eq!(between(&m, "a/v", "a/x"), "No Connections");
    assert!(m.policies[0].types_defaulted);
    // Explicit policyTypes: [Egress] leaves ingress open.
    let m = build(
        &(two()
            + &np(
                "a",
                "p",
                "podSelector: {matchLabels: {app: x}}\npolicyTypes: [Egress]",
            )),
    );
    assert_eq!(between(&m, "a/v", "a/x"), "All Connections");
    assert_eq!(between(&m, "a/x", "a/v"), "No Connections");
}

#[test]
fn r03_allows_are_a_union_and_empty_rules_deny() {
    let m = build(
        &(two()
            + &np(
                "a",
                "p1",
                "podSelector: {matchLabels: {app: x}}\ningress:\n- ports: [{port: 80}]",
            )
            + &np(
                "a",
                "p2",
                "podSelector: {matchLabels: {app: x}}\ningress:\n- ports: [{port: 443}, {port: 53, protocol: UDP}]",
            )),
    );
    assert_eq!(between(&m, "a/v", "a/x"), "TCP 80,443,UDP 53");
    let m = build(
        &(two()
            + &np(
                "a",
                "deny",
                "podSelector: {}\npolicyTypes: [Ingress]\ningress: []",
            )),
    );
    assert_eq!(between(&m, "a/v", "a/x"), "No Connections");
    assert_eq!(between(&m, "b/z", "a/v"), "No Connections");
}

#[test]
fn r04_both_ends_must_allow() {
    let egress_only = np(
        "a",
        "eg",
        "podSelector: {matchLabels: {app: v}}\npolicyTypes: [Egress]\negress:\n- to: [{podSelector: {matchLabels: {app: x}}}]",
    );
    let ingress_other = np(
        "a",
        "in",
        "podSelector: {matchLabels: {app: x}}\npolicyTypes: [Ingress]\ningress:\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}}]",
    );
    let m = build(&(two() + &egress_only + &ingress_other));
    assert_eq!(
        between(&m, "a/v", "a/x"),
        "No Connections",
        "egress allows, ingress does not"
    );
    assert_eq!(between(&m, "b/z", "a/x"), "All Connections");
    assert_eq!(
        between(&m, "a/v", "b/z"),
        "No Connections",
        "egress does not allow"
    );
    let ingress_y = np(
        "a",
        "in2",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- from: [{podSelector: {matchLabels: {app: v}}}]\n  ports: [{port: 80}]",
    );
    let m = build(&(two() + &egress_only + &ingress_other + &ingress_y));
    assert_eq!(between(&m, "a/v", "a/x"), "TCP 80");
}

#[test]
fn r05_nodes_are_not_endpoints() {
    // NetworkPolicy cannot name nodes; traffic from the own node (kubelet probes) is always
    // allowed by the plugin and is not part of the connection list. An AdminNetworkPolicy
    // `nodes` peer cannot be resolved offline: it matches nothing, with a warning.
    let anp = "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: nodes}\nspec:\n  priority: 5\n  subject: {namespaces: {}}\n  egress:\n  - action: Deny\n    to: [{nodes: {matchLabels: {role: control-plane}}}]\n";
    let m = build(&(two() + anp));
    assert!(
        warnings(&m).iter().any(|w| w.contains("`nodes` peers")),
        "{:?}",
        warnings(&m)
    );
    assert_eq!(between(&m, "a/x", "a/v"), "All Connections");
    assert!(lines(&m).iter().all(|l| !l.contains("[Node]")));
}

#[test]
fn r06_empty_pod_selector_and_empty_peer() {
    let m = build(&(two() + &np("a", "all", "podSelector: {}\npolicyTypes: [Ingress]")));
    assert_eq!(between(&m, "b/z", "a/x"), "No Connections");
    assert_eq!(between(&m, "b/z", "a/v"), "No Connections");
    assert_eq!(
        between(&m, "a/x", "b/z"),
        "All Connections",
        "other namespaces are untouched"
    );
    let m = build(&(two() + &np("a", "bad", "podSelector: {}\ningress:\n- from: [{}]")));
    let e = errors(&m);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].0, "/spec/ingress/0/from/0");
    assert!(e[0].1.contains("empty peer"));
    // The invalid policy is left out (the API server would reject it).
    assert_eq!(between(&m, "b/z", "a/x"), "All Connections");
}

#[test]
fn r07_and_within_a_peer_or_across_peers() {
    let base = deploy("a", "x", "app=x", "")
        + &deploy("a", "web", "role=web", "")
        + &deploy("b", "web", "role=web", "")
        + &deploy("b", "db", "role=db", "");
    let and = np(
        "a",
        "and",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}\n    podSelector: {matchLabels: {role: web}}",
    );
    let m = build(&(base.clone() + &and));
    assert_eq!(between(&m, "b/web", "a/x"), "All Connections");
    assert_eq!(between(&m, "b/db", "a/x"), "No Connections");
    assert_eq!(between(&m, "a/web", "a/x"), "No Connections");
    let or = np(
        "a",
        "or",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- from:\n  - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: b}}\n  - podSelector: {matchLabels: {role: web}}",
    );
    let m = build(&(base.clone() + &or));
    assert_eq!(between(&m, "b/web", "a/x"), "All Connections");
    assert_eq!(between(&m, "b/db", "a/x"), "All Connections");
    assert_eq!(
        between(&m, "a/web", "a/x"),
        "All Connections",
        "podSelector alone: own namespace"
    );
    let all_ns = np(
        "a",
        "all",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- from: [{namespaceSelector: {}}]",
    );
    let m = build(&(base + &all_ns));
    assert_eq!(between(&m, "b/db", "a/x"), "All Connections");
    assert_eq!(
        between(&m, "ip:8.8.8.8", "a/x"),
        "No Connections",
        "namespaceSelector {{}} is pods, not addresses"
    );
}

#[test]
fn r08_namespaces_by_name_label_and_assumed_namespaces() {
    let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b, labels: {team: blue}}\n";
    let pol = np(
        "a",
        "p",
        "podSelector: {}\ningress:\n- from: [{namespaceSelector: {matchLabels: {team: blue}}}]\n- from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: c}}}]",
    );
    let m = build(&(two() + &deploy("c", "w", "", "") + ns + &pol));
    assert_eq!(
        between(&m, "b/z", "a/x"),
        "All Connections",
        "b has team=blue"
    );
    assert_eq!(
        between(&m, "c/w", "a/x"),
        "All Connections",
        "c matched by its name label"
    );
    // `a` and `c` have no Namespace object: assumed with only the name label.
    assert_eq!(m.assumed_namespaces(), vec!["a", "c", "kube-system"]);
    let nsb = &m.namespaces[m.ns_index["b"] as usize];
    assert_eq!(
        nsb.labels.display(&m.syms),
        "kubernetes.io/metadata.name=b,team=blue"
    );
}

#[test]
fn r09_match_expressions() {
    let base = deploy("a", "x", "app=x", "")
        + &deploy("a", "t1", "tier=front", "")
        + &deploy("a", "t2", "tier=back", "")
        + &deploy("a", "none", "", "");
    let cases = [
        (
            "{key: tier, operator: In, values: [front]}",
            ["All Connections", "No Connections", "No Connections"],
        ),
        (
            "{key: tier, operator: NotIn, values: [front]}",
            ["No Connections", "All Connections", "All Connections"],
        ),
        (
            "{key: tier, operator: Exists}",
            ["All Connections", "All Connections", "No Connections"],
        ),
        (
            "{key: tier, operator: DoesNotExist}",
            ["No Connections", "No Connections", "All Connections"],
        ),
    ];
    for (expr, want) in cases {
        let pol = np(
            "a",
            "p",
            &format!(
                "podSelector: {{matchLabels: {{app: x}}}}\ningress:\n- from: [{{podSelector: {{matchExpressions: [{expr}]}}}}]"
            ),
        );
        let m = build(&(base.clone() + &pol));
        let got = [
            between(&m, "a/t1", "a/x"),
            between(&m, "a/t2", "a/x"),
            between(&m, "a/none", "a/x"),
        ];
        assert_eq!(got, want.map(String::from), "{expr}");
    }
    let bad = np(
        "a",
        "p",
        "podSelector: {matchExpressions: [{key: tier, operator: In}]}",
    );
    let m = build(&(base + &bad));
    assert_eq!(errors(&m)[0].0, "/spec/podSelector/matchExpressions/0");
}

#[test]
fn r10_ip_block_with_except() {
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\npolicyTypes: [Egress]\negress:\n- to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]",
    );
    let m = build(&(two() + &pol));
    assert_eq!(between(&m, "a/x", "ip:10.2.3.4"), "All Connections");
    assert_eq!(between(&m, "a/x", "ip:10.1.3.4"), "No Connections");
    assert_eq!(between(&m, "a/x", "ip:11.0.0.1"), "No Connections");
    let bad = np(
        "a",
        "p",
        "podSelector: {}\negress:\n- to: [{ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/16, 10.0.0.0/8]}}]",
    );
    let m = build(&(two() + &bad));
    let e = errors(&m);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[0].0, "/spec/egress/0/to/0/ipBlock/except/0");
    assert_eq!(e[1].0, "/spec/egress/0/to/0/ipBlock/except/1");
    let mixed = np(
        "a",
        "p",
        "podSelector: {}\negress:\n- to: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]",
    );
    let m = build(&(two() + &mixed));
    assert!(errors(&m)[0].1.contains("cannot combine `ipBlock`"));
}

#[test]
fn r11_ip_block_and_pod_addresses() {
    let pods = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: a, labels: {app: p}}\nspec: {containers: [{name: c, image: x}]}\nstatus: {podIP: 10.0.0.5}\n";
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\npolicyTypes: [Egress]\negress:\n- to: [{ipBlock: {cidr: 10.0.0.0/24}}]",
    );
    let fixture = two() + pods + &pol;
    let m = build(&fixture);
    assert_eq!(
        between(&m, "a/x", "a/p1"),
        "No Connections",
        "default: ipBlock never matches pods"
    );
    assert_eq!(between(&m, "a/x", "ip:10.0.0.9"), "All Connections");
    let m = build_with(
        &fixture,
        Options {
            ipblock_matches_pods: true,
            ..Options::default()
        },
    );
    assert_eq!(
        between(&m, "a/x", "a/p1"),
        "All Connections",
        "flag: pod address in the block"
    );
    assert_eq!(
        between(&m, "a/x", "a/v"),
        "No Connections",
        "no known address: not in a partial block"
    );
}

#[test]
fn r12_ports_protocol_default_and_named_ports_per_destination() {
    let base = deploy("a", "tcp", "app=s,v=1", "web:8080/TCP")
        + &deploy("a", "udp", "app=s,v=2", "web:9090/UDP")
        + &deploy("a", "none", "app=s,v=3", "")
        + &deploy("a", "c", "app=c", "");
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: s}}\ningress:\n- ports: [{port: web}]\n- ports: [{port: web, protocol: UDP}]\n- ports: [{port: 7}]",
    );
    let m = build(&(base.clone() + &pol));
    assert_eq!(between(&m, "a/c", "a/tcp"), "TCP 7,8080");
    assert_eq!(
        between(&m, "a/c", "a/udp"),
        "TCP 7,UDP 9090",
        "TCP `web` does not resolve on a UDP port"
    );
    assert_eq!(
        between(&m, "a/c", "a/none"),
        "TCP 7",
        "a missing named port matches nothing"
    );
    // A rule without ports allows every port and protocol.
    let m = build(
        &(base
            + &np(
                "a",
                "p",
                "podSelector: {matchLabels: {app: s}}\ningress:\n- from: [{podSelector: {}}]",
            )),
    );
    assert_eq!(between(&m, "a/c", "a/tcp"), "All Connections");
}

#[test]
fn r13_end_port_ranges() {
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- ports: [{port: 8080, endPort: 8090}, {port: 80}]",
    );
    let m = build(&(two() + &pol));
    assert_eq!(between(&m, "a/v", "a/x"), "TCP 80,8080-8090");
    for (bad, ptr) in [
        (
            "[{port: http, endPort: 90}]",
            "/spec/ingress/0/ports/0/endPort",
        ),
        (
            "[{port: 90, endPort: 80}]",
            "/spec/ingress/0/ports/0/endPort",
        ),
        ("[{endPort: 80}]", "/spec/ingress/0/ports/0/endPort"),
        ("[{port: 70000}]", "/spec/ingress/0/ports/0/port"),
        (
            "[{port: 80, protocol: ICMP}]",
            "/spec/ingress/0/ports/0/protocol",
        ),
    ] {
        let m = build(
            &(two()
                + &np(
                    "a",
                    "p",
                    &format!("podSelector: {{}}\ningress:\n- ports: {bad}"),
                )),
        );
        assert_eq!(errors(&m).first().map(|e| e.0.as_str()), Some(ptr), "{bad}");
    }
}

#[test]
fn r14_named_port_on_ip_block() {
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\npolicyTypes: [Egress]\negress:\n- to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n  ports: [{port: https}]",
    );
    let m = build(&(two() + &pol));
    assert!(errors(&m).is_empty());
    assert!(warnings(&m)[0].contains("named port cannot apply to an ipBlock"));
    assert_eq!(between(&m, "a/x", "ip:1.1.1.1"), "No Connections");
}

#[test]
fn r15_allowing_one_protocol_denies_the_others() {
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- ports: [{port: 53, protocol: UDP}]",
    );
    let m = build(&(two() + &pol));
    let c = ConnSet::parse(&between(&m, "a/v", "a/x")).unwrap();
    assert!(c.contains(super::Proto::Udp, 53));
    assert!(!c.contains(super::Proto::Tcp, 53));
    assert!(!c.contains(super::Proto::Sctp, 53));
    let sctp = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- ports: [{port: 9, protocol: SCTP}, {protocol: UDP}]",
    );
    let m = build(&(two() + &sctp));
    assert_eq!(between(&m, "a/v", "a/x"), "SCTP 9,UDP 1-65535");
}

#[test]
fn r16_dns_egress() {
    let deny = np("a", "deny", "podSelector: {}\npolicyTypes: [Egress]");
    let dns = np(
        "a",
        "dns",
        "podSelector: {}\npolicyTypes: [Egress]\negress:\n- to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n  ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]",
    );
    let m = build(&(two() + &deny + &dns));
    let d = m.dns_endpoints();
    assert_eq!(d.len(), 1, "kube-dns stand-in");
    let x = m.endpoints[m.find_endpoint("a/x").unwrap() as usize].class;
    let dc = m.endpoints[d[0] as usize].class;
    assert_eq!(
        m.allowed(Side::Class(x), Side::Class(dc)).to_string(),
        "TCP 53,UDP 53"
    );
    // The stand-in never appears in the connection list.
    assert!(lines(&m).iter().all(|l| !l.contains("coredns")));
    let m = build(&(two() + &deny));
    assert!(m.allowed(Side::Class(x), Side::Class(dc)).is_empty());
}

#[test]
fn r17_self_traffic_left_out() {
    let same = deploy("a", "p", "app=s", "") + &deploy("a", "q", "app=s", "");
    let m = build(&same);
    let l = lines(&m);
    assert!(l.contains(&"a/p[Deployment] => a/q[Deployment] : All Connections".to_string()));
    assert!(l.contains(&"a/q[Deployment] => a/p[Deployment] : All Connections".to_string()));
    assert!(!l.iter().any(|x| x.starts_with("a/p[Deployment] => a/p[")));
    assert_eq!(
        m.classes.iter().filter(|c| !c.synthetic).count(),
        1,
        "one class, two members"
    );
}

#[test]
fn r18_host_network_pods_and_admin_peers() {
    let host = "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: a}\nspec:\n  template:\n    metadata: {labels: {app: agent}}\n    spec: {hostNetwork: true, containers: [{name: c, image: x}]}\n";
    let anp = "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: deny-a}\nspec:\n  priority: 1\n  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: a}}}\n  ingress:\n  - action: Deny\n    from: [{namespaces: {}}]\n";
    let m = build(&(two() + host + anp));
    assert_eq!(between(&m, "b/z", "a/x"), "No Connections");
    // Host-network pods are neither subjects nor peers of admin policies.
    assert_eq!(between(&m, "b/z", "a/agent"), "All Connections");
    assert_eq!(between(&m, "a/agent", "a/x"), "All Connections");
}

#[test]
fn r19_services_are_not_policy_targets() {
    let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: x, namespace: a}\nspec: {selector: {app: x}, ports: [{port: 80, targetPort: http}]}\n";
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- ports: [{port: 80}]",
    );
    let m = build(&(two() + svc + &pol));
    // The policy acts on pod port 80 (the named container port `http` is 80): the Service
    // port does not matter and the Service is no endpoint.
    assert_eq!(between(&m, "a/v", "a/x"), "TCP 80");
    assert!(lines(&m).iter().all(|l| !l.contains("[Service]")));
}

#[test]
fn r20_namespaces_without_policy_are_open() {
    let m = build(&two());
    let l = lines(&m);
    assert!(l.contains(
        &"0.0.0.0-255.255.255.255[External] => a/x[Deployment] : All Connections".to_string()
    ));
    assert!(l.contains(
        &"a/x[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections".to_string()
    ));
    assert!(l.contains(&"b/z[Deployment] => a/v[Deployment] : All Connections".to_string()));
    assert_eq!(l.len(), 3 * 2 + 6);
}

#[test]
fn r21_admin_and_baseline_tiers() {
    let anp = |name: &str, prio: i64, rules: &str| {
        format!(
            "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {{name: {name}}}\nspec:\n  priority: {prio}\n  subject: {{namespaces: {{matchLabels: {{kubernetes.io/metadata.name: a}}}}}}\n  ingress:\n{rules}"
        )
    };
    let banp = |rules: &str| {
        format!(
            "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {{name: default}}\nspec:\n  subject: {{namespaces: {{}}}}\n  ingress:\n{rules}"
        )
    };
    let from_b = "    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: b}}}]\n";
    let deny_np = np("a", "deny", "podSelector: {}\npolicyTypes: [Ingress]");
    // Allow overrides a NetworkPolicy deny.
    let m = build(&(two() + &deny_np + &anp("allow", 10, &format!("  - action: Allow\n{from_b}"))));
    assert_eq!(between(&m, "b/z", "a/x"), "All Connections");
    assert_eq!(between(&m, "a/v", "a/x"), "No Connections");
    // Lower priority number wins.
    let m = build(
        &(two()
            + &anp("allow", 10, &format!("  - action: Allow\n{from_b}"))
            + &anp(
                "deny",
                5,
                &format!("  - action: Deny\n    ports: [{{portNumber: {{port: 80}}}}]\n{from_b}"),
            )),
    );
    assert_eq!(
        between(&m, "b/z", "a/x"),
        "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"
    );
    // Pass hands over to NetworkPolicy; without one, to the baseline.
    let pass = anp("pass", 1, &format!("  - action: Pass\n{from_b}"));
    let base_deny = banp(&format!("  - action: Deny\n{from_b}"));
    let m = build(
        &(two() + &pass + &base_deny + &anp("allow", 10, &format!("  - action: Allow\n{from_b}"))),
    );
    assert_eq!(
        between(&m, "b/z", "a/x"),
        "No Connections",
        "passed to the baseline, which denies"
    );
    let allow_np = np(
        "a",
        "np",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- ports: [{port: 80}]",
    );
    let m = build(&(two() + &pass + &base_deny + &allow_np));
    assert_eq!(
        between(&m, "b/z", "a/x"),
        "TCP 80",
        "NetworkPolicy decides; the baseline is skipped"
    );
    assert_eq!(
        between(&m, "b/z", "a/v"),
        "No Connections",
        "y not isolated: baseline denies"
    );
    // Baseline named other than `default` is rejected.
    let bad = base_deny.replace("name: default", "name: other");
    let m = build(&(two() + &bad));
    assert_eq!(errors(&m)[0].0, "/metadata/name");
    // Same priority: a warning.
    let m = build(
        &(two()
            + &anp("p1", 3, &format!("  - action: Allow\n{from_b}"))
            + &anp("p2", 3, &format!("  - action: Deny\n{from_b}"))),
    );
    assert!(warnings(&m)[0].contains("share priority 3"));
    assert_eq!(
        between(&m, "b/z", "a/x"),
        "All Connections",
        "ordered by name: p1 first"
    );
}

#[test]
fn r22_workloads_not_pods() {
    let dep = deploy("a", "web", "app=web", "");
    let rs = "---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-7d4b9c\n  namespace: a\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true, uid: u1}]\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let pod = |n: &str, extra: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {n}\n  namespace: a\n  labels: {{app: web{extra}}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c, controller: true, uid: u2}}]\nspec: {{containers: [{{name: c, image: x}}]}}\n"
        )
    };
    let other = deploy("a", "client", "app=client", "");
    let m = build(
        &(dep.clone() + rs + &pod("web-7d4b9c-aaaaa", "") + &pod("web-7d4b9c-bbbbb", "") + &other),
    );
    let names: Vec<&str> = m.workloads().map(|(_, e)| e.display.as_str()).collect();
    assert_eq!(
        names,
        vec!["a/web-7d4b9c[ReplicaSet]", "a/client[Deployment]"]
    );
    assert_eq!(m.endpoints[0].objects.len(), 2);
    // Pods with labels a policy tells apart: a warning.
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {canary: \"true\"}}\npolicyTypes: [Ingress]",
    );
    let m = build(
        &(dep
            + rs
            + &pod("web-7d4b9c-aaaaa", "")
            + &pod("web-7d4b9c-bbbbb", ", canary: \"true\"")
            + &other
            + &pol),
    );
    let w = warnings(&m);
    assert!(w.iter().any(|x| x.contains("different labels")), "{w:?}");
}

#[test]
fn r22_pods_without_their_replica_set_still_cover_the_deployment() {
    // A dump with the Deployment and its pods but not the ReplicaSet in between.
    let dep = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: x}]}\n";
    let pod = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-7d4b9c-aaaaa\n  namespace: a\n  labels: {app: web}\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9c, controller: true, uid: u2}]\nspec: {containers: [{name: c, image: x}]}\n";
    let cron = "---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report, namespace: a}\nspec:\n  schedule: '@daily'\n  jobTemplate: {spec: {template: {metadata: {labels: {app: report}}, spec: {containers: [{name: c, image: x}]}}}}\n";
    let job_pod = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: report-28000000-bbbbb\n  namespace: a\n  labels: {app: report}\n  ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report-28000000, controller: true, uid: u3}]\nspec: {containers: [{name: c, image: x}]}\n";
    let m = build(&(dep.to_string() + pod + cron + job_pod));
    let names: Vec<&str> = m.workloads().map(|(_, e)| e.display.as_str()).collect();
    assert_eq!(
        names,
        vec!["a/report-28000000[Job]", "a/web-7d4b9c[ReplicaSet]"]
    );
}

#[test]
fn r14_named_port_on_ingress_from_ip_block_resolves_at_the_pod() {
    let pol = np(
        "a",
        "p",
        "podSelector: {matchLabels: {app: x}}\ningress:\n- from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n  ports: [{port: http}]",
    );
    let m = build(&(two() + &pol));
    assert!(warnings(&m).is_empty(), "{:?}", warnings(&m));
    assert_eq!(between(&m, "ip:1.1.1.1", "a/x"), "TCP 80");
}

#[test]
fn r22_mirror_pods_are_pods_not_node_workloads() {
    // Static manifests' pods are controlled by their Node: each is a pod of its own.
    let mirror = |n: &str, node: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {n}\n  namespace: kube-system\n  labels: {{component: {n}}}\n  ownerReferences: [{{apiVersion: v1, kind: Node, name: {node}, controller: true, uid: n1}}]\nspec: {{containers: [{{name: c, image: x}}]}}\n"
        )
    };
    let m = build(
        &(mirror("etcd-cp1", "cp1")
            + &mirror("kube-apiserver-cp1", "cp1")
            + &mirror("etcd-cp2", "cp2")),
    );
    let mut names: Vec<&str> = m.workloads().map(|(_, e)| e.display.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        vec![
            "kube-system/etcd-cp1[Pod]",
            "kube-system/etcd-cp2[Pod]",
            "kube-system/kube-apiserver-cp1[Pod]"
        ]
    );
    let conns = super::connections::connections(&m);
    assert!(
        conns
            .iter()
            .all(|c| !c.src.contains("[Node]") && !c.dst.contains("[Node]")),
        "{conns:?}"
    );
}

#[test]
fn custom_workloads_with_a_pod_template_are_endpoints() {
    // An Argo Rollout runs pods from `spec.template` like a Deployment: policies select them.
    let rollout = "---\napiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r, namespace: a}\nspec:\n  template:\n    metadata:\n      labels: {app: r}\n    spec:\n      containers:\n      - name: c\n        image: x\n        ports: [{containerPort: 8080, name: http}]\n";
    // Tekton's podTemplate carries no labels or containers: not an endpoint.
    let taskrun = "---\napiVersion: tekton.dev/v1\nkind: TaskRun\nmetadata: {name: t, namespace: a}\nspec:\n  podTemplate: {securityContext: {runAsNonRoot: true}}\n";
    let m = build(
        &(two()
            + rollout
            + taskrun
            + &np(
                "a",
                "in-r",
                "podSelector: {matchLabels: {app: r}}\npolicyTypes: [Ingress]\ningress:\n- from: [{podSelector: {matchLabels: {app: x}}}]\n  ports: [{port: http}]",
            )),
    );
    assert_eq!(between(&m, "a/x", "a/r"), "TCP 8080");
    assert_eq!(between(&m, "a/v", "a/r"), "No Connections");
    assert_eq!(between(&m, "b/z", "a/r"), "No Connections");
    assert_eq!(between(&m, "a/r", "b/z"), "All Connections");
    let kinds: Vec<&str> = m
        .workloads()
        .map(|(_, e)| e.kind.as_str())
        .filter(|k| !matches!(*k, "Deployment"))
        .collect();
    assert_eq!(kinds, vec!["Rollout"], "{:?}", lines(&m));
}
