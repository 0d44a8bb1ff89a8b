//! Small JSON accessors every component shares: names, uids, owner references, conditions, pod
//! readiness and the graceful pod deletion rule.

use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::resources::get;
use crate::store::Store;

/// `metadata.name` (empty if missing).
pub fn name(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or("")
}

/// `metadata.namespace` (empty for cluster-scoped objects).
pub fn namespace(obj: &Value) -> &str {
    obj["metadata"]["namespace"].as_str().unwrap_or("")
}

/// `metadata.uid` (empty if missing).
pub fn uid(obj: &Value) -> &str {
    obj["metadata"]["uid"].as_str().unwrap_or("")
}

/// Whether deletion has started (`deletionTimestamp` set).
pub fn is_terminating(obj: &Value) -> bool {
    !obj["metadata"]["deletionTimestamp"].is_null()
}

/// The condition of `type_` in `status.conditions`, if any.
pub fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

/// Whether a condition is present with status "True".
pub fn condition_true(obj: &Value, type_: &str) -> bool {
    condition(obj, type_).is_some_and(|c| c["status"] == "True")
}

/// Sets a condition, keeping `lastTransitionTime` when the status does not change (as the real
/// components do). Returns nothing; the store notices whether the object changed.
pub fn set_condition(obj: &mut Value, type_: &str, status: &str, reason: &str, message: &str) {
    if !obj["status"].is_object() {
        obj["status"] = json!({});
    }
    if !obj["status"]["conditions"].is_array() {
        obj["status"]["conditions"] = json!([]);
    }
    let conds = obj["status"]["conditions"]
        .as_array_mut()
        .expect("conditions is an array");
    let mut cond = json!({"type": type_, "status": status, "lastProbeTime": null});
    if !reason.is_empty() {
        cond["reason"] = json!(reason);
    }
    if !message.is_empty() {
        cond["message"] = json!(message);
    }
    match conds.iter_mut().find(|c| c["type"] == type_) {
        Some(c) => {
            let changed = c["status"] != status;
            cond["lastTransitionTime"] = if changed {
                json!(crate::store::now())
            } else {
                c["lastTransitionTime"].clone()
            };
            *c = cond;
        }
        None => {
            cond["lastTransitionTime"] = json!(crate::store::now());
            conds.push(cond);
        }
    }
}

/// A pod the kubelet reports as `Running` with condition Ready True.
pub fn pod_running_and_ready(pod: &Value) -> bool {
    pod["status"]["phase"] == "Running" && condition_true(pod, "Ready")
}

/// A pod that has finished (`Succeeded` or `Failed`).
pub fn pod_finished(pod: &Value) -> bool {
    matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded") | Some("Failed")
    )
}

/// An ownerReference pointing at `owner`.
pub fn owner_ref(owner: &Value, controller: bool) -> Value {
    let mut r = json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name(owner),
        "uid": uid(owner),
    });
    if controller {
        r["controller"] = json!(true);
        r["blockOwnerDeletion"] = json!(true);
    }
    r
}

/// The uid of the object's controller (ownerReference with `controller: true`), if any.
pub fn controller_uid(obj: &Value) -> Option<&str> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
        .and_then(|r| r["uid"].as_str())
}

/// Claim names a pod mounts (`spec.volumes[].persistentVolumeClaim.claimName`).
pub fn pod_claims(pod: &Value) -> Vec<&str> {
    pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["persistentVolumeClaim"]["claimName"].as_str())
        .collect()
}

/// Grace period of a pod deletion that names none (the pod spec's default).
const DEFAULT_POD_GRACE: i64 = 30;

/// A scheduled pod terminates gracefully (the kubelet stops it and removes it); one never
/// scheduled, or deleted with grace 0, goes at once.
pub fn pod_grace(pod: &Value, requested: Option<i64>) -> Option<i64> {
    if pod["spec"]["nodeName"].as_str().unwrap_or("").is_empty() {
        return None;
    }
    let grace = requested
        .or(pod["spec"]["terminationGracePeriodSeconds"].as_i64())
        .unwrap_or(DEFAULT_POD_GRACE);
    (grace > 0).then_some(grace)
}

/// Deletes a pod the way the API server does for a controller: gracefully (so the kubelet stops
/// its process) when it is bound to a node, at once otherwise (no kubelet would ever finish it).
pub fn delete_pod(store: &Store, pod: &Value) -> Result<Value, ApiError> {
    let grace = if pod["spec"]["nodeName"]
        .as_str()
        .is_some_and(|n| !n.is_empty())
    {
        Some(
            pod["spec"]["terminationGracePeriodSeconds"]
                .as_i64()
                .unwrap_or(30)
                .max(1),
        )
    } else {
        None
    };
    store.delete(get("Pod"), Some(namespace(pod)), name(pod), grace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_transition_time_kept_when_status_unchanged() {
        let mut p = json!({"status": {"conditions": [
            {"type": "Ready", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"}
        ]}});
        set_condition(&mut p, "Ready", "True", "", "");
        assert_eq!(
            condition(&p, "Ready").unwrap()["lastTransitionTime"],
            "2020-01-01T00:00:00Z"
        );
        set_condition(&mut p, "Ready", "False", "ContainersNotReady", "x");
        assert_ne!(
            condition(&p, "Ready").unwrap()["lastTransitionTime"],
            "2020-01-01T00:00:00Z"
        );
        assert!(!condition_true(&p, "Ready"));
    }

    #[test]
    fn unbound_pods_are_deleted_at_once_bound_ones_gracefully() {
        let s = Store::in_memory();
        let a = s
            .create(
                get("Pod"),
                None,
                json!({"metadata": {"name": "a"}, "spec": {}}),
            )
            .unwrap();
        let b = s
            .create(
                get("Pod"),
                None,
                json!({"metadata": {"name": "b"}, "spec": {"nodeName": "minikube"}}),
            )
            .unwrap();
        delete_pod(&s, &a).unwrap();
        delete_pod(&s, &b).unwrap();
        assert!(s.get(get("Pod"), None, "a").is_err());
        let b = s.get(get("Pod"), None, "b").unwrap();
        assert!(is_terminating(&b));
        assert_eq!(b["metadata"]["deletionGracePeriodSeconds"], 30);
    }
}
