//! PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch and
//! server-side apply. Pure functions on `serde_json::Value`; the caller stores the result.
//!
//! - [`schema`]: which lists merge by which key (data, from the Kubernetes types).
//! - [`strategic`]: strategic merge patch with its `$` directives.
//! - [`fieldset`]: `managedFields` field sets (FieldsV1).
//! - [`apply`]: server-side apply.
//! - [`update`]: `managedFields` entries for writes that are not apply (operation `Update`).

// `ApiError` is the crate-wide error type and `patch`'s signature is fixed; boxing it here alone
// would only add conversions.
#![allow(clippy::result_large_err)]

pub mod apply;
pub mod fieldset;
pub mod schema;
pub mod strategic;
pub mod update;

use serde_json::Value;

use crate::api_error::{ApiError, Cause};
use crate::resources::ResourceType;

/// The four patch types, by Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/json-patch+json` (RFC 6902)
    Json,
    /// `application/merge-patch+json` (RFC 7386)
    Merge,
    /// `application/strategic-merge-patch+json`
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply)
    Apply,
}

impl PatchKind {
    pub fn from_content_type(ct: &str) -> Option<PatchKind> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Some(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => {
                Some(PatchKind::Apply)
            }
            _ => None,
        }
    }
}

/// Applies `body` to `live` and returns the whole new object. `live` is `None` only for
/// [`PatchKind::Apply`] on an object that does not exist yet (apply creates). Errors: 400 for a
/// body that does not parse, 409 for an apply conflict without `force` or a
/// `metadata.resourceVersion` that differs from live's, 422 for a patch that changes
/// `apiVersion`/`kind` or a JSON patch operation that fails, 400 for one that changes
/// `metadata.name`/`namespace`.
///
/// When `live` is `None` the caller must check the returned `metadata.name` against the URL
/// (this function does not know it).
pub fn patch(
    rt: &ResourceType,
    live: Option<&Value>,
    kind: PatchKind,
    body: &[u8],
    field_manager: &str,
    force: bool,
) -> Result<Value, ApiError> {
    if kind == PatchKind::Apply {
        return apply::apply(rt, live, body, field_manager, force, &crate::store::now());
    }
    let Some(live) = live else {
        return Err(ApiError::internal(format!(
            "a {kind:?} patch needs an existing object"
        )));
    };
    let patched = match kind {
        PatchKind::Json => json_patch(live, body)?,
        PatchKind::Merge => {
            let p = parse_json(body)?;
            if !p.is_object() {
                return Err(ApiError::bad_request(
                    "json: cannot unmarshal a non-object merge patch into map[string]interface {}",
                ));
            }
            let mut doc = live.clone();
            json_patch::merge(&mut doc, &p);
            doc
        }
        PatchKind::Strategic => {
            let p = parse_json(body)?;
            strategic::apply(rt.kind, live, &p).map_err(|e| match e {
                strategic::SmpError::BadFormat(m) => ApiError::bad_request(m),
                strategic::SmpError::Invalid(m) => unprocessable(m),
            })?
        }
        PatchKind::Apply => unreachable!("handled above"),
    };
    check_unchanged_identity(rt, live, &patched)?;
    Ok(patched)
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
}

fn json_patch(live: &Value, body: &[u8]) -> Result<Value, ApiError> {
    let ops: json_patch::Patch = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding JSON patch: {e}")))?;
    let mut doc = live.clone();
    json_patch::patch(&mut doc, &ops).map_err(|e| unprocessable(e.to_string()))?;
    Ok(doc)
}

/// 422 without field causes, as the apiserver answers a patch it cannot apply.
fn unprocessable(message: String) -> ApiError {
    ApiError {
        code: 422,
        reason: "Invalid",
        message,
        kind: None,
        group: None,
        name: None,
        causes: Vec::new(),
    }
}

/// Refuses a patched object whose identity moved: `apiVersion`/`kind` (422), name or namespace
/// (400, the apiserver's `checkName`), and treats a `metadata.resourceVersion` the patch set to
/// something other than live's as a failed precondition (409).
fn check_unchanged_identity(
    rt: &ResourceType,
    live: &Value,
    patched: &Value,
) -> Result<(), ApiError> {
    let live_name = live["metadata"]["name"].as_str().unwrap_or("");
    for (field, want) in [("apiVersion", rt.api_version()), ("kind", rt.kind.into())] {
        let got = &patched[field];
        // Tolerate a stored object that never carried the field; refuse any change to it.
        if got.as_str() != Some(want.as_str()) && *got != live[field] {
            return Err(ApiError::invalid(
                rt,
                live_name,
                vec![Cause {
                    reason: "FieldValueInvalid".into(),
                    message: format!(
                        "Invalid value: {got}: must be {want:?}, it cannot be patched"
                    ),
                    field: field.into(),
                }],
            ));
        }
    }
    let name = patched["metadata"]["name"].as_str().unwrap_or("");
    if name != live_name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({name}) does not match the name on the URL ({live_name})"
        )));
    }
    let ns = patched["metadata"]["namespace"].as_str();
    let live_ns = live["metadata"]["namespace"].as_str();
    if ns != live_ns {
        return Err(ApiError::bad_request(format!(
            "the namespace of the object ({}) does not match the namespace on the URL ({})",
            ns.unwrap_or(""),
            live_ns.unwrap_or("")
        )));
    }
    let rv = patched["metadata"]["resourceVersion"].as_str();
    if rv.is_some() && rv != live["metadata"]["resourceVersion"].as_str() {
        return Err(ApiError::conflict(
            rt,
            live_name,
            "the object has been modified; please apply your changes to the latest version and try again",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
