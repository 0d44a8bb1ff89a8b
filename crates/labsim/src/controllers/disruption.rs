//! The disruption controller (pkg/controller/disruption/disruption.go): every
//! PodDisruptionBudget's status (`currentHealthy`, `desiredHealthy`, `expectedPods`,
//! `disruptionsAllowed`, the `DisruptionAllowed` condition) from the pods it selects, and the
//! `NoPods` event ("No matching pods found") for a budget that selects none. The arithmetic is
//! `objects::disruption`, which the eviction subresource uses too.

use super::ControllerError;
use crate::objects::disruption::{budget_kind, health, status};
use crate::objects::events::EventRecorder;
use crate::objects::{name, namespace};
use crate::resources::get;
use crate::store::{now, Store};

/// The controller's name on its events.
const COMPONENT: &str = "controllermanager";

/// Writes the status of every budget whose numbers changed.
pub fn reconcile(store: &Store) -> Result<(), ControllerError> {
    let Some(kind) = budget_kind() else {
        return Ok(());
    };
    let (budgets, _) = store.list(kind, None);
    let stamp = now();
    for budget in &budgets {
        if !budget["metadata"]["deletionTimestamp"].is_null() {
            continue;
        }
        let ns = namespace(budget);
        let (pods, _) = store.list(get("Pod"), Some(ns));
        let h = health(store, budget, &pods);
        let new = status(budget, h, &budget["status"], &stamp);
        if budget["status"] == new {
            continue;
        }
        if h.expected == 0 && h.current == 0 && budget["status"]["expectedPods"] != 0 {
            EventRecorder::record(
                store,
                budget,
                "Normal",
                "NoPods",
                "No matching pods found",
                COMPONENT,
            )?;
        }
        match store.modify(kind, Some(ns), name(budget), |b| b["status"] = new.clone()) {
            Ok(_) => {}
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{owner_ref, set_condition};
    use serde_json::{json, Value};

    /// A StatefulSet of 3 with a budget `minAvailable: 2`, as the disruption controller computes
    /// it (disruption.go `getExpectedPodCount`, `updatePdbStatus`).
    #[test]
    fn status_follows_the_pods() {
        let s = Store::in_memory();
        let kind = budget_kind().expect("served");
        let sts = s
            .create(
                get("StatefulSet"),
                Some("default"),
                json!({"metadata": {"name": "mysql"}, "spec": {"replicas": 3}}),
            )
            .unwrap();
        s.create(
            kind,
            Some("default"),
            json!({"metadata": {"name": "mysql-pdb"},
                "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "mysql"}}}}),
        )
        .unwrap();
        reconcile(&s).unwrap();
        let st = |s: &Store| s.get(kind, Some("default"), "mysql-pdb").unwrap()["status"].clone();
        let got = st(&s);
        assert_eq!(
            (
                got["disruptionsAllowed"].clone(),
                got["expectedPods"].clone()
            ),
            (json!(0), json!(0))
        );
        assert_eq!(got["conditions"][0]["reason"], "InsufficientPods");
        let events = s.list(get("Event"), Some("default")).0;
        assert!(events
            .iter()
            .any(|e| e["reason"] == "NoPods" && e["message"] == "No matching pods found"));

        for i in 0..3 {
            let mut p = json!({"metadata": {"name": format!("mysql-{i}"), "labels": {"app": "mysql"},
                "ownerReferences": [owner_ref(&sts, true)]}, "spec": {}, "status": {"phase": "Running"}});
            set_condition(&mut p, "Ready", "True", "", "");
            s.create(get("Pod"), Some("default"), p).unwrap();
        }
        reconcile(&s).unwrap();
        let got = st(&s);
        let want: Value = json!({"disruptionsAllowed": 1, "currentHealthy": 3,
            "desiredHealthy": 2, "expectedPods": 3, "observedGeneration": 1});
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&got[k], v, "{k}: {got}");
        }
        assert_eq!(got["conditions"][0]["status"], "True");
        assert_eq!(got["conditions"][0]["reason"], "SufficientPods");
        // A second pass writes nothing.
        let rv = s.resource_version();
        reconcile(&s).unwrap();
        assert_eq!(s.resource_version(), rv);
    }
}
