//! Server-side printing: `meta.k8s.io/v1` `Table` objects with kube-apiserver's columns per kind
//! (each kind's columns and row conditions are in its row: `resources/kinds/<plural>.rs`).
//!
//! Like the real apiserver's `TableConvertor`, every row carries all columns (wide ones too);
//! kubectl hides `priority > 0` columns unless `-o wide`. Rows carry `PartialObjectMetadata`
//! (kubectl's default `includeObject=Metadata`), which feeds NAMESPACE (`-A`) and `--show-labels`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::resources::{Column, ResourceType};

pub use crate::resources::human_duration;

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
