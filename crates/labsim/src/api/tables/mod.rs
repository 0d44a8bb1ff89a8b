//! Server-side printing: `meta.k8s.io/v1` `Table` objects with kube-apiserver's columns per kind
//! (each kind's columns and row conditions are in its row: `resources/kinds/<plural>.rs`).
//!
//! Like the real apiserver's `TableConvertor`, every row carries all columns (wide ones too);
//! kubectl hides `priority > 0` columns unless `-o wide`. Rows carry what the request's
//! `includeObject` asks for ([`IncludeObject`]): by default `PartialObjectMetadata`, which feeds
//! NAMESPACE (`-A`) and `--show-labels`; the whole object for `kubectl get --sort-by`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::resources::{Column, ResourceType};

pub use crate::resources::human_duration;

/// What a Table row's `object` holds, from the request's `includeObject` parameter (the
/// apiserver's `metav1.IncludeObjectPolicy`, applied in
/// staging/src/k8s.io/apiserver/pkg/endpoints/handlers/response.go `asTable`): `None` leaves it
/// out, `Metadata` (the default) is `PartialObjectMetadata`, `Object` the whole object —
/// what `kubectl get --sort-by=...` asks for, since it sorts on the objects' fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    /// The policy of `includeObject=...` (absent or unknown: `Metadata`).
    pub fn from_query(v: Option<&str>) -> IncludeObject {
        match v {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// `table` with each row's `object` as `include` asks (`items` in the same order as the rows).
pub fn including(mut table: Value, items: &[Value], include: IncludeObject) -> Value {
    if let Some(rows) = table["rows"].as_array_mut() {
        for (row, item) in rows.iter_mut().zip(items) {
            match include {
                IncludeObject::Metadata => {}
                IncludeObject::None => {
                    if let Some(r) = row.as_object_mut() {
                        r.remove("object");
                    }
                }
                IncludeObject::Object => row["object"] = item.clone(),
            }
        }
    }
    table
}

/// A `meta.k8s.io/v1` Table of `items`. `with_columns` is false for watch events after the first.
/// Rows carry `PartialObjectMetadata` objects (kubectl's default `includeObject=Metadata`).
pub fn table(
    rt: &ResourceType,
    items: &[Value],
    resource_version: u64,
    with_columns: bool,
) -> Value {
    table_at(rt, items, resource_version, with_columns, Utc::now())
}

/// [`table`] with the clock injected, so ages are deterministic in tests.
pub(crate) fn table_at(
    rt: &ResourceType,
    items: &[Value],
    resource_version: u64,
    with_columns: bool,
    now: DateTime<Utc>,
) -> Value {
    let cols = rt.columns;
    // The apiserver's `NoHeaders` leaves the Go slice nil, which encodes as `null`.
    let definitions = if with_columns {
        Value::Array(cols.iter().map(Column::definition).collect())
    } else {
        Value::Null
    };
    let rows: Vec<Value> = items.iter().map(|item| row(rt, cols, item, now)).collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version.to_string()},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

fn row(rt: &ResourceType, cols: &[Column], item: &Value, now: DateTime<Utc>) -> Value {
    let cells: Vec<Value> = cols.iter().map(|c| (c.cell)(item, now)).collect();
    let metadata = item.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let mut row = json!({
        "cells": cells,
        "object": {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": metadata,
        },
    });
    if let Some(conditions) = (rt.row_conditions)(item) {
        row["conditions"] = conditions;
    }
    row
}

#[cfg(test)]
mod golden;
