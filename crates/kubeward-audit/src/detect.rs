//! The streaming analyzer: every detection, one event at a time, in bounded memory.

use crate::alert::{Alert, BAD_SAMPLES, Summary, Suppressed};
use crate::event::Event;
use crate::reader::{Location, Sink};
use crate::rules;
use crate::settings::AuditSettings;
use crate::workload;
use kubeward_core::config::{Config, Ignore, Settings, today};
use kubeward_core::{Registry, Rule, Severity};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

mod stateful;
mod text;
use text::exec_message;

/// Reasons a detection could not decide (summary `undecided`).
const NO_BODY: &str =
    "request body not logged: the audit policy logs this resource below `Request` level";
const NO_TIME: &str = "event without a timestamp";

/// The audit analyzer. Owns its configuration, so it can move to a worker thread.
pub struct Analyzer {
    settings: AuditSettings,
    rule_settings: Settings,
    /// Enabled detections by ID.
    enabled: foldhash::HashSet<&'static str>,
    severity: BTreeMap<String, Severity>,
    ignores: Vec<Ignore>,
    workload_rules: Vec<&'static Rule>,
    cluster_admin_allowed: Vec<String>,
    today: (i32, u32, u32),
    state: State,
    summary: Summary,
    resource_key: String,
}

#[derive(Default)]
struct State {
    /// (namespace, secret) → service accounts of pods created in the stream that mount it.
    mounts: foldhash::HashMap<(String, String), Vec<String>>,
    /// Auth failures per `user:NAME` / `ip:ADDR`: recent times, and the time of the last alert.
    failures: foldhash::HashMap<String, (VecDeque<i64>, i64)>,
    /// Service account → user-agent keys seen.
    agents: foldhash::HashMap<String, Vec<String>>,
    /// (user, ip) pairs already reported by KW-AUD-019.
    outside: foldhash::HashSet<(String, String)>,
    /// ClusterRoles seen created with `*` verbs on `*` resources: as good as cluster-admin.
    wildcard_cluster_roles: foldhash::HashSet<String>,
}

impl Analyzer {
    /// `registry` supplies the scan rules run on request bodies; `config` the enabled rules,
    /// severity overrides, ignores and rule settings.
    pub fn new(registry: &Registry, config: &Config, settings: AuditSettings) -> Analyzer {
        let enabled = rules::ALL
            .iter()
            .filter(|r| config.rule_enabled(r.meta.id, r.meta.layer, r.meta.default_enabled))
            .map(|r| r.meta.id)
            .collect();
        let workload_rules = settings
            .workload_rules
            .iter()
            .filter_map(|id| registry.get(id))
            .filter(|r| config.rule_enabled(r.meta.id, r.meta.layer, r.meta.default_enabled))
            .collect();
        let mut rule_settings = config.settings.clone();
        rule_settings.pod_security = settings.pod_security.clone();
        Analyzer {
            rule_settings,
            cluster_admin_allowed: config.settings.cluster_admin_allowed.clone(),
            enabled,
            severity: config.severity.clone(),
            ignores: config.ignores.clone(),
            workload_rules,
            settings,
            today: today(),
            state: State::default(),
            summary: Summary::default(),
            resource_key: String::new(),
        }
    }

    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    pub fn into_summary(self) -> Summary {
        self.summary
    }

    /// Records a line that could not be read.
    pub fn bad(&mut self, at: Location<'_>, message: &str) {
        self.summary.bad += 1;
        if self.summary.bad_samples.len() < BAD_SAMPLES {
            self.summary.bad_samples.push(format!("{at}: {message}"));
        }
    }

    /// Analyzes one event; alerts go to `out` in the order found.
    pub fn event(&mut self, e: &Event<'_>, at: Location<'_>, out: &mut dyn FnMut(Alert)) {
        let s = &mut self.summary;
        s.events += 1;
        if !e.is_final_stage() {
            return;
        }
        s.analyzed += 1;
        s.by_verb.add(&e.verb);
        s.by_user.add(e.subject());
        self.resource_key.clear();
        if let Some(o) = &e.object_ref {
            self.resource_key.push_str(&o.resource);
            if let Some(sub) = o.subresource.as_deref().filter(|s| !s.is_empty()) {
                self.resource_key.push('/');
                self.resource_key.push_str(sub);
            }
        } else {
            self.resource_key.push_str("(non-resource)");
        }
        s.by_resource.add(&self.resource_key);
        let t = e.time_str();
        if !t.is_empty() {
            if s.first_time.as_deref().is_none_or(|f| t < f) {
                s.first_time = Some(t.to_string());
            }
            if s.last_time.as_deref().is_none_or(|l| t > l) {
                s.last_time = Some(t.to_string());
            }
        }

        let mut ctx = Ctx {
            a: self,
            e,
            at,
            out,
            body: None,
        };
        ctx.detect();
    }
}

