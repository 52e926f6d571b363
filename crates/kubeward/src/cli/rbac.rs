//! `kubeward rbac who-can | can | graph`: RBAC questions over the same inputs as `scan`.

use super::input::InputArgs;
use super::usage_error;
use clap::{Args, Subcommand, ValueEnum};
use kubeward_analysis::rbac::analysis::Analysis;
use kubeward_analysis::rbac::authz::{Identity, allowed};
use kubeward_analysis::rbac::graph::{self, GraphOptions};
use kubeward_analysis::rbac::query::{self, SubjectSpec, WhoCanQuery};
use kubeward_core::input::{Level, Loaded};
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
pub struct RbacArgs {
    #[command(subcommand)]
    command: RbacCommand,
}

#[derive(Subcommand)]
enum RbacCommand {
    /// Every subject that may make a request, and through which binding and role.
    ///
    /// RESOURCE is a resource (`secrets`, `deploy`, `deployments.apps`), optionally with a
    /// subresource (`pods/exec`), or a non-resource URL (`/healthz`). Unlike `kubectl auth
    /// can-i`, `x/y` is a subresource; name an object with --name. Without -n, a namespaced
    /// resource is asked about in every namespace.
    WhoCan(WhoCanArgs),
    /// The effective permissions of a subject, like `kubectl auth can-i --list`.
    ///
    /// SUBJECT is `user:NAME`, `group:NAME`, `sa:NAMESPACE/NAME` or `pod:NAMESPACE/NAME` (a Pod
    /// or any workload: its mounted service-account token). With --verb and --resource, answers
    /// yes or no (exit 0 or 1) like `kubectl auth can-i`.
    Can(CanArgs),
    /// Subjects → bindings → roles, with edges that grant dangerous capabilities marked.
    Graph(GraphArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum TextJson {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
    Json,
}

#[derive(Args)]
struct WhoCanArgs {
    /// API verb: get, list, watch, create, update, patch, delete, deletecollection, escalate,
    /// bind, impersonate, approve, `*`...
    verb: String,
    /// RESOURCE[/SUBRESOURCE] or /URL.
    resource: String,
    #[command(flatten)]
    input: InputArgs,
    /// The namespace of the request (default: any namespace).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// The object's name (resourceNames only allow requests that name an object).
    #[arg(long)]
    name: Option<String>,
    #[arg(short, long, value_enum, default_value_t = TextJson::Text)]
    format: TextJson,
}

#[derive(Args)]
struct CanArgs {
    /// user:NAME, group:NAME, sa:NAMESPACE/NAME or pod:NAMESPACE/NAME.
    subject: String,
    /// Answer one question instead of listing (yes/no, exit 0/1); needs --resource.
    #[arg(long, requires = "resource")]
    verb: Option<String>,
    /// RESOURCE[/SUBRESOURCE] or /URL, with --verb.
    #[arg(long, requires = "verb")]
    resource: Option<String>,
    #[command(flatten)]
    input: InputArgs,
    /// Only what applies in this namespace (cluster-wide grants included).
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// The object's name, for a yes/no question.
    #[arg(long)]
    name: Option<String>,
    #[arg(short, long, value_enum, default_value_t = TextJson::Text)]
    format: TextJson,
}

#[derive(Args)]
struct GraphArgs {
    #[command(flatten)]
    input: InputArgs,
    #[arg(short, long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Only RoleBindings of this namespace and ClusterRoleBindings of its service accounts.
    #[arg(short = 'n', long)]
    namespace: Option<String>,
    /// Only bindings that apply to this subject (user:, group:, sa:), implicit groups included.
    #[arg(long)]
    subject: Option<String>,
    /// Only bindings whose role grants a dangerous capability.
    #[arg(long)]
    risky: bool,
    /// Also draw the default bindings of a kubeadm cluster.
    #[arg(long)]
    include_defaults: bool,
}

pub fn run(args: RbacArgs) -> ExitCode {
    super::init_threads(None);
    match args.command {
        RbacCommand::WhoCan(a) => who_can(a),
        RbacCommand::Can(a) => can(a),
        RbacCommand::Graph(a) => graph_cmd(a),
    }
}

/// Loads the inputs; input errors are printed and end the command with exit code 2.
fn load(input: &InputArgs) -> Result<Loaded, ExitCode> {
    let loaded = input.load();
    let mut err = anstream::stderr();
    for d in &loaded.diagnostics {
        let _ = writeln!(err, "{d}");
    }
    if loaded.diagnostics.iter().any(|d| d.level == Level::Error) {
        return Err(usage_error(format!(
            "input errors in {}; nothing answered",
            input.paths().join(", ")
        )));
    }
    if loaded.inventory.is_empty() {
        return Err(usage_error(format!(
            "no Kubernetes objects found in {}",
            input.paths().join(", ")
        )));
    }
    Ok(loaded)
}

fn warn(msg: &str) {
    let _ = writeln!(anstream::stderr(), "\x1b[33mwarning\x1b[0m: {msg}");
}

fn print(body: &str) {
    super::print_stdout(body, false);
}

fn json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).expect("json") + "\n"
}

