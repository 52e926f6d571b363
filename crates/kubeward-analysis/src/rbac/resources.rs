//! The built-in API resources kubeward knows offline: group, plural name, scope, and the
//! names `kubectl` accepts for them. The RBAC authorizer matches plural resource names; a
//! command line takes any of these spellings, as `kubectl auth can-i` does through discovery.

use kubeward_core::Inventory;

/// One built-in resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub group: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    /// Singular name and short names, lowercase.
    pub aliases: &'static [&'static str],
}

const fn r(
    group: &'static str,
    plural: &'static str,
    namespaced: bool,
    aliases: &'static [&'static str],
) -> ResourceInfo {
    ResourceInfo {
        group,
        plural,
        namespaced,
        aliases,
    }
}

/// Built-in resources. Where a plural exists in several groups, the entry listed first is the
/// one a bare name means (core `events` before `events.k8s.io`, `apps` before `extensions`).
pub const BUILTIN: &[ResourceInfo] = &[
    r("", "pods", true, &["pod", "po"]),
    r("", "services", true, &["service", "svc"]),
    r("", "configmaps", true, &["configmap", "cm"]),
    r("", "secrets", true, &["secret"]),
    r("", "serviceaccounts", true, &["serviceaccount", "sa"]),
    r("", "endpoints", true, &["ep"]),
    r("", "events", true, &["event", "ev"]),
    r("", "limitranges", true, &["limitrange", "limits"]),
    r("", "resourcequotas", true, &["resourcequota", "quota"]),
    r(
        "",
        "persistentvolumeclaims",
        true,
        &["persistentvolumeclaim", "pvc"],
    ),
    r("", "podtemplates", true, &["podtemplate"]),
    r(
        "",
        "replicationcontrollers",
        true,
        &["replicationcontroller", "rc"],
    ),
    r("", "bindings", true, &["binding"]),
    r("", "nodes", false, &["node", "no"]),
    r("", "namespaces", false, &["namespace", "ns"]),
    r("", "persistentvolumes", false, &["persistentvolume", "pv"]),
    r("", "componentstatuses", false, &["componentstatus", "cs"]),
    // Virtual resources checked by impersonation.
    r("", "users", false, &["user"]),
    r("", "groups", false, &["group"]),
    r("apps", "deployments", true, &["deployment", "deploy"]),
    r("apps", "statefulsets", true, &["statefulset", "sts"]),
    r("apps", "daemonsets", true, &["daemonset", "ds"]),
    r("apps", "replicasets", true, &["replicaset", "rs"]),
    r("apps", "controllerrevisions", true, &["controllerrevision"]),
    r("batch", "jobs", true, &["job"]),
    r("batch", "cronjobs", true, &["cronjob", "cj"]),
    r(
        "autoscaling",
        "horizontalpodautoscalers",
        true,
        &["horizontalpodautoscaler", "hpa"],
    ),
    r("networking.k8s.io", "ingresses", true, &["ingress", "ing"]),
    r(
        "networking.k8s.io",
        "networkpolicies",
        true,
        &["networkpolicy", "netpol"],
    ),
    r(
        "networking.k8s.io",
        "ingressclasses",
        false,
        &["ingressclass"],
    ),
    r("networking.k8s.io", "ipaddresses", false, &["ipaddress"]),
    r("networking.k8s.io", "servicecidrs", false, &["servicecidr"]),
    r(
        "policy",
        "poddisruptionbudgets",
        true,
        &["poddisruptionbudget", "pdb"],
    ),
    r("rbac.authorization.k8s.io", "roles", true, &["role"]),
    r(
        "rbac.authorization.k8s.io",
        "rolebindings",
        true,
        &["rolebinding"],
    ),
    r(
        "rbac.authorization.k8s.io",
        "clusterroles",
        false,
        &["clusterrole"],
    ),
    r(
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
        false,
        &["clusterrolebinding"],
    ),
    r("coordination.k8s.io", "leases", true, &["lease"]),
    r(
        "discovery.k8s.io",
        "endpointslices",
        true,
        &["endpointslice"],
    ),
    r("events.k8s.io", "events", true, &["event", "ev"]),
    r(
        "storage.k8s.io",
        "csistoragecapacities",
        true,
        &["csistoragecapacity"],
    ),
    r(
        "storage.k8s.io",
        "storageclasses",
        false,
        &["storageclass", "sc"],
    ),
    r("storage.k8s.io", "csidrivers", false, &["csidriver"]),
    r("storage.k8s.io", "csinodes", false, &["csinode"]),
    r(
        "storage.k8s.io",
        "volumeattachments",
        false,
        &["volumeattachment"],
    ),
    r(
        "storage.k8s.io",
        "volumeattributesclasses",
        false,
        &["volumeattributesclass"],
    ),
    r(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        false,
        &["customresourcedefinition", "crd", "crds"],
    ),
    r(
        "apiregistration.k8s.io",
        "apiservices",
        false,
        &["apiservice"],
    ),
    r(
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        false,
        &["mutatingwebhookconfiguration"],
    ),
    r(
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        false,
        &["validatingwebhookconfiguration"],
    ),
    r(
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
        false,
        &["validatingadmissionpolicy"],
    ),
    r(
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
        false,
        &["validatingadmissionpolicybinding"],
    ),
    r(
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicies",
        false,
        &["mutatingadmissionpolicy"],
    ),
    r(
        "admissionregistration.k8s.io",
        "mutatingadmissionpolicybindings",
        false,
        &["mutatingadmissionpolicybinding"],
    ),
    r(
        "scheduling.k8s.io",
        "priorityclasses",
        false,
        &["priorityclass", "pc"],
    ),
    r("node.k8s.io", "runtimeclasses", false, &["runtimeclass"]),
    r(
        "certificates.k8s.io",
        "certificatesigningrequests",
        false,
        &["certificatesigningrequest", "csr"],
    ),
    r(
        "certificates.k8s.io",
        "clustertrustbundles",
        false,
        &["clustertrustbundle"],
    ),
    // Virtual: `approve`/`sign` on a signer name.
    r("certificates.k8s.io", "signers", false, &["signer"]),
    r(
        "flowcontrol.apiserver.k8s.io",
        "flowschemas",
        false,
        &["flowschema"],
    ),
    r(
        "flowcontrol.apiserver.k8s.io",
        "prioritylevelconfigurations",
        false,
        &["prioritylevelconfiguration"],
    ),
    r(
        "authentication.k8s.io",
        "tokenreviews",
        false,
        &["tokenreview"],
    ),
    r(
        "authentication.k8s.io",
        "selfsubjectreviews",
        false,
        &["selfsubjectreview"],
    ),
    // Virtual resources checked by impersonation.
    r("authentication.k8s.io", "userextras", false, &[]),
    r("authentication.k8s.io", "uids", false, &[]),
    r(
        "authorization.k8s.io",
        "subjectaccessreviews",
        false,
        &["subjectaccessreview"],
    ),
    r(
        "authorization.k8s.io",
        "selfsubjectaccessreviews",
        false,
        &["selfsubjectaccessreview"],
    ),
    r(
        "authorization.k8s.io",
        "selfsubjectrulesreviews",
        false,
        &["selfsubjectrulesreview"],
    ),
    r(
        "authorization.k8s.io",
        "localsubjectaccessreviews",
        true,
        &["localsubjectaccessreview"],
    ),
    r(
        "resource.k8s.io",
        "resourceclaims",
        true,
        &["resourceclaim"],
    ),
    r(
        "resource.k8s.io",
        "resourceclaimtemplates",
        true,
        &["resourceclaimtemplate"],
    ),
    r("resource.k8s.io", "deviceclasses", false, &["deviceclass"]),
    r(
        "resource.k8s.io",
        "resourceslices",
        false,
        &["resourceslice"],
    ),
    r(
        "gateway.networking.k8s.io",
        "gateways",
        true,
        &["gateway", "gtw"],
    ),
    r(
        "gateway.networking.k8s.io",
        "httproutes",
        true,
        &["httproute"],
    ),
    r(
        "gateway.networking.k8s.io",
        "grpcroutes",
        true,
        &["grpcroute"],
    ),
    r(
        "gateway.networking.k8s.io",
        "referencegrants",
        true,
        &["referencegrant"],
    ),
    r(
        "gateway.networking.k8s.io",
        "gatewayclasses",
        false,
        &["gatewayclass"],
    ),
    r(
        "policy.networking.k8s.io",
        "adminnetworkpolicies",
        false,
        &["adminnetworkpolicy", "anp"],
    ),
    r(
        "policy.networking.k8s.io",
        "baselineadminnetworkpolicies",
        false,
        &["baselineadminnetworkpolicy", "banp"],
    ),
];

