//! `policy/v1` PodDisruptionBudget, what `kubectl create poddisruptionbudget` sends (k8s.io/api
//! `policy/v1/generated.proto` and `types.go`).

use k8s_pb::api::policy::v1 as pb;

use super::json::Obj;
use super::meta::{int_or_string, label_selector, object_meta};

pub fn pod_disruption_budget(m: pb::PodDisruptionBudget) -> Obj {
    let s = m.spec.unwrap_or_default();
    let st = m.status.unwrap_or_default();
    let spec = Obj::new()
        .ptr("minAvailable", s.min_available, |v| int_or_string(Some(v)))
        .ptr("selector", s.selector, label_selector)
        .ptr("maxUnavailable", s.max_unavailable, |v| {
            int_or_string(Some(v))
        })
        .str_ptr(
            "unhealthyPodEvictionPolicy",
            s.unhealthy_pod_eviction_policy,
        );
    // `disruptedPods` and `conditions` are not carried: no kubectl command sends a budget's
    // status (and create drops it).
    let status = Obj::new()
        .int("observedGeneration", st.observed_generation)
        .int_always("disruptionsAllowed", st.disruptions_allowed)
        .int_always("currentHealthy", st.current_healthy)
        .int_always("desiredHealthy", st.desired_healthy)
        .int_always("expectedPods", st.expected_pods);
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .set("spec", spec.done())
        .set("status", status.done())
}
