//! Secret: its row and kubectl's columns (`printSecret`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    columns: COLUMNS,
    ..ResourceType::namespaced("", "Secret", "secrets", "secret")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Type", "Used to facilitate programmatic handling of secret data.", secret_type),
    col("Data", "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'.", secret_data),
    AGE,
];

fn secret_type(o: &Value, _: DateTime<Utc>) -> Value {
    // The apiserver defaults an unset type to Opaque.
    or(s(o, "/type"), "Opaque")
}
fn secret_data(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(map_len(o, "/data") as i64)
}
