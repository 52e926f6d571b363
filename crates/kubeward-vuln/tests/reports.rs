//! Scanner reports (Trivy, Grype, CycloneDX VEX, shaped as those tools write them; contents
//! written here) attached to the workloads that run each image, ranked by exposure.

use kubeward_core::config::Config;
use kubeward_core::engine::Engine;
use kubeward_core::finding::{Finding, Severity, Status};
use kubeward_core::{Registry, testing};
use kubeward_vuln::reports::{self, ImageIdentity, purl_name};
use kubeward_vuln::{Facts, Level, attach};
use serde_json::json;
use std::sync::Arc;

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

fn trivy() -> String {
    json!({
        "SchemaVersion": 2,
        "ArtifactName": "registry.example.test/shop/web:1.4",
        "ArtifactType": "container_image",
        "Metadata": {
            "RepoTags": ["registry.example.test/shop/web:1.4"],
            "RepoDigests": [format!("registry.example.test/shop/web@{DIGEST}")]
        },
        "Results": [
            {"Target": "registry.example.test/shop/web:1.4 (debian 12.5)", "Class": "os-pkgs", "Type": "debian",
             "Vulnerabilities": [
                {"VulnerabilityID": "CVE-2099-0001", "VendorIDs": ["DSA-9999-1"], "PkgName": "libssl3",
                 "InstalledVersion": "3.0.11-1~deb12u1", "FixedVersion": "3.0.11-1~deb12u2", "Status": "fixed",
                 "Severity": "CRITICAL", "SeveritySource": "nvd", "Title": "test flaw in TLS.",
                 "PrimaryURL": "https://example.test/CVE-2099-0001",
                 "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}},
                {"VulnerabilityID": "CVE-2099-0002", "PkgName": "zlib1g", "InstalledVersion": "1:1.2.13.dfsg-1",
                 "Status": "affected", "Severity": "MEDIUM"},
                {"VulnerabilityID": "CVE-2099-0003", "PkgName": "tar", "InstalledVersion": "1.34+dfsg-1.2",
                 "Status": "not_affected", "Severity": "LOW"}
             ]},
            {"Target": "app/package-lock.json", "Class": "lang-pkgs", "Type": "npm",
             "Vulnerabilities": [
                {"VulnerabilityID": "GHSA-aaaa-bbbb-cccc", "PkgName": "@acme/widget", "InstalledVersion": "1.4.1",
                 "FixedVersion": "1.4.2", "Severity": "HIGH"}
             ]},
            {"Target": "Python", "Class": "lang-pkgs", "Type": "python-pkg"}
        ]
    })
    .to_string()
}

fn grype() -> String {
    json!({
        "matches": [{
            "vulnerability": {"id": "CVE-2099-0100", "dataSource": "https://example.test/CVE-2099-0100",
                "severity": "High", "description": "grype test flaw",
                "cvss": [{"version": "3.1", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "metrics": {"baseScore": 7.5}}],
                "fix": {"versions": [], "state": "not-fixed"}},
            "relatedVulnerabilities": [{"id": "CVE-2099-0100"}, {"id": "GHSA-xxxx-yyyy-zzzz"}],
            "artifact": {"name": "libexpat1", "version": "2.5.0-1", "type": "deb",
                "locations": [{"path": "/var/lib/dpkg/status"}],
                "upstreams": [{"name": "expat"}]}
        }],
        "source": {"type": "image", "target": {"userInput": "redis:7.2",
            "tags": ["redis:7.2"], "repoDigests": []}},
        "descriptor": {"name": "grype", "version": "0.0.0-test"}
    })
    .to_string()
}

fn vex() -> String {
    json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [{"type": "library", "bom-ref": "c1", "name": "zlib1g",
            "purl": "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64"}],
        "vulnerabilities": [
            {"id": "CVE-2099-0002", "analysis": {"state": "not_affected",
                "justification": "code_not_reachable", "detail": "inflate is never called"},
             "affects": [{"ref": "c1"}]},
            {"id": "CVE-2099-0001", "analysis": {"state": "exploitable"}}
        ]
    })
    .to_string()
}