fn who_can(a: WhoCanArgs) -> ExitCode {
    let loaded = match load(&a.input) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let analysis = Analysis::of(&loaded.inventory);
    let q = WhoCanQuery {
        verb: a.verb,
        resource: a.resource,
        namespace: a.namespace,
        name: a.name,
    };
    let r = query::resolve(&loaded.inventory, &analysis.model, &q);
    for w in &r.warnings {
        warn(w);
    }
    let (full, named) = query::who_can(&analysis.model, &r);
    match a.format {
        TextJson::Json => print(&json(&query::who_can_json(&analysis.model, &full))),
        TextJson::Text => print(&query::who_can_text(&analysis.model, &r, &full, &named)),
    }
    ExitCode::SUCCESS
}

fn can(a: CanArgs) -> ExitCode {
    let spec = match SubjectSpec::parse(&a.subject) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let loaded = match load(&a.input) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let analysis = Analysis::of(&loaded.inventory);
    let subjects = match query::resolve_subject(&loaded.inventory, &analysis, &spec) {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    if let (Some(verb), Some(resource)) = (a.verb, a.resource) {
        let q = WhoCanQuery {
            verb,
            resource,
            // Like kubectl's current namespace; a service account or pod is asked about in its own.
            namespace: Some(a.namespace.clone().unwrap_or_else(|| match &spec {
                SubjectSpec::ServiceAccount(ns, _) | SubjectSpec::Pod(ns, _) => ns.clone(),
                _ => "default".into(),
            })),
            name: a.name,
        };
        let r = query::resolve(&loaded.inventory, &analysis.model, &q);
        for w in &r.warnings {
            warn(w);
        }
        let mut yes = false;
        let mut out = serde_json::Map::new();
        let mut text = String::new();
        for s in &subjects {
            let via: Vec<String> = r
                .requests
                .iter()
                .flat_map(|req| allowed(&analysis.model, &s.identity, req))
                .map(|v| match v {
                    kubeward_analysis::rbac::authz::Via::Masters => "system:masters".to_string(),
                    kubeward_analysis::rbac::authz::Via::Rule { binding, rule, .. } => {
                        let b = analysis.model.binding(binding);
                        format!(
                            "{} → {} rules[{}]",
                            b.id(),
                            analysis.model.role(rule.role).id(),
                            analysis.model.rule(rule).index
                        )
                    }
                })
                .collect();
            // A pod without a token cannot use its ServiceAccount's grants: the answer is no,
            // and says what the ServiceAccount itself could do.
            let allowed = !via.is_empty() && !s.no_token;
            yes |= allowed;
            let answer = match (via.is_empty(), s.no_token) {
                (true, false) => "no".to_string(),
                (false, false) => format!("yes ({})", via.join("; ")),
                (true, true) => "no (no token mounted)".to_string(),
                (false, true) => format!(
                    "no (no token mounted; its ServiceAccount could: {})",
                    via.join("; ")
                ),
            };
            text.push_str(&format!("{}: {answer}\n", s.label));
            let mut entry = serde_json::json!({"allowed": allowed, "via": via});
            if s.no_token {
                entry["token_mounted"] = serde_json::Value::Bool(false);
            }
            out.insert(s.label.clone(), entry);
        }
        match a.format {
            TextJson::Json => print(&json(&serde_json::Value::Object(out))),
            TextJson::Text => print(&text),
        }
        return if yes {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        };
    }
    let mut text = String::new();
    let mut all = Vec::new();
    for s in &subjects {
        let rows = query::can_rows(&analysis.model, &s.identity, a.namespace.as_deref());
        text.push_str(&query::can_text(s, &rows, a.namespace.as_deref()));
        all.push(query::can_json(s, &rows));
    }
    match a.format {
        TextJson::Json => print(&json(&if all.len() == 1 {
            all.remove(0)
        } else {
            serde_json::Value::Array(all)
        })),
        TextJson::Text => print(&text),
    }
    ExitCode::SUCCESS
}

fn graph_cmd(a: GraphArgs) -> ExitCode {
    let subject = match &a.subject {
        None => None,
        Some(s) => match SubjectSpec::parse(s) {
            Ok(SubjectSpec::User(u)) => Some(Identity::user(&u, &[])),
            Ok(SubjectSpec::Group(g)) => Some(Identity::group_member(&g)),
            Ok(SubjectSpec::ServiceAccount(ns, n)) => Some(Identity::service_account(&ns, &n)),
            Ok(SubjectSpec::Pod(..)) => {
                return usage_error("--subject takes user:, group: or sa:, not pod:");
            }
            Err(e) => return usage_error(e),
        },
    };
    let loaded = match load(&a.input) {
        Ok(l) => l,
        Err(c) => return c,
    };
    let analysis = Analysis::of(&loaded.inventory);
    let g = graph::build(
        &analysis,
        &GraphOptions {
            namespace: a.namespace,
            subject,
            risky_only: a.risky,
            include_defaults: a.include_defaults,
        },
    );
    match a.format {
        GraphFormat::Dot => print(&graph::dot(&g)),
        GraphFormat::Mermaid => print(&graph::mermaid(&g)),
        GraphFormat::Json => print(&json(&graph::json(&g))),
    }
    ExitCode::SUCCESS
}
