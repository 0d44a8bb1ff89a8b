//! StorageClass: its row and kubectl's columns (`printStorageClass`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["sc"],
    columns: COLUMNS,
    ..ResourceType::cluster(
        "storage.k8s.io",
        "StorageClass",
        "storageclasses",
        "storageclass",
    )
};

const COLUMNS: &[Column] = &[
    Column {
        cell: sc_name,
        ..NAME
    },
    col("Provisioner", "provisioner indicates the type of the provisioner.", sc_provisioner),
    col("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.", sc_reclaim),
    col("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used.", sc_binding),
    col("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand.", sc_expansion),
    AGE,
];

fn sc_name(o: &Value, _: DateTime<Utc>) -> Value {
    // storageutil.IsDefaultAnnotation: the GA or the beta annotation set to "true".
    let is_default = [
        "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
        "/metadata/annotations/storageclass.beta.kubernetes.io~1is-default-class",
    ]
    .iter()
    .any(|p| o.pointer(p).and_then(Value::as_str) == Some("true"));
    let name = s(o, "/metadata/name");
    Value::from(if is_default {
        format!("{name} (default)")
    } else {
        name.to_string()
    })
}
fn sc_provisioner(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/provisioner"))
}
fn sc_reclaim(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/reclaimPolicy"), "Delete")
}
fn sc_binding(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/volumeBindingMode"), "Immediate")
}
fn sc_expansion(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(
        o.get("allowVolumeExpansion")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    )
}