/// Whether `(group, resource)` (a plural, no subresource) lives in namespaces: built-ins from
/// the table, custom resources from CustomResourceDefinitions in `inventory`, anything else
/// assumed namespaced (as most custom resources are).
pub fn is_namespaced(inventory: Option<&Inventory>, group: &str, resource: &str) -> bool {
    if let Some(r) = BUILTIN
        .iter()
        .find(|r| r.plural == resource && r.group == group)
    {
        return r.namespaced;
    }
    if let Some(inv) = inventory {
        for crd in inv.of_kind("CustomResourceDefinition") {
            let spec = crd.root.get("spec");
            let g = spec.and_then(|s| s.str_at("group"));
            let p = spec
                .and_then(|s| s.path(&["names", "plural"]))
                .and_then(|n| n.as_str());
            if g == Some(group) && p == Some(resource) {
                return spec.and_then(|s| s.str_at("scope")) != Some("Cluster");
            }
        }
    }
    true
}

/// Resource scopes for one inventory, precomputed (built-ins plus CRDs).
#[derive(Debug, Default, Clone)]
pub struct Scopes {
    crds: std::collections::HashMap<(String, String), bool>,
}

impl Scopes {
    pub fn new(inventory: &Inventory) -> Scopes {
        let mut crds = std::collections::HashMap::new();
        for crd in inventory.of_kind("CustomResourceDefinition") {
            let Some(spec) = crd.root.get("spec") else {
                continue;
            };
            if let (Some(g), Some(p)) = (
                spec.str_at("group"),
                spec.path(&["names", "plural"]).and_then(|n| n.as_str()),
            ) {
                crds.insert(
                    (g.to_string(), p.to_string()),
                    spec.str_at("scope") != Some("Cluster"),
                );
            }
        }
        Scopes { crds }
    }

