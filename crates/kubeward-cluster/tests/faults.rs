//! Cluster faults against the fake API server: a server killed mid-listing, a connection reset
//! on one page, an answer that is not JSON, an expired `continue` token (410 Gone), a slow
//! server past the deadline; and exec credential plugins that hang, fail or print a token.
//! Every fault ends with the objects read so far and a coverage gap naming what was not read,
//! never an error that loses everything and never a clean result.

use kubeward_cluster::fake::{FakeApiServer, FakeAuth, FakeCluster, FaultKind};
use kubeward_cluster::{ClusterOptions, CoverageGap, read_cluster_async};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// 25 ConfigMaps (5 pages of 5) and a Pod.
fn objects() -> Vec<Value> {
    let mut v: Vec<Value> = (0..25)
        .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:02}"), "namespace": "x"}}))
        .collect();
    v.push(
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "x"},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}),
    );
    v
}

struct Setup {
    server: FakeApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

async fn start(cluster: FakeCluster) -> Setup {
    let server = FakeApiServer::start(cluster).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(&kubeconfig, server.kubeconfig(FakeAuth::Token)).unwrap();
    Setup {
        server,
        _dir: dir,
        kubeconfig,
    }
}

fn opts(s: &Setup) -> ClusterOptions {
    ClusterOptions {
        kubeconfig: Some(s.kubeconfig.clone()),
        timeout: Duration::from_secs(20),
        page_size: 5,
        // One listing at a time: the order of requests is the order of discovery.
        concurrency: 1,
        ..ClusterOptions::default()
    }
}

fn names(c: &kubeward_cluster::Collected, kind: &str) -> Vec<String> {
    c.objects
        .iter()
        .filter(|o| o.path(&["kind"]).and_then(|k| k.as_str()) == Some(kind))
        .filter_map(|o| o.path(&["metadata", "name"]).and_then(|n| n.as_str()))
        .map(str::to_string)
        .collect()
}

fn gap<'a>(c: &'a kubeward_cluster::Collected, resource: &str) -> &'a CoverageGap {
    c.info
        .gaps
        .iter()
        .find(|g| g.resource == resource)
        .unwrap_or_else(|| panic!("no gap for {resource}: {:?}", c.info.gaps))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reset_on_one_page_keeps_the_pages_before_it() {
    let s =
        start(FakeCluster::new(objects()).fault("", "configmaps", 2, FaultKind::Reset, 1)).await;
    let c = read_cluster_async(&opts(&s))
        .await
        .expect("partial, not an error");
    // Pages 0 and 1 were read; the Pod list is complete.
    assert_eq!(names(&c, "ConfigMap").len(), 10);
    assert_eq!(names(&c, "Pod"), ["web"]);
    let g = gap(&c, "configmaps");
    assert!(g.reason.contains("the listing failed"), "{}", g.reason);
    assert!(g.reason.contains("after 10 objects"), "{}", g.reason);
    assert_eq!(c.info.gaps.len(), 1, "{:?}", c.info.gaps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_is_not_json_is_a_gap() {
    let s = start(FakeCluster::new(objects()).fault("", "pods", 0, FaultKind::NotJson, 1)).await;
    let c = read_cluster_async(&opts(&s))
        .await
        .expect("partial, not an error");
    assert_eq!(names(&c, "ConfigMap").len(), 25);
    assert!(names(&c, "Pod").is_empty());
    let g = gap(&c, "pods");
    assert!(g.reason.contains("not a JSON list"), "{}", g.reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_continue_token_restarts_the_listing_once() {
    let s = start(FakeCluster::new(objects()).fault("", "configmaps", 3, FaultKind::Gone, 1)).await;
    let c = read_cluster_async(&opts(&s)).await.unwrap();
    // Restarted from the first page: every object once, no gap.
    let mut cms = names(&c, "ConfigMap");
    assert_eq!(cms.len(), 25);
    cms.dedup();
    assert_eq!(cms.len(), 25);
    assert!(c.info.gaps.is_empty(), "{:?}", c.info.gaps);
    let first_pages = s
        .server
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/configmaps" && !r.query.contains("continue"))
        .count();
    assert_eq!(first_pages, 2);

    // Expiring again after the restart: a gap, with what was read kept.
    let s = start(FakeCluster::new(objects()).fault("", "configmaps", 3, FaultKind::Gone, 2)).await;
    let c = read_cluster_async(&opts(&s)).await.unwrap();
    assert_eq!(names(&c, "ConfigMap").len(), 15);
    let g = gap(&c, "configmaps");
    assert!(g.reason.contains("410"), "{}", g.reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_listing_keeps_what_was_read() {
    let mut cluster = FakeCluster::new(objects());
    // Discovery and a few pages, then nothing.
    cluster.die_after_lists = Some(3);
    let s = start(cluster).await;
    let t = Instant::now();
    let c = read_cluster_async(&opts(&s))
        .await
        .expect("partial, not an error");
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    let read = c.objects.len();
    let gaps = c.info.gaps.len();
    assert!(gaps > 0, "the listings after the death must be gaps");
    assert!(
        c.info.gaps.iter().all(|g| g.reason.contains("failed")),
        "{:?}",
        c.info.gaps
    );
    // Nothing read twice, and what was read is there.
    let mut all: Vec<String> = c
        .objects
        .iter()
        .filter_map(|o| o.path(&["metadata", "name"]).and_then(|n| n.as_str()))
        .map(str::to_string)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), read);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_page_past_the_deadline_keeps_what_was_read() {
    let s = start(FakeCluster::new(objects()).fault(
        "",
        "configmaps",
        1,
        FaultKind::Slow(Duration::from_secs(30)),
        1,
    ))
    .await;
    let mut o = opts(&s);
    o.timeout = Duration::from_secs(3);
    o.concurrency = 4;
    let t = Instant::now();
    let c = read_cluster_async(&o).await.expect("partial, not an error");
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    // The Pod list finished; the ConfigMap list did not.
    assert_eq!(names(&c, "Pod"), ["web"]);
    let g = gap(&c, "configmaps");
    assert!(g.reason.contains("--timeout"), "{}", g.reason);
}

mod exec_plugins {
    use super::*;

    /// A kubeconfig whose user runs `script` (a /bin/sh script) as its exec plugin, with an
    /// environment variable holding a secret.
    fn kubeconfig(s: &Setup, script: &str) -> PathBuf {
        let base = std::fs::read_to_string(&s.kubeconfig).unwrap();
        let start = base.find("  user:\n").unwrap() + "  user:\n".len();
        let end = base.find("contexts:").unwrap();
        let exec = format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      interactiveMode: Never\n      command: /bin/sh\n      args: [-c, {}]\n      env:\n      - name: PLUGIN_SECRET\n        value: env-secret-3141592653\n",
            serde_json::to_string(script).unwrap()
        );
        let text = format!("{}{exec}{}", &base[..start], &base[end..]);
        let path = s.kubeconfig.with_file_name("exec-config");
        std::fs::write(&path, text).unwrap();
        path
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_plugin_runs_once_per_read() {
        let s = start(FakeCluster::new(objects())).await;
        let count = s._dir.path().join("runs");
        let script = format!(
            "echo run >> {}; printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"fake-token-0123456789\"}}}}'",
            count.display()
        );
        let mut o = opts(&s);
        o.kubeconfig = Some(kubeconfig(&s, &script));
        let c = read_cluster_async(&o).await.unwrap();
        assert_eq!(names(&c, "Pod"), ["web"]);
        let runs = std::fs::read_to_string(&count).unwrap();
        assert_eq!(runs.lines().count(), 1, "{runs}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hanging_plugin_is_bounded_by_the_timeout() {
        let s = start(FakeCluster::new(objects())).await;
        let mut o = opts(&s);
        o.kubeconfig = Some(kubeconfig(&s, "sleep 60"));
        o.timeout = Duration::from_secs(2);
        let t = Instant::now();
        let e = read_cluster_async(&o).await.err().expect("timed out");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        let m = e.to_string();
        assert!(
            m.contains("timed out") && m.contains("exec credential plugin"),
            "{m}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_plugin_never_shows_its_output_or_environment() {
        let s = start(FakeCluster::new(objects())).await;
        let mut o = opts(&s);
        o.kubeconfig = Some(kubeconfig(
            &s,
            "printf '{\"status\":{\"token\":\"stdout-token-2718281828\"}}'; echo 'error: you must log in again' >&2; exit 3",
        ));
        let e = read_cluster_async(&o).await.err().expect("failed");
        let m = e.to_string();
        assert!(m.contains("failed") && m.contains("log in again"), "{m}");
        assert!(!m.contains("stdout-token-2718281828"), "{m}");
        assert!(!m.contains("env-secret-3141592653"), "{m}");
        assert!(!m.contains("PLUGIN_SECRET"), "{m}");
    }
}
