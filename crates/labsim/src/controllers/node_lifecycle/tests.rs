//! The node lifecycle and taint eviction controllers against a stopped node, with the upstream
//! values of pkg/controller/nodelifecycle/node_lifecycle_controller.go and
//! pkg/controller/tainteviction/taint_eviction.go.

use super::*;
use crate::objects::{condition_true, set_condition};

fn setup() -> (Store, tempfile::TempDir) {
    let s = Store::in_memory();
    super::super::bootstrap::run(&s).unwrap();
    (s, tempfile::tempdir().unwrap())
}

fn running_pod(s: &Store, name: &str, node: &str, tolerations: Value) -> Value {
    let mut p = json!({"metadata": {"name": name}, "spec": {"nodeName": node, "containers": [{"name": "mysql"}]},
        "status": {"phase": "Running"}});
    if !tolerations.is_null() {
        p["spec"]["tolerations"] = tolerations;
    }
    set_condition(&mut p, "Ready", "True", "", "");
    s.create(get("Pod"), Some("default"), p).unwrap()
}

fn events(s: &Store, reason: &str) -> Vec<Value> {
    s.list(get("Event"), Some("default"))
        .0
        .into_iter()
        .filter(|e| e["reason"] == reason)
        .collect()
}

fn default_tolerations() -> Value {
    json!([
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
        {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    ])
}

#[test]
fn a_stopped_node_goes_unknown_after_the_grace_period_and_its_pods_are_evicted_after_300s() {
    let (s, dir) = setup();
    running_pod(&s, "mysql-1", "minikube-m02", default_tolerations());
    running_pod(&s, "intolerant", "minikube-m02", json!([]));
    running_pod(&s, "mysql-0", "minikube", default_tolerations());
    machines::set_stopped(dir.path(), "minikube-m02", true).unwrap();
    let t0 = Utc::now();

    // Within the 50 s grace period nothing happens, not even after 1.31's 40 s (the default
    // went to 50 s in 1.32: CHANGELOG-1.32 #126287).
    for after in [10, 45] {
        reconcile(&s, dir.path(), t0 + chrono::Duration::seconds(after)).unwrap();
        let n = s.get(get("Node"), None, "minikube-m02").unwrap();
        assert!(condition_true(&n, "Ready"), "after {after} s");
    }

    let marked = t0 + chrono::Duration::seconds(51);
    reconcile(&s, dir.path(), marked).unwrap();
    let n = s.get(get("Node"), None, "minikube-m02").unwrap();
    for c in n["status"]["conditions"].as_array().unwrap() {
        assert_eq!(c["status"], "Unknown");
        assert_eq!(c["reason"], "NodeStatusUnknown");
        assert_eq!(c["message"], "Kubelet stopped posting node status.");
    }
    let taints: Vec<(String, String)> = n["spec"]["taints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().into(),
                t["effect"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        taints,
        vec![
            (UNREACHABLE.to_string(), "NoSchedule".to_string()),
            (UNREACHABLE.to_string(), "NoExecute".to_string())
        ]
    );
    let node_events = events(&s, "NodeNotReady");
    assert!(node_events
        .iter()
        .any(|e| e["involvedObject"]["kind"] == "Node"
            && e["message"] == "Node minikube-m02 status is now: NodeNotReady"
            && e["source"]["component"] == "node-controller"));
    assert!(node_events
        .iter()
        .any(|e| e["involvedObject"]["name"] == "mysql-1"
            && e["type"] == "Warning"
            && e["message"] == "Node is not ready"));
    let p = s.get(get("Pod"), Some("default"), "mysql-1").unwrap();
    assert_eq!(condition(&p, "Ready").unwrap()["status"], "False");
    // Still Running in the API: only the Ready condition changes.
    assert_eq!(p["status"]["phase"], "Running");
    // The pod without the toleration goes at once; the others wait 300 s.
    assert!(is_terminating(
        &s.get(get("Pod"), Some("default"), "intolerant").unwrap()
    ));
    assert!(!is_terminating(&p));
    let m0 = s.get(get("Pod"), Some("default"), "mysql-0").unwrap();
    assert!(condition_true(&m0, "Ready"));

    reconcile(&s, dir.path(), marked + chrono::Duration::seconds(299)).unwrap();
    assert!(!is_terminating(
        &s.get(get("Pod"), Some("default"), "mysql-1").unwrap()
    ));
    reconcile(&s, dir.path(), marked + chrono::Duration::seconds(301)).unwrap();
    let p = s.get(get("Pod"), Some("default"), "mysql-1").unwrap();
    assert!(
        is_terminating(&p),
        "evicted but kept until its kubelet confirms"
    );
    let dt = condition(&p, "DisruptionTarget").unwrap();
    assert_eq!(dt["reason"], "DeletionByTaintManager");
    assert_eq!(
        dt["message"],
        "Taint manager: deleting due to NoExecute taint"
    );
    assert!(events(&s, "TaintManagerEviction")
        .iter()
        .any(
            |e| e["message"] == "Marking for deletion Pod default/mysql-1"
                && e["source"]["component"] == "taint-eviction-controller"
        ));

    // The node comes back: Ready, untainted, NodeReady.
    machines::set_stopped(dir.path(), "minikube-m02", false).unwrap();
    reconcile(&s, dir.path(), Utc::now()).unwrap();
    let n = s.get(get("Node"), None, "minikube-m02").unwrap();
    assert!(condition_true(&n, "Ready"));
    assert!(n["spec"]["taints"].is_null());
    assert!(events(&s, "NodeReady")
        .iter()
        .any(|e| e["message"] == "Node minikube-m02 status is now: NodeReady"));
    // Idempotent once settled.
    let rv = s.resource_version();
    reconcile(&s, dir.path(), Utc::now()).unwrap();
    assert_eq!(s.resource_version(), rv);
}

#[test]
fn the_shortest_matching_toleration_wins() {
    let taint = json!({"key": UNREACHABLE, "effect": "NoExecute"});
    let pod = |t: Value| json!({"spec": {"tolerations": t}});
    assert_eq!(toleration_of(&pod(json!([])), &taint), None);
    assert_eq!(
        toleration_of(&pod(json!([{"operator": "Exists"}])), &taint),
        Some(None)
    );
    assert_eq!(
        toleration_of(
            &pod(
                json!([{"operator": "Exists"}, {"key": UNREACHABLE, "operator": "Exists", "tolerationSeconds": 30}])
            ),
            &taint
        ),
        Some(Some(30))
    );
    assert_eq!(
        toleration_of(
            &pod(json!([{"key": UNREACHABLE, "operator": "Exists", "effect": "NoSchedule"}])),
            &taint
        ),
        None
    );
}
