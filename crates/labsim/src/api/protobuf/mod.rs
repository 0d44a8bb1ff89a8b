//! Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`),
//! what kubectl 1.32+'s typed clients send for `create configmap`, `create secret`, `create
//! namespace`, `create serviceaccount`, `create service`, `create poddisruptionbudget`, `debug`
//! (a Pod) and `auth can-i`. Each is turned into exactly the JSON object kubectl 1.31 sends for
//! the same command, so the JSON path stores the same object either way. Responses stay JSON
//! (kubectl accepts it).
//!
//! - `envelope.rs`: the `k8s\0` magic and `runtime.Unknown` around the typed message.
//! - `json.rs`: Go's JSON rules (`omitempty`, pointers) for the decoded fields.
//! - `meta.rs`: `ObjectMeta`, `Time`, `LabelSelector`, `IntOrString`, `Quantity`.
//! - `core.rs`, `authorization.rs`, `policy.rs`: one converter per kind; `pod.rs` the Pod's,
//!   generated (`scripts/gen-protobuf-pod.py`) for the many structs a PodSpec holds.
//!
//! The messages are k8s-pb's (prost-generated from upstream's `generated.proto` files).

mod authorization;
mod core;
mod envelope;
mod json;
mod meta;
mod pod;
mod policy;

use prost::Message;
use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::resources::{self, ResourceType};
use json::Obj;

/// The protobuf media type (`runtime.ContentTypeProtobuf`).
pub const MEDIA_TYPE: &str = crate::api_error::PROTOBUF_MEDIA_TYPE;

/// Decodes `raw` as `M` and converts it.
fn typed<M: Message + Default>(raw: &[u8], convert: fn(M) -> Obj) -> Result<Obj, String> {
    M::decode(raw).map(convert).map_err(envelope::decode_error)
}

/// The kind's converter, for the kinds labsim takes as protobuf.
fn convert(rt: &ResourceType, raw: &[u8]) -> Option<Result<Obj, String>> {
    Some(match (rt.group, rt.kind) {
        ("", "ConfigMap") => typed(raw, core::config_map),
        ("", "Secret") => typed(raw, core::secret),
        ("", "Namespace") => typed(raw, core::namespace),
        ("", "ServiceAccount") => typed(raw, core::service_account),
        ("", "Service") => typed(raw, core::service),
        ("", "Pod") => typed(raw, pod::pod),
        ("policy", "PodDisruptionBudget") => typed(raw, policy::pod_disruption_budget),
        ("authorization.k8s.io", "SelfSubjectAccessReview") => {
            typed(raw, authorization::self_subject_access_review)
        }
        ("authorization.k8s.io", "SelfSubjectRulesReview") => {
            typed(raw, authorization::self_subject_rules_review)
        }
        _ => return None,
    })
}

/// Whether bodies of this kind may be protobuf.
pub fn supports(rt: &ResourceType) -> bool {
    convert(rt, &[]).is_some()
}

/// A protobuf body of a `rt` request as the JSON object a JSON client sends. Errors: 400 in the
/// words of the apiserver's create/update handlers (k8s.io/apiserver
/// `pkg/endpoints/handlers/rest.go`, `transformDecodeError`).
pub fn decode(rt: &ResourceType, body: &[u8]) -> Result<Value, ApiError> {
    let env = envelope::open(body).map_err(|e| unrecognized(rt, &e, body))?;
    // Missing type information is the URL's (`copyKindDefaults`).
    let kind = if env.kind.is_empty() {
        rt.kind.to_string()
    } else {
        env.kind
    };
    let api_version = if env.api_version.is_empty() {
        rt.api_version()
    } else {
        env.api_version
    };
    let version = api_version.rsplit('/').next().unwrap_or("").to_string();
    let cannot = |why: &str| {
        ApiError::bad_request(format!(
            "{kind} in version {version:?} cannot be handled as a {}: {why}",
            rt.kind
        ))
    };
    if kind != rt.kind || api_version != rt.api_version() {
        return Err(cannot(&mismatch(rt, &api_version, &kind)));
    }
    let Some(converted) = convert(rt, &env.raw) else {
        return Err(ApiError::unsupported_body_media_type(false));
    };
    let obj = converted.map_err(|e| cannot(&e))?;
    Ok(obj
        .set("apiVersion", json!(api_version))
        .set("kind", json!(kind))
        .done())
}

/// Why an object of another kind (or version) cannot be decoded into `rt`: the scheme has no
/// conversion between the two, or does not know the kind at all (k8s.io/apimachinery
/// `pkg/runtime/serializer/versioning/versioning.go`, `pkg/conversion/converter.go`,
/// `pkg/runtime/error.go`).
fn mismatch(rt: &ResourceType, api_version: &str, kind: &str) -> String {
    let version = api_version.rsplit('/').next().unwrap_or("");
    if resources::by_kind(api_version, kind).is_none() {
        return format!(
            "no kind {kind:?} is registered for version {api_version:?} in scheme \"pkg/api/legacyscheme/scheme.go:30\""
        );
    }
    let internal = |g: &str| match g.split('.').next().unwrap_or("") {
        "" => "core".to_string(),
        first => first.to_string(),
    };
    format!(
        "converting ({version}.{kind}) to ({}.{}): unknown conversion",
        internal(rt.group),
        rt.kind
    )
}

/// A body that is no protobuf object at all: upstream's message with the first 30 bytes in hex
/// (`summarizeData`).
fn unrecognized(rt: &ResourceType, why: &str, body: &[u8]) -> ApiError {
    let summary = if body.is_empty() {
        "<empty>".to_string()
    } else if body[0] == b'{' {
        let s = String::from_utf8_lossy(&body[..body.len().min(30)]).into_owned();
        if body.len() > 30 {
            s + " ..."
        } else {
            s
        }
    } else {
        let hex: String = body[..body.len().min(30)]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if body.len() > 30 {
            hex + " ..."
        } else {
            hex
        }
    };
    ApiError::bad_request(format!(
        "the object provided is unrecognized (must be of type {}): {why} ({summary})",
        rt.kind
    ))
}

#[cfg(test)]
mod tests;
