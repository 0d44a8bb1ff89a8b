//! PersistentVolume: its row and kubectl's columns (`printPersistentVolume`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["pv"],
    subresources: &["status"],
    generation: true,
    columns: COLUMNS,
    ..ResourceType::cluster(
        "",
        "PersistentVolume",
        "persistentvolumes",
        "persistentvolume",
    )
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Capacity", "capacity is the description of the persistent volume's resources and capacity.", pv_capacity),
    col("Access Modes", "accessModes contains all ways the volume can be mounted.", pv_access),
    col("Reclaim Policy", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.", pv_reclaim),
    col("Status", "phase indicates if a volume is available, bound to a claim, or released by a claim.", pv_status),
    col("Claim", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.", pv_claim),
    col("StorageClass", "StorageClass of the pv", storage_class),
    col("VolumeAttributesClass", "VolumeAttributesClass of the pv", vac),
    col("Reason", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.", pv_reason),
    AGE,
    wide("VolumeMode", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.", volume_mode),
];

fn pv_capacity(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(quantity(o, "/spec/capacity/storage"))
}
fn pv_access(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(access_modes(o, "/spec/accessModes"))
}
fn pv_reclaim(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/spec/persistentVolumeReclaimPolicy"))
}
fn pv_status(o: &Value, _: DateTime<Utc>) -> Value {
    phase_or_terminating(o)
}
fn pv_claim(o: &Value, _: DateTime<Utc>) -> Value {
    match o.pointer("/spec/claimRef").filter(|c| c.is_object()) {
        Some(c) => Value::from(format!("{}/{}", s(c, "/namespace"), s(c, "/name"))),
        None => Value::from(""),
    }
}
fn pv_reason(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/status/reason"))
}
