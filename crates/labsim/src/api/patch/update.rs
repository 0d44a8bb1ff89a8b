//! Managed fields for writes that are not server-side apply (create, update, JSON, merge and
//! strategic merge patches): the apiserver records them as `operation: Update` entries, so that
//! `--show-managed-fields` looks real and a later apply conflicts with what others changed.

use serde_json::{json, Value};

use super::apply::{decode_managers, encode_managers, owned_view_for, Manager};
use super::fieldset::{self, FieldSet, Seg};
use crate::api_error::ApiError;
use crate::resources::ResourceType;

/// Records in `new`'s `metadata.managedFields` that `manager` wrote `new` over `old` (`None` on
/// create). The fields it added or changed become its own and leave other managers; fields that
/// disappeared leave everyone. `subresource` is `Some("status")` for a status write (then only
/// `status` is compared), `None` for the main resource (then `status` is not, for kinds with a
/// status subresource). Managed fields the client sent that differ from `old`'s are kept as the
/// starting point, as the apiserver lets clients overwrite them. An empty `manager` records
/// nothing.
pub fn record_update(
    rt: &ResourceType,
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    subresource: Option<&str>,
    now: &str,
) -> Result<(), ApiError> {
    if manager.is_empty() {
        return Ok(());
    }
    let sent = &new["metadata"]["managedFields"];
    let old_mf = old.map(|o| &o["metadata"]["managedFields"]);
    let mut managers = if !sent.is_null() && Some(sent) != old_mf {
        decode_managers(new)?
    } else {
        match old {
            Some(o) => decode_managers(o)?,
            None => Vec::new(),
        }
    };
    let view = |v: &Value| -> Value {
        match subresource {
            Some(sub) => json!({ sub: v.get(sub).cloned().unwrap_or(Value::Null) }),
            None => owned_view_for(rt.subresources.contains(&"status"), v),
        }
    };
    let new_view = view(new);
    let old_view = old.map(view);
    let new_set = fieldset::collect(rt.kind, &new_view);
    let old_set = old_view
        .as_ref()
        .map(|v| fieldset::collect(rt.kind, v))
        .unwrap_or_default();
    let changed: FieldSet = new_set
        .iter()
        .filter(|p| {
            !old_set.contains(*p)
                || (matches!(p.last(), Some(Seg::Field(_)))
                    && old_view.as_ref().and_then(|o| fieldset::get(o, p))
                        != fieldset::get(&new_view, p))
        })
        .cloned()
        .collect();
    let removed: Vec<&Vec<Seg>> = old_set.difference(&new_set).collect();
    let sub = subresource.unwrap_or("");
    let is_me =
        |m: &Manager| m.manager == manager && m.operation == "Update" && m.subresource == sub;
    for m in managers.iter_mut() {
        let before = m.set.len();
        for p in &removed {
            m.set.remove(*p);
        }
        if !is_me(m) {
            m.set.retain(|p| !changed.contains(p));
        }
        if m.set.len() != before {
            m.dirty = true;
        }
    }
    match managers.iter_mut().find(|m| is_me(m)) {
        Some(m) => {
            let before = m.set.len();
            m.set.extend(changed.iter().cloned());
            if m.set.len() != before || m.dirty {
                m.raw.insert("time".into(), json!(now));
                m.raw.insert("apiVersion".into(), json!(rt.api_version()));
                m.dirty = true;
            }
        }
        None if !changed.is_empty() => {
            let mut raw = json!({
                "manager": manager,
                "operation": "Update",
                "apiVersion": rt.api_version(),
                "time": now,
                "fieldsType": "FieldsV1",
            });
            if !sub.is_empty() {
                raw["subresource"] = json!(sub);
            }
            managers.push(Manager {
                raw: raw.as_object().cloned().unwrap_or_default(),
                manager: manager.to_string(),
                operation: "Update".into(),
                subresource: sub.to_string(),
                set: changed,
                dirty: true,
            });
        }
        None => {}
    }
    let entries = encode_managers(managers);
    if !new["metadata"].is_object() {
        new["metadata"] = json!({});
    }
    if let Some(meta) = new["metadata"].as_object_mut() {
        if entries.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(entries));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The managers of an object's managedFields, in order.
    fn managers(obj: &Value) -> Vec<&str> {
        let fields = obj["metadata"]["managedFields"].as_array().unwrap();
        fields
            .iter()
            .map(|m| m["manager"].as_str().unwrap())
            .collect()
    }
    use crate::api::patch::{apply::apply, strategic};
    use crate::resources::get;

    fn owned(v: &Value, manager: &str, op: &str) -> FieldSet {
        v["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["manager"] == manager && m["operation"] == op)
            .map(|e| fieldset::from_fields_v1(&e["fieldsV1"]).unwrap())
            .unwrap_or_default()
    }

    fn image_path() -> Vec<Seg> {
        ["spec", "template", "spec", "containers"]
            .iter()
            .map(|s| Seg::Field(s.to_string()))
            .chain([
                Seg::Key(r#"{"name":"mysql"}"#.into()),
                Seg::Field("image".into()),
            ])
            .collect()
    }

    const APPLIED: &str = r#"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql"},
        "spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"mysql","image":"mysql:8.0"}]}}}}"#;

    #[test]
    fn create_owns_everything_and_no_op_changes_nothing() {
        let rt = get("StatefulSet");
        let mut obj: Value = serde_json::from_str(APPLIED).unwrap();
        obj["status"] = json!({"replicas": 0});
        record_update(rt, None, &mut obj, "kubectl-client-side-apply", None, "t1").unwrap();
        let set = owned(&obj, "kubectl-client-side-apply", "Update");
        assert!(set.contains(&image_path()));
        assert!(!set.iter().any(|p| p[0] == Seg::Field("status".into())));
        assert_eq!(obj["metadata"]["managedFields"][0]["time"], "t1");
        let old = obj.clone();
        let mut same = obj.clone();
        record_update(
            rt,
            Some(&old),
            &mut same,
            "kubectl-client-side-apply",
            None,
            "t2",
        )
        .unwrap();
        assert_eq!(same, old);
        // Another writer changing nothing is not recorded.
        let mut same = obj.clone();
        record_update(rt, Some(&old), &mut same, "other", None, "t2").unwrap();
        assert_eq!(same, old);
        // An empty manager records nothing.
        let mut fresh: Value = serde_json::from_str(APPLIED).unwrap();
        record_update(rt, None, &mut fresh, "", None, "t").unwrap();
        assert!(fresh["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn status_writes_are_recorded_apart() {
        let rt = get("StatefulSet");
        let mut obj: Value = serde_json::from_str(APPLIED).unwrap();
        record_update(rt, None, &mut obj, "kubectl", None, "t1").unwrap();
        let old = obj.clone();
        obj["status"] = json!({"readyReplicas": 3});
        record_update(
            rt,
            Some(&old),
            &mut obj,
            "labsim-statefulset",
            Some("status"),
            "t2",
        )
        .unwrap();
        let e = &obj["metadata"]["managedFields"][1];
        assert_eq!(e["subresource"], "status");
        assert_eq!(e["fieldsV1"], json!({"f:status": {"f:readyReplicas": {}}}));
    }

    #[test]
    fn a_patch_takes_fields_from_an_applier_and_apply_then_conflicts() {
        let rt = get("StatefulSet");
        let live = apply(rt, None, APPLIED.as_bytes(), "kubelab", true, "t1").unwrap();
        let mut patched = strategic::apply(
            "StatefulSet",
            &live,
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "mysql", "image": "mysql:8.4"}]}},
                "replicas": null}}),
        )
        .unwrap();
        record_update(rt, Some(&live), &mut patched, "kubectl-edit", None, "t2").unwrap();
        assert!(owned(&patched, "kubectl-edit", "Update").contains(&image_path()));
        let kubelab = owned(&patched, "kubelab", "Apply");
        assert!(!kubelab.contains(&image_path()));
        assert!(
            !kubelab.contains(&vec![
                Seg::Field("spec".into()),
                Seg::Field("replicas".into())
            ]),
            "a removed field leaves every manager"
        );
        let err = apply(
            rt,
            Some(&patched),
            APPLIED.as_bytes(),
            "kubelab",
            false,
            "t3",
        )
        .unwrap_err();
        assert_eq!(err.code, 409);
        assert!(err.message.contains("\"kubectl-edit\""), "{}", err.message);
        let forced = apply(
            rt,
            Some(&patched),
            APPLIED.as_bytes(),
            "kubelab",
            true,
            "t3",
        )
        .unwrap();
        assert_eq!(
            forced["spec"]["template"]["spec"]["containers"][0]["image"],
            "mysql:8.0"
        );
        assert_eq!(forced["spec"]["replicas"], 3);
        // kubectl-edit owned only the image; it lost it, so its entry is gone.
        let names = managers(&forced);
        assert_eq!(names, ["kubelab"]);
    }

    #[test]
    fn client_sent_managed_fields_are_respected() {
        let rt = get("StatefulSet");
        let mut obj: Value = serde_json::from_str(APPLIED).unwrap();
        record_update(rt, None, &mut obj, "a", None, "t1").unwrap();
        let old = obj.clone();
        // Clearing managedFields the way kubectl documents: `[{}]` leaves only this write's entry.
        obj["metadata"]["managedFields"] = json!([{}]);
        obj["spec"]["replicas"] = json!(4);
        record_update(rt, Some(&old), &mut obj, "b", None, "t2").unwrap();
        let names = managers(&obj);
        assert_eq!(names, ["b"]);
    }
}
