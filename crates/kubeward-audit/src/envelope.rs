//! Managed-cluster envelopes: the audit event as GKE, AKS and EKS deliver it.
//!
//! - GKE (Cloud Logging): a `LogEntry` whose `protoPayload` is a `google.cloud.audit.AuditLog`.
//!   The event is rebuilt from it: `authenticationInfo.principalEmail` is the user,
//!   `methodName` (`io.k8s.core.v1.pods.exec.create`) gives the verb (last segment),
//!   `resourceName` (`core/v1/namespaces/NS/pods/NAME/exec`) the object, `requestMetadata` the
//!   caller IP and user agent, `request` the request body, `status` (a `google.rpc.Status`) the
//!   response code, and the entry's `labels` the `authorization.k8s.io/*` annotations.
//! - AKS (Azure diagnostic settings, categories `kube-audit` / `kube-audit-admin`): the event
//!   is a JSON string in `properties.log`, one record per line or a `records[]` array.
//! - EKS (CloudWatch Logs): the event is a JSON string in `message`, one per line, or in the
//!   `events[]` of `aws logs filter-log-events` or `logEvents[]` of a subscription delivery.
//!   Handled in `reader`.

use crate::event::{Annotations, Event, ObjectRef, ResponseStatus, UserInfo};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AuditLog<'a> {
    #[serde(borrow, default)]
    authentication_info: AuthenticationInfo<'a>,
    #[serde(borrow, default)]
    method_name: Cow<'a, str>,
    #[serde(borrow, default)]
    resource_name: Cow<'a, str>,
    #[serde(borrow, default)]
    request_metadata: RequestMetadata<'a>,
    #[serde(default)]
    status: Option<RpcStatus>,
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AuthenticationInfo<'a> {
    #[serde(borrow, default)]
    principal_email: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RequestMetadata<'a> {
    #[serde(borrow, default)]
    caller_ip: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    caller_supplied_user_agent: Cow<'a, str>,
}

#[derive(Deserialize, Default)]
struct RpcStatus {
    #[serde(default)]
    code: Option<i64>,
}

/// `google.rpc.Code` to the HTTP status the API server answered.
fn http_code(rpc: i64) -> i64 {
    match rpc {
        0 => 200,
        3 | 9 | 11 => 400,
        5 => 404,
        6 | 10 => 409,
        7 => 403,
        8 => 429,
        16 => 401,
        4 => 504,
        14 => 503,
        _ => 500,
    }
}

/// The event inside a GKE Cloud Logging entry.
pub(crate) fn gke<'a>(
    payload: &'a RawValue,
    timestamp: Option<&str>,
    labels: Option<&'a RawValue>,
) -> Result<Event<'a>, String> {
    let p: AuditLog<'a> = serde_json::from_str(payload.get())
        .map_err(|e| format!("GKE protoPayload is not an AuditLog: {e}"))?;
    if p.method_name.is_empty() {
        return Err("GKE protoPayload without `methodName`".into());
    }
    let verb = p
        .method_name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_string();
    let annotations: Annotations<'a> = match labels {
        Some(l) => serde_json::from_str(l.get()).unwrap_or_default(),
        None => Annotations::default(),
    };
    let code = p
        .status
        .as_ref()
        .and_then(|s| s.code)
        .map_or(200, http_code);
    Ok(Event {
        verb: Cow::Owned(verb),
        user: UserInfo {
            username: p.authentication_info.principal_email,
            groups: None,
        },
        source_ips: p.request_metadata.caller_ip.into_iter().collect(),
        user_agent: p.request_metadata.caller_supplied_user_agent,
        object_ref: Some(object_ref(&p.resource_name)),
        response_status: Some(ResponseStatus { code: Some(code) }),
        request_object: p.request,
        stage_timestamp: timestamp.map(|t| Cow::Owned(t.to_string())),
        request_uri: Cow::Owned(format!("/{}", p.resource_name)),
        annotations,
        ..Event::default()
    })
}

/// `core/v1/namespaces/NS/pods/NAME/exec` → objectRef.
fn object_ref(resource_name: &str) -> ObjectRef<'static> {
    let parts: Vec<&str> = resource_name.split('/').filter(|p| !p.is_empty()).collect();
    let own = |s: &str| Some(Cow::Owned(s.to_string()));
    let group = parts.first().copied().unwrap_or("");
    let mut rest: &[&str] = parts.get(2..).unwrap_or(&[]);
    let mut namespace = None;
    if rest.len() >= 3 && rest[0] == "namespaces" {
        namespace = own(rest[1]);
        rest = &rest[2..];
    }
    ObjectRef {
        resource: Cow::Owned(rest.first().copied().unwrap_or("").to_string()),
        namespace,
        name: rest.get(1).and_then(|s| own(s)),
        api_group: if group == "core" { None } else { own(group) },
        subresource: rest.get(2).and_then(|s| own(s)),
    }
}

#[derive(Deserialize)]
struct AzureProperties {
    #[serde(default)]
    log: Option<String>,
}

/// The event text inside an Azure diagnostic record's `properties`.
pub(crate) fn azure_log(properties: &RawValue) -> Result<Option<String>, String> {
    let p: AzureProperties = serde_json::from_str(properties.get())
        .map_err(|e| format!("Azure `properties` is not an object with `log`: {e}"))?;
    Ok(p.log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names() {
        let o = object_ref("core/v1/namespaces/default/pods/web/exec");
        assert_eq!(
            (&*o.resource, o.namespace.as_deref(), o.name.as_deref()),
            ("pods", Some("default"), Some("web"))
        );
        assert_eq!(o.subresource.as_deref(), Some("exec"));
        assert_eq!(o.api_group, None);
        let o = object_ref("rbac.authorization.k8s.io/v1/clusterrolebindings/admin");
        assert_eq!(o.api_group.as_deref(), Some("rbac.authorization.k8s.io"));
        assert_eq!(
            (&*o.resource, o.name.as_deref()),
            ("clusterrolebindings", Some("admin"))
        );
        let o = object_ref("core/v1/namespaces/prod");
        assert_eq!(
            (&*o.resource, o.name.as_deref()),
            ("namespaces", Some("prod"))
        );
        let o = object_ref("core/v1/namespaces/prod/secrets");
        assert_eq!((&*o.resource, o.name.as_deref()), ("secrets", None));
    }
}
