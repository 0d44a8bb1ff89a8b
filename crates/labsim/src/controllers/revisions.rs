//! ControllerRevisions of a StatefulSet: the template hash Kubernetes computes (FNV-32a over
//! key-sorted JSON, "safe"-encoded), one revision per distinct template with collision
//! handling, roll-back renumbering, and history trimming.

use serde_json::{json, Value};

use super::statefulset::REVISION_LABEL;
use super::ControllerError;
use crate::objects::{controller_uid, is_terminating, name, namespace, owner_ref, uid};
use crate::resources::get;
use crate::store::selector::LabelSelector;
use crate::store::Store;

const CR_HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// JSON with object keys sorted, so equal templates hash equally whatever the key order.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical(&m[*k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

/// The revision hash as Kubernetes spells it: FNV-32a, its decimal form mapped through the
/// "safe" alphabet (`rand.SafeEncodeString`), e.g. `5d8f4b7c9`.
pub fn revision_hash(template: &Value, collision_count: i64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut text = canonical(template);
    if collision_count > 0 {
        text.push_str(&collision_count.to_string());
    }
    let h = text.bytes().fold(0x811c9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x01000193)
    });
    h.to_string()
        .bytes()
        .map(|b| ALPHABET[b as usize % ALPHABET.len()] as char)
        .collect()
}

