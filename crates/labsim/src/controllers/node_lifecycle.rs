//! kube-controller-manager's node lifecycle and taint eviction controllers, for nodes stopped
//! with `labsim node stop` (pkg/controller/nodelifecycle, pkg/controller/tainteviction):
//!
//! - a node whose kubelet stopped posting for `--node-monitor-grace-period` (50 s since 1.32) gets every
//!   condition `Unknown` (`NodeStatusUnknown`, `Kubelet stopped posting node status.`), the
//!   taints `node.kubernetes.io/unreachable:NoSchedule` and `:NoExecute`, the event
//!   `NodeNotReady`, and its pods' `Ready` condition set False (`NodeNotReady` events);
//! - a pod on a node with a `NoExecute` taint it does not tolerate is deleted at once; one it
//!   tolerates for `tolerationSeconds` (300 from DefaultTolerationSeconds) is deleted that long
//!   after the taint's `timeAdded`, with a `DisruptionTarget` condition. Deleted gracefully, it
//!   stays Terminating while the node is down (no kubelet finishes it); StatefulSets wait;
//! - a node started again posts Ready, loses the taints and gets `NodeReady`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::nodes::healthy_conditions;
use super::ControllerError;
use crate::objects::events::EventRecorder;
use crate::objects::tolerations::UNREACHABLE;
use crate::objects::{
    condition, is_terminating, machines, name, namespace, pod_finished, pod_grace, timings,
};
use crate::resources::get;
use crate::store::Store;

pub const COMPONENT: &str = "node-controller";
pub const EVICTION_COMPONENT: &str = "taint-eviction-controller";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// One pass over every node and the pods on tainted nodes.
pub fn reconcile(
    store: &Store,
    state_dir: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<(), ControllerError> {
    let grace = chrono::Duration::from_std(timings::get().node_monitor_grace_period)
        .unwrap_or(chrono::Duration::seconds(40));
    let (nodes, _) = store.list(get("Node"), None);
    for node in &nodes {
        let unknown = condition(node, "Ready").is_some_and(|c| c["status"] == "Unknown");
        match machines::stopped_since(state_dir, name(node)) {
            Some(since) if !unknown && now.signed_duration_since(since) >= grace => {
                mark_unknown(store, node, now)?
            }
            None if unknown => mark_ready(store, node, now)?,
            _ => {}
        }
    }
    evict_tainted(store, now)
}

fn mark_unknown(store: &Store, node: &Value, now: DateTime<Utc>) -> Result<(), ControllerError> {
    let at = rfc3339(now);
    let updated = store.modify(get("Node"), None, name(node), |n| {
        for c in n["status"]["conditions"]
            .as_array_mut()
            .into_iter()
            .flatten()
        {
            c["status"] = json!("Unknown");
            c["reason"] = json!("NodeStatusUnknown");
            c["message"] = json!("Kubelet stopped posting node status.");
            c["lastTransitionTime"] = json!(at);
        }
        if !n["spec"]["taints"].is_array() {
            n["spec"]["taints"] = json!([]);
        }
        let taints = n["spec"]["taints"].as_array_mut().expect("an array");
        taints.retain(|t| t["key"] != UNREACHABLE);
        taints.push(json!({"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": at}));
        taints.push(json!({"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": at}));
    })?;
    EventRecorder::record(
        store,
        &updated,
        "Normal",
        "NodeNotReady",
        &format!("Node {} status is now: NodeNotReady", name(node)),
        COMPONENT,
    )?;
    // MarkPodsNotReady (pkg/controller/util/node/controller_utils.go).
    let (pods, _) = store.list(get("Pod"), None);
    for p in pods.iter().filter(|p| on_node(p, name(node))) {
        let marked = store.modify(get("Pod"), Some(namespace(p)), name(p), |pod| {
            for c in pod["status"]["conditions"]
                .as_array_mut()
                .into_iter()
                .flatten()
                .filter(|c| c["type"] == "Ready" && c["status"] != "False")
            {
                c["status"] = json!("False");
                c["lastTransitionTime"] = json!(at);
            }
        })?;
        EventRecorder::record(
            store,
            &marked,
            "Warning",
            "NodeNotReady",
            "Node is not ready",
            COMPONENT,
        )?;
    }
    Ok(())
}

fn mark_ready(store: &Store, node: &Value, now: DateTime<Utc>) -> Result<(), ControllerError> {
    let at = rfc3339(now);
    let updated = store.modify(get("Node"), None, name(node), |n| {
        n["status"]["conditions"] = healthy_conditions(&at);
        if let Some(taints) = n["spec"]["taints"].as_array_mut() {
            taints.retain(|t| t["key"] != UNREACHABLE);
            if taints.is_empty() {
                n["spec"].as_object_mut().map(|s| s.remove("taints"));
            }
        }
    })?;
    EventRecorder::record(
        store,
        &updated,
        "Normal",
        "NodeReady",
        &format!("Node {} status is now: NodeReady", name(node)),
        COMPONENT,
    )?;
    Ok(())
}

fn on_node(pod: &Value, node: &str) -> bool {
    pod["spec"]["nodeName"] == node && !pod_finished(pod)
}

/// How long `pod` tolerates `taint`: `None` not at all, `Some(None)` forever.
fn toleration_of(pod: &Value, taint: &Value) -> Option<Option<i64>> {
    pod["spec"]["tolerations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| {
            let key_ok = t["key"].as_str().unwrap_or("").is_empty() && t["operator"] == "Exists"
                || t["key"] == taint["key"];
            let value_ok = t["operator"] == "Exists" || t["value"] == taint["value"];
            let effect_ok =
                t["effect"].as_str().unwrap_or("").is_empty() || t["effect"] == taint["effect"];
            key_ok && value_ok && effect_ok
        })
        .map(|t| t["tolerationSeconds"].as_i64())
        // The shortest bound wins; an unbounded one only when no other bounds it.
        .min_by_key(|s| s.unwrap_or(i64::MAX))
}

