//! `probe` against a real etcd (Debian `etcd-server`) on loopback: TLS with client-certificate
//! authentication is the secure answer, TLS without it is KW-NODE-304.

use kubeward_probe::{Options, Role, Service, findings, probe};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The process and the folder of its certificates and data (removed on drop).
struct Etcd(Child, #[allow(dead_code)] tempfile::TempDir);

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn etcd(client_cert_auth: bool) -> Option<(Etcd, u16)> {
    let bin = std::path::Path::new("/usr/bin/etcd");
    if !bin.is_file() {
        let why = "etcd not found (/usr/bin/etcd; Debian package etcd-server)";
        if std::env::var("KUBEWARD_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("KUBEWARD_REQUIRE_SERVICES=1 but {why}");
        }
        eprintln!("skipped: {why}");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let w = |n: &str, t: String| {
        let p = dir.path().join(n);
        std::fs::write(&p, t).unwrap();
        p.display().to_string()
    };
    let (ca_f, crt_f, key_f) = (
        w("ca.crt", ca_cert.pem()),
        w("s.crt", cert.pem()),
        w("s.key", key.serialize_pem()),
    );
    let (client, peer) = (free_port(), free_port());
    let url = format!("https://127.0.0.1:{client}");
    let purl = format!("http://127.0.0.1:{peer}");
    let mut c = Command::new(bin);
    c.arg("--name=p")
        .arg(format!("--data-dir={}", dir.path().join("d").display()))
        .arg(format!("--listen-client-urls={url}"))
        .arg(format!("--advertise-client-urls={url}"))
        .arg(format!("--listen-peer-urls={purl}"))
        .arg(format!("--initial-advertise-peer-urls={purl}"))
        .arg(format!("--initial-cluster=p={purl}"))
        .arg(format!("--cert-file={crt_f}"))
        .arg(format!("--key-file={key_f}"))
        .arg("--log-level=error")
        .env("ETCD_UNSUPPORTED_ARCH", std::env::consts::ARCH)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if client_cert_auth {
        c.arg("--client-cert-auth")
            .arg(format!("--trusted-ca-file={ca_f}"));
    }
    let e = Etcd(c.spawn().unwrap(), dir);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", client)).is_err() {
        assert!(Instant::now() < deadline, "etcd did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((e, client))
}

async fn run(port: u16) -> (String, Vec<&'static str>) {
    let opts = Options {
        targets: vec!["127.0.0.1".into()],
        services: vec![Service::Etcd],
        port_map: vec![("127.0.0.1".into(), port, Service::Etcd)],
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    // etcd may take a moment to serve after it listens.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let a = probe(&opts).await;
        if a[0].state != "open" && a[0].state != "closed" || Instant::now() > deadline {
            let ids = findings(&a, Some(Role::ControlPlane), (30000, 32767))
                .iter()
                .map(|f| f.rule.id)
                .collect();
            return (a[0].state.clone(), ids);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_etcd_with_and_without_client_cert_auth() {
    let Some((_secure, port)) = etcd(true) else {
        return;
    };
    assert_eq!(
        run(port).await,
        ("client-cert-required".to_string(), vec![])
    );
    let Some((_open, port)) = etcd(false) else {
        return;
    };
    assert_eq!(run(port).await, ("https".to_string(), vec!["KW-NODE-304"]));
}
