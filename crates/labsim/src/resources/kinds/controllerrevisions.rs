//! ControllerRevision: its row and kubectl's columns (`printControllerRevision`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    columns: COLUMNS,
    ..ResourceType::namespaced(
        "apps",
        "ControllerRevision",
        "controllerrevisions",
        "controllerrevision",
    )
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Controller", "Controller of the object", cr_controller),
    col(
        "Revision",
        "Revision indicates the revision of the state represented by Data.",
        cr_revision,
    ),
    AGE,
];

fn cr_controller(o: &Value, _: DateTime<Utc>) -> Value {
    let Some(owner) = arr(o, "/metadata/ownerReferences")
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
    else {
        return Value::from("<none>");
    };
    // formatResourceName(GroupKind, name): `statefulset.apps/mysql`.
    let group = s(owner, "/apiVersion")
        .rsplit_once('/')
        .map(|(g, _)| g)
        .unwrap_or("");
    let kind = s(owner, "/kind");
    let name = s(owner, "/name");
    if kind.is_empty() && group.is_empty() {
        return Value::from(name);
    }
    let gk = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    Value::from(format!("{}/{name}", gk.to_lowercase()))
}
fn cr_revision(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(o.get("revision").and_then(Value::as_i64).unwrap_or(0))
}
