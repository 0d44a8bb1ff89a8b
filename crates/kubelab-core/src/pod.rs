//! What the waits read from a Pod object: whether it is Ready, since when, and its StatefulSet
//! ordinal. (What kubectl prints of a pod comes from the API server: `server_table.rs`.)

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Converts a Kubernetes timestamp (jiff inside k8s-openapi) to chrono.
pub fn to_chrono(t: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond().max(0) as u32)
        .unwrap_or_default()
}

/// True when the pod's Ready condition is True and it is not being deleted.
pub fn is_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// When the pod's Ready condition last became True, if it is True.
pub fn ready_since(pod: &Pod) -> Option<DateTime<Utc>> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")?
        .last_transition_time
        .as_ref()
        .map(to_chrono)
}

/// The PVCs the pod's volumes claim (for a StatefulSet pod: `data-mysql-N`).
pub fn claim_names(pod: &Pod) -> Vec<String> {
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    volumes
        .into_iter()
        .flatten()
        .filter_map(|v| Some(v.persistent_volume_claim.as_ref()?.claim_name.clone()))
        .collect()
}

/// The StatefulSet ordinal of a pod name (`mysql-2` -> 2).
pub use kubelab::ordinal;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn ready_means_the_ready_condition_and_not_terminating() {
        let running = json!({"phase":"Running",
            "conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:05Z"}]});
        let p = pod(json!({"metadata":{"name":"mysql-0"},"status":running}));
        assert!(is_ready(&p));
        assert_eq!(
            ready_since(&p).map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-01-01T00:00:05+00:00")
        );
        let p = pod(
            json!({"metadata":{"name":"mysql-0"},"status":{"phase":"Pending",
            "conditions":[{"type":"Ready","status":"False"}]}}),
        );
        assert!(!is_ready(&p) && ready_since(&p).is_none());
        let p = pod(
            json!({"metadata":{"name":"mysql-0","deletionTimestamp":"2026-01-01T00:09:59Z"},
            "status":running}),
        );
        assert!(!is_ready(&p), "a terminating pod does not count as Ready");
    }

    #[test]
    fn claims_of_the_pods_volumes() {
        let p = pod(
            json!({"metadata":{"name":"mysql-0"},"spec":{"containers":[{"name":"mysql"}],
            "volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data-mysql-0"}},
                {"name":"tmp","emptyDir":{}}]}}),
        );
        assert_eq!(claim_names(&p), ["data-mysql-0"]);
        assert!(claim_names(&pod(json!({"metadata":{"name":"x"}}))).is_empty());
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal("mysql-2"), Some(2));
        assert_eq!(ordinal("web-app-10"), Some(10));
        assert_eq!(ordinal("mysql"), None);
    }
}
