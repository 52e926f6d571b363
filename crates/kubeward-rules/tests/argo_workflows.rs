//! Argo Workflows templates are checked like the pods they run: every rule of the catalogue over
//! a Workflow, a CronWorkflow and a WorkflowTemplate whose templates run a privileged container,
//! compared with the same container in a plain Pod.

use kubeward_core::config::Settings;
use kubeward_core::testing::{Hit, run_with};
use std::collections::BTreeSet;

fn all(yaml: &str) -> Vec<Hit> {
    run_with(&kubeward_rules::rules(), Settings::default(), yaml)
}

const CONTAINER: &str = "{image: \"registry.example/tool@sha256:0000000000000000000000000000000000000000000000000000000000000000\", \
    securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN]}}}";

/// (rule, pointer below the container, message up to the Argo note) of hits on the container.
fn container_facts(hits: &[Hit], prefix: &str) -> BTreeSet<(String, String, String)> {
    hits.iter()
        .filter_map(|h| {
            let rest = h.pointer.strip_prefix(prefix)?;
            let msg = h.message.split(" [Argo template").next().unwrap();
            Some((h.rule.to_string(), rest.to_string(), msg.to_string()))
        })
        .collect()
}

#[test]
fn privileged_template_containers_give_the_findings_a_pod_gives() {
    let pod = all(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: ci}}\nspec:\n  containers:\n  - {}\n",
        CONTAINER.replacen('{', "{name: main, ", 1)
    ));
    let expected = container_facts(&pod, "/spec/containers/0");
    assert!(
        expected
            .iter()
            .any(|(_, p, _)| p == "/securityContext/privileged"),
        "the Pod itself must give privileged findings: {expected:?}"
    );
    let rules_only = |s: &BTreeSet<(String, String, String)>| -> BTreeSet<(String, String)> {
        s.iter().map(|(r, p, _)| (r.clone(), p.clone())).collect()
    };

    let cases = [
        (
            "Workflow",
            format!(
                "spec:\n  entrypoint: entry\n  templates:\n  - name: entry\n    steps: [[{{name: s, template: build}}]]\n  \
                 - name: wait\n    suspend: {{}}\n  - name: build\n    container: {CONTAINER}\n"
            ),
            "/spec/templates/2/container",
            12,
        ),
        (
            "CronWorkflow",
            format!(
                "spec:\n  schedule: \"0 * * * *\"\n  workflowSpec:\n    templates:\n    - name: build\n      \
                 container: {CONTAINER}\n"
            ),
            "/spec/workflowSpec/templates/0/container",
            9,
        ),
        (
            "WorkflowTemplate",
            format!(
                "spec:\n  templates:\n  - name: build\n    script: {{image: x, source: echo hi}}\n  \
                 - name: side\n    container: {{image: x}}\n    sidecars:\n    - {}\n",
                CONTAINER.replacen('{', "{name: main, ", 1)
            ),
            "/spec/templates/1/sidecars/0",
            11,
        ),
    ];
    for (kind, spec, prefix, line) in cases {
        let yaml = format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: {kind}\nmetadata: {{name: wf, namespace: ci}}\n{spec}"
        );
        let hits = all(&yaml);
        let got = container_facts(&hits, prefix);
        assert_eq!(rules_only(&got), rules_only(&expected), "{kind}\n{yaml}");
        assert_eq!(got, expected, "{kind}\n{yaml}");
        let privileged = hits
            .iter()
            .find(|h| h.pointer == format!("{prefix}/securityContext/privileged"))
            .unwrap_or_else(|| panic!("{kind}: no privileged finding: {hits:#?}"));
        assert_eq!(privileged.line, line, "{kind}\n{yaml}");
        assert_eq!(privileged.object, format!("{kind} ci/wf"));
        assert!(
            privileged.message.ends_with(" [Argo template \"build\"]")
                || privileged.message.ends_with(" [Argo template \"side\"]"),
            "{}",
            privileged.message
        );
        // One finding per fact.
        let mut seen = BTreeSet::new();
        for h in &hits {
            assert!(
                seen.insert((h.rule, h.pointer.clone())) || h.pointer.is_empty(),
                "{kind}: two findings of one rule at one field: {h:?}\n{hits:#?}"
            );
        }
        // The steps and suspend templates run no pod: nothing points into them.
        if kind == "Workflow" {
            assert!(
                !hits
                    .iter()
                    .any(|h| h.pointer.starts_with("/spec/templates/0")
                        || h.pointer.starts_with("/spec/templates/1")),
                "{hits:#?}"
            );
        }
    }
}

/// A workflow written to the restricted profile, with a workflow-level pod security context and
/// a template-level one.
const CLEAN: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: clean, namespace: ci}
spec:
  entrypoint: entry
  serviceAccountName: ci-runner
  automountServiceAccountToken: false
  executor: {serviceAccountName: ci-executor}
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    seccompProfile: {type: RuntimeDefault}
  templates:
  - name: entry
    dag:
      tasks: [{name: a, template: build}, {name: b, template: py}]
  - name: build
    container:
      image: "registry.example/tool@sha256:0000000000000000000000000000000000000000000000000000000000000000"
      command: [make]
      resources:
        requests: {cpu: 100m, memory: 128Mi, ephemeral-storage: 1Gi}
        limits: {cpu: "1", memory: 512Mi, ephemeral-storage: 1Gi}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
  - name: py
    securityContext:
      runAsNonRoot: true
      runAsUser: 10002
      runAsGroup: 10002
      seccompProfile: {type: RuntimeDefault}
    script:
      image: "registry.example/python@sha256:1111111111111111111111111111111111111111111111111111111111111111"
      command: [python]
      source: print(1)
      resources:
        requests: {cpu: 100m, memory: 128Mi, ephemeral-storage: 1Gi}
        limits: {cpu: "1", memory: 512Mi, ephemeral-storage: 1Gi}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
"#;

#[test]
fn a_restricted_workflow_gives_no_pod_findings() {
    let hits = all(CLEAN);
    let on_templates: Vec<&Hit> = hits
        .iter()
        .filter(|h| {
            h.pointer.starts_with("/spec/templates") || h.message.contains("[Argo template")
        })
        .collect();
    assert!(on_templates.is_empty(), "{on_templates:#?}");
}
