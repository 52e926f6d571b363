//! A real etcd (Debian `etcd-server`) on loopback with TLS and client certificates, started by
//! the test or bench that uses it and killed on drop.

#![allow(dead_code)]

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Etcd {
    child: Child,
    pub dir: tempfile::TempDir,
    pub endpoint: String,
    pub ca: Vec<u8>,
    pub cert: Vec<u8>,
    pub key: Vec<u8>,
}

impl Drop for Etcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The etcd binary, or `None` after printing why the caller skips; panics when
/// KUBEWARD_REQUIRE_SERVICES=1.
pub fn etcd_binary() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from("/usr/bin/etcd"),
        PathBuf::from("/usr/local/bin/etcd"),
    ];
    if let Some(p) = candidates.into_iter().find(|p| p.is_file()) {
        return Some(p);
    }
    let why = "etcd not found (/usr/bin/etcd; Debian package etcd-server)";
    if std::env::var("KUBEWARD_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("KUBEWARD_REQUIRE_SERVICES=1 but {why}");
    }
    eprintln!("skipped: {why}");
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts etcd with TLS on the client port and client-certificate authentication.
pub fn start(bin: &PathBuf) -> Etcd {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kubeward-test-etcd-ca");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().expect("server key");
    let mut sp = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("server params");
    sp.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let server_cert = sp.signed_by(&server_key, &issuer).expect("server cert");
    let client_key = KeyPair::generate().expect("client key");
    let mut cp = CertificateParams::new(Vec::<String>::new()).expect("client params");
    cp.distinguished_name
        .push(DnType::CommonName, "kube-apiserver-etcd-client");
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = cp.signed_by(&client_key, &issuer).expect("client cert");
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let ca_file = write("ca.crt", ca_cert.pem());
    let server_crt = write("server.crt", server_cert.pem());
    let server_key_file = write("server.key", server_key.serialize_pem());
    let (client, peer) = (free_port(), free_port());
    let endpoint = format!("https://127.0.0.1:{client}");
    let peer_url = format!("http://127.0.0.1:{peer}");
    let data = dir.path().join("data");
    let log = std::fs::File::create(dir.path().join("etcd.log")).expect("log");
    let child = Command::new(bin)
        .arg("--name=kw")
        .arg(format!("--data-dir={}", data.display()))
        .arg(format!("--listen-client-urls={endpoint}"))
        .arg(format!("--advertise-client-urls={endpoint}"))
        .arg(format!("--listen-peer-urls={peer_url}"))
        .arg(format!("--initial-advertise-peer-urls={peer_url}"))
        .arg(format!("--initial-cluster=kw={peer_url}"))
        .arg(format!("--cert-file={}", server_crt.display()))
        .arg(format!("--key-file={}", server_key_file.display()))
        .arg(format!("--trusted-ca-file={}", ca_file.display()))
        .arg("--client-cert-auth")
        .arg("--log-level=error")
        .env("ETCD_UNSUPPORTED_ARCH", std::env::consts::ARCH)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start etcd");
    let etcd = Etcd {
        child,
        endpoint,
        ca: ca_cert.pem().into_bytes(),
        cert: client_cert.pem().into_bytes(),
        key: client_key.serialize_pem().into_bytes(),
        dir,
    };
    // Wait (bounded) for the client port.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", client)).is_err() {
        assert!(
            Instant::now() < deadline,
            "etcd did not listen within 30s: {}",
            std::fs::read_to_string(etcd.dir.path().join("etcd.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    etcd
}

impl Etcd {
    pub fn options(&self) -> kubeward_etcd::Options {
        kubeward_etcd::Options {
            endpoints: vec![self.endpoint.clone()],
            ca: Some(self.ca.clone()),
            cert: Some(self.cert.clone()),
            key: Some(self.key.clone()),
            ..kubeward_etcd::Options::default()
        }
    }

    /// A connected client, retried until etcd serves (bounded).
    pub async fn client(&self) -> etcd_client::Client {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut c) = kubeward_etcd::connect(&self.options()).await {
                if c.get("health-probe", None).await.is_ok() {
                    return c;
                }
            }
            assert!(Instant::now() < deadline, "etcd did not serve within 30s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A value in the format `kind` (`protobuf`, `json`, or a provider prefix such as
/// `k8s:enc:aescbc:v1:key1:`) followed by an opaque body of `len` bytes.
pub fn value(kind: &str, len: usize) -> Vec<u8> {
    let mut v = match kind {
        "protobuf" => b"k8s\0\n\x0c\n\x02v1\x12\x06Secret\x12".to_vec(),
        "json" => br#"{"kind":"Secret","apiVersion":"v1","data":{"password":"#.to_vec(),
        p => p.as_bytes().to_vec(),
    };
    v.extend((0..len).map(|i| (i * 7 + 3) as u8));
    v
}
