//! `authorization.k8s.io/v1` reviews `kubectl auth can-i` sends (k8s.io/api
//! `authorization/v1/generated.proto` and `types.go`): SelfSubjectAccessReview (`can-i VERB
//! RESOURCE`) and SelfSubjectRulesReview (`can-i --list`).

use k8s_pb::api::authorization::v1 as pb;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta_pb;
use serde_json::Value;

use super::json::Obj;
use super::meta::object_meta;

pub fn self_subject_access_review(m: pb::SelfSubjectAccessReview) -> Obj {
    let spec = m.spec.unwrap_or_default();
    let status = m.status.unwrap_or_default();
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .set(
            "spec",
            Obj::new()
                .ptr(
                    "resourceAttributes",
                    spec.resource_attributes,
                    resource_attributes,
                )
                .ptr("nonResourceAttributes", spec.non_resource_attributes, |a| {
                    Obj::new().str("path", a.path).str("verb", a.verb).done()
                })
                .done(),
        )
        .set(
            "status",
            Obj::new()
                .bool_always("allowed", status.allowed)
                .bool("denied", status.denied)
                .str("reason", status.reason)
                .str("evaluationError", status.evaluation_error)
                .done(),
        )
}

fn resource_attributes(a: pb::ResourceAttributes) -> Value {
    Obj::new()
        .str("namespace", a.namespace)
        .str("verb", a.verb)
        .str("group", a.group)
        .str("version", a.version)
        .str("resource", a.resource)
        .str("subresource", a.subresource)
        .str("name", a.name)
        .ptr("fieldSelector", a.field_selector, |s| {
            Obj::new()
                .str("rawSelector", s.raw_selector)
                .list("requirements", s.requirements, field_requirement)
                .done()
        })
        .ptr("labelSelector", a.label_selector, |s| {
            Obj::new()
                .str("rawSelector", s.raw_selector)
                .list("requirements", s.requirements, label_requirement)
                .done()
        })
        .done()
}

fn field_requirement(r: meta_pb::FieldSelectorRequirement) -> Value {
    Obj::new()
        .str_always("key", r.key)
        .str_always("operator", r.operator)
        .strs("values", r.values)
        .done()
}

fn label_requirement(r: meta_pb::LabelSelectorRequirement) -> Value {
    Obj::new()
        .str_always("key", r.key)
        .str_always("operator", r.operator)
        .strs("values", r.values)
        .done()
}

pub fn self_subject_rules_review(m: pb::SelfSubjectRulesReview) -> Obj {
    let spec = m.spec.unwrap_or_default();
    let status = m.status.unwrap_or_default();
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .set("spec", Obj::new().str("namespace", spec.namespace).done())
        // The rules a client could send are not carried (the answer replaces the status); the
        // nil slices without `omitempty` are `null`, as Go writes them.
        .set(
            "status",
            Obj::new()
                .set("resourceRules", Value::Null)
                .set("nonResourceRules", Value::Null)
                .bool_always("incomplete", status.incomplete)
                .str("evaluationError", status.evaluation_error)
                .done(),
        )
}
