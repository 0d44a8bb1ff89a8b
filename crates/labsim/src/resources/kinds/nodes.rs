//! Node: its row and kubectl's columns (`printNode`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["no"],
    subresources: &["status"],
    columns: COLUMNS,
    ..ResourceType::cluster("", "Node", "nodes", "node")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Status", "The status of the node", node_status),
    col("Roles", "The roles of the node", node_roles),
    AGE,
    col("Version", "Kubelet Version reported by the node.", node_version),
    wide("Internal-IP", ADDRESSES_DOC, node_internal_ip),
    wide("External-IP", ADDRESSES_DOC, node_external_ip),
    wide(
        "OS-Image",
        "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
        node_os_image,
    ),
    wide(
        "Kernel-Version",
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        node_kernel,
    ),
    wide(
        "Container-Runtime",
        "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
        node_runtime,
    ),
];

fn node_status(o: &Value, _: DateTime<Utc>) -> Value {
    let mut status: Vec<&str> = Vec::new();
    // Only the Ready condition counts (NodeAllConditions); the last one of a type wins.
    if let Some(c) = arr(o, "/status/conditions")
        .iter()
        .rev()
        .find(|c| s(c, "/type") == "Ready")
    {
        status.push(if s(c, "/status") == "True" {
            "Ready"
        } else {
            "NotReady"
        });
    }
    if status.is_empty() {
        status.push("Unknown");
    }
    if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push("SchedulingDisabled");
    }
    Value::from(status.join(","))
}
fn node_roles(o: &Value, _: DateTime<Utc>) -> Value {
    let mut roles: Vec<String> = Vec::new();
    if let Some(labels) = o.pointer("/metadata/labels").and_then(Value::as_object) {
        for (k, v) in labels {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.push(role.to_string());
                }
            } else if k == "kubernetes.io/role" {
                if let Some(v) = v.as_str().filter(|v| !v.is_empty()) {
                    roles.push(v.to_string());
                }
            }
        }
    }
    roles.sort();
    roles.dedup();
    or(&roles.join(","), "<none>")
}
fn node_version(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/status/nodeInfo/kubeletVersion"))
}
fn node_address(o: &Value, ty: &str) -> Value {
    let addr = arr(o, "/status/addresses")
        .iter()
        .find(|a| s(a, "/type") == ty)
        .map(|a| s(a, "/address"))
        .unwrap_or("<none>");
    Value::from(addr)
}
fn node_internal_ip(o: &Value, _: DateTime<Utc>) -> Value {
    node_address(o, "InternalIP")
}
fn node_external_ip(o: &Value, _: DateTime<Utc>) -> Value {
    node_address(o, "ExternalIP")
}
fn node_os_image(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/status/nodeInfo/osImage"), "<unknown>")
}
fn node_kernel(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/status/nodeInfo/kernelVersion"), "<unknown>")
}
fn node_runtime(o: &Value, _: DateTime<Utc>) -> Value {
    or(
        s(o, "/status/nodeInfo/containerRuntimeVersion"),
        "<unknown>",
    )
}
const ADDRESSES_DOC: &str = "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_status_from_ready_condition_and_cordon() {
        let now = Utc::now();
        let ready = |s: &str| json!({"status": {"conditions": [{"type": "Ready", "status": s}]}});
        assert_eq!(node_status(&ready("True"), now), json!("Ready"));
        assert_eq!(node_status(&ready("Unknown"), now), json!("NotReady"));
        assert_eq!(node_status(&json!({}), now), json!("Unknown"));
        let mut cordoned = ready("True");
        cordoned["spec"] = json!({"unschedulable": true});
        assert_eq!(
            node_status(&cordoned, now),
            json!("Ready,SchedulingDisabled")
        );
        let legacy = json!({"metadata": {"labels": {"kubernetes.io/role": "master",
            "node-role.kubernetes.io/": "", "node-role.kubernetes.io/worker": ""}}});
        assert_eq!(node_roles(&legacy, now), json!("master,worker"));
    }
}
