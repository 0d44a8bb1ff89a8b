//! `POST .../pods/NAME/eviction` with a `policy/v1` Eviction, what `kubectl drain` sends
//! (pkg/registry/core/pod/storage/eviction.go): the pod is deleted with the Eviction's
//! `deleteOptions` (gracefully when it is on a node) after a `DisruptionTarget` condition
//! (`EvictionByEvictionAPI`), and the answer is a 201 `Success` Status.
//! A PodDisruptionBudget that the eviction would break refuses it with 429 `Cannot evict pod as
//! it would violate the pod's disruption budget.` (`objects::disruption`), which `kubectl drain`
//! retries every 5 s.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::json_response;
use super::target::Target;
use crate::api_error::ApiError;
use crate::objects::{pod_grace, set_condition};

/// Evicts pod `name`.
pub fn create(
    app: &super::App,
    t: &Target,
    name: &str,
    bytes: &[u8],
) -> Result<Response, ApiError> {
    let eviction: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid Eviction: {e}")))?;
    if eviction["kind"] != "Eviction" {
        return Err(ApiError::bad_request(format!(
            "expected an Eviction (policy/v1), got {}",
            eviction["kind"]
        )));
    }
    if eviction["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n != name)
    {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    let ns = t.namespace.as_deref();
    let pod = app.store.get(t.rt, ns, name)?;
    let opts = &eviction["deleteOptions"];
    if let Some(uid) = opts["preconditions"]["uid"].as_str() {
        if pod["metadata"]["uid"] != uid {
            return Err(ApiError::conflict(
                t.rt,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    pod["metadata"]["uid"].as_str().unwrap_or("")
                ),
            ));
        }
    }
    let dry_run = opts["dryRun"]
        .as_array()
        .is_some_and(|d| d.iter().any(|v| v == "All"));
    crate::objects::disruption::check_eviction(
        &app.store,
        crate::objects::disruption::budget_kind(),
        &pod,
    )?;
    if !dry_run {
        // PodDisruptionConditions (GA in 1.31): the pod says why it goes.
        let marked = app.store.modify(t.rt, ns, name, |p| {
            set_condition(
                p,
                "DisruptionTarget",
                "True",
                "EvictionByEvictionAPI",
                "Eviction API: evicting",
            )
        })?;
        let grace = pod_grace(&marked, opts["gracePeriodSeconds"].as_i64());
        app.store.delete(t.rt, ns, name, grace)?;
        tracing::info!("evicted pod {}/{name} (grace {grace:?})", ns.unwrap_or(""));
    }
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}
