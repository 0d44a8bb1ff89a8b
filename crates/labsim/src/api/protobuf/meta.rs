//! `metav1` types shared by every kind: `ObjectMeta` (with its owner references), `Time`,
//! `LabelSelector` and `intstr.IntOrString`, as Go's JSON writes them
//! (k8s.io/apimachinery `pkg/apis/meta/v1/types.go`, `pkg/util/intstr/intstr.go`).

use chrono::{DateTime, SecondsFormat};
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as pb;
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::json::Obj;

/// `metadata`. A Go client always writes it (a non-pointer struct), with `creationTimestamp:
/// null` when unset. `managedFields` is not carried (no typed client in kubectl sends it).
pub fn object_meta(m: Option<pb::ObjectMeta>) -> Value {
    let m = m.unwrap_or_default();
    Obj::new()
        .str("name", m.name)
        .str("generateName", m.generate_name)
        .str("namespace", m.namespace)
        .str("selfLink", m.self_link)
        .str("uid", m.uid)
        .str("resourceVersion", m.resource_version)
        .int("generation", m.generation)
        .set("creationTimestamp", time(m.creation_timestamp))
        .ptr("deletionTimestamp", m.deletion_timestamp, |t| time(Some(t)))
        .int_ptr(
            "deletionGracePeriodSeconds",
            m.deletion_grace_period_seconds,
        )
        .str_map("labels", m.labels)
        .str_map("annotations", m.annotations)
        .list("ownerReferences", m.owner_references, owner_reference)
        .strs("finalizers", m.finalizers)
        .done()
}

fn owner_reference(r: pb::OwnerReference) -> Value {
    Obj::new()
        .str_always("apiVersion", r.api_version)
        .str_always("kind", r.kind)
        .str_always("name", r.name)
        .str_always("uid", r.uid)
        .bool_ptr("controller", r.controller)
        .bool_ptr("blockOwnerDeletion", r.block_owner_deletion)
        .done()
}

/// `metav1.Time`: RFC 3339 in UTC to the second, `null` when zero. Upstream's `Time.Marshal`
/// writes a zero time as an empty message and `Unmarshal` drops the nanoseconds
/// (`pkg/apis/meta/v1/time_proto.go`).
pub fn time(t: Option<pb::Time>) -> Value {
    /// Go's zero `time.Time` in Unix seconds.
    const GO_ZERO: i64 = -62_135_596_800;
    let t = t.unwrap_or_default();
    let secs = t.seconds.unwrap_or(0);
    if secs == GO_ZERO || (secs == 0 && t.nanos.unwrap_or(0) == 0) {
        return Value::Null;
    }
    DateTime::from_timestamp(secs, 0)
        .map(|d| Value::String(d.to_rfc3339_opts(SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

/// `metav1.LabelSelector`.
pub fn label_selector(s: pb::LabelSelector) -> Value {
    Obj::new()
        .str_map("matchLabels", s.match_labels)
        .list("matchExpressions", s.match_expressions, |r| {
            Obj::new()
                .str_always("key", r.key)
                .str_always("operator", r.operator)
                .strs("values", r.values)
                .done()
        })
        .done()
}

/// `intstr.IntOrString`: its `MarshalJSON` writes the int or the string (type 1).
pub fn int_or_string(v: Option<IntOrString>) -> Value {
    let v = v.unwrap_or_default();
    if v.r#type == Some(1) {
        Value::String(v.str_val.unwrap_or_default())
    } else {
        Value::from(v.int_val.unwrap_or(0))
    }
}

/// `resource.Quantity`: the canonical string its `Marshal` wrote ("0" for a zero quantity).
pub fn quantity(q: Quantity) -> Value {
    match q.string {
        Some(s) if !s.is_empty() => Value::String(s),
        _ => Value::String("0".into()),
    }
}
