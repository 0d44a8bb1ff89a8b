//! StatefulSet: its row, kubectl's columns (`printStatefulSet`) and the API server's defaults.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::pods::pod_spec;
use crate::resources::columns::*;
use crate::resources::defaulting::{obj_mut, set, Defaulting};
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns, defaults.
pub const ROW: ResourceType = ResourceType {
    short_names: &["sts"],
    categories: &["all"],
    subresources: &["status", "scale"],
    generation: true,
    columns: COLUMNS,
    defaults: Some(defaults),
    ..ResourceType::namespaced("apps", "StatefulSet", "statefulsets", "statefulset")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Ready", "Number of the pod with ready state", sts_ready),
    AGE,
    wide(
        "Containers",
        "Names of each container in the template.",
        template_names,
    ),
    wide(
        "Images",
        "Images referenced by each container in the template.",
        template_images,
    ),
];

/// `layoutContainerCells`: container names and images, comma separated.
fn container_field(obj: &Value, field: &str) -> Value {
    let parts: Vec<&str> = arr(obj, "/spec/template/spec/containers")
        .iter()
        .map(|c| s(c, field))
        .collect();
    Value::from(parts.join(","))
}
fn sts_ready(o: &Value, _: DateTime<Utc>) -> Value {
    // spec.replicas is defaulted to 1 by the apiserver.
    let desired = o
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let ready = o
        .pointer("/status/readyReplicas")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    Value::from(format!("{ready}/{desired}"))
}
fn template_names(o: &Value, _: DateTime<Utc>) -> Value {
    container_field(o, "/name")
}
fn template_images(o: &Value, _: DateTime<Utc>) -> Value {
    container_field(o, "/image")
}

/// `SetDefaults_StatefulSet`; the pod template as a pod's spec.
fn defaults(obj: &mut Value, _: &Defaulting) {
    statefulset(&mut obj["spec"]);
}

fn statefulset(spec: &mut Value) {
    let s = obj_mut(spec);
    set(s, "replicas", json!(1));
    set(s, "podManagementPolicy", json!("OrderedReady"));
    set(s, "revisionHistoryLimit", json!(10));
    set(
        s,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
    );
    if s["updateStrategy"]["type"] == "RollingUpdate" {
        set(
            obj_mut(&mut s["updateStrategy"]["rollingUpdate"]),
            "partition",
            json!(0),
        );
    }
    set(
        s,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    if s.get("template").is_some_and(Value::is_object) {
        pod_spec(&mut s["template"]["spec"]);
    }
    if let Some(vcts) = s
        .get_mut("volumeClaimTemplates")
        .and_then(Value::as_array_mut)
    {
        for vct in vcts {
            let v = obj_mut(vct);
            set(v, "apiVersion", json!("v1"));
            set(v, "kind", json!("PersistentVolumeClaim"));
            set(
                obj_mut(v.entry("spec").or_insert(Value::Null)),
                "volumeMode",
                json!("Filesystem"),
            );
            set(
                obj_mut(v.entry("status").or_insert(Value::Null)),
                "phase",
                json!("Pending"),
            );
        }
    }
}
