//! PodDisruptionBudgets as the eviction subresource applies them
//! (pkg/registry/core/pod/storage/eviction.go, with the arithmetic of
//! pkg/controller/disruption/disruption.go): the budgets of the pod's namespace that select it;
//! healthy pods (Ready, not terminating) against the desired number from `minAvailable` (a
//! count, or a percentage of the expected pods) or `maxUnavailable`; an eviction that would go
//! below is refused with 429 `TooManyRequests`. labsim computes the numbers at eviction time from
//! the pods and their controllers' replicas rather than through a disruption controller. The
//! budgets are read from the store only if labsim serves the `policy/v1` PodDisruptionBudget kind.

use serde_json::Value;

use super::{condition_true, is_terminating, name, namespace, pod_finished};
use crate::api_error::{ApiError, Cause};
use crate::resources::{self, ResourceType};
use crate::store::selector::LabelSelector;
use crate::store::Store;

/// The kind, when labsim serves it.
pub fn budget_kind() -> Option<&'static ResourceType> {
    resources::by_kind("policy/v1", "PodDisruptionBudget")
}

/// `minAvailable`/`maxUnavailable` as a count of `total` (a percentage rounds up, as
/// intstr.GetScaledValueFromIntOrPercent with roundUp).
fn scaled(v: &Value, total: i64) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return Some(n);
    }
    let p: i64 = v.as_str()?.strip_suffix('%')?.parse().ok()?;
    Some((total * p + 99) / 100)
}

/// The replicas the pods' controllers want (StatefulSets'), or the number of pods when a pod has
/// none, as the disruption controller's `getExpectedPodCount`.
fn expected_pods(store: &Store, pods: &[&Value]) -> i64 {
    let mut sets = std::collections::BTreeMap::new();
    let mut bare = 0;
    for p in pods {
        let owner = p["metadata"]["ownerReferences"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["controller"] == true))
            .cloned();
        match owner.filter(|o| o["kind"] == "StatefulSet") {
            Some(o) => {
                let set = store
                    .get(
                        resources::get("StatefulSet"),
                        Some(namespace(p)),
                        o["name"].as_str().unwrap_or(""),
                    )
                    .ok();
                let replicas = set
                    .and_then(|s| s["spec"]["replicas"].as_i64())
                    .unwrap_or(1);
                sets.insert(o["uid"].to_string(), replicas);
            }
            None => bare += 1,
        }
    }
    sets.values().sum::<i64>() + bare
}

/// (currentHealthy, desiredHealthy) of `budget` given the namespace's pods.
pub fn health(store: &Store, budget: &Value, pods: &[Value]) -> (i64, i64) {
    let selector = LabelSelector::from_spec(&budget["spec"]["selector"]);
    let selected: Vec<&Value> = pods
        .iter()
        .filter(|p| !pod_finished(p) && selector.matches(p))
        .collect();
    let current = selected
        .iter()
        .filter(|p| condition_true(p, "Ready") && !is_terminating(p))
        .count() as i64;
    let spec = &budget["spec"];
    let desired = if !spec["maxUnavailable"].is_null() {
        let expected = expected_pods(store, &selected);
        expected - scaled(&spec["maxUnavailable"], expected).unwrap_or(0)
    } else if let Some(n) = spec["minAvailable"].as_i64() {
        n
    } else {
        let expected = expected_pods(store, &selected);
        scaled(&spec["minAvailable"], expected).unwrap_or(0)
    };
    (current, desired.max(0))
}

