//! OpenAPI v3, as much as `kubectl apply` needs with its default strict validation.
//!
//! kubectl checks that the PATCH operation of the object's group-version-kind takes a
//! `fieldValidation` query parameter (`cli-runtime/pkg/resource/query_param_verifier_v3.go`) and
//! then leaves validation to the server. For strategic-merge patch metadata it looks for a schema
//! carrying the kind's `x-kubernetes-group-version-kind`; finding none it falls back to the types
//! compiled into kubectl, which know every merge key. So the documents describe operations
//! fully but carry no per-kind schemas: a partial schema would make kubectl merge lists wrongly.

use serde_json::{json, Map, Value};

use crate::resources::{ResourceType, GROUPS, RESOURCES};

/// `api/v1`, `apis/apps/v1`, ...: the keys of `/openapi/v3`.
/// Groups of reviews only (`authorization.k8s.io`) are left out: nothing there is applied.
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut gvs = vec![("", "v1")];
    gvs.extend(GROUPS.iter().copied().filter(|(g, v)| {
        RESOURCES
            .iter()
            .any(|r| r.group == *g && r.version == *v && !r.is_review())
    }));
    gvs
}

fn doc_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `GET /openapi/v3`: where each group-version document lives.
pub fn root() -> Value {
    let mut paths = Map::new();
    for (g, v) in group_versions() {
        let key = doc_key(g, v);
        let hash = hash(&document(g, v).expect("served group").to_string());
        paths.insert(
            key.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={hash}")}),
        );
    }
    json!({"paths": paths})
}

/// `GET /openapi/v3/<key>` for `key` like `api/v1` or `apis/apps/v1`.
pub fn document_for(key: &str) -> Option<Value> {
    let key = key.trim_matches('/');
    group_versions()
        .into_iter()
        .find(|(g, v)| doc_key(g, v) == key)
        .and_then(|(g, v)| document(g, v))
}

fn query_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": "string", "uniqueItems": true}})
}

fn patch_operation(rt: &ResourceType, gvk: Value, id: &str) -> Value {
    json!({
        "operationId": id,
        "description": format!("partially update the specified {}", rt.kind),
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": gvk,
        "parameters": [
            query_param("dryRun", "When present, indicates that modifications should not be persisted."),
            query_param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
            query_param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict."),
            {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}},
        ],
        "requestBody": {"content": {
            "application/apply-patch+yaml": {"schema": {"type": "object"}},
            "application/json-patch+json": {"schema": {"type": "object"}},
            "application/merge-patch+json": {"schema": {"type": "object"}},
            "application/strategic-merge-patch+json": {"schema": {"type": "object"}},
        }, "required": true},
        "responses": {"200": {"description": "OK"}, "201": {"description": "Created"}, "401": {"description": "Unauthorized"}},
    })
}

fn simple_operation(rt: &ResourceType, action: &str, gvk: &Value, id: &str) -> Value {
    json!({
        "operationId": id,
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
        "parameters": [query_param("dryRun", "When present, indicates that modifications should not be persisted."), query_param("fieldManager", "fieldManager names the actor making these changes."), query_param("fieldValidation", "Ignore, Warn or Strict.")],
        "responses": {"200": {"description": format!("{} {}", action, rt.kind)}},
    })
}

/// One group-version document: object, collection and subresource paths of every kind.
fn document(group: &str, version: &str) -> Option<Value> {
    let mut paths = Map::new();
    let prefix = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    let kinds: Vec<&ResourceType> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version && !r.is_review())
        .collect();
    if kinds.is_empty() {
        return None;
    }
    for rt in kinds {
        let collection = if rt.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}", rt.plural)
        } else {
            format!("{prefix}/{}", rt.plural)
        };
        let gvk = json!({"group": rt.group, "version": rt.version, "kind": rt.kind});
        let id = format!("{}{}", rt.plural, version);
        paths.insert(
            collection.clone(),
            json!({
                "get": simple_operation(rt, "list", &gvk, &format!("list{id}")),
                "post": simple_operation(rt, "post", &gvk, &format!("create{id}")),
            }),
        );
        paths.insert(
            format!("{collection}/{{name}}"),
            json!({
                "get": simple_operation(rt, "get", &gvk, &format!("read{id}")),
                "put": simple_operation(rt, "put", &gvk, &format!("replace{id}")),
                "patch": patch_operation(rt, gvk.clone(), &format!("patch{id}")),
                "delete": simple_operation(rt, "delete", &gvk, &format!("delete{id}")),
            }),
        );
        for sub in rt.subresources {
            let (g, v, kind, verbs) = super::discovery::subresource_kind(rt, sub);
            if !verbs.contains(&"patch") {
                continue;
            }
            let sgvk = json!({"group": g, "version": v, "kind": kind});
            paths.insert(
                format!("{collection}/{{name}}/{sub}"),
                json!({
                    "get": simple_operation(rt, "get", &sgvk, &format!("read{id}{sub}")),
                    "put": simple_operation(rt, "put", &sgvk, &format!("replace{id}{sub}")),
                    "patch": patch_operation(rt, sgvk.clone(), &format!("patch{id}{sub}")),
                }),
            );
        }
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": crate::objects::version::KUBERNETES},
        "paths": paths,
        // Non-empty so kubectl does not warn; no kind schemas on purpose (see the module doc).
        "components": {"schemas": {
            "io.k8s.apimachinery.pkg.apis.meta.v1.Status": {
                "description": "Status is a return value for calls that don't return other objects.",
                "type": "object",
            }
        }},
    }))
}

/// A short stable content hash (FNV-1a, 64 bit) for the `hash` query of document URLs.
fn hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What kubectl's QueryParamVerifierV3 does: some PATCH operation with this GVK takes
    /// `fieldValidation` as a query parameter.
    fn supports_field_validation(doc: &Value, group: &str, version: &str, kind: &str) -> bool {
        doc["paths"].as_object().unwrap().values().any(|p| {
            let op = &p["patch"];
            op["x-kubernetes-group-version-kind"]
                == json!({"group": group, "version": version, "kind": kind})
                && op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|q| q["name"] == "fieldValidation" && q["in"] == "query")
        })
    }

    #[test]
    fn every_kind_supports_field_validation() {
        let root = root();
        for rt in RESOURCES.iter().filter(|r| !r.is_review()) {
            let key = doc_key(rt.group, rt.version);
            let url = root["paths"][&key]["serverRelativeURL"].as_str().unwrap();
            assert!(url.starts_with(&format!("/openapi/v3/{key}?hash=")));
            let doc = document_for(&key).unwrap();
            assert!(
                supports_field_validation(&doc, rt.group, rt.version, rt.kind),
                "{}",
                rt.kind
            );
        }
        let apps = document_for("apis/apps/v1").unwrap();
        assert!(supports_field_validation(
            &apps,
            "autoscaling",
            "v1",
            "Scale"
        ));
        assert!(apps["paths"]
            .get("/apis/apps/v1/namespaces/{namespace}/statefulsets/{name}")
            .is_some());
        assert!(document_for("apis/batch/v1").is_none());
    }
}
