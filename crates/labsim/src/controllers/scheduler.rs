//! The scheduler: binds pending pods to a node that fits (nodeName, nodeSelector, required node
//! affinity, taints, readiness, claims and their PVs' node affinity, `WaitForFirstConsumer`
//! claims: `volume_binding`), spreading by the fewest pods with ties broken by node name, so
//! `mysql-0/1/2` land on `minikube`, `minikube-m02`, `minikube-m03`. A pod that does not fit is
//! retried with back-off (`sched_retry`), each failure a `FailedScheduling` event.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::volume_binding::{self, Claims};
use super::{sched_retry, ControllerError};
use crate::objects::events::EventRecorder;
use crate::objects::{
    condition, condition_true, is_terminating, name, pod_finished, set_condition, uid,
};
use crate::resources::get;
use crate::store::Store;

pub const COMPONENT: &str = "default-scheduler";

/// Why a pod cannot be placed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unschedulable {
    /// A claim is missing or not yet Bound (the message is the real scheduler's).
    Claims(String),
    /// No node passes the filters: `(nodes, reasons)`.
    NoFit(usize, Vec<String>),
}

impl Unschedulable {
    /// The scheduler's FitError text, with the preemption clause: every filter labsim runs
    /// fails as `UnschedulableAndUnresolvable`, so preemption is never helpful
    /// (pkg/scheduler/framework/types.go `FitError.Error`, preemption's `fitErrorMessage`).
    pub fn message(&self, nodes: usize) -> String {
        let first = match self {
            Unschedulable::Claims(m) => format!("0/{nodes} nodes are available: {m}."),
            Unschedulable::NoFit(n, reasons) => {
                format!("0/{n} nodes are available: {}.", reasons.join(", "))
            }
        };
        format!(
            "{first} preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling."
        )
    }
}

/// Whether a node-selector term's expressions all match the node's labels (In/NotIn/Exists/
/// DoesNotExist/Gt/Lt).
fn term_matches(term: &Value, labels: &Value) -> bool {
    let exprs = term["matchExpressions"].as_array().into_iter().flatten();
    let fields = term["matchFields"].as_array().into_iter().flatten();
    let mut any = false;
    let ok = exprs.chain(fields).all(|e| {
        any = true;
        let key = e["key"].as_str().unwrap_or("");
        let value = if key == "metadata.name" && labels.get(key).is_none() {
            None
        } else {
            labels.get(key).and_then(|v| v.as_str())
        };
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        let num = |s: Option<&str>| s.and_then(|s| s.parse::<i64>().ok());
        match e["operator"].as_str().unwrap_or("") {
            "In" => value.is_some_and(|v| values.contains(&v)),
            "NotIn" => value.is_none_or(|v| !values.contains(&v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            "Gt" => {
                matches!((num(value), num(values.first().copied())), (Some(a), Some(b)) if a > b)
            }
            "Lt" => {
                matches!((num(value), num(values.first().copied())), (Some(a), Some(b)) if a < b)
            }
            _ => false,
        }
    });
    // An empty term matches nothing (as in the API).
    ok && any
}

/// Why `node` does not fit `pod` (the filter plugins' reasons), or None when it does.
fn misfit(pod: &Value, node: &Value, claims: &Claims) -> Option<String> {
    if node["spec"]["unschedulable"] == true {
        return Some("node(s) were unschedulable".into());
    }
    let labels = &node["metadata"]["labels"];
    let mut with_name = labels.clone();
    if let Some(m) = with_name.as_object_mut() {
        m.insert("metadata.name".into(), json!(name(node)));
    }
    if let Some(sel) = pod["spec"]["nodeSelector"].as_object() {
        if !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            return Some("node(s) didn't match Pod's node affinity/selector".into());
        }
    }
    let required = &pod["spec"]["affinity"]["nodeAffinity"]
        ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
    if let Some(terms) = required.as_array() {
        if !terms.iter().any(|t| term_matches(t, &with_name)) {
            return Some("node(s) didn't match Pod's node affinity/selector".into());
        }
    }
    let tolerations: Vec<&Value> = pod["spec"]["tolerations"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    for taint in node["spec"]["taints"].as_array().into_iter().flatten() {
        if !matches!(
            taint["effect"].as_str(),
            Some("NoSchedule") | Some("NoExecute")
        ) {
            continue;
        }
        let tolerated = tolerations.iter().any(|t| {
            let key_ok =
                t["key"].is_null() && t["operator"] == "Exists" || t["key"] == taint["key"];
            let value_ok = t["operator"] == "Exists" || t["value"] == taint["value"];
            let effect_ok = t["effect"].is_null() || t["effect"] == taint["effect"];
            key_ok && value_ok && effect_ok
        });
        if !tolerated {
            // taint_toleration.go: the first untolerated taint is named.
            return Some(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint["key"].as_str().unwrap_or(""),
                taint["value"].as_str().unwrap_or("")
            ));
        }
    }
    if !condition_true(node, "Ready") {
        return Some("node(s) were not ready".into());
    }
    // volume_binding.go: a bound PV's required node affinity must match the node.
    let pinned_elsewhere = claims.pv_affinities.iter().any(|terms| {
        !terms
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| term_matches(t, &with_name))
    });
    if pinned_elsewhere {
        // `ErrReasonNodeConflict`, reworded in 1.33 (CHANGELOG-1.33 #129887; 1.31 said
        // "node(s) had volume node affinity conflict").
        return Some("node(s) didn't match PersistentVolume's node affinity".into());
    }
    None
}

