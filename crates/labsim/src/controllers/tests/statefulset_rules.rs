//! StatefulSet controller rules checked against upstream pkg/controller/statefulset
//! (stateful_set_control.go, stateful_set_utils.go) and the apps/v1 API types.

use super::*;

/// `whenDeleted: Delete`: the set is the claims' controller (stateful_set_utils.go
/// `addControllerRef`: `controller: true`, `blockOwnerDeletion: true`).
#[test]
fn retained_claims_are_controlled_by_the_set() {
    let lab = Lab::with_set(
        1,
        json!({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"}}),
    );
    lab.settle();
    let c = lab.claim("data-mysql-0");
    let r = &c["metadata"]["ownerReferences"][0];
    assert_eq!(r["kind"], "StatefulSet");
    assert_eq!(r["controller"], true);
    assert_eq!(r["blockOwnerDeletion"], true);
}

/// apps/v1 StatefulSetStatus: `readyReplicas`, `currentReplicas`, `updatedReplicas` are
/// `omitempty`; `replicas` and `availableReplicas` are always written.
#[test]
fn zero_status_counts_are_omitted() {
    let lab = Lab::with_set(1, json!({}));
    lab.passes();
    let st = &lab.set()["status"];
    assert_eq!(st["replicas"], 1);
    assert_eq!(st["availableReplicas"], 0);
    assert!(st.get("readyReplicas").is_none(), "{st}");
    assert!(st.get("currentReplicas").is_some());
    lab.settle();
    assert_eq!(lab.set()["status"]["readyReplicas"], 1);
}

/// processCondemned: a healthy condemned pod is removed even while a lower condemned one is
/// unhealthy; an unhealthy one blocks unless it is the first unhealthy pod.
#[test]
fn scale_down_follows_process_condemned() {
    let lab = Lab::with_set(5, json!({}));
    lab.settle();
    assert_eq!(lab.pods().len(), 5);
    let unready = |pod: &str| {
        lab.store
            .modify(get("Pod"), Some("default"), pod, |p| {
                set_condition(p, "Ready", "False", "", "")
            })
            .unwrap();
    };
    unready("mysql-3");
    lab.scale(3);
    lab.passes();
    // mysql-4 is healthy: it goes although mysql-3 is not.
    assert!(is_terminating(&lab.pod("mysql-4")));
    assert!(!is_terminating(&lab.pod("mysql-3")));
    lab.store.remove_uid(
        get("Pod"),
        Some("default"),
        "mysql-4",
        uid(&lab.pod("mysql-4")),
    );
    lab.passes();
    // mysql-3, the first unhealthy pod, goes next.
    assert!(is_terminating(&lab.pod("mysql-3")));

    // Two unhealthy condemned pods: the highest is not the first unhealthy one, so it waits.
    let lab = Lab::with_set(5, json!({}));
    lab.settle();
    let unready2 = |pod: &str| {
        lab.store
            .modify(get("Pod"), Some("default"), pod, |p| {
                set_condition(p, "Ready", "False", "", "")
            })
            .unwrap();
    };
    unready2("mysql-3");
    unready2("mysql-4");
    lab.scale(3);
    lab.passes();
    assert!(!is_terminating(&lab.pod("mysql-4")));
    assert!(!is_terminating(&lab.pod("mysql-3")));
}

/// minReadySeconds: the next ordinal is created only once its predecessor has been Ready that
/// long (isRunningAndAvailable).
#[test]
fn min_ready_seconds_gates_creation() {
    let lab = Lab::with_set(2, json!({"minReadySeconds": 30}));
    lab.settle();
    assert_eq!(lab.pod_names(), vec!["mysql-0"]);
    assert_eq!(lab.set()["status"]["availableReplicas"], 0);
    let long_ago = (chrono::Utc::now() - chrono::Duration::seconds(31)).to_rfc3339();
    lab.store
        .modify(get("Pod"), Some("default"), "mysql-0", |p| {
            for c in p["status"]["conditions"].as_array_mut().unwrap() {
                c["lastTransitionTime"] = json!(long_ago);
            }
        })
        .unwrap();
    lab.passes();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1"]);
    assert_eq!(lab.set()["status"]["availableReplicas"], 1);
}
