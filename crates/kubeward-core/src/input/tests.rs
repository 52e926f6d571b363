//! Loader tests: lists, broken documents, missing fields, duplicates, empty and binary input.

use super::files::into_text;
use super::*;

fn text(t: &str) -> Loaded {
    load_text("t.yaml", t, &LoadOptions::default())
}

#[test]
fn lists_are_unwrapped_with_pointers() {
    let l = text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: []}\n\
         - apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b, namespace: x}\n",
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let o = l.inventory.objects();
    assert_eq!(o.len(), 2);
    assert_eq!(o[0].base_pointer, "/items/0");
    assert_eq!(o[1].namespace.as_deref(), Some("x"));
    assert_eq!(o[0].namespace.as_deref(), Some("default"));
}

#[test]
fn broken_documents_are_errors_and_others_are_kept() {
    let l = text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: []}\n---\nkind: [\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
    );
    assert_eq!(l.inventory.len(), 2);
    assert_eq!(l.diagnostics.len(), 1);
    assert_eq!(l.diagnostics[0].level, Level::Error);
    assert!(l.diagnostics[0].line >= 6);
}

#[test]
fn missing_fields_are_located_errors_but_objects_are_kept() {
    let l =
        text("apiVersion: v1\nkind: Pod\nspec: {containers: []}\n---\nkind: Pod\n---\nfoo: bar\n");
    assert_eq!(l.inventory.len(), 1);
    assert_eq!(l.inventory.objects()[0].name, "(unnamed)");
    let msgs: Vec<_> = l
        .diagnostics
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(msgs[1].1.contains("`apiVersion` is missing"));
    assert_eq!(msgs[2].0, 7);
}

#[test]
fn duplicates_are_attached_to_list_items() {
    let l = text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    hostPID: false\n    hostPID: true\n    containers: []\n",
    );
    assert_eq!(l.duplicates.len(), 1);
    assert_eq!(l.duplicates[0].1.pointer, "/spec/hostPID");
    let obj = l.inventory.object(l.duplicates[0].0);
    assert_eq!(
        obj.root.path(&["spec", "hostPID"]).unwrap().as_bool(),
        Some(true)
    );
}

#[test]
fn typed_list_items_take_kind_and_api_version_from_the_list() {
    // As `kubectl get --raw /api/v1/pods` or `curl` print it: items without kind.
    let l = text(
        "apiVersion: v1\nkind: PodList\nmetadata: {resourceVersion: \"1\"}\nitems:\n\
         - metadata: {name: a, namespace: x}\n  spec: {containers: []}\n\
         - metadata: {name: b, namespace: z}\n  spec:\n    hostPID: true\n    containers: []\n",
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let o = l.inventory.objects();
    assert_eq!(o.len(), 2);
    assert_eq!(
        (o[0].kind.as_str(), o[0].api_version.as_str()),
        ("Pod", "v1")
    );
    assert_eq!(o[1].base_pointer, "/items/1");
    assert_eq!(o[1].span_of("/spec/hostPID").line, 9);
    // An item that names its own kind keeps it.
    let l = text(
        "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- kind: Deployment\n  metadata: {name: a}\n  spec: {template: {spec: {containers: []}}}\n",
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let o = l.inventory.objects();
    assert_eq!(
        (o[0].kind.as_str(), o[0].api_version.as_str()),
        ("Deployment", "apps/v1")
    );
}

#[test]
fn typed_json_list_items_take_kind_with_pointers() {
    let json = r#"{"apiVersion":"v1","kind":"NamespaceList","items":[
{"metadata":{"name":"a"}},
{"metadata":{"name":"b","labels":{"x":"y"}}}
]}"#;
    let l = load_text("ns.json", json, &LoadOptions::default());
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    let o = l.inventory.objects();
    assert_eq!(o.len(), 2);
    assert!(
        o.iter()
            .all(|o| o.kind == "Namespace" && o.api_version == "v1")
    );
    assert_eq!(o[1].name, "b");
    assert_eq!(o[1].base_pointer, "/items/1");
    assert_eq!(o[1].span_of("/metadata/labels").line, 3);
}

#[test]
fn plain_list_items_without_kind_are_located_errors() {
    let l = text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: []}\n\
         - metadata: {name: b}\n",
    );
    assert_eq!(l.inventory.len(), 1);
    assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
    assert_eq!(l.diagnostics[0].level, Level::Error);
    assert_eq!(l.diagnostics[0].file, "t.yaml");
    assert_eq!(l.diagnostics[0].line, 8);
    let j = load_text(
        "l.json",
        "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n{\"metadata\":{\"name\":\"a\"}}]}",
        &LoadOptions::default(),
    );
    assert!(j.has_errors());
    assert_eq!(j.diagnostics[0].line, 2);
}

#[test]
fn empty_input_is_a_warning() {
    let l = text("# nothing\n");
    assert_eq!(l.diagnostics[0].level, Level::Warning);
    assert!(!l.has_errors());
}

#[test]
fn binary_is_an_error() {
    assert!(
        into_text(vec![b'a', b'\n', b'b', 0xff, 0xfe])
            .unwrap_err()
            .contains("line 2, column 2")
    );
}