/// The node for `pod` among `nodes` (sorted by name), given how many pods each node holds, and
/// the pod's claims (the `WaitForFirstConsumer` ones still to be given that node).
pub fn choose_node<'a>(
    store: &Store,
    pod: &Value,
    nodes: &'a [Value],
    load: &BTreeMap<String, usize>,
) -> Result<(&'a Value, Claims), Unschedulable> {
    let claims = volume_binding::check(store, pod).map_err(Unschedulable::Claims)?;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut best: Option<&Value> = None;
    for node in nodes {
        if let Some(why) = misfit(pod, node, &claims) {
            *reasons.entry(why).or_default() += 1;
            continue;
        }
        let count = |n: &Value| load.get(name(n)).copied().unwrap_or(0);
        if best.is_none_or(|b| count(node) < count(b)) {
            best = Some(node);
        }
    }
    match best {
        Some(node) => Ok((node, claims)),
        None => {
            // FitError.Error sorts the "<count> <reason>" strings themselves.
            let mut histogram: Vec<String> = reasons
                .into_iter()
                .map(|(why, n)| format!("{n} {why}"))
                .collect();
            histogram.sort();
            Err(Unschedulable::NoFit(nodes.len(), histogram))
        }
    }
}

/// The pod's QoS class from its containers' cpu/memory requests and limits: Guaranteed when
/// every container limits both and requests equal limits, BestEffort when none sets any,
/// Burstable otherwise.
pub fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = ["initContainers", "containers"]
        .iter()
        .flat_map(|l| pod["spec"][*l].as_array().into_iter().flatten())
        .collect();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        let (req, lim) = (&c["resources"]["requests"], &c["resources"]["limits"]);
        for r in ["cpu", "memory"] {
            any |= !req[r].is_null() || !lim[r].is_null();
            let request = if req[r].is_null() { &lim[r] } else { &req[r] };
            guaranteed &= !lim[r].is_null() && request == &lim[r];
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
}

