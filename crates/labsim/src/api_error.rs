//! Kubernetes `Status` errors: the one error type the store and the API share.

use serde_json::{json, Value};

use crate::resources::ResourceType;

/// The protobuf media type (`runtime.ContentTypeProtobuf`); here, below the API layer, because
/// the 415 text names it (`api::protobuf::MEDIA_TYPE` is this).
pub const PROTOBUF_MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// One field-level cause of a 422 Invalid (`details.causes[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// e.g. `FieldValueInvalid`, `FieldValueRequired`.
    pub reason: String,
    pub message: String,
    /// e.g. `metadata.name`.
    pub field: String,
}

/// An API failure, rendered as a `Status` body with the matching HTTP code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    pub code: u16,
    /// `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, `BadRequest`, `Unauthorized`, `Gone`,
    /// `MethodNotAllowed`, `UnsupportedMediaType`, `InternalError`, `RequestEntityTooLarge`.
    pub reason: &'static str,
    pub message: String,
    /// `details.kind` (the resource's plural in real servers, e.g. `pods`).
    pub kind: Option<String>,
    pub group: Option<String>,
    pub name: Option<String>,
    pub causes: Vec<Cause>,
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            kind: None,
            group: None,
            name: None,
            causes: Vec::new(),
        }
    }

    fn about(mut self, rt: &ResourceType, name: &str) -> Self {
        self.kind = Some(rt.plural.to_string());
        self.group = Some(rt.group.to_string());
        self.name = Some(name.to_string());
        self
    }

    /// 404 `pods "mysql-9" not found`.
    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{}\" not found", qualified(rt), name),
        )
        .about(rt, name)
    }

    /// 409 `pods "mysql-0" already exists`.
    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{}\" already exists", qualified(rt), name),
        )
        .about(rt, name)
    }

    /// 409 optimistic-concurrency conflict.
    pub fn conflict(rt: &ResourceType, name: &str, why: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{}\": {}",
                qualified(rt),
                name,
                why
            ),
        )
        .about(rt, name)
    }

    /// 422 with field causes.
    pub fn invalid(rt: &ResourceType, name: &str, causes: Vec<Cause>) -> Self {
        let detail = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect::<Vec<_>>()
            .join(", ");
        let mut e = Self::new(
            422,
            "Invalid",
            format!("{} \"{}\" is invalid: {}", rt.kind, name, detail),
        )
        .about(rt, name);
        e.kind = Some(rt.kind.to_string());
        e.causes = causes;
        e
    }

    /// 422: an object without `metadata.name` (and no `generateName`).
    pub fn name_required(rt: &ResourceType) -> Self {
        let cause = Cause {
            reason: "FieldValueRequired".into(),
            message: "Required value: name or generateName is required".into(),
            field: "metadata.name".into(),
        };
        ApiError::invalid(rt, "", vec![cause])
    }

    /// 400 malformed request or body.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 410: the requested resourceVersion is older than the watch history.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(415, "UnsupportedMediaType", format!("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/apply-patch+yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got {content_type:?})"))
    }

    /// 415 for a create/update body in a media type the kind does not take, in the apiserver's
    /// words (k8s.io/apiserver `pkg/endpoints/handlers/negotiation/errors.go`): JSON and YAML, and
    /// protobuf for the kinds labsim decodes it for.
    pub fn unsupported_body_media_type(protobuf: bool) -> Self {
        let mut accepted = vec!["application/json", "application/yaml"];
        if protobuf {
            accepted.push(PROTOBUF_MEDIA_TYPE);
        }
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
    }

    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("request body too large (limit {limit} bytes)"),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    /// 404 for a path or resource type that does not exist.
    pub fn no_such_path(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    /// The `Status` object as JSON.
    pub fn to_status(&self) -> Value {
        let mut details = serde_json::Map::new();
        if let Some(n) = &self.name {
            details.insert("name".into(), json!(n));
        }
        if let Some(g) = &self.group {
            if !g.is_empty() {
                details.insert("group".into(), json!(g));
            }
        }
        if let Some(k) = &self.kind {
            details.insert("kind".into(), json!(k));
        }
        if !self.causes.is_empty() {
            details.insert(
                "causes".into(),
                Value::Array(
                    self.causes
                        .iter()
                        .map(
                            |c| json!({"reason": c.reason, "message": c.message, "field": c.field}),
                        )
                        .collect(),
                ),
            );
        }
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }
}

fn qualified(rt: &ResourceType) -> String {
    if rt.group.is_empty() {
        rt.plural.to_string()
    } else {
        format!("{}.{}", rt.plural, rt.group)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::get;

    #[test]
    fn not_found_matches_kube_apiserver_wording() {
        let s = ApiError::not_found(get("Pod"), "mysql-9").to_status();
        assert_eq!(s["message"], "pods \"mysql-9\" not found");
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"]["kind"], "pods");
        let s = ApiError::already_exists(get("StatefulSet"), "mysql").to_status();
        assert_eq!(s["message"], "statefulsets.apps \"mysql\" already exists");
        assert_eq!(s["details"]["group"], "apps");
    }

    #[test]
    fn invalid_lists_causes() {
        let e = ApiError::invalid(
            get("Pod"),
            "Bad_Name",
            vec![Cause {
                reason: "FieldValueInvalid".into(),
                message: "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain".into(),
                field: "metadata.name".into(),
            }],
        );
        let s = e.to_status();
        assert_eq!(s["code"], 422);
        assert_eq!(s["details"]["causes"][0]["field"], "metadata.name");
        assert!(s["message"]
            .as_str()
            .unwrap()
            .starts_with("Pod \"Bad_Name\" is invalid: metadata.name"));
    }
}
