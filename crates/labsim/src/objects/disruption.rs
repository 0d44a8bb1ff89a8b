//! PodDisruptionBudgets: the disruption controller's arithmetic
//! (pkg/controller/disruption/disruption.go: `getExpectedPodCount`, `countHealthyPods`,
//! `updatePdbStatus`) and the eviction subresource's check (pkg/registry/core/pod/storage/
//! eviction.go). The budgets of the pod's namespace select pods; healthy ones (Ready, not
//! terminating) count against the desired number from `minAvailable` (a count, or a percentage
//! of the pods' controllers' scale) or `maxUnavailable` (of that scale); an eviction that would
//! go below is refused with 429 `TooManyRequests`. labsim's disruption controller
//! (`controllers/disruption.rs`) writes the status; the eviction computes the same numbers at
//! once, so a drain never waits for a status that is behind.

use serde_json::{json, Value};

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

/// `getExpectedScale`: the scale of the pods' controllers (StatefulSets' replicas), each
/// controller once; pods without a controller are unmanaged and not counted.
fn expected_scale(store: &Store, pods: &[&Value]) -> i64 {
    let mut sets = std::collections::BTreeMap::new();
    for p in pods {
        let owner = p["metadata"]["ownerReferences"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["controller"] == true))
            .filter(|o| o["kind"] == "StatefulSet");
        if let Some(o) = owner {
            let replicas = store
                .get(
                    resources::get("StatefulSet"),
                    Some(namespace(p)),
                    o["name"].as_str().unwrap_or(""),
                )
                .ok()
                .and_then(|s| s["spec"]["replicas"].as_i64())
                .unwrap_or(1);
            sets.insert(o["uid"].to_string(), replicas);
        }
    }
    sets.values().sum()
}

/// A budget's numbers, as its status carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    pub current: i64,
    pub desired: i64,
    pub expected: i64,
}

impl Health {
    /// `updatePdbStatus`: none allowed while no pod is expected.
    pub fn disruptions_allowed(&self) -> i64 {
        let allowed = self.current - self.desired;
        if self.expected <= 0 || allowed <= 0 {
            0
        } else {
            allowed
        }
    }
}

/// The numbers of `budget` given the namespace's pods.
pub fn health(store: &Store, budget: &Value, pods: &[Value]) -> Health {
    let selector = LabelSelector::from_spec(&budget["spec"]["selector"]);
    let selected: Vec<&Value> = if selector.is_empty() {
        vec![]
    } else {
        pods.iter().filter(|p| selector.matches(p)).collect()
    };
    let current = selected
        .iter()
        .filter(|p| condition_true(p, "Ready") && !is_terminating(p))
        .count() as i64;
    let spec = &budget["spec"];
    let (expected, desired) = if !spec["maxUnavailable"].is_null() {
        let expected = expected_scale(store, &selected);
        let max = scaled(&spec["maxUnavailable"], expected).unwrap_or(0);
        (expected, (expected - max).max(0))
    } else if let Some(n) = spec["minAvailable"].as_i64() {
        (selected.len() as i64, n)
    } else if !spec["minAvailable"].is_null() {
        let expected = expected_scale(store, &selected);
        (
            expected,
            scaled(&spec["minAvailable"], expected).unwrap_or(0),
        )
    } else {
        (0, 0)
    };
    Health {
        current,
        desired,
        expected,
    }
}

/// The status the disruption controller writes for `budget` (`updatePdbStatus` and
/// `UpdateDisruptionAllowedCondition`); `previous` keeps the condition's transition time.
pub fn status(budget: &Value, h: Health, previous: &Value, now: &str) -> Value {
    let allowed = h.disruptions_allowed();
    let (cond_status, reason) = if allowed > 0 {
        ("True", "SufficientPods")
    } else {
        ("False", "InsufficientPods")
    };
    let generation = budget["metadata"]["generation"].as_i64().unwrap_or(1);
    let old = previous["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "DisruptionAllowed"));
    let since = old
        .filter(|c| c["status"] == cond_status)
        .and_then(|c| c["lastTransitionTime"].as_str())
        .unwrap_or(now);
    json!({
        "observedGeneration": generation,
        "disruptionsAllowed": allowed,
        "currentHealthy": h.current,
        "desiredHealthy": h.desired,
        "expectedPods": h.expected,
        "conditions": [{
            "type": "DisruptionAllowed",
            "status": cond_status,
            "reason": reason,
            "message": "",
            "observedGeneration": generation,
            "lastTransitionTime": since,
        }],
    })
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
    let h = health(store, budget, &pods);
    let healthy = condition_true(pod, "Ready") && !is_terminating(pod);
    // An unready pod may go while the budget is met (unhealthyPodEvictionPolicy
    // IfHealthyBudget); otherwise one disruption must be allowed (`checkAndDecrement`).
    let allowed = if !healthy && h.current >= h.desired && h.desired > 0 {
        true
    } else {
        h.disruptions_allowed() > 0
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
                "The disruption budget {} needs {} healthy pods and has {} currently",
                name(budget),
                h.desired,
                h.current
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
        // maxUnavailable or a percentage counts the controllers' scale (getExpectedScale):
        // bare pods are unmanaged, nothing is expected, no disruption is allowed.
        budget(&s, json!({"maxUnavailable": 1}));
        assert!(check_eviction(&s, Some(&PDB), &p0).is_err());
        let h = |s: &Store| {
            health(
                s,
                &s.get(&PDB, Some("default"), "mysql-pdb").unwrap(),
                &s.list(resources::get("Pod"), Some("default")).0,
            )
        };
        budget(&s, json!({"minAvailable": "50%"}));
        assert_eq!(
            h(&s),
            Health {
                current: 2,
                desired: 0,
                expected: 0
            }
        );
        assert_eq!(h(&s).disruptions_allowed(), 0);
        budget(&s, json!({"minAvailable": 2}));
        assert_eq!(
            h(&s),
            Health {
                current: 2,
                desired: 2,
                expected: 3
            }
        );
        assert_eq!(scaled(&json!("34%"), 3), Some(2));
    }
}
