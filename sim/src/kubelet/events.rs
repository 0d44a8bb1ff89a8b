//! Events the kubelet records about a pod (`Pulled`, `Created`, `Started`, `Killing`, `BackOff`,
//! `Unhealthy`, `Failed`), aggregated like client-go's recorder: a repeat bumps `count`.

use serde_json::{json, Value};

use crate::resources;
use crate::store::{now, Store};

/// Records one event about `pod` (source: kubelet on the pod's node).
pub fn record(store: &Store, pod: &Value, kind: &str, reason: &str, message: &str) {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    let uid = pod["metadata"]["uid"].as_str().unwrap_or("");
    let node = pod["spec"]["nodeName"].as_str().unwrap_or("");
    let rt = resources::get("Event");
    // One object per (pod uid, reason, message), as the real recorder's aggregation key.
    let key = fnv(&format!("{uid}/{reason}/{message}"));
    let ev_name = format!("{name}.{key:016x}");
    let ts = now();
    let bumped = store.modify(rt, Some(ns), &ev_name, |e| {
        let c = e["count"].as_i64().unwrap_or(1);
        e["count"] = json!(c + 1);
        e["lastTimestamp"] = json!(ts);
    });
    if bumped.is_ok() {
        return;
    }
    let ev = json!({
        "metadata": {"name": ev_name, "namespace": ns},
        "involvedObject": {"kind": "Pod", "namespace": ns, "name": name, "uid": uid,
            "apiVersion": "v1", "fieldPath": "spec.containers{mysql}"},
        "reason": reason,
        "message": message,
        "type": kind,
        "source": {"component": "kubelet", "host": node},
        "reportingComponent": "kubelet",
        "reportingInstance": node,
        "firstTimestamp": ts,
        "lastTimestamp": ts,
        "count": 1,
    });
    if let Err(e) = store.create(rt, Some(ns), ev) {
        tracing::debug!("event not recorded: {e}");
    }
}

/// FNV-1a, for stable short names.
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_counted() {
        let s = Store::in_memory();
        let pod = json!({"metadata": {"name": "p", "namespace": "default", "uid": "u1"}, "spec": {"nodeName": "minikube"}});
        record(&s, &pod, "Warning", "BackOff", "back-off");
        record(&s, &pod, "Warning", "BackOff", "back-off");
        record(&s, &pod, "Normal", "Started", "Started container mysql");
        let (evs, _) = s.list(resources::get("Event"), Some("default"));
        assert_eq!(evs.len(), 2);
        let b = evs.iter().find(|e| e["reason"] == "BackOff").unwrap();
        assert_eq!(b["count"], 2);
        assert_eq!(b["source"]["host"], "minikube");
    }
}
