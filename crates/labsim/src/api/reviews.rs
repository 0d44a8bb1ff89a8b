//! `authorization.k8s.io/v1` reviews, what `kubectl auth can-i` asks: `SelfSubjectAccessReview`
//! (may I do this?) and `SelfSubjectRulesReview` (what may I do here?). They are answered, not
//! stored. labsim has one user, the lab's admin (minikube's `system:masters`), who may do
//! everything, so access is always allowed and the rules are cluster-admin's plus the discovery
//! rules every authenticated user has.

use serde_json::{json, Value};

use crate::api_error::{ApiError, Cause};
use crate::resources::ResourceType;

/// Answers a review `POST`ed as `body` (already parsed). Errors: 422 for an invalid spec.
pub fn answer(rt: &ResourceType, mut body: Value) -> Result<Value, ApiError> {
    if !body["spec"].is_object() {
        body["spec"] = json!({});
    }
    let status = match rt.kind {
        "SelfSubjectAccessReview" => access(rt, &body["spec"])?,
        _ => rules(),
    };
    body["apiVersion"] = json!(rt.api_version());
    body["kind"] = json!(rt.kind);
    if !body["metadata"].is_object() {
        body["metadata"] = json!({});
    }
    body["metadata"]["creationTimestamp"] = Value::Null;
    body["status"] = status;
    Ok(body)
}

/// `SelfSubjectAccessReview`: exactly one of resource or non-resource attributes.
fn access(rt: &ResourceType, spec: &Value) -> Result<Value, ApiError> {
    let resource = spec["resourceAttributes"].is_object();
    let non_resource = spec["nonResourceAttributes"].is_object();
    if resource == non_resource {
        let given = json!({
            "resourceAttributes": spec["resourceAttributes"],
            "nonResourceAttributes": spec["nonResourceAttributes"],
        });
        return Err(ApiError::invalid(
            rt,
            "",
            vec![Cause {
                reason: "FieldValueInvalid".into(),
                message: format!(
                    "Invalid value: {given}: exactly one of nonResourceAttributes or resourceAttributes must be specified"
                ),
                field: "spec.resourceAttributes".into(),
            }],
        ));
    }
    Ok(json!({"allowed": true}))
}

/// `SelfSubjectRulesReview`: everything, plus the rules kube-apiserver's bootstrap roles
/// (`system:basic-user`, `system:discovery`, `system:public-info-viewer`) list for any user.
fn rules() -> Value {
    let discovery: Vec<&str> = vec![
        "/api",
        "/api/*",
        "/apis",
        "/apis/*",
        "/healthz",
        "/livez",
        "/openapi",
        "/openapi/*",
        "/readyz",
        "/version",
        "/version/",
    ];
    json!({
        "resourceRules": [
            {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
            {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
             "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
        ],
        "nonResourceRules": [
            {"verbs": ["*"], "nonResourceURLs": ["*"]},
            {"verbs": ["get"], "nonResourceURLs": discovery},
        ],
        "incomplete": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::get;

    #[test]
    fn access_is_allowed_and_the_spec_echoed() {
        let rt = get("SelfSubjectAccessReview");
        let asked = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"namespace": "default", "verb": "create", "resource": "pods"}}});
        let a = answer(rt, asked.clone()).unwrap();
        assert_eq!(a["status"]["allowed"], true);
        assert_eq!(a["spec"], asked["spec"]);
        assert!(a["metadata"]["creationTimestamp"].is_null());
        let none = answer(rt, json!({"spec": {}})).unwrap_err();
        assert_eq!(none.code, 422);
        let both = json!({"spec": {"resourceAttributes": {}, "nonResourceAttributes": {}}});
        assert_eq!(answer(rt, both).unwrap_err().code, 422);
    }

    #[test]
    fn rules_grant_everything() {
        let rt = get("SelfSubjectRulesReview");
        let a = answer(rt, json!({"spec": {"namespace": "default"}})).unwrap();
        assert_eq!(a["kind"], "SelfSubjectRulesReview");
        assert_eq!(a["status"]["resourceRules"][0]["verbs"], json!(["*"]));
        assert_eq!(a["status"]["incomplete"], false);
    }
}