/// One event being analyzed.
struct Ctx<'x, 'e, 'p> {
    a: &'x mut Analyzer,
    e: &'x Event<'e>,
    at: Location<'p>,
    out: &'x mut dyn FnMut(Alert),
    /// The parsed body: `None` not parsed yet, `Some(None)` absent or unreadable.
    body: Option<Option<Value>>,
}

fn is(v: &str, set: &[&str]) -> bool {
    set.contains(&v)
}

impl Ctx<'_, '_, '_> {
    fn on(&self, rule: &Rule) -> bool {
        self.a.enabled.contains(rule.meta.id)
    }

    fn controller(&self) -> bool {
        self.a.settings.is_controller(self.e.subject())
    }

    fn undecided(&mut self, rule: &'static Rule, why: &'static str) {
        self.a
            .summary
            .undecided
            .entry(rule.meta.id)
            .or_insert((0, why))
            .0 += 1;
    }

    /// The object the request created or changed: the response body when logged (the stored
    /// object, after mutation), else the request body of a create or update.
    fn body(&mut self) -> Option<&Value> {
        if self.body.is_none() {
            let e = self.e;
            let parse = |r: &serde_json::value::RawValue| {
                serde_json::from_str::<Value>(r.get()).ok().filter(|v| {
                    v.is_object() && v.get("kind").and_then(Value::as_str) != Some("Status")
                })
            };
            let mut v = e.response_object.and_then(parse);
            if v.is_none() && matches!(&*e.verb, "create" | "update") {
                v = e.request_object.and_then(parse);
            }
            self.body = Some(v);
        }
        self.body.as_ref().and_then(Option::as_ref)
    }

    fn alert(&mut self, rule: &'static Rule, message: String) {
        self.alert_with(rule, message, None, None, None);
    }

    fn alert_with(
        &mut self,
        rule: &'static Rule,
        message: String,
        underlying: Option<&'static str>,
        pointer: Option<String>,
        severity: Option<Severity>,
    ) {
        let e = self.e;
        let meta = &rule.meta;
        let severity = self
            .a
            .severity
            .get(meta.id)
            .copied()
            .or(severity)
            .unwrap_or(meta.severity);
        let resource = e.resource_path();
        let mut alert = Alert {
            rule: meta.id,
            name: meta.name,
            severity,
            title: meta.title,
            message,
            underlying_rule: underlying,
            pointer,
            time: e.time_str().to_string(),
            audit_id: e.audit_id.to_string(),
            user: e.user.username.to_string(),
            impersonated_user: e
                .impersonated_user
                .as_ref()
                .map(|u| u.username.to_string())
                .filter(|u| !u.is_empty()),
            source_ips: e.source_ips.iter().map(|s| s.to_string()).collect(),
            user_agent: e.user_agent.to_string(),
            verb: e.verb.to_string(),
            resource,
            namespace: e.namespace().map(str::to_string),
            object_name: e.name().map(str::to_string),
            file: self.at.file.to_string(),
            line: self.at.line,
            item: self.at.item,
            mitre: Alert::mitre_of(meta),
            suppressed: None,
        };
        alert.suppressed = self.suppression(&alert, underlying);
        let s = &mut self.a.summary;
        if alert.suppressed.is_some() {
            *s.suppressed.entry(meta.id).or_default() += 1;
        } else {
            *s.alerts.entry(meta.id).or_default() += 1;
        }
        (self.out)(alert);
    }

    fn suppression(&self, a: &Alert, underlying: Option<&str>) -> Option<Suppressed> {
        let today = self.a.today;
        let subject = a.impersonated_user.as_deref().unwrap_or(&a.user);
        let ns = a.namespace.as_deref();
        let name = a.object_name.as_deref().unwrap_or("");
        let rule_match = |rules: &[String]| {
            rules.iter().any(|r| {
                r == "*"
                    || r.eq_ignore_ascii_case(a.rule)
                    || underlying.is_some_and(|u| r.eq_ignore_ascii_case(u))
            })
        };
        for ig in &self.a.settings.ignores {
            if ig.expires.is_some_and(|x| x < today) || !rule_match(&ig.rules) {
                continue;
            }
            let g = |m: &Option<globset::GlobMatcher>, v: &str| {
                m.as_ref().is_none_or(|m| m.is_match(v))
            };
            if g(&ig.subject, subject) && g(&ig.namespace, ns.unwrap_or("")) && g(&ig.name, name) {
                return Some(Suppressed {
                    by: "audit-config",
                    reason: ig.reason.clone(),
                    at: ig.location.clone(),
                });
            }
        }
        // Top-level ignores: `kind` matches the resource (`pods`, `secrets`).
        let resource = a.resource.split('/').next().unwrap_or("");
        for ig in &self.a.ignores {
            if ig.is_expired(today) {
                continue;
            }
            if ig.matches(a.rule, resource, ns, name)
                || underlying.is_some_and(|u| ig.matches(u, resource, ns, name))
            {
                return Some(Suppressed {
                    by: "config",
                    reason: ig.reason.clone(),
                    at: ig.location.clone(),
                });
            }
        }
        None
    }

    fn detect(&mut self) {
        let e = self.e;
        let verb: &str = &e.verb;
        let resource = e.resource();
        let sub = e.subresource();
        let ok = e.succeeded();
        let write = is(verb, &["create", "update", "patch"]);

        self.auth_failures();
        self.source_ip();
        self.user_agent();

        if let Some((k, v)) = &e.annotations.failed_open {
            if v == "true" && self.on(&rules::IMAGE_POLICY_FAILED_OPEN) {
                let m = format!(
                    "ImagePolicyWebhook failed open (`{k}`); {} admitted without an image check",
                    self.target()
                );
                self.alert(&rules::IMAGE_POLICY_FAILED_OPEN, m);
            }
        }
        if e.object_ref.is_none() {
            self.anonymous(ok);
            return;
        }
        self.anonymous(ok);
        if !ok {
            return;
        }
        match (resource, sub) {
            ("pods", "exec" | "attach") if is(verb, &["create", "get"]) => {
                if self.on(&rules::EXEC) {
                    let m = exec_message(e, sub);
                    self.alert(&rules::EXEC, m);
                }
            }
            ("pods", "portforward") if is(verb, &["create", "get"]) => {
                if self.on(&rules::PORT_FORWARD) {
                    let m = format!(
                        "{} opened a port-forward into {}",
                        e.subject(),
                        self.target()
                    );
                    self.alert(&rules::PORT_FORWARD, m);
                }
            }
            ("pods", "ephemeralcontainers") if is(verb, &["update", "patch"]) => {
                if self.on(&rules::EPHEMERAL) {
                    let images = self
                        .body()
                        .and_then(|b| b.pointer("/spec/ephemeralContainers"))
                        .and_then(Value::as_array)
                        .map(|cs| {
                            cs.iter()
                                .filter_map(|c| c.get("image").and_then(Value::as_str))
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .filter(|s| !s.is_empty());
                    let m = format!(
                        "{} added an ephemeral container to {}{}",
                        e.subject(),
                        self.target(),
                        images
                            .map(|i| format!(" (images: {i})"))
                            .unwrap_or_default()
                    );
                    self.alert(&rules::EPHEMERAL, m);
                }
                self.workload();
            }
            (r, "") if write && workload::WORKLOAD_RESOURCES.contains(&r) => {
                self.learn_mounts();
                self.workload();
                if r == "pods" && verb == "create" {
                    self.kube_system(&rules::KUBE_SYSTEM_POD, "pod");
                }
            }
            ("secrets", "") => self.secrets(),
            ("serviceaccounts", "") if verb == "create" => {
                self.kube_system(&rules::KUBE_SYSTEM_SA, "service account");
            }
            ("serviceaccounts", "token") if verb == "create" => {
                if self.on(&rules::SA_TOKEN) && !self.controller() {
                    let m = format!(
                        "{} requested a token for service account {}",
                        e.subject(),
                        self.obj()
                    );
                    self.alert(&rules::SA_TOKEN, m);
                }
            }
            ("certificatesigningrequests", "approval") if is(verb, &["update", "patch"]) => {
                if self.on(&rules::CSR_APPROVED) && !self.controller() {
                    let approved = self.body().map(csr_approved);
                    if approved != Some(false) {
                        let m = format!(
                            "{} approved certificate signing request {}",
                            e.subject(),
                            self.obj()
                        );
                        self.alert(&rules::CSR_APPROVED, m);
                    }
                }
            }
            ("clusterrolebindings" | "rolebindings", "") => {
                self.system_rbac(verb);
                if write {
                    self.admin_binding();
                }
            }
            ("clusterroles" | "roles", "") => {
                self.system_rbac(verb);
                if write {
                    self.wildcard_role();
                }
            }
            (
                "mutatingwebhookconfigurations"
                | "validatingwebhookconfigurations"
                | "validatingadmissionpolicies"
                | "validatingadmissionpolicybindings"
                | "mutatingadmissionpolicies"
                | "mutatingadmissionpolicybindings",
                "",
            ) if is(verb, &["update", "patch", "delete", "deletecollection"]) => {
                if self.on(&rules::ADMISSION_CHANGED) && !self.controller() {
                    let what = if verb.starts_with("delete") {
                        "deleted"
                    } else {
                        "changed"
                    };
                    let m = format!("{} {what} {}", e.subject(), self.target());
                    self.alert(&rules::ADMISSION_CHANGED, m);
                }
            }
            ("services", "") if write => self.service(),
            _ => {}
        }
    }

    /// `namespace/name` (or `name`).
    fn obj(&self) -> String {
        match (self.e.namespace(), self.e.name()) {
            (Some(ns), Some(n)) => format!("{ns}/{n}"),
            (_, Some(n)) => n.to_string(),
            (Some(ns), None) => format!("(unnamed, namespace {ns})"),
            (None, None) => "(unnamed)".into(),
        }
    }

    /// `resource namespace/name`.
    fn target(&self) -> String {
        let e = self.e;
        let r = e.resource();
        match (e.namespace(), e.name()) {
            (Some(ns), Some(n)) => format!("{r} {ns}/{n}"),
            (None, Some(n)) => format!("{r} {n}"),
            (Some(ns), None) => format!("{r} in namespace {ns}"),
            (None, None) => r.to_string(),
        }
    }

    fn anonymous(&mut self, ok: bool) {
        let e = self.e;
        let anon =
            e.user.username == "system:anonymous" || e.user.in_group("system:unauthenticated");
        if !anon || !self.on(&rules::ANONYMOUS) {
            return;
        }
        let allowed = match e.decision() {
            Some(d) => d == "allow",
            None => ok,
        } && !matches!(e.code(), Some(401 | 403));
        if !allowed {
            return;
        }
        let path = e.request_uri.split('?').next().unwrap_or("");
        if self
            .a
            .settings
            .anonymous_allowed_paths
            .iter()
            .any(|g| g.is_match(path))
        {
            return;
        }
        let reason = e
            .annotations
            .reason()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let m = format!(
            "anonymous {} {} was allowed{reason}",
            e.verb,
            if path.is_empty() { "request" } else { path }
        );
        self.alert(&rules::ANONYMOUS, m);
    }

    fn kube_system(&mut self, rule: &'static Rule, what: &str) {
        if self.e.namespace() == Some("kube-system") && self.on(rule) && !self.controller() {
            let m = format!("{} created {what} {}", self.e.subject(), self.obj());
            self.alert(rule, m);
        }
    }

    fn workload(&mut self) {
        if !self.on(&rules::DANGEROUS_WORKLOAD) || self.a.workload_rules.is_empty() {
            return;
        }
        let ns = self.e.namespace().map(str::to_string);
        let rules = std::mem::take(&mut self.a.workload_rules);
        let settings = std::mem::take(&mut self.a.rule_settings);
        let findings = self
            .body()
            .map(|body| workload::run_rules(&rules, &settings, body, ns.as_deref()));
        self.a.workload_rules = rules;
        self.a.rule_settings = settings;
        let Some(findings) = findings else {
            self.undecided(&rules::DANGEROUS_WORKLOAD, NO_BODY);
            return;
        };
        let who = self.e.subject().to_string();
        let verb = if self.e.verb == "create" {
            "created"
        } else {
            "changed"
        };
        for f in findings {
            let m = format!(
                "{who} {verb} {}: {} [{}]",
                self.target(),
                f.message,
                f.rule.id
            );
            self.alert_with(
                &rules::DANGEROUS_WORKLOAD,
                m,
                Some(f.rule.id),
                Some(f.pointer.clone()),
                Some(f.severity),
            );
        }
    }

    fn learn_mounts(&mut self) {
        if self.e.resource() != "pods" || self.e.verb != "create" {
            return;
        }
        let Some(ns) = self.e.namespace().map(str::to_string) else {
            return;
        };
        let Some((sa, secrets)) = self
            .body()
            .and_then(workload::pod_spec)
            .map(workload::secret_refs)
        else {
            return;
        };
        let cap = self.a.settings.max_tracked_keys;
        let mounts = &mut self.a.state.mounts;
        for s in secrets {
            let key = (ns.clone(), s);
            if !mounts.contains_key(&key) && mounts.len() >= cap {
                self.a.summary.state_evictions += 1;
                continue;
            }
            let v = mounts.entry(key).or_default();
            if !v.contains(&sa) && v.len() < 16 {
                v.push(sa.clone());
            }
        }
    }

    fn secrets(&mut self) {
        let e = self.e;
        let verb: &str = &e.verb;
        let subject = e.subject();
        if self.controller() {
            return;
        }
        let ns = e.namespace().unwrap_or("");
        let name = e.name().unwrap_or("");
        let reader_ok = self.a.settings.secret_readers.iter().any(|r| {
            r.subject.is_match(subject)
                && r.namespace.as_ref().is_none_or(|g| g.is_match(ns))
                && r.name.as_ref().is_none_or(|g| g.is_match(name))
        });
        if reader_ok {
            return;
        }
        match verb {
            "get" if self.on(&rules::SECRET_READ) => {
                // The secret's own workload: a service account of this namespace that a pod
                // seen in the stream mounts it with, or the account's own token secret.
                if let Some(rest) = subject.strip_prefix("system:serviceaccount:") {
                    if let Some((sa_ns, sa)) = rest.split_once(':') {
                        if sa_ns == ns {
                            if name.starts_with(&format!("{sa}-token-")) {
                                return;
                            }
                            let key = (ns.to_string(), name.to_string());
                            if self
                                .a
                                .state
                                .mounts
                                .get(&key)
                                .is_some_and(|v| v.iter().any(|x| x == sa))
                            {
                                return;
                            }
                        }
                    }
                }
                let m = format!("{subject} read secret {}", self.obj());
                self.alert(&rules::SECRET_READ, m);
            }
            "list" | "watch" if self.on(&rules::SECRET_LIST) => {
                let scope = if ns.is_empty() {
                    "in all namespaces".to_string()
                } else {
                    format!("in namespace {ns}")
                };
                let m = format!("{subject} {verb}ed secrets {scope}");
                self.alert(&rules::SECRET_LIST, m);
            }
            _ => {}
        }
    }

    fn admin_binding(&mut self) {
        if !self.on(&rules::CLUSTER_ADMIN_BINDING) {
            return;
        }
        let cluster_wide = self.e.resource() == "clusterrolebindings";
        let Some(body) = self.body() else {
            self.undecided(&rules::CLUSTER_ADMIN_BINDING, NO_BODY);
            return;
        };
        let kind = body
            .pointer("/roleRef/kind")
            .and_then(Value::as_str)
            .unwrap_or("");
        let role = body
            .pointer("/roleRef/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let subjects: Vec<String> = body
            .get("subjects")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|s| {
                        let k = s.get("kind").and_then(Value::as_str).unwrap_or("");
                        let n = s.get("name").and_then(Value::as_str).unwrap_or("");
                        match (k, s.get("namespace").and_then(Value::as_str)) {
                            ("ServiceAccount", Some(ns)) => format!("serviceaccount:{ns}:{n}"),
                            _ => format!("{}:{n}", k.to_ascii_lowercase()),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let admin = kind == "ClusterRole"
            && (role == "cluster-admin"
                || (cluster_wide && role == "admin")
                || self.a.state.wildcard_cluster_roles.contains(&role));
        if !admin || subjects.is_empty() {
            return;
        }
        let allowed = &self.a.cluster_admin_allowed;
        if subjects.iter().all(|s| allowed.iter().any(|a| a == s)) {
            return;
        }
        let m = format!(
            "{} bound ClusterRole {role} to {} through {}",
            self.e.subject(),
            subjects.join(", "),
            self.target()
        );
        self.alert(&rules::CLUSTER_ADMIN_BINDING, m);
    }

    fn wildcard_role(&mut self) {
        let Some(body) = self.body() else {
            if self.on(&rules::WILDCARD_ROLE) {
                self.undecided(&rules::WILDCARD_ROLE, NO_BODY);
            }
            return;
        };
        let mut verbs_star = false;
        let mut res_star = false;
        let mut full = false;
        for r in body
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let has = |k: &str| {
                r.get(k)
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|v| v == "*"))
            };
            let (v, res) = (has("verbs"), has("resources"));
            verbs_star |= v;
            res_star |= res;
            full |= v && res && has("apiGroups");
        }
        let name = self.e.name().unwrap_or("").to_string();
        if full && self.e.resource() == "clusterroles" {
            let cap = self.a.settings.max_tracked_keys;
            let set = &mut self.a.state.wildcard_cluster_roles;
            if set.len() < cap {
                set.insert(name);
            } else {
                self.a.summary.state_evictions += 1;
            }
        }
        if !(verbs_star || res_star) || !self.on(&rules::WILDCARD_ROLE) || self.controller() {
            return;
        }
        let what = match (verbs_star, res_star) {
            (true, true) => "all verbs on all resources",
            (true, false) => "all verbs",
            _ => "all resources",
        };
        let m = format!(
            "{} wrote {} granting {what} (`*`)",
            self.e.subject(),
            self.target()
        );
        self.alert(&rules::WILDCARD_ROLE, m);
    }

    fn system_rbac(&mut self, verb: &str) {
        let system = self.e.name().is_some_and(|n| n.starts_with("system:"));
        if !system
            || !is(verb, &["create", "update", "patch", "delete"])
            || !self.on(&rules::SYSTEM_RBAC)
            || self.controller()
        {
            return;
        }
        let what = match verb {
            "create" => "created",
            "delete" => "deleted",
            _ => "changed",
        };
        let m = format!("{} {what} {}", self.e.subject(), self.target());
        self.alert(&rules::SYSTEM_RBAC, m);
    }

    fn service(&mut self) {
        if !self.on(&rules::EXPOSED_SERVICE) {
            return;
        }
        let Some(body) = self.body() else {
            self.undecided(&rules::EXPOSED_SERVICE, NO_BODY);
            return;
        };
        let ty = body
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string();
        if ty == "NodePort" || ty == "LoadBalancer" {
            let ports: Vec<String> = body
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("port").and_then(Value::as_i64))
                .map(|p| p.to_string())
                .collect();
            let m = format!(
                "{} wrote {} of type {ty}{}",
                self.e.subject(),
                self.target(),
                if ports.is_empty() {
                    String::new()
                } else {
                    format!(" (ports {})", ports.join(", "))
                }
            );
            self.alert(&rules::EXPOSED_SERVICE, m);
        }
    }
}

fn csr_approved(body: &Value) -> bool {
    body.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| {
            c.iter()
                .any(|c| c.get("type").and_then(Value::as_str) == Some("Approved"))
        })
}

/// Feeds a reader into an analyzer, collecting alerts through `out`.
pub struct AnalyzerSink<'a> {
    pub analyzer: &'a mut Analyzer,
    pub out: &'a mut dyn FnMut(Alert),
}

impl Sink for AnalyzerSink<'_> {
    fn event(&mut self, event: &Event<'_>, at: Location<'_>) {
        self.analyzer.event(event, at, self.out);
    }
    fn bad(&mut self, at: Location<'_>, message: &str) {
        self.analyzer.bad(at, message);
    }
}