/// When the taint eviction controller deletes `pod` given its node's `NoExecute` taints:
/// `None` never.
fn eviction_time(pod: &Value, taints: &[&Value]) -> Option<DateTime<Utc>> {
    let mut at: Option<DateTime<Utc>> = None;
    for taint in taints {
        let added = taint["timeAdded"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        let due = match toleration_of(pod, taint) {
            None => added,
            Some(None) => continue,
            Some(Some(secs)) => added + chrono::Duration::seconds(secs.max(0)),
        };
        at = Some(at.map_or(due, |a| a.min(due)));
    }
    at
}

fn evict_tainted(store: &Store, now: DateTime<Utc>) -> Result<(), ControllerError> {
    let (nodes, _) = store.list(get("Node"), None);
    let (pods, _) = store.list(get("Pod"), None);
    for node in &nodes {
        let taints: Vec<&Value> = node["spec"]["taints"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["effect"] == "NoExecute")
            .collect();
        if taints.is_empty() {
            continue;
        }
        for pod in pods
            .iter()
            .filter(|p| on_node(p, name(node)) && !is_terminating(p))
        {
            if eviction_time(pod, &taints).is_none_or(|t| t > now) {
                continue;
            }
            let (ns, pod_name) = (namespace(pod), name(pod));
            let marked = store.modify(get("Pod"), Some(ns), pod_name, |p| {
                crate::objects::set_condition(
                    p,
                    "DisruptionTarget",
                    "True",
                    "DeletionByTaintManager",
                    "Taint manager: deleting due to NoExecute taint",
                );
            })?;
            EventRecorder::record(
                store,
                &marked,
                "Normal",
                "TaintManagerEviction",
                &format!("Marking for deletion Pod {ns}/{pod_name}"),
                EVICTION_COMPONENT,
            )?;
            store.delete(get("Pod"), Some(ns), pod_name, pod_grace(&marked, None))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