const YAML: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example.test/shop/web:1.4
          securityContext: {privileged: true}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-secrets, namespace: shop}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-secrets, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-secrets}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: shop}
spec:
  selector: {matchLabels: {app: batch}}
  template:
    metadata: {labels: {app: batch}}
    spec:
      automountServiceAccountToken: false
      containers:
        - name: job
          image: registry.example.test/shop/web@sha256:1111111111111111111111111111111111111111111111111111111111111111
        - name: cache
          image: redis:7.2
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: old, namespace: shop}
spec:
  selector: {matchLabels: {app: old}}
  template:
    metadata: {labels: {app: old}}
    spec:
      automountServiceAccountToken: false
      containers:
        - name: web
          image: registry.example.test/shop/web:1.3
"#;

fn scan(texts: &[(&str, String)]) -> Vec<Finding> {
    let mut all = reports::Reports::default();
    for (name, t) in texts {
        let r = reports::parse(name, t).unwrap();
        all.images.extend(r.images);
        all.vex.extend(r.vex);
    }
    let loaded = testing::load(YAML);
    assert!(attach(
        &loaded.inventory,
        Arc::new(Facts {
            reports: all,
            ..Default::default()
        })
    ));
    let mut registry = Registry::new();
    registry.extend(kubeward_vuln::rules());
    let config = Config::default();
    let mut f = Engine {
        registry: &registry,
        config: &config,
    }
    .run(&loaded.inventory, &loaded.duplicates, None)
    .findings;
    let inv = &loaded.inventory;
    f.sort_by_key(|x| {
        (
            x.rule.id,
            x.object.map(|o| inv.object(o).name.to_string()),
            x.pointer.clone(),
            x.key.clone(),
        )
    });
    f
}

fn find<'a>(
    f: &'a [Finding],
    key_start: &str,
    pointer_part: &str,
    loaded_name: &str,
) -> &'a Finding {
    f.iter()
        .find(|x| {
            x.key.as_deref().is_some_and(|k| k.starts_with(key_start))
                && x.pointer.contains(pointer_part)
                && x.message.contains(loaded_name)
        })
        .unwrap_or_else(|| panic!("no finding {key_start} at {pointer_part}: {f:#?}"))
}

