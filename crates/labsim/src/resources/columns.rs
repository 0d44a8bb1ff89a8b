//! The vocabulary of kubectl's columns (`pkg/printers/internalversion/printers.go`): a
//! `Column` is a `TableColumnDefinition` plus the function filling its cells; the NAME and AGE
//! columns every kind starts and ends with; accessors and cells more than one kind shares; the
//! default columns of kinds without a printer. A kind's own columns sit in its file in `kinds/`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::age::age_of;
use super::quantity::canonicalize;

/// Computes one cell of `obj` at `now`.
pub type CellFn = fn(&Value, DateTime<Utc>) -> Value;

/// One `TableColumnDefinition` plus the function filling its cells.
#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    /// `string`, `integer`, `boolean`, `date`.
    pub ty: &'static str,
    /// `name` for the NAME column, empty otherwise.
    pub format: &'static str,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: u8,
    pub description: &'static str,
    pub cell: CellFn,
}

impl Column {
    /// The column as it appears in `columnDefinitions`.
    pub fn definition(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.ty,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}

pub const fn col(name: &'static str, description: &'static str, cell: CellFn) -> Column {
    Column {
        name,
        ty: "string",
        format: "",
        priority: 0,
        description,
        cell,
    }
}

pub const fn wide(name: &'static str, description: &'static str, cell: CellFn) -> Column {
    Column {
        name,
        ty: "string",
        format: "",
        priority: 1,
        description,
        cell,
    }
}

/// `ObjectMeta.name`'s swagger doc, the description of every NAME column.
pub const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

/// `ObjectMeta.creationTimestamp`'s swagger doc, the description of every AGE column.
pub const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

pub const NAME: Column = Column {
    name: "Name",
    ty: "string",
    format: "name",
    priority: 0,
    description: NAME_DOC,
    cell: name_cell,
};

pub const AGE: Column = col("Age", AGE_DOC, age_cell);

pub fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

pub fn arr<'a>(v: &'a Value, ptr: &str) -> &'a [Value] {
    v.pointer(ptr)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub fn map_len(v: &Value, ptr: &str) -> usize {
    v.pointer(ptr)
        .and_then(Value::as_object)
        .map_or(0, |m| m.len())
}

pub fn or(value: &str, fallback: &str) -> Value {
    Value::from(if value.is_empty() { fallback } else { value })
}

pub fn deleting(obj: &Value) -> bool {
    obj.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// `labels.FormatLabels`: sorted `k=v` joined by commas, `<none>` when empty.
pub fn format_labels(v: &Value, ptr: &str) -> Value {
    let mut pairs: Vec<String> = v
        .pointer(ptr)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    or(&pairs.join(","), "<none>")
}

/// `helper.GetAccessModesAsString`: always ordered RWO,ROX,RWX,RWOP.
pub fn access_modes(v: &Value, ptr: &str) -> String {
    let modes: Vec<&str> = arr(v, ptr).iter().filter_map(Value::as_str).collect();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(m, _)| modes.contains(m))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// `Quantity.String()` of a resource list entry; the zero quantity prints `0`.
pub fn quantity(v: &Value, ptr: &str) -> String {
    match v.pointer(ptr) {
        Some(Value::String(q)) => canonicalize(q),
        Some(Value::Number(n)) => canonicalize(&n.to_string()),
        _ => "0".to_string(),
    }
}

pub fn name_cell(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/metadata/name"))
}

pub fn age_cell(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(age_of(o, now))
}

pub const BETA_CLASS_ANNOTATION: &str =
    "/metadata/annotations/volume.beta.kubernetes.io~1storage-class";

pub fn volume_mode(o: &Value, _: DateTime<Utc>) -> Value {
    or(s(o, "/spec/volumeMode"), "<unset>")
}

pub fn vac(o: &Value, _: DateTime<Utc>) -> Value {
    match o
        .pointer("/spec/volumeAttributesClassName")
        .and_then(Value::as_str)
    {
        Some(name) => Value::from(name),
        None => Value::from("<unset>"),
    }
}

pub fn phase_or_terminating(o: &Value) -> Value {
    if deleting(o) {
        Value::from("Terminating")
    } else {
        Value::from(s(o, "/status/phase"))
    }
}

/// `GetPersistentVolumeClass` / `GetPersistentVolumeClaimClass`: the beta annotation first.
pub fn storage_class(o: &Value, _: DateTime<Utc>) -> Value {
    match o.pointer(BETA_CLASS_ANNOTATION).and_then(Value::as_str) {
        Some(class) => Value::from(class),
        None => Value::from(s(o, "/spec/storageClassName")),
    }
}

/// Kinds without a printer get the apiserver's default convertor: NAME and CREATED AT.
pub fn created_at(o: &Value, _: DateTime<Utc>) -> Value {
    o.pointer("/metadata/creationTimestamp")
        .cloned()
        .unwrap_or(Value::Null)
}

pub const DEFAULT: &[Column] = &[
    NAME,
    Column {
        name: "Created At",
        ty: "date",
        format: "",
        priority: 0,
        description: AGE_DOC,
        cell: created_at,
    },
];

/// Rows of most kinds carry no conditions.
pub fn no_conditions(_: &Value) -> Option<Value> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_one_name_column_and_sane_types() {
        let tables = crate::resources::RESOURCES
            .iter()
            .map(|r| (r.kind, r.columns));
        for (kind, cols) in tables.chain([("default", DEFAULT)]) {
            assert_eq!(
                cols.iter().filter(|c| c.format == "name").count(),
                1,
                "{kind}"
            );
            for c in cols {
                assert!(
                    ["string", "integer", "boolean", "date"].contains(&c.ty),
                    "{kind}"
                );
                assert!(c.priority <= 1 && !c.description.is_empty(), "{kind}");
            }
        }
    }

    #[test]
    fn access_modes_are_ordered_and_deduplicated() {
        let v =
            json!({"m": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce", "ReadWriteOncePod"]});
        assert_eq!(access_modes(&v, "/m"), "RWO,RWX,RWOP");
        assert_eq!(access_modes(&json!({}), "/m"), "");
    }
}