/// Takes over ControllerRevisions that match the set's selector and have no controller (left
/// by `kubectl delete sts --cascade=orphan`), as the StatefulSet controller's
/// `adoptOrphanRevisions` does (pkg/controller/statefulset/stateful_set.go): the re-created set
/// then finds its template's revision under the same name instead of taking it for a hash
/// collision (which would change the hash and roll every pod). Only for a set still there and
/// not being deleted (read again now, `RecheckDeletionTimestamp`).
fn adopt_orphan_revisions(store: &Store, set: &Value) -> Result<(), ControllerError> {
    let rt = get("ControllerRevision");
    let ns = namespace(set);
    let selector = LabelSelector::from_spec(&set["spec"]["selector"]);
    if selector.is_empty() {
        return Ok(());
    }
    let (all, _) = store.list(rt, Some(ns));
    let orphans: Vec<&Value> = all
        .iter()
        .filter(|r| controller_uid(r).is_none() && selector.matches(r))
        .collect();
    if orphans.is_empty() {
        return Ok(());
    }
    let fresh = store.get(get("StatefulSet"), Some(ns), name(set));
    if !fresh.is_ok_and(|s| uid(&s) == uid(set) && !is_terminating(&s)) {
        return Ok(());
    }
    for r in orphans {
        let adopted = store.modify(rt, Some(ns), name(r), |r| {
            if controller_uid(r).is_some() {
                return;
            }
            let mut refs = r["metadata"]["ownerReferences"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            refs.push(owner_ref(set, true));
            r["metadata"]["ownerReferences"] = Value::Array(refs);
        });
        match adopted {
            Ok(_) => {}
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Ensures the ControllerRevision of the set's current template; returns (revision name,
/// collisionCount).
pub fn ensure_revision(store: &Store, set: &Value) -> Result<(String, i64), ControllerError> {
    let rt = get("ControllerRevision");
    let ns = namespace(set);
    adopt_orphan_revisions(store, set)?;
    let template = &set["spec"]["template"];
    let data = json!({"spec": {"template": template}});
    let mut collisions = set["status"]["collisionCount"].as_i64().unwrap_or(0);
    let (all, _) = store.list(rt, Some(ns));
    let owned: Vec<&Value> = all
        .iter()
        .filter(|r| controller_uid(r) == Some(uid(set)))
        .collect();
    let max_revision = owned
        .iter()
        .filter_map(|r| r["revision"].as_i64())
        .max()
        .unwrap_or(0);
    loop {
        let hash = revision_hash(template, collisions);
        let rev_name = format!("{}-{}", name(set), hash);
        match all.iter().find(|r| name(r) == rev_name) {
            Some(r)
                if canonical(&r["data"]) == canonical(&data)
                    && controller_uid(r) == Some(uid(set)) =>
            {
                // Rolling back to an older template makes it the newest revision again.
                if r["revision"].as_i64().unwrap_or(0) < max_revision {
                    store.modify(rt, Some(ns), &rev_name, |r| {
                        r["revision"] = json!(max_revision + 1)
                    })?;
                }
                return Ok((rev_name, collisions));
            }
            Some(_) => collisions += 1,
            None => {
                let mut labels = template["metadata"]["labels"].clone();
                if !labels.is_object() {
                    labels = json!({});
                }
                labels[CR_HASH_LABEL] = json!(hash);
                let cr = json!({
                    "metadata": {
                        "name": rev_name,
                        "namespace": ns,
                        "labels": labels,
                        "ownerReferences": [owner_ref(set, true)],
                    },
                    "data": data,
                    "revision": max_revision + 1,
                });
                match store.create(rt, Some(ns), cr) {
                    Ok(_) => return Ok((rev_name, collisions)),
                    Err(e) if e.code == 409 => collisions += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if collisions > 1000 {
            return Err(
                crate::api_error::ApiError::internal("too many revision hash collisions").into(),
            );
        }
    }
}

/// The template stored in a revision, if that revision exists.
pub fn revision_template(store: &Store, ns: &str, rev: &str) -> Option<Value> {
    store
        .get(get("ControllerRevision"), Some(ns), rev)
        .ok()
        .map(|r| r["data"]["spec"]["template"].clone())
}

/// Keeps at most `limit` (`revisionHistoryLimit`) revisions besides the live ones (current,
/// update, and any a pod still runs).
pub fn trim_history(
    store: &Store,
    set: &Value,
    pods: &[Value],
    limit: usize,
    current_rev: &str,
    update_rev: &str,
) -> Result<(), ControllerError> {
    let rt = get("ControllerRevision");
    let ns = namespace(set);
    let (all, _) = store.list(rt, Some(ns));
    let mut old: Vec<&Value> = all
        .iter()
        .filter(|r| controller_uid(r) == Some(uid(set)))
        .filter(|r| {
            name(r) != current_rev
                && name(r) != update_rev
                && !pods.iter().any(|p| {
                    p["metadata"]["labels"][REVISION_LABEL]
                        .as_str()
                        .unwrap_or("")
                        == name(r)
                })
        })
        .collect();
    old.sort_by_key(|r| r["revision"].as_i64().unwrap_or(0));
    let excess = old.len().saturating_sub(limit);
    for r in old.into_iter().take(excess) {
        store.remove_uid(rt, Some(ns), name(r), uid(r));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_key_order_and_uses_safe_alphabet() {
        let a: Value = serde_json::from_str(r#"{"a":1,"b":{"c":[1,{"d":2,"e":3}]}}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":{"c":[1,{"e":3,"d":2}]},"a":1}"#).unwrap();
        assert_eq!(revision_hash(&a, 0), revision_hash(&b, 0));
        assert_ne!(revision_hash(&a, 0), revision_hash(&a, 1));
        let h = revision_hash(&a, 0);
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
    }

    #[test]
    fn a_namesake_with_another_template_is_a_collision() {
        let s = Store::in_memory();
        let set = s
            .create(
                get("StatefulSet"),
                Some("default"),
                json!({"metadata": {"name": "web"}, "spec": {"template": {"spec": {"x": 1}}}}),
            )
            .unwrap();
        let taken = format!("web-{}", revision_hash(&set["spec"]["template"], 0));
        s.create(
            get("ControllerRevision"),
            Some("default"),
            json!({"metadata": {"name": taken}, "data": {"other": true}, "revision": 1}),
        )
        .unwrap();
        let (rev, collisions) = ensure_revision(&s, &set).unwrap();
        assert_eq!(collisions, 1);
        assert_eq!(
            rev,
            format!("web-{}", revision_hash(&set["spec"]["template"], 1))
        );
        let cr = s
            .get(get("ControllerRevision"), Some("default"), &rev)
            .unwrap();
        assert_eq!(cr["revision"], 1);
        assert_eq!(cr["data"]["spec"]["template"], set["spec"]["template"]);
        assert_eq!(ensure_revision(&s, &set).unwrap(), (rev, 1), "stable");
    }
}
