//! ServiceAccount: its row and kubectl's columns (`printServiceAccount`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["sa"],
    columns: COLUMNS,
    ..ResourceType::namespaced("", "ServiceAccount", "serviceaccounts", "serviceaccount")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", sa_secrets),
    AGE,
];

fn sa_secrets(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(arr(o, "/secrets").len() as i64)
}
