//! Events the kubelet records about a pod (`Pulled`, `Created`, `Started`, `Killing`, `BackOff`,
//! `Unhealthy`, `Failed`), aggregated like client-go's recorder: a repeat bumps `count`.

use serde_json::Value;

use crate::objects::events::{EventRecorder, Source};
use crate::store::Store;

/// Records one event about `pod` (source: kubelet on the pod's node), through the recorder
/// every component shares, so repeats aggregate the same way everywhere.
pub fn record(store: &Store, pod: &Value, kind: &str, reason: &str, message: &str) {
    let container = pod["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap_or("mysql");
    let field_path = format!("spec.containers{{{container}}}");
    let source = Source {
        component: "kubelet",
        host: pod["spec"]["nodeName"].as_str(),
        field_path: Some(&field_path),
    };
    if let Err(e) = EventRecorder::record_from(store, pod, kind, reason, message, &source) {
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
    use crate::resources;
    use serde_json::json;

    #[test]
    fn repeats_are_counted() {
        let s = Store::in_memory();
        let pod = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "default", "uid": "u1"}, "spec": {"nodeName": "minikube"}});
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