/// Binds every pending pod it can; marks the others Unschedulable (once per distinct reason).
pub fn reconcile(store: &Store) -> Result<(), ControllerError> {
    let (mut nodes, _) = store.list(get("Node"), None);
    nodes.sort_by(|a, b| name(a).cmp(name(b)));
    let (pods, _) = store.list(get("Pod"), None);
    let mut load: BTreeMap<String, usize> = BTreeMap::new();
    for p in &pods {
        if let Some(n) = p["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
            if !pod_finished(p) {
                *load.entry(n.to_string()).or_default() += 1;
            }
        }
    }
    // Oldest first, as the scheduling queue would pop them; names break ties so a StatefulSet's
    // ordinals are placed in order.
    let mut pending: Vec<&Value> = pods
        .iter()
        .filter(|p| {
            p["spec"]["nodeName"].as_str().is_none_or(|n| n.is_empty())
                && !is_terminating(p)
                && !pod_finished(p)
                && p["spec"]["schedulerName"]
                    .as_str()
                    .is_none_or(|s| s == COMPONENT)
        })
        .collect();
    pending.sort_by(|a, b| {
        let ts = |p: &Value| {
            p["metadata"]["creationTimestamp"]
                .as_str()
                .unwrap_or("")
                .to_string()
        };
        ts(a).cmp(&ts(b)).then_with(|| name(a).cmp(name(b)))
    });
    let now = std::time::Instant::now();
    let fingerprint = sched_retry::cluster_fingerprint(store);
    // Pods no longer pending (bound, deleted) leave the queue's memory.
    sched_retry::retain(store, &pending.iter().map(|p| uid(p)).collect::<Vec<_>>());
    for pod in pending {
        let (ns, pod_name) = (crate::objects::namespace(pod), name(pod));
        match choose_node(store, pod, &nodes, &load) {
            Ok((node, claims)) if !claims.delayed.is_empty() => {
                // The VolumeBinding plugin's PreBind: the claims learn the node, the pod is
                // bound once their volumes are (the next passes).
                volume_binding::select_node(store, ns, &claims.delayed, name(node))?;
            }
            Ok((node, _)) => {
                sched_retry::forget(store, pod);
                let node_name = name(node).to_string();
                let bound = store.modify(get("Pod"), Some(ns), pod_name, |p| {
                    p["spec"]["nodeName"] = json!(node_name);
                    set_condition(p, "PodScheduled", "True", "", "");
                    if p["status"]["phase"].is_null() {
                        p["status"]["phase"] = json!("Pending");
                    }
                    if p["status"]["qosClass"].is_null() {
                        p["status"]["qosClass"] = json!(qos_class(p));
                    }
                })?;
                *load.entry(node_name.clone()).or_default() += 1;
                EventRecorder::record(
                    store,
                    &bound,
                    "Normal",
                    "Scheduled",
                    &format!("Successfully assigned {ns}/{pod_name} to {node_name}"),
                    COMPONENT,
                )?;
            }
            Err(why) => {
                let message = why.message(nodes.len());
                let same = condition(pod, "PodScheduled")
                    .is_some_and(|c| c["status"] == "False" && c["message"] == message.as_str());
                // The same failure again: only once its back-off is over and something that
                // could change the answer changed (or the 5 min flush), as the scheduling queue.
                if same && !sched_retry::due(store, pod, &fingerprint, now) {
                    continue;
                }
                sched_retry::failed(store, pod, &fingerprint, now);
                let updated = if same {
                    pod.clone()
                } else {
                    store.modify(get("Pod"), Some(ns), pod_name, |p| {
                        set_condition(p, "PodScheduled", "False", "Unschedulable", &message);
                        if p["status"]["phase"].is_null() {
                            p["status"]["phase"] = json!("Pending");
                        }
                    })?
                };
                EventRecorder::record(
                    store,
                    &updated,
                    "Warning",
                    "FailedScheduling",
                    &message,
                    COMPONENT,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> Store {
        let s = Store::in_memory();
        super::super::bootstrap::run(&s).unwrap();
        s
    }

    fn pod(s: &Store, name: &str, spec: Value) -> Value {
        s.create(
            get("Pod"),
            Some("default"),
            json!({"metadata": {"name": name}, "spec": spec}),
        )
        .unwrap()
    }

    fn node_of(s: &Store, name: &str) -> String {
        s.get(get("Pod"), Some("default"), name).unwrap()["spec"]["nodeName"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    #[test]
    fn spreads_by_load_then_name() {
        let s = setup();
        for i in 0..3 {
            pod(&s, &format!("mysql-{i}"), json!({"containers": []}));
            reconcile(&s).unwrap();
        }
        assert_eq!(node_of(&s, "mysql-0"), "minikube");
        assert_eq!(node_of(&s, "mysql-1"), "minikube-m02");
        assert_eq!(node_of(&s, "mysql-2"), "minikube-m03");
        pod(&s, "extra", json!({}));
        reconcile(&s).unwrap();
        assert_eq!(node_of(&s, "extra"), "minikube");
        let p = s.get(get("Pod"), Some("default"), "mysql-1").unwrap();
        assert!(condition_true(&p, "PodScheduled"));
        let (events, _) = s.list(get("Event"), Some("default"));
        assert!(events.iter().any(|e| e["reason"] == "Scheduled"
            && e["message"] == "Successfully assigned default/mysql-1 to minikube-m02"
            && e["source"]["component"] == "default-scheduler"));
        // A second pass changes nothing.
        let rv = s.resource_version();
        reconcile(&s).unwrap();
        assert_eq!(s.resource_version(), rv);
    }

    #[test]
    fn qos_classes() {
        let c = |res: Value| json!({"spec": {"containers": [{"name": "a", "resources": res}]}});
        assert_eq!(qos_class(&c(json!({}))), "BestEffort");
        assert_eq!(
            qos_class(&c(json!({"requests": {"memory": "1Gi"}}))),
            "Burstable"
        );
        assert_eq!(
            qos_class(&c(json!({"limits": {"memory": "1Gi", "cpu": "1"}}))),
            "Guaranteed"
        );
        assert_eq!(
            qos_class(&c(
                json!({"limits": {"memory": "1Gi", "cpu": "1"}, "requests": {"cpu": "500m"}})
            )),
            "Burstable"
        );
    }

    #[test]
    fn node_selector_and_affinity_are_honoured() {
        let s = setup();
        pod(
            &s,
            "a",
            json!({"nodeSelector": {"kubernetes.io/hostname": "minikube-m03"}}),
        );
        pod(
            &s,
            "b",
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"},
                {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["minikube-m02"]}
            ]}]}}}}),
        );
        pod(
            &s,
            "c",
            json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists"}]}]}}}}),
        );
        pod(&s, "d", json!({"nodeSelector": {"disktype": "ssd"}}));
        reconcile(&s).unwrap();
        assert_eq!(node_of(&s, "a"), "minikube-m03");
        assert_eq!(node_of(&s, "b"), "minikube-m03");
        assert_eq!(node_of(&s, "c"), "minikube");
        assert_eq!(node_of(&s, "d"), "");
        let d = s.get(get("Pod"), Some("default"), "d").unwrap();
        let c = condition(&d, "PodScheduled").unwrap();
        assert_eq!(c["status"], "False");
        assert_eq!(c["reason"], "Unschedulable");
        assert_eq!(
            c["message"],
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn waits_for_bound_claims_and_reports_once() {
        let s = setup();
        s.create(
            get("PersistentVolumeClaim"),
            Some("default"),
            json!({"metadata": {"name": "data-mysql-0"}, "spec": {}, "status": {"phase": "Pending"}}),
        )
        .unwrap();
        pod(
            &s,
            "mysql-0",
            json!({"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}]}),
        );
        reconcile(&s).unwrap();
        reconcile(&s).unwrap();
        let p = s.get(get("Pod"), Some("default"), "mysql-0").unwrap();
        assert_eq!(
            condition(&p, "PodScheduled").unwrap()["message"],
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        let (events, _) = s.list(get("Event"), Some("default"));
        let failed: Vec<_> = events
            .iter()
            .filter(|e| e["reason"] == "FailedScheduling")
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0]["count"], 1);
        assert_eq!(failed[0]["type"], "Warning");
        s.modify(
            get("PersistentVolumeClaim"),
            Some("default"),
            "data-mysql-0",
            |c| c["status"]["phase"] = json!("Bound"),
        )
        .unwrap();
        reconcile(&s).unwrap();
        assert_eq!(node_of(&s, "mysql-0"), "minikube");
        let p = s.get(get("Pod"), Some("default"), "mysql-0").unwrap();
        assert!(condition_true(&p, "PodScheduled"));
    }

    #[test]
    fn tainted_and_not_ready_nodes_are_skipped() {
        let s = setup();
        s.modify(get("Node"), None, "minikube", |n| {
            n["spec"]["taints"] = json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}])
        })
        .unwrap();
        s.modify(get("Node"), None, "minikube-m02", |n| {
            set_condition(n, "Ready", "False", "KubeletNotReady", "")
        })
        .unwrap();
        pod(&s, "x", json!({}));
        pod(
            &s,
            "y",
            json!({"nodeName": "", "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]}),
        );
        reconcile(&s).unwrap();
        assert_eq!(node_of(&s, "x"), "minikube-m03");
        assert_eq!(node_of(&s, "y"), "minikube");
    }
}