#[test]
fn trivy_findings_attach_to_every_workload_running_the_image_ranked_by_exposure() {
    let f = scan(&[("trivy.json", trivy()), ("vex.json", vex())]);
    // web (tag 1.4) and batch/job (the same digest) run the image; old (tag 1.3) does not.
    let critical_web = f
        .iter()
        .find(|x| {
            x.key.as_deref() == Some("CVE-2099-0001|libssl3|3.0.11-1~deb12u1")
                && x.message.contains("container \"web\"")
                && x.pointer.starts_with("/spec/template/spec/containers/0")
        })
        .expect("web finding");
    assert_eq!(critical_web.rule.id, "KW-VULN-001");
    assert_eq!(critical_web.severity, Severity::Critical);
    let m = &critical_web.message;
    for part in [
        "CVE-2099-0001 (DSA-9999-1) in libssl3 3.0.11-1~deb12u1",
        "severity critical, CVSS 9.8",
        "fixed in 3.0.11-1~deb12u2",
        "Ranks first: the container is privileged",
        "reachable from outside through Service shop/web (LoadBalancer)",
        "its token (ServiceAccount shop/web) can read secrets in namespace shop",
        "a VEX statement says it is exploitable here",
        "[Trivy report trivy.json]",
    ] {
        assert!(m.contains(part), "missing `{part}` in {m}");
    }
    assert!(
        critical_web
            .references
            .contains(&("advisory", "https://example.test/CVE-2099-0001".into()))
    );
    // The npm HIGH in the exposed workload is raised to critical; in batch it stays high.
    let npm: Vec<_> = f
        .iter()
        .filter(|x| x.key.as_deref().is_some_and(|k| k.starts_with("GHSA-aaaa")))
        .collect();
    assert_eq!(npm.len(), 2, "{npm:#?}");
    let (exposed, quiet): (Vec<&&Finding>, Vec<&&Finding>) =
        npm.iter().partition(|x| x.message.contains("Ranks first"));
    assert_eq!(exposed[0].severity, Severity::Critical);
    assert!(exposed[0].message.contains("raised from high to critical"));
    assert_eq!(quiet[0].severity, Severity::High);
    assert!(quiet[0].message.contains("container \"job\""));
    assert!(quiet[0].message.contains("at app/package-lock.json"));
    // No fix → KW-VULN-002; VEX not_affected → suppressed, not dropped.
    let zlib: Vec<_> = f
        .iter()
        .filter(|x| {
            x.key
                .as_deref()
                .is_some_and(|k| k.starts_with("CVE-2099-0002"))
        })
        .collect();
    assert_eq!(zlib.len(), 2);
    for z in &zlib {
        assert_eq!(z.rule.id, "KW-VULN-002");
        assert!(z.message.contains("no fixed version yet"));
        let s = z.suppressed.as_ref().expect("VEX suppresses");
        assert_eq!(s.by, "vex");
        assert!(
            s.reason
                .contains("not_affected, code_not_reachable: inflate is never called"),
            "{}",
            s.reason
        );
    }
    // Trivy's own not_affected status is kept as a suppressed finding.
    let tar = f
        .iter()
        .find(|x| {
            x.key
                .as_deref()
                .is_some_and(|k| k.starts_with("CVE-2099-0003"))
        })
        .unwrap();
    assert_eq!(tar.suppressed.as_ref().unwrap().by, "report");
    // Images no report covers are unknown, not clean.
    let unknown: Vec<_> = f.iter().filter(|x| x.rule.id == "KW-VULN-003").collect();
    assert_eq!(unknown.len(), 2, "{unknown:#?}");
    assert!(unknown.iter().all(|u| u.status == Status::Unknown));
    assert!(
        unknown
            .iter()
            .any(|u| u.message.contains("registry.example.test/shop/web:1.3"))
    );
    assert!(unknown.iter().any(|u| u.message.contains("redis:7.2")));
    let _ = find(&f, "CVE-2099-0001", "containers/0", "job");
}

#[test]
fn grype_reports_match_by_tag_with_upstream_and_aliases() {
    let f = scan(&[("grype.json", grype())]);
    let g: Vec<_> = f.iter().filter(|x| x.rule.id == "KW-VULN-002").collect();
    assert_eq!(g.len(), 1, "{f:#?}");
    let m = &g[0].message;
    assert!(m.contains("container \"cache\": CVE-2099-0100 (GHSA-xxxx-yyyy-zzzz) in libexpat1 2.5.0-1 (source package expat)"), "{m}");
    assert!(
        m.contains("severity high, CVSS 7.5; no fixed version yet"),
        "{m}"
    );
    assert!(m.contains("at /var/lib/dpkg/status"), "{m}");
    assert_eq!(g[0].severity, Severity::High);
    // Two workloads' web containers are not covered by the Grype report.
    assert_eq!(f.iter().filter(|x| x.rule.id == "KW-VULN-003").count(), 3);
}

#[test]
fn without_reports_nothing_is_said() {
    let loaded = testing::load(YAML);
    let mut registry = Registry::new();
    registry.extend(kubeward_vuln::rules());
    let out = Engine {
        registry: &registry,
        config: &Config::default(),
    }
    .run(&loaded.inventory, &loaded.duplicates, None);
    assert!(out.findings.is_empty());
}

