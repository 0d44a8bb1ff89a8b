//! Update validation the API server applies beyond the schema, kind by kind. StatefulSet: only
//! `replicas`, `ordinals`, `template`, `updateStrategy`, `persistentVolumeClaimRetentionPolicy`
//! and `minReadySeconds` may change (pkg/apis/apps/validation/validation.go
//! `ValidateStatefulSetUpdate`); changing `volumeClaimTemplates`, `serviceName`, `selector` or
//! `podManagementPolicy` is a 422 `Forbidden`. At v1.31 `revisionHistoryLimit` is not in the
//! list: it became mutable later (kubernetes/kubernetes issue #130263, "Statefulset: cannot
//! update spec.revisionHistoryLimit", quotes this very text from a v1.31.4 API server; newer
//! servers add `'revisionHistoryLimit'`). labsim serves v1.33 and keeps the v1.31 text: no
//! 1.32/1.33 changelog entry makes the field mutable, but v1.33's validation.go could not be
//! read, so this is not verified (docs/version-1.33.md, 3.1).

use serde_json::Value;

use crate::api_error::{ApiError, Cause};
use crate::resources::ResourceType;

const STATEFULSET_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

/// Checks an update of `live` to `new` (both defaulted).
pub fn validate_update(rt: &ResourceType, new: &Value, live: &Value) -> Result<(), ApiError> {
    if rt.kind != "StatefulSet" {
        return Ok(());
    }
    let frozen = |spec: &Value| -> Value {
        let mut s = without_nulls(spec);
        if let Some(m) = s.as_object_mut() {
            for f in STATEFULSET_MUTABLE {
                m.remove(*f);
            }
        }
        s
    };
    if frozen(&new["spec"]) == frozen(&live["spec"]) {
        return Ok(());
    }
    let name = live["metadata"]["name"].as_str().unwrap_or("");
    let cause = Cause {
        reason: "FieldValueForbidden".into(),
        message: "Forbidden: updates to statefulset spec for fields other than 'replicas', \
                  'ordinals', 'template', 'updateStrategy', \
                  'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
            .into(),
        field: "spec".into(),
    };
    let mut e = ApiError::invalid(rt, name, vec![cause]);
    // The qualified kind, as errors.NewInvalid prints a GroupKind: `StatefulSet.apps`.
    let qualified = format!("{}.{}", rt.kind, rt.group);
    e.message = e.message.replacen(rt.kind, &qualified, 1);
    Err(e)
}

/// A copy without `null` members (absent and null are the same to Go's decoding).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(spec: Value) -> Value {
        json!({"metadata": {"name": "mysql"}, "spec": spec})
    }

    #[test]
    fn only_the_mutable_statefulset_fields_may_change() {
        let rt = crate::resources::get("StatefulSet");
        let live = set(
            json!({"replicas": 3, "serviceName": "mysql", "podManagementPolicy": "OrderedReady",
            "template": {"spec": {"containers": [{"name": "mysql", "image": "mysql:8.4"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}]}),
        );
        let mut ok = live.clone();
        ok["spec"]["replicas"] = json!(5);
        ok["spec"]["template"]["spec"]["containers"][0]["image"] = json!("mysql:8.0");
        ok["spec"]["minReadySeconds"] = json!(10);
        ok["spec"]["ordinals"] = Value::Null;
        assert!(validate_update(rt, &ok, &live).is_ok());
        for (field, value) in [
            (
                "volumeClaimTemplates",
                json!([{"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "2Gi"}}}}]),
            ),
            ("podManagementPolicy", json!("Parallel")),
            ("serviceName", json!("other")),
            // Immutable at v1.31 (kubernetes/kubernetes issue #130263, a v1.31.4 server); kept
            // for v1.33, not verified (docs/version-1.33.md, 3.1).
            ("revisionHistoryLimit", json!(5)),
        ] {
            let mut bad = live.clone();
            bad["spec"][field] = value;
            let e = validate_update(rt, &bad, &live).unwrap_err();
            assert_eq!(e.code, 422);
            // The API server's words at v1.31 (pkg/apis/apps/validation/validation.go
            // `ValidateStatefulSetUpdate`; the exact text of a v1.31.4 server is quoted in
            // kubernetes/kubernetes issue #130263: no 'revisionHistoryLimit' yet).
            assert_eq!(
                e.message,
                "StatefulSet.apps \"mysql\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
            );
            assert_eq!(e.to_status()["details"]["causes"][0]["field"], "spec");
        }
        // Other kinds are not checked here.
        assert!(validate_update(crate::resources::get("Pod"), &json!({}), &live).is_ok());
    }
}
