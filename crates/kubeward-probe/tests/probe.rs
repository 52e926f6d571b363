//! `probe` against loopback servers that imitate each component's behaviour.

mod support;

use kubeward_probe::{Options, Role, Service, findings, probe};
use std::time::Duration;
use support::{Kind, closed_port, serve};

fn ids(f: &[kubeward_core::Finding]) -> Vec<&str> {
    f.iter().map(|f| f.rule.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behaviours_are_told_apart() {
    let h = "127.0.0.1";
    let map = vec![
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: false }, 200).await,
            Service::Kubelet,
        ),
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: false }, 403).await,
            Service::Kubelet,
        ),
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: false }, 401).await,
            Service::Kubelet,
        ),
        (
            h.to_string(),
            serve(Kind::Plain, 200).await,
            Service::KubeletReadOnly,
        ),
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: true }, 200).await,
            Service::Etcd,
        ),
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: false }, 200).await,
            Service::EtcdPeer,
        ),
        (h.to_string(), serve(Kind::Plain, 200).await, Service::Etcd),
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: false }, 200).await,
            Service::ApiServer,
        ),
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: false }, 401).await,
            Service::ApiServer,
        ),
        (
            h.to_string(),
            serve(Kind::Plain, 200).await,
            Service::InsecureApiServer,
        ),
        (
            h.to_string(),
            serve(Kind::Tls { client_auth: false }, 200).await,
            Service::Scheduler,
        ),
        (
            h.to_string(),
            serve(Kind::Plain, 200).await,
            Service::KubeProxyHealth,
        ),
        (h.to_string(), closed_port(), Service::ControllerManager),
        (
            h.to_string(),
            serve(Kind::Silent, 0).await,
            Service::KubeProxyMetrics,
        ),
    ];
    let opts = Options {
        targets: vec![h.to_string()],
        services: map
            .iter()
            .map(|m| m.2)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        port_map: map.clone(),
        timeout: Duration::from_millis(1500),
        concurrency: 4,
        ..Options::default()
    };
    let answers = probe(&opts).await;
    assert_eq!(answers.len(), map.len());
    let state = |i: usize| {
        let a = answers.iter().find(|a| a.port == map[i].1).unwrap();
        (a.state.as_str(), a.statuses.values().next().copied())
    };
    assert_eq!(state(0), ("https", Some(200)));
    assert_eq!(state(1), ("https", Some(403)));
    assert_eq!(state(2), ("https", Some(401)));
    assert_eq!(state(3), ("http", Some(200)));
    assert_eq!(state(4), ("client-cert-required", None));
    assert_eq!(state(5), ("https", Some(200)));
    assert_eq!(state(6), ("http", Some(200)));
    assert_eq!(state(9), ("http", Some(200)));
    assert_eq!(state(12), ("closed", None));
    // Accepted, never answered: the timeout bounds it.
    assert_eq!(state(13).0, "closed");

    let f = findings(&answers, None, (30000, 32767));
    let got = ids(&f);
    let count = |id: &str| got.iter().filter(|g| **g == id).count();
    assert_eq!(count("KW-NODE-301"), 1, "{f:#?}");
    assert_eq!(count("KW-NODE-302"), 1);
    assert_eq!(count("KW-NODE-303"), 1);
    // The TLS etcd that requires a certificate is fine; the other two are not.
    assert_eq!(count("KW-NODE-304"), 2);
    assert_eq!(count("KW-NODE-305"), 1);
    assert_eq!(count("KW-NODE-306"), 1);
    assert_eq!(count("KW-NODE-307"), 1);
    // Inferred control plane (API server and etcd answer): kube-proxy health is not expected.
    assert_eq!(count("KW-NODE-308"), 1, "{f:#?}");
    assert!(
        f.iter()
            .any(|f| f.rule.id == "KW-NODE-308" && f.message.contains("kube-proxy-health"))
    );
    assert!(f[0].message.starts_with("127.0.0.1:"));

    // As a worker, the API server and etcd are the unexpected ones.
    let f = findings(&answers, Some(Role::Worker), (30000, 32767));
    let unexpected: Vec<&str> = f
        .iter()
        .filter(|f| f.rule.id == "KW-NODE-308")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(unexpected.len(), 5, "{unexpected:#?}"); // 2 etcd client + peer + 2 API servers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodeport_range_and_only_named_targets() {
    // A NodePort range of 20 ports where 2 listen.
    let l1 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = l1.local_addr().unwrap().port();
    let l2 = std::net::TcpListener::bind(("127.0.0.1", base.saturating_add(5))).ok();
    let opts = Options {
        targets: vec!["127.0.0.1".into()],
        services: vec![Service::NodePort],
        nodeport_range: (base, base.saturating_add(19)),
        timeout: Duration::from_millis(500),
        concurrency: 8,
        ..Options::default()
    };
    let plan = kubeward_probe::plan(&opts);
    assert_eq!(plan.len(), 20);
    assert!(plan.iter().all(|(t, _, _)| t == "127.0.0.1"));
    let answers = probe(&opts).await;
    let mut want = vec![base];
    if l2.is_some() {
        want.push(base + 5);
    }
    // Tests running beside this one may listen on a port of the window too: ours must be
    // found open, and only ours are kept for the findings below.
    let open: Vec<u16> = answers
        .iter()
        .filter(|a| a.is_open())
        .map(|a| a.port)
        .collect();
    assert!(want.iter().all(|p| open.contains(p)), "{open:?} {want:?}");
    let answers: Vec<_> = answers
        .into_iter()
        .filter(|a| !a.is_open() || want.contains(&a.port))
        .collect();
    // NodePorts on a control-plane node are unexpected; on a worker they are the table.
    assert_eq!(
        ids(&findings(
            &answers,
            Some(Role::ControlPlane),
            opts.nodeport_range
        )),
        ["KW-NODE-308"]
    );
    assert!(findings(&answers, Some(Role::Worker), opts.nodeport_range).is_empty());
    drop(l1);
}

#[test]
fn port_map_syntax() {
    assert_eq!(
        kubeward_probe::parse_port_map("127.0.0.1:4000=kubelet").unwrap(),
        ("127.0.0.1".to_string(), 4000, Service::Kubelet)
    );
    assert_eq!(
        kubeward_probe::parse_port_map("[::1]:5=etcd").unwrap().0,
        "::1"
    );
    use kubeward_probe::PortMapError;
    let e = kubeward_probe::parse_port_map("h:1=nope").unwrap_err();
    assert_eq!(e, PortMapError::UnknownService("nope".into()));
    assert!(
        e.to_string().starts_with("`nope` is not a service ("),
        "{e}"
    );
    assert_eq!(
        kubeward_probe::parse_port_map("h=etcd"),
        Err(PortMapError::Syntax("h=etcd".into()))
    );
    assert_eq!(
        kubeward_probe::parse_port_map("h:99999=etcd"),
        Err(PortMapError::Port("99999".into()))
    );
    // Without a map, the real ports.
    let plan = kubeward_probe::plan(&Options {
        targets: vec!["10.0.0.1".into()],
        services: vec![Service::Kubelet, Service::Etcd],
        ..Options::default()
    });
    assert_eq!(
        plan,
        [
            ("10.0.0.1".into(), 10250, Service::Kubelet),
            ("10.0.0.1".into(), 2379, Service::Etcd)
        ]
    );
}
