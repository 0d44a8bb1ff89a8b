//! Namespace: its row, kubectl's columns (`printNamespace`) and the API server's defaults.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::resources::columns::*;
use crate::resources::defaulting::{obj_mut, set, Defaulting};
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns, defaults.
pub const ROW: ResourceType = ResourceType {
    short_names: &["ns"],
    subresources: &["status"],
    columns: COLUMNS,
    defaults: Some(defaults),
    ..ResourceType::cluster("", "Namespace", "namespaces", "namespace")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Status", "The status of the namespace", ns_status),
    AGE,
];

fn ns_status(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/status/phase"))
}

/// The namespace's name label, the `kubernetes` finalizer, and `Active` when new.
fn defaults(obj: &mut Value, d: &Defaulting) {
    let name = obj["metadata"]["name"].clone();
    set(
        obj_mut(&mut obj["metadata"]["labels"]),
        "kubernetes.io/metadata.name",
        name,
    );
    set(
        obj_mut(&mut obj["spec"]),
        "finalizers",
        json!(["kubernetes"]),
    );
    if d.live.is_none() {
        set(obj_mut(&mut obj["status"]), "phase", json!("Active"));
    }
}
