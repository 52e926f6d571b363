//! Golden tests: connection lists (txt and json), explanations and exposure of hand-built
//! topologies in `testdata/`.

use super::model::{Model, Options};
use super::{Format, connections, render};
use kubeward_core::input::{LoadOptions, Loaded, load_text};

fn load(name: &str) -> Loaded {
    let path = format!("{}/src/netpol/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let l = load_text(&format!("testdata/{name}"), &text, &LoadOptions::default());
    assert!(!l.has_errors(), "{:?}", l.diagnostics);
    l
}

fn model(l: &Loaded) -> Model {
    let m = Model::build(&l.inventory, Options::default());
    assert!(m.issues.iter().all(|i| !i.error), "{:?}", m.issues);
    m
}

fn golden(name: &str) {
    let l = load(&format!("{name}.yaml"));
    let m = model(&l);
    let c = connections(&m);
    insta::assert_snapshot!(format!("{name}_txt"), render(&c, Format::Txt));
    insta::assert_snapshot!(format!("{name}_json"), render(&c, Format::Json));
}

#[test]
fn microservices() {
    golden("microservices");
    let l = load("microservices.yaml");
    let m = model(&l);
    let e = |a: &str, b: &str, p: Option<(super::Proto, u16)>| {
        let s = super::explain::parse_end(&m, a).unwrap();
        let d = super::explain::parse_end(&m, b).unwrap();
        super::explain::explain(&m, &l.inventory, s, d, p).unwrap()
    };
    insta::assert_snapshot!(
        "microservices_explain_frontend_cart",
        e("shop/frontend", "shop/cart", None)
    );
    insta::assert_snapshot!(
        "microservices_explain_debug_redis",
        e(
            "tools/debug",
            "shop/redis[StatefulSet]",
            Some((super::Proto::Tcp, 6379))
        )
    );
    let x = super::exposure::exposure(&m, &l.inventory);
    insta::assert_snapshot!("microservices_exposure", super::exposure::render_text(&x));
}

#[test]
fn ipblock_with_excepts() {
    golden("ipblock");
}

#[test]
fn named_ports_on_two_protocols() {
    golden("named-ports");
}

#[test]
fn end_port_ranges() {
    golden("endport");
}

#[test]
fn admin_and_baseline_with_pass() {
    golden("admin");
    let l = load("admin.yaml");
    let m = model(&l);
    let s = super::explain::parse_end(&m, "dev/sandbox").unwrap();
    let d = super::explain::parse_end(&m, "prod/api").unwrap();
    insta::assert_snapshot!(
        "admin_explain_sandbox_api",
        super::explain::explain(&m, &l.inventory, s, d, None).unwrap()
    );
    let s = super::explain::parse_end(&m, "prod/web").unwrap();
    insta::assert_snapshot!(
        "admin_explain_web_api",
        super::explain::explain(&m, &l.inventory, s, d, None).unwrap()
    );
}

#[test]
fn ingress_controller_unknown_and_configured() {
    // Unknown location: only peers admitting every namespace or source admit it.
    golden("ingress-controller");
    let l = load("ingress-controller.yaml");
    let m = model(&l);
    let x = super::exposure::exposure(&m, &l.inventory);
    insta::assert_snapshot!(
        "ingress-controller_exposure",
        super::exposure::render_text(&x)
    );
    let e = |d: &str| {
        let s = super::explain::parse_end(&m, "{ingress-controller}").unwrap();
        let d = super::explain::parse_end(&m, d).unwrap();
        super::explain::explain(&m, &l.inventory, s, d, None).unwrap()
    };
    insta::assert_snapshot!("ingress-controller_explain_api", e("shop/api"));
    // Configured: matched as a pod with these labels in ingress-nginx.
    let opts = Options {
        ingress_controller: Some(super::ingress::Location {
            namespace: "ingress-nginx".into(),
            labels: [(
                "app.kubernetes.io/name".to_string(),
                "ingress-nginx".to_string(),
            )]
            .into_iter()
            .collect(),
        }),
        ..Options::default()
    };
    let m = Model::build(&l.inventory, opts);
    let c = connections(&m);
    insta::assert_snapshot!("ingress-controller_configured_txt", render(&c, Format::Txt));
    insta::assert_snapshot!(
        "ingress-controller_configured_json",
        render(&c, Format::Json)
    );
    let s = super::explain::parse_end(&m, "{ingress-controller}").unwrap();
    let d = super::explain::parse_end(&m, "shop/api").unwrap();
    insta::assert_snapshot!(
        "ingress-controller_configured_explain_api",
        super::explain::explain(&m, &l.inventory, s, d, None).unwrap()
    );
    assert!(super::explain::explain(&m, &l.inventory, d, s, None).is_err());
}
