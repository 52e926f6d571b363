//! Listing every resource: paginated (limit + continue), several resources at once with a
//! bound, Secrets as metadata only, refusals recorded as coverage gaps, one overall deadline.

use crate::discovery::{ApiResource, Discovered, discover};
use crate::json::JsonNode;
use crate::{ClusterError, ClusterOptions};
use compact_str::CompactString;
use futures::StreamExt;
use kube::Client;
use kubeward_core::inventory::{ClusterInfo, CoverageGap, ServerVersion};
use kubeward_core::tree::{Key, Node, Span, Value};
use serde::Deserialize;
use std::sync::{Arc, Mutex};

/// Secrets are only ever requested in this form: metadata, never `data`.
pub const ACCEPT_METADATA_ONLY: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/// Resources that are listable but never listed, and why.
pub const SKIPPED: &[(&str, &str, &str)] = &[
    (
        "",
        "events",
        "events are high-volume, short-lived and read by no rule",
    ),
    (
        "events.k8s.io",
        "events",
        "events are high-volume, short-lived and read by no rule",
    ),
    (
        "metrics.k8s.io",
        "*",
        "resource usage samples, read by no rule",
    ),
];

/// Whether discovery's `r` is listed by a scan.
pub fn wanted(r: &ApiResource) -> bool {
    r.can_list()
        && !SKIPPED
            .iter()
            .any(|(g, res, _)| *g == r.group && (*res == "*" || *res == r.resource))
}

/// What a scan of one cluster read.
pub struct Collected {
    pub info: ClusterInfo,
    pub discovery: Discovered,
    /// Objects in discovery order, then list order; `apiVersion`/`kind` filled in,
    /// `metadata.managedFields` dropped, Secrets reduced to metadata.
    pub objects: Vec<Node>,
}

#[derive(Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    cont: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: PageMeta,
    #[serde(default)]
    items: Vec<JsonNode>,
}

fn key(s: &str) -> Key {
    Key {
        name: CompactString::from(s),
        span: Span::NONE,
    }
}

fn str_node(s: &str) -> Node {
    Node::new(Value::Str(CompactString::from(s)), Span::NONE)
}

/// Fills in type information list items lack, drops managedFields (large, never read by a
/// rule), and makes sure no Secret keeps a value even if a server ignored the metadata-only
/// request.
pub fn normalise(mut n: Node, r: &ApiResource) -> Node {
    if let Value::Map(m) = &mut n.value {
        let is_secret = r.group.is_empty() && r.resource == "secrets";
        let partial = m.get("kind").and_then(Node::as_str) == Some("PartialObjectMetadata");
        if is_secret || partial || m.get("kind").is_none() {
            m.insert(key("kind"), str_node(&r.kind));
        }
        if is_secret || partial || m.get("apiVersion").is_none() {
            m.insert(key("apiVersion"), str_node(&r.api_version()));
        }
        if is_secret {
            for f in ["data", "stringData"] {
                m.remove(f);
            }
        }
        if let Some(Node {
            value: Value::Map(meta),
            ..
        }) = m.get_mut("metadata")
        {
            meta.remove("managedFields");
            if is_secret {
                // The last-applied annotation holds the whole object as written, values
                // included.
                if let Some(Node {
                    value: Value::Map(ann),
                    ..
                }) = meta.get_mut("annotations")
                {
                    ann.remove("kubectl.kubernetes.io/last-applied-configuration");
                }
            }
        }
    }
    n
}

enum Outcome {
    Objects(Vec<Node>),
    Gap(CoverageGap),
    /// Some pages were read, then the listing failed: the objects read so far, and the gap.
    Partial(Vec<Node>, CoverageGap),
}

/// A gap for a listing that failed without an HTTP status (a dropped connection, an answer
/// that is not a list), or that never finished.
fn failed(r: &ApiResource, ns: Option<&str>, read: usize, why: &str) -> CoverageGap {
    let mut reason = why.trim().to_string();
    if reason.len() > 300 {
        let mut cut = 300;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
        reason.push('…');
    }
    if read > 0 {
        reason.push_str(&format!(
            " (after {read} object{}, which are checked)",
            if read == 1 { "" } else { "s" }
        ));
    }
    CoverageGap {
        group: r.group.clone(),
        version: r.version.clone(),
        resource: r.resource.clone(),
        kind: r.kind.clone(),
        namespace: ns.map(str::to_string),
        verb: "list".into(),
        reason,
    }
}

