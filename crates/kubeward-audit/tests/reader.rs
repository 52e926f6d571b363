//! The reader on each accepted format, and on malformed input.

mod common;
use common::*;
use kubeward_audit::Event;
use kubeward_audit::reader::{Location, ReadOptions, Sink, read_stream};
use serde_json::json;
use std::io::Write;

#[derive(Default)]
struct Collect {
    events: Vec<(String, String, String, u64, Option<u64>)>,
    bad: Vec<(u64, String)>,
}

impl Sink for Collect {
    fn event(&mut self, e: &Event<'_>, at: Location<'_>) {
        self.events.push((
            e.subject().to_string(),
            e.verb.to_string(),
            e.resource_path(),
            at.line,
            at.item,
        ));
    }
    fn bad(&mut self, at: Location<'_>, message: &str) {
        self.bad.push((at.line, message.to_string()));
    }
}

fn read(text: &[u8]) -> Collect {
    let mut c = Collect::default();
    kubeward_audit::reader::read_bytes("t", text, &mut c).unwrap();
    c
}

fn exec_event() -> serde_json::Value {
    ev("alice", "create", "pods/exec", Some("prod"), Some("web"))
}

#[test]
fn json_lines_with_bad_lines_counted_and_located() {
    let good = exec_event().to_string();
    let text = format!(
        "{good}\n\nnot json at all\n{{\"verb\": \"get\", \n{good}\n{{\"kind\":\"ConfigMap\"}}\n[1,2]\n{good}\n"
    );
    let c = read(text.as_bytes());
    assert_eq!(c.events.iter().map(|e| e.3).collect::<Vec<_>>(), [1, 5, 8]);
    let lines: Vec<u64> = c.bad.iter().map(|b| b.0).collect();
    assert_eq!(lines, [3, 4, 6, 7, 7], "{:?}", c.bad);
    assert!(c.bad[0].1.contains("not JSON"), "{:?}", c.bad);
    assert!(c.bad[1].1.contains("invalid JSON"), "{:?}", c.bad);
    assert!(c.bad[2].1.contains("kind `ConfigMap`"), "{:?}", c.bad);
}

#[test]
fn a_cut_first_line_is_a_bad_line_not_a_document() {
    let good = exec_event().to_string();
    let text = format!("{{\"verb\": \"get\", \"user\":\n{good}\n{good}\n");
    let c = read(text.as_bytes());
    assert_eq!(c.events.len(), 2, "{:?}", c.bad);
    assert_eq!(c.bad.len(), 1);
    assert_eq!(c.bad[0].0, 1);
}

#[test]
fn over_long_lines_are_skipped_with_an_error() {
    let good = exec_event().to_string();
    let long = format!("{{\"verb\":\"get\",\"pad\":\"{}\"}}", "x".repeat(5000));
    let text = format!("{good}\n{long}\n{good}\n");
    let mut c = Collect::default();
    let opts = ReadOptions {
        max_line_bytes: 1024,
    };
    read_stream("t", text.as_bytes(), &opts, &mut c).unwrap();
    assert_eq!(c.events.len(), 2);
    assert_eq!(c.bad.len(), 1);
    assert_eq!(c.bad[0].0, 2);
    assert!(c.bad[0].1.contains("longer than 1024 bytes"), "{:?}", c.bad);
}

#[test]
fn gzip_including_concatenated_members() {
    let mut gz = Vec::new();
    for _ in 0..2 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        writeln!(enc, "{}", exec_event()).unwrap();
        gz.extend(enc.finish().unwrap());
    }
    let c = read(&gz);
    assert_eq!(c.events.len(), 2, "{:?}", c.bad);
    // A truncated stream: the events before the cut are delivered, the error is returned.
    let cut = &gz[..gz.len() / 2 - 5];
    let mut c = Collect::default();
    let r = kubeward_audit::reader::read_bytes("t", cut, &mut c);
    assert!(r.is_err(), "a truncated gzip stream is an error");
    assert!(c.events.len() <= 1);
}

#[test]
fn event_list_on_one_line_and_pretty_printed() {
    let list = json!({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
        "items": [exec_event(), ev("bob", "get", "secrets", Some("a"), Some("b")), {"bad": true}]});
    let c = read(format!("{list}\n").as_bytes());
    assert_eq!(c.events.len(), 2);
    assert_eq!(c.events[1].4, Some(1));
    assert_eq!(c.bad.len(), 1);
    // Pretty-printed over many lines: streamed item by item.
    let pretty = serde_json::to_string_pretty(&list).unwrap();
    let c = read(pretty.as_bytes());
    assert_eq!(c.events.len(), 2, "{:?}", c.bad);
    assert_eq!(c.events[0].0, "alice");
    assert_eq!(c.bad.len(), 1);
    // A single pretty-printed event.
    let c = read(
        serde_json::to_string_pretty(&exec_event())
            .unwrap()
            .as_bytes(),
    );
    assert_eq!(c.events.len(), 1, "{:?}", c.bad);
    // A document cut short: the items before the cut are delivered, the error has a line.
    let cut = &pretty[..pretty.len() * 2 / 3];
    let c = read(cut.as_bytes());
    assert!(!c.events.is_empty());
    assert_eq!(c.bad.len(), 1, "{:?}", c.bad);
    assert!(
        c.bad.last().unwrap().1.contains("invalid JSON document"),
        "{:?}",
        c.bad
    );
}

