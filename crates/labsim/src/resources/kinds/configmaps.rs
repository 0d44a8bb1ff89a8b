//! ConfigMap: its row and kubectl's columns (`printConfigMap`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["cm"],
    columns: COLUMNS,
    ..ResourceType::namespaced("", "ConfigMap", "configmaps", "configmap")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Data", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'.", cm_data),
    AGE,
];

fn cm_data(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from((map_len(o, "/data") + map_len(o, "/binaryData")) as i64)
}
