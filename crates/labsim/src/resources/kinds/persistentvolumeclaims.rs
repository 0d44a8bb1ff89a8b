//! PersistentVolumeClaim: its row, kubectl's columns (`printPersistentVolumeClaim`) and the API
//! server's defaults.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::resources::columns::*;
use crate::resources::defaulting::{obj_mut, set, Defaulting};
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns, defaults.
pub const ROW: ResourceType = ResourceType {
    short_names: &["pvc"],
    subresources: &["status"],
    generation: true,
    columns: COLUMNS,
    defaults: Some(defaults),
    ..ResourceType::namespaced(
        "",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
    )
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Status", "phase represents the current phase of PersistentVolumeClaim.", pvc_status),
    col("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim.", pvc_volume),
    col("Capacity", "capacity represents the actual resources of the underlying volume.", pvc_capacity),
    col("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has.", pvc_access),
    col("StorageClass", "StorageClass of the pvc", storage_class),
    col("VolumeAttributesClass", "VolumeAttributesClass of the pvc", vac),
    AGE,
    wide("VolumeMode", "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.", volume_mode),
];

fn bound(o: &Value) -> bool {
    !s(o, "/spec/volumeName").is_empty()
}
fn pvc_status(o: &Value, _: DateTime<Utc>) -> Value {
    phase_or_terminating(o)
}
fn pvc_volume(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/spec/volumeName"))
}
fn pvc_capacity(o: &Value, _: DateTime<Utc>) -> Value {
    // Capacity and access modes show only once the claim names its volume.
    if bound(o) {
        Value::from(quantity(o, "/status/capacity/storage"))
    } else {
        Value::from("")
    }
}
fn pvc_access(o: &Value, _: DateTime<Utc>) -> Value {
    if bound(o) {
        Value::from(access_modes(o, "/status/accessModes"))
    } else {
        Value::from("")
    }
}

/// `SetDefaults_PersistentVolumeClaim`: a new claim is `Pending`.
fn defaults(obj: &mut Value, d: &Defaulting) {
    if !obj["spec"].is_object() {
        return;
    }
    set(obj_mut(&mut obj["spec"]), "volumeMode", json!("Filesystem"));
    if d.live.is_none() {
        set(obj_mut(&mut obj["status"]), "phase", json!("Pending"));
    }
}
