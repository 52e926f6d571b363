//! Prometheus metrics (`/metrics`, text format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabels {
    pub endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub endpoint: String,
    pub code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub endpoint: String,
    pub allowed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    pub rule: String,
    pub action: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    pub result: String,
}

pub struct Metrics {
    pub registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub decisions: Family<DecisionLabels, Counter>,
    pub rule_findings: Family<RuleLabels, Counter>,
    pub latency: Family<EndpointLabels, Histogram>,
    pub registry_lookups: Family<ResultLabels, Counter>,
    pub registry_latency: Histogram,
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub cert_reloads: Family<ResultLabels, Counter>,
    pub cert_loaded: Gauge,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
        5.0, 10.0,
    ]
    .into_iter()
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kubeward_admission");
        let requests = Family::<RequestLabels, Counter>::default();
        let decisions = Family::<DecisionLabels, Counter>::default();
        let rule_findings = Family::<RuleLabels, Counter>::default();
        let latency = Family::<EndpointLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(latency_buckets())) as fn() -> Histogram,
        );
        let registry_lookups = Family::<ResultLabels, Counter>::default();
        let registry_latency = Histogram::new(latency_buckets());
        let cache_hits = Counter::default();
        let cache_misses = Counter::default();
        let cert_reloads = Family::<ResultLabels, Counter>::default();
        let cert_loaded = Gauge::default();
        registry.register(
            "requests",
            "HTTP requests by endpoint and status code",
            requests.clone(),
        );
        registry.register(
            "decisions",
            "Review decisions by endpoint and outcome",
            decisions.clone(),
        );
        registry.register(
            "rule_findings",
            "Findings at admission by rule and action (enforce, warn, audit)",
            rule_findings.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a review, by endpoint",
            latency.clone(),
        );
        registry.register(
            "registry_lookups",
            "Registry digest lookups by result",
            registry_lookups.clone(),
        );
        registry.register(
            "registry_lookup_duration_seconds",
            "Time of registry digest lookups",
            registry_latency.clone(),
        );
        registry.register(
            "digest_cache_hits",
            "Digest lookups answered from the cache",
            cache_hits.clone(),
        );
        registry.register(
            "digest_cache_misses",
            "Digest lookups that went to the registry",
            cache_misses.clone(),
        );
        registry.register(
            "cert_reloads",
            "Serving certificate reloads by result",
            cert_reloads.clone(),
        );
        registry.register(
            "cert_loaded_timestamp_seconds",
            "When the serving certificate in use was loaded (Unix time)",
            cert_loaded.clone(),
        );
        Metrics {
            registry,
            requests,
            decisions,
            rule_findings,
            latency,
            registry_lookups,
            registry_latency,
            cache_hits,
            cache_misses,
            cert_reloads,
            cert_loaded,
        }
    }
}

impl Metrics {
    pub fn encode(&self) -> String {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, &self.registry);
        s
    }
}