fn gap(r: &ApiResource, ns: Option<&str>, code: u16, message: &str) -> CoverageGap {
    let what = match code {
        403 => "forbidden",
        404 => "not found",
        405 => "not allowed",
        406 => "the server cannot return it as metadata only",
        _ => "failed",
    };
    let mut msg = message.trim().to_string();
    if msg.len() > 200 {
        let mut cut = 200;
        while !msg.is_char_boundary(cut) {
            cut -= 1;
        }
        msg.truncate(cut);
        msg.push('…');
    }
    CoverageGap {
        group: r.group.clone(),
        version: r.version.clone(),
        resource: r.resource.clone(),
        kind: r.kind.clone(),
        namespace: ns.map(str::to_string),
        verb: "list".into(),
        reason: if msg.is_empty() {
            format!("HTTP {code} {what}")
        } else {
            format!("HTTP {code} {what}: {msg}")
        },
    }
}

async fn list_one(
    client: &Client,
    r: &ApiResource,
    ns: Option<&str>,
    page_size: u32,
) -> Result<Outcome, ClusterError> {
    let secrets = r.group.is_empty() && r.resource == "secrets";
    let accept = if secrets {
        ACCEPT_METADATA_ONLY
    } else {
        "application/json"
    };
    let base = r.url(ns);
    let mut items = Vec::new();
    let mut cont: Option<String> = None;
    let mut restarted = false;
    loop {
        let mut url = format!("{base}?limit={page_size}");
        if let Some(c) = &cont {
            url.push_str("&continue=");
            url.push_str(&urlencode(c));
        }
        let req = http::Request::get(&url)
            .header(http::header::ACCEPT, accept)
            .body(Vec::new())
            .map_err(|e| ClusterError::Other(format!("building a request for {url}: {e}")))?;
        let text = match client.request_text(req).await {
            Ok(t) => t,
            Err(kube::Error::Api(s)) if s.code == 410 && cont.is_some() && !restarted => {
                // The continue token expired (the list took longer than etcd keeps the
                // revision): start over once.
                restarted = true;
                items.clear();
                cont = None;
                continue;
            }
            Err(kube::Error::Api(s)) if s.code != 401 => {
                let g = gap(r, ns, s.code, &s.message);
                return Ok(if items.is_empty() {
                    Outcome::Gap(g)
                } else {
                    let n = items.len();
                    Outcome::Partial(items, failed(r, ns, n, &g.reason))
                });
            }
            Err(kube::Error::Api(s)) => {
                return Err(ClusterError::from_kube(
                    &format!("listing {base}"),
                    kube::Error::Api(s),
                ));
            }
            Err(e) => {
                // A dropped connection, a TLS failure mid-scan, a server that went away: what
                // was read stays, the rest is a gap.
                let why = format!("the listing failed: {}", crate::error_chain(&e));
                let n = items.len();
                return Ok(Outcome::Partial(items, failed(r, ns, n, &why)));
            }
        };
        let page: Page = match serde_json::from_str(&text) {
            Ok(p) => p,
            Err(e) => {
                let why = format!("the server's answer is not a JSON list ({e})");
                let n = items.len();
                return Ok(Outcome::Partial(items, failed(r, ns, n, &why)));
            }
        };
        items.extend(page.items.into_iter().map(|JsonNode(n)| normalise(n, r)));
        match page.metadata.cont.filter(|c| !c.is_empty()) {
            Some(c) => cont = Some(c),
            None => break,
        }
    }
    Ok(Outcome::Objects(items))
}

fn urlencode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Reads `/version`.
pub async fn version(client: &Client) -> Result<ServerVersion, ClusterError> {
    let req = http::Request::get("/version")
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| ClusterError::Other(e.to_string()))?;
    let v: serde_json::Value = client
        .request(req)
        .await
        .map_err(|e| ClusterError::from_kube("reading /version", e))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    Ok(ServerVersion {
        major: s("major"),
        minor: s("minor"),
        git_version: s("gitVersion"),
        platform: s("platform"),
    })
}