#[test]
fn bad_reports_are_clear_errors() {
    use kubeward_vuln::ReportProblem;
    let e = reports::parse("x.json", "{\n  \"a\": ").unwrap_err();
    assert!(e.to_string().starts_with("x.json: line 2 column"), "{e}");
    assert_eq!(e.file, "x.json");
    assert!(
        matches!(e.problem, ReportProblem::NotJson { line: 2, .. }),
        "{e:?}"
    );
    let e = reports::parse("y.json", "{\"foo\": 1}").unwrap_err();
    assert!(
        e.to_string()
            .contains("not a Trivy JSON, Grype JSON or CycloneDX report"),
        "{e}"
    );
    assert!(matches!(e.problem, ReportProblem::UnknownFormat), "{e:?}");
    let e = reports::parse("k.json", "{\"ClusterName\": \"c\", \"Resources\": []}").unwrap_err();
    assert!(e.to_string().contains("trivy k8s"), "{e}");
    assert!(matches!(e.problem, ReportProblem::TrivyK8s), "{e:?}");
    let e = reports::parse(
        "t.json",
        &json!({"ArtifactName": "", "Results": []}).to_string(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("not an image reference"), "{e}");
    assert!(
        matches!(e.problem, ReportProblem::TrivyNoImage { .. }),
        "{e:?}"
    );
    let e = reports::parse(
        "v.json",
        &json!({"bomFormat": "CycloneDX", "vulnerabilities": [{"id": "X"}]}).to_string(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("without VEX statements"), "{e}");
    assert!(matches!(e.problem, ReportProblem::NoVex), "{e:?}");
    // A missing file is told apart from a bad one.
    let e = reports::read_files(&["/nonexistent/kw-report.json".into()]).unwrap_err();
    assert!(
        matches!(&e.problem, ReportProblem::Read(io) if io.kind() == std::io::ErrorKind::NotFound),
        "{e:?}"
    );
}

#[test]
fn image_identity_and_purls() {
    let id = ImageIdentity::from_refs([
        "nginx:1.25",
        "nginx@sha256:2222222222222222222222222222222222222222222222222222222222222222",
    ])
    .unwrap();
    let r = |s: &'static str| kubeward_core::image::ImageRef::parse(s).unwrap();
    assert!(id.runs(&r("docker.io/library/nginx:1.25")));
    assert!(id.runs(&r("nginx:1.25")));
    assert!(!id.runs(&r("nginx:1.26")));
    assert!(!id.runs(&r("nginx")));
    assert!(id.runs(&r(
        "nginx@sha256:2222222222222222222222222222222222222222222222222222222222222222"
    )));
    assert!(!id.runs(&r(
        "nginx:1.25@sha256:3333333333333333333333333333333333333333333333333333333333333333"
    )));
    assert!(!id.runs(&r("acme/nginx:1.25")));
    assert_eq!(
        purl_name("pkg:deb/debian/openssl@3.0?arch=amd64").as_deref(),
        Some("openssl")
    );
    assert_eq!(
        purl_name("pkg:npm/%40acme/widget@1.0.0").as_deref(),
        Some("@acme/widget")
    );
    assert_eq!(
        purl_name("pkg:maven/org.example/core@1.0").as_deref(),
        Some("org.example:core")
    );
    assert_eq!(
        purl_name("pkg:golang/example.test/mod@v1.0.0").as_deref(),
        Some("example.test/mod")
    );
    assert_eq!(Level::from_label("Negligible"), Level::Negligible);
}

#[test]
fn database_matches_become_image_reports() {
    let m = kubeward_vuln::Match {
        id: "KWT-1".into(),
        aliases: vec!["CVE-2099-7000".into()],
        summary: "s".into(),
        ecosystem: "Debian:12".into(),
        package: "libssl3".into(),
        record_package: "openssl".into(),
        installed: "3.0.11-1~deb12u1".into(),
        fixed: Some("3.0.11-1~deb12u2".into()),
        severity: Level::High,
        score: Some(7.5),
        severity_source: kubeward_vuln::db::SevSource::CvssV3,
        url: String::new(),
    };
    let r =
        reports::ImageReport::from_matches("nginx:1.25", "OSV database imported X".into(), &[m])
            .unwrap();
    assert_eq!(r.findings[0].source_package.as_deref(), Some("openssl"));
    assert_eq!(r.findings[0].fixed.as_deref(), Some("3.0.11-1~deb12u2"));
    assert!(
        r.image
            .runs(&kubeward_core::image::ImageRef::parse("docker.io/library/nginx:1.25").unwrap())
    );
    assert!(reports::ImageReport::from_matches("", String::new(), &[]).is_none());
}