    /// As [`is_namespaced`], without rescanning the inventory.
    pub fn namespaced(&self, group: &str, resource: &str) -> bool {
        static BUILTIN_MAP: std::sync::OnceLock<
            std::collections::HashMap<(&'static str, &'static str), bool>,
        > = std::sync::OnceLock::new();
        let map = BUILTIN_MAP.get_or_init(|| {
            BUILTIN
                .iter()
                .map(|r| ((r.group, r.plural), r.namespaced))
                .collect()
        });
        if let Some(n) = map.get(&(group, resource)) {
            return *n;
        }
        if self.crds.is_empty() {
            return true;
        }
        self.crds
            .get(&(group.to_string(), resource.to_string()))
            .copied()
            .unwrap_or(true)
    }
}

/// A resource named on a command line, resolved to (group, plural).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub group: String,
    pub resource: String,
    /// False when the name matched nothing known and was taken as written (core group).
    pub known: bool,
}

/// Resolves `pods`, `po`, `deployments.apps`, `deploy`, `*`, `widgets.example.com` the way
/// `kubectl auth can-i` does: plural, singular or short name, optionally `.group`; custom
/// resources from CRDs in `inventory`.
pub fn resolve(inventory: Option<&Inventory>, arg: &str) -> Resolved {
    let arg = arg.to_ascii_lowercase();
    if arg == "*" {
        return Resolved {
            group: String::new(),
            resource: arg,
            known: true,
        };
    }
    let (name, group) = match arg.split_once('.') {
        Some((n, g)) => (n.to_string(), Some(g.to_string())),
        None => (arg.clone(), None),
    };
    let fits = |g: &str| group.as_deref().is_none_or(|want| want == g);
    if let Some(r) = BUILTIN
        .iter()
        .find(|r| fits(r.group) && (r.plural == name || r.aliases.contains(&name.as_str())))
    {
        return Resolved {
            group: r.group.to_string(),
            resource: r.plural.to_string(),
            known: true,
        };
    }
    if let Some(inv) = inventory {
        for crd in inv.of_kind("CustomResourceDefinition") {
            let Some(spec) = crd.root.get("spec") else {
                continue;
            };
            let g = spec.str_at("group").unwrap_or("");
            let names = spec.get("names");
            let plural = names.and_then(|n| n.str_at("plural")).unwrap_or("");
            let singular = names.and_then(|n| n.str_at("singular")).unwrap_or("");
            let kind = names
                .and_then(|n| n.str_at("kind"))
                .unwrap_or("")
                .to_ascii_lowercase();
            let short = names
                .and_then(|n| n.get("shortNames"))
                .map(|s| s.items())
                .unwrap_or(&[]);
            let hit = plural == name
                || singular == name
                || kind == name
                || short.iter().any(|s| s.as_str() == Some(name.as_str()));
            if hit && fits(g) {
                return Resolved {
                    group: g.to_string(),
                    resource: plural.to_string(),
                    known: true,
                };
            }
        }
    }
    Resolved {
        group: group.unwrap_or_default(),
        resource: name,
        known: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_kubectl() {
        let r = |a: &str| {
            let x = resolve(None, a);
            (x.group, x.resource, x.known)
        };
        assert_eq!(r("pods"), ("".into(), "pods".into(), true));
        assert_eq!(r("po"), ("".into(), "pods".into(), true));
        assert_eq!(r("deploy"), ("apps".into(), "deployments".into(), true));
        assert_eq!(
            r("Deployments.apps"),
            ("apps".into(), "deployments".into(), true)
        );
        assert_eq!(
            r("deployments.extensions"),
            ("extensions".into(), "deployments".into(), false)
        );
        assert_eq!(r("events"), ("".into(), "events".into(), true));
        assert_eq!(
            r("events.events.k8s.io"),
            ("events.k8s.io".into(), "events".into(), true)
        );
        assert_eq!(
            r("widgets.example.com"),
            ("example.com".into(), "widgets".into(), false)
        );
        assert!(!is_namespaced(None, "", "nodes"));
        assert!(is_namespaced(None, "", "secrets"));
        assert!(is_namespaced(None, "example.com", "widgets"));
    }
}