/// Lists everything the credentials may read. Past the deadline, what was read is kept and
/// every listing that did not finish is a coverage gap; only a failure to reach the server at
/// all (`/version`, discovery) or refused credentials is an error.
pub async fn collect(
    client: &Client,
    context: &str,
    server: Option<String>,
    opts: &ClusterOptions,
) -> Result<Collected, ClusterError> {
    let started = tokio::time::Instant::now();
    let first = async {
        let version = version(client).await?;
        let discovery = discover(client).await?;
        Ok::<_, ClusterError>((version, discovery))
    };
    let (version, discovery) = match tokio::time::timeout(opts.timeout, first).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(ClusterError::Timeout {
                after: opts.timeout,
                pending: vec!["/version".into(), "discovery".into()],
            });
        }
    };
    let resources: Vec<&ApiResource> = discovery.resources.iter().filter(|r| wanted(r)).collect();
    let mut tasks: Vec<(&ApiResource, Option<&str>)> = Vec::new();
    for r in &resources {
        if r.namespaced && !opts.namespaces.is_empty() {
            for ns in &opts.namespaces {
                tasks.push((r, Some(ns.as_str())));
            }
        } else {
            tasks.push((r, None));
        }
    }
    let done: Done = Arc::new(Mutex::new((0..tasks.len()).map(|_| None).collect()));
    let remaining = opts.timeout.saturating_sub(started.elapsed());
    let work = list_all(client, context, opts, &tasks, Arc::clone(&done));
    let timed_out = tokio::time::timeout(remaining, work).await.is_err();
    let done = std::mem::take(&mut *done.lock().expect("lock"));
    let mut objects = Vec::new();
    let mut gaps = Vec::new();
    for ((r, ns), out) in tasks.iter().zip(done) {
        match out {
            Some(Ok(Outcome::Objects(mut v))) => objects.append(&mut v),
            Some(Ok(Outcome::Gap(g))) => gaps.push(g),
            Some(Ok(Outcome::Partial(mut v, g))) => {
                objects.append(&mut v);
                gaps.push(g);
            }
            Some(Err(e)) => return Err(e),
            None => {
                debug_assert!(timed_out);
                gaps.push(failed(
                    r,
                    *ns,
                    0,
                    &format!(
                        "not read before the deadline (--timeout {}s)",
                        opts.timeout.as_secs_f64()
                    ),
                ));
            }
        }
    }
    // A resource refused in every namespace is one gap, said once.
    gaps = merge_gaps(gaps, &opts.namespaces);
    let namespaces = (!opts.namespaces.is_empty()).then(|| opts.namespaces.clone());
    Ok(Collected {
        info: ClusterInfo {
            context: context.to_string(),
            server,
            version: Some(version),
            namespaces,
            gaps,
        },
        discovery,
        objects,
    })
}

/// The outcome of each listing, filled in as they finish.
type Done = Arc<Mutex<Vec<Option<Result<Outcome, ClusterError>>>>>;

/// Runs every listing, a bounded number at a time, storing each outcome in `done` as it
/// finishes (so that a deadline keeps what was read).
async fn list_all(
    client: &Client,
    context: &str,
    opts: &ClusterOptions,
    tasks: &[(&ApiResource, Option<&str>)],
    done: Done,
) {
    let bar = crate::progress::bar(tasks.len() as u64, opts.progress, context);
    let counted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    futures::stream::iter(tasks.iter().enumerate().map(|(i, (r, ns))| {
        let client = client.clone();
        let bar = bar.clone();
        let counted = Arc::clone(&counted);
        let done = Arc::clone(&done);
        async move {
            let out = list_one(&client, r, *ns, opts.page_size).await;
            if let Ok(Outcome::Objects(v) | Outcome::Partial(v, _)) = &out {
                let n = counted.fetch_add(v.len(), std::sync::atomic::Ordering::Relaxed) + v.len();
                bar.set_message(format!("{n} objects"));
            }
            bar.inc(1);
            done.lock().expect("lock")[i] = Some(out);
        }
    }))
    .buffer_unordered(opts.concurrency.max(1))
    .collect::<Vec<()>>()
    .await;
    bar.finish_and_clear();
}

fn merge_gaps(gaps: Vec<CoverageGap>, namespaces: &[String]) -> Vec<CoverageGap> {
    let mut out: Vec<CoverageGap> = Vec::new();
    for g in gaps {
        if let Some(prev) = out
            .iter_mut()
            .find(|p| p.group == g.group && p.resource == g.resource && p.namespace.is_some())
        {
            if g.namespace.is_some() {
                let list = prev.namespace.take().unwrap_or_default();
                prev.namespace = Some(format!("{list}, {}", g.namespace.unwrap_or_default()));
                continue;
            }
        }
        out.push(g);
    }
    for g in &mut out {
        if let Some(ns) = &g.namespace {
            if ns.split(", ").count() == namespaces.len() && namespaces.len() > 1 {
                g.namespace = Some(format!("every scanned namespace ({ns})"));
            }
        }
    }
    out
}