/// Whether evicting `pod` keeps every budget that selects it; the 429 (or 500 for several
/// budgets) the API answers otherwise.
pub fn check_eviction(
    store: &Store,
    kind: Option<&ResourceType>,
    pod: &Value,
) -> Result<(), ApiError> {
    let Some(kind) = kind else {
        return Ok(());
    };
    if pod_finished(pod) {
        return Ok(());
    }
    let ns = namespace(pod);
    let (budgets, _) = store.list(kind, Some(ns));
    let matching: Vec<&Value> = budgets
        .iter()
        .filter(|b| {
            let s = LabelSelector::from_spec(&b["spec"]["selector"]);
            !s.is_empty() && s.matches(pod)
        })
        .collect();
    let budget = match matching.as_slice() {
        [] => return Ok(()),
        [one] => *one,
        _ => {
            return Err(ApiError {
                code: 500,
                reason: "InternalError",
                message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.".into(),
                kind: None,
                group: None,
                name: None,
                causes: vec![],
            })
        }
    };
    let (pods, _) = store.list(resources::get("Pod"), Some(ns));
    let (current, desired) = health(store, budget, &pods);
    let healthy = condition_true(pod, "Ready") && !is_terminating(pod);
    // An unready pod does not count against the budget (unhealthyPodEvictionPolicy
    // IfHealthyBudget: allowed while the budget is met).
    let allowed = if healthy {
        current - desired > 0
    } else {
        current >= desired
    };
    if allowed {
        return Ok(());
    }
    Err(ApiError {
        code: 429,
        reason: "TooManyRequests",
        message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
        kind: None,
        group: None,
        name: None,
        causes: vec![Cause {
            reason: "DisruptionBudget".into(),
            message: format!(
                "The disruption budget {} needs {desired} healthy pods and has {current} currently",
                name(budget)
            ),
            field: String::new(),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::set_condition;
    use serde_json::json;

    static PDB: ResourceType = ResourceType {
        short_names: &["pdb"],
        subresources: &["status"],
        ..ResourceType::namespaced(
            "policy",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            "poddisruptionbudget",
        )
    };

    fn pod(s: &Store, n: &str, ready: bool) -> Value {
        let mut p = json!({"metadata": {"name": n, "labels": {"app": "mysql"}},
            "spec": {"nodeName": "minikube"}, "status": {"phase": "Running"}});
        set_condition(
            &mut p,
            "Ready",
            if ready { "True" } else { "False" },
            "",
            "",
        );
        s.create(resources::get("Pod"), Some("default"), p).unwrap()
    }

    fn budget(s: &Store, spec: Value) {
        let _ = s.remove(&PDB, Some("default"), "mysql-pdb");
        let mut spec = spec;
        spec["selector"] = json!({"matchLabels": {"app": "mysql"}});
        s.create(
            &PDB,
            Some("default"),
            json!({"metadata": {"name": "mysql-pdb"}, "spec": spec}),
        )
        .unwrap();
    }

    #[test]
    fn evictions_keep_the_budget() {
        let s = Store::in_memory();
        let p0 = pod(&s, "mysql-0", true);
        pod(&s, "mysql-1", true);
        let p2 = pod(&s, "mysql-2", false);
        // No budget kind served, or no budget: always allowed.
        assert!(check_eviction(&s, None, &p0).is_ok());
        assert!(check_eviction(&s, Some(&PDB), &p0).is_ok());

        budget(&s, json!({"minAvailable": 2}));
        let e = check_eviction(&s, Some(&PDB), &p0).unwrap_err();
        assert_eq!((e.code, e.reason), (429, "TooManyRequests"));
        assert_eq!(
            e.message,
            "Cannot evict pod as it would violate the pod's disruption budget."
        );
        assert_eq!(
            e.causes[0].message,
            "The disruption budget mysql-pdb needs 2 healthy pods and has 2 currently"
        );
        // The unready pod may go: the budget stays met.
        assert!(check_eviction(&s, Some(&PDB), &p2).is_ok());

        budget(&s, json!({"minAvailable": 1}));
        assert!(check_eviction(&s, Some(&PDB), &p0).is_ok());
        // maxUnavailable 1 of 3 bare pods: 2 desired, 2 healthy.
        budget(&s, json!({"maxUnavailable": 1}));
        assert!(check_eviction(&s, Some(&PDB), &p0).is_err());
        budget(&s, json!({"minAvailable": "50%"}));
        assert_eq!(
            health(
                &s,
                &s.get(&PDB, Some("default"), "mysql-pdb").unwrap(),
                &s.list(resources::get("Pod"), Some("default")).0
            ),
            (2, 2)
        );
        assert_eq!(scaled(&json!("34%"), 3), Some(2));
    }
}