#[test]
fn gke_cloud_logging_entries() {
    let entry = json!({
        "insertId": "abc", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": "mallory@example.com"},
            "authorizationInfo": [{"granted": true, "permission": "io.k8s.core.v1.pods.exec.create"}],
            "methodName": "io.k8s.core.v1.pods.exec.create",
            "resourceName": "core/v1/namespaces/prod/pods/web/exec",
            "requestMetadata": {"callerIp": "198.51.100.7", "callerSuppliedUserAgent": "kubectl/v1.31.0"},
            "serviceName": "k8s.io",
            "status": {}
        },
        "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "c1"}},
        "timestamp": "2026-12-05T08:00:00.123Z",
        "labels": {"authorization.k8s.io/decision": "allow"}
    });
    let denied = {
        let mut d = entry.clone();
        d["protoPayload"]["status"] = json!({"code": 7, "message": "forbidden"});
        d
    };
    let text = format!("{entry}\n{denied}\n");
    let (alerts, summary) = run_text(text.as_bytes(), "");
    assert_eq!(summary.events, 2);
    let exec = of(&alerts, "KW-AUD-001");
    assert_eq!(exec.len(), 1, "the denied one does not fire");
    assert_eq!(exec[0].user, "mallory@example.com");
    assert_eq!(exec[0].source_ips, ["198.51.100.7"]);
    assert_eq!(exec[0].namespace.as_deref(), Some("prod"));
    assert_eq!(exec[0].time, "2026-12-05T08:00:00.123Z");
}

#[test]
fn aks_diagnostic_records() {
    let ev1 = exec_event().to_string();
    let record = json!({"category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
        "properties": {"log": ev1, "stream": "stdout", "pod": "kube-apiserver-abc"}});
    let batch = json!({"records": [record, record]});
    let c = read(format!("{record}\n{batch}\n").as_bytes());
    assert_eq!(c.events.len(), 3, "{:?}", c.bad);
    assert_eq!(c.events[0].2, "pods/exec");
    let broken = json!({"properties": {"log": "{not json"}});
    let c = read(format!("{broken}\n").as_bytes());
    assert_eq!(c.bad.len(), 1);
}

#[test]
fn eks_cloudwatch_exports() {
    let e = exec_event().to_string();
    let line = json!({"timestamp": 1796457600000_i64, "message": e, "logStreamName": "kube-apiserver-audit-abc"});
    let filter = json!({"events": [line, line], "searchedLogStreams": []});
    let subscription = json!({"messageType": "DATA_MESSAGE", "logGroup": "/aws/eks/c1/cluster", "logEvents": [{"id": "1", "timestamp": 1, "message": e}]});
    let s3 = format!("2026-12-05T08:00:00.000Z {e}");
    let c = read(format!("{line}\n{filter}\n{subscription}\n{s3}\n").as_bytes());
    assert_eq!(c.events.len(), 5, "{:?}", c.bad);
    assert!(c.bad.is_empty());
    // `aws logs filter-log-events` output is pretty-printed JSON.
    let c = read(serde_json::to_string_pretty(&filter).unwrap().as_bytes());
    assert_eq!(c.events.len(), 2, "{:?}", c.bad);
}

#[test]
fn summary_counts() {
    let events = [
        exec_event(),
        ev("alice", "get", "pods", Some("prod"), Some("web")),
        ev("bob", "list", "secrets", None, None),
    ];
    let mut text = lines(&events);
    text.push_str("garbage\n");
    let (_, s) = run_text(text.as_bytes(), "");
    assert_eq!((s.events, s.analyzed, s.bad), (3, 3, 1));
    assert_eq!(
        s.by_user.top(5),
        [("alice".to_string(), 2), ("bob".to_string(), 1)]
    );
    assert_eq!(s.alerts.get("KW-AUD-001"), Some(&1));
    let text = s.to_text(5);
    assert!(text.contains("events read: 3"), "{text}");
    assert!(text.contains("KW-AUD-006: 1 active"), "{text}");
    let j = s.to_json(5);
    assert_eq!(j["summary"]["bad_lines"], 1);
    assert_eq!(
        j["summary"]["bad_samples"][0],
        "audit.log:4: not JSON (an audit event line starts with `{`)"
    );
}
