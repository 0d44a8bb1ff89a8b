//! Pod: its row, kubectl's columns (`printPod`, with `pod_status.rs`), the `Completed` row
//! condition and the API server's defaults (with the ServiceAccount and DefaultTolerationSeconds
//! admission plugins).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::pod_status::summarize;
use crate::resources::columns::*;
use crate::resources::defaulting::{obj_mut, set, Defaulting};
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns, defaults.
pub const ROW: ResourceType = ResourceType {
    short_names: &["po"],
    categories: &["all"],
    subresources: &["status", "exec", "attach", "log", "portforward", "eviction"],
    columns: COLUMNS,
    row_conditions: completed,
    defaults: Some(defaults),
    // `metadata.generation` since 1.33: 1 on create, +1 on a change to the spec (not the
    // binding's nodeName) or the deletion mark (CHANGELOG-1.33 #130181, KEP-5067).
    generation: true,
    ..ResourceType::namespaced("", "Pod", "pods", "pod")
};

const COLUMNS: &[Column] = &[
    NAME,
    col(
        "Ready",
        "The aggregate readiness state of this pod for accepting traffic.",
        pod_ready,
    ),
    col(
        "Status",
        "The aggregate status of the containers in this pod.",
        pod_status,
    ),
    col("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", pod_restarts),
    AGE,
    wide("IP", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", pod_ip),
    wide("Node", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.", pod_node),
    wide("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", pod_nominated),
    wide("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\"", pod_gates),
];

/// `printPod` marks finished pods with a `Completed` row condition.
fn completed(pod: &Value) -> Option<Value> {
    let (reason, message) = match pod.pointer("/status/phase").and_then(Value::as_str) {
        Some("Succeeded") => ("Succeeded", "The pod has completed successfully."),
        Some("Failed") => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}]))
}

fn pod_ready(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(summarize(o, now).ready)
}
fn pod_status(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(summarize(o, now).status)
}
fn pod_restarts(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(summarize(o, now).restarts)
}
fn pod_ip(o: &Value, _: DateTime<Utc>) -> Value {
    // v1 -> internal conversion fills podIPs from podIP; the printer reads podIPs[0].
    let ip = arr(o, "/status/podIPs")
        .first()
        .map(|p| s(p, "/ip"))
        .unwrap_or_else(|| s(o, "/status/podIP"));
    or(ip, "<none>")
}
fn pod_node(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/spec/nodeName"), "<none>")
}
fn pod_nominated(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/status/nominatedNodeName"), "<none>")
}
fn pod_gates(o: &Value, _: DateTime<Utc>) -> Value {
    let gates = arr(o, "/spec/readinessGates");
    if gates.is_empty() {
        return Value::from("<none>");
    }
    let conditions = arr(o, "/status/conditions");
    let true_count = gates
        .iter()
        .filter(|g| {
            conditions
                .iter()
                .find(|c| s(c, "/type") == s(g, "/conditionType"))
                .is_some_and(|c| s(c, "/status") == "True")
        })
        .count();
    Value::from(format!("{true_count}/{}", gates.len()))
}

/// `SetDefaults_Pod` and friends, plus the ServiceAccount and DefaultTolerationSeconds
/// admission plugins; a new pod is `Pending` with its QoS class.
fn defaults(obj: &mut Value, d: &Defaulting) {
    let live = d.live;
    pod_spec(&mut obj["spec"]);
    let spec = obj["spec"]
        .as_object_mut()
        .expect("pod_spec made an object");
    set(spec, "enableServiceLinks", json!(true));
    // The ServiceAccount and DefaultTolerationSeconds admission plugins.
    set(spec, "serviceAccountName", json!("default"));
    set(spec, "serviceAccount", json!("default"));
    set(spec, "priority", json!(0));
    set(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
    if live.is_none() {
        // A new pod waits for the scheduler and the kubelet.
        let qos = qos_class(&obj["spec"]);
        let status = obj_mut(&mut obj["status"]);
        set(status, "phase", json!("Pending"));
        set(status, "qosClass", json!(qos));
    }
}

pub(super) fn pod_spec(spec: &mut Value) {
    let s = obj_mut(spec);
    set(s, "restartPolicy", json!("Always"));
    set(s, "terminationGracePeriodSeconds", json!(30));
    set(s, "dnsPolicy", json!("ClusterFirst"));
    set(s, "securityContext", json!({}));
    set(s, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        for c in s
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            container(c);
        }
    }
}

/// `Guaranteed` when every container limits cpu and memory with requests equal to the limits,
/// `BestEffort` when none asks for anything, else `Burstable`.
fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let empty = |v: &Value| v.as_object().is_none_or(|m| m.is_empty());
    if containers
        .iter()
        .all(|c| empty(&c["resources"]["requests"]) && empty(&c["resources"]["limits"]))
    {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        let (req, lim) = (&c["resources"]["requests"], &c["resources"]["limits"]);
        ["cpu", "memory"]
            .iter()
            .all(|r| !lim[*r].is_null() && (req[*r].is_null() || req[*r] == lim[*r]))
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn container(c: &mut Value) {
    let c = obj_mut(c);
    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
    // `:latest` or no tag pulls always (unless pinned by digest).
    let tag = image.rsplit('/').next().unwrap_or("");
    let always = !image.contains('@') && (!tag.contains(':') || tag.ends_with(":latest"));
    set(
        c,
        "imagePullPolicy",
        json!(if always { "Always" } else { "IfNotPresent" }),
    );
    set(c, "terminationMessagePath", json!("/dev/termination-log"));
    set(c, "terminationMessagePolicy", json!("File"));
    set(c, "resources", json!({}));
    for p in c
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        set(obj_mut(p), "protocol", json!("TCP"));
    }
}
