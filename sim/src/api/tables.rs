//! Server-side printing: `Table` objects with kubectl's columns for every kind. (Stub.)

use serde_json::{json, Value};

use crate::resources::ResourceType;

/// A `meta.k8s.io/v1` Table of `items`. `with_columns` is false for watch events after the first.
/// Rows carry `PartialObjectMetadata` objects (kubectl's default `includeObject=Metadata`).
pub fn table(
    _rt: &ResourceType,
    items: &[Value],
    resource_version: u64,
    with_columns: bool,
) -> Value {
    let _ = (items, with_columns);
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version.to_string()}, "columnDefinitions": [], "rows": []})
}
