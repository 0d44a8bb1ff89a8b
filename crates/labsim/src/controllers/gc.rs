//! The garbage collector: an object all of whose owners (by uid) are gone is deleted, pods
//! gracefully so the kubelet stops them, everything else at once (background propagation).
//! Orphaning dependents (`propagationPolicy: Orphan`) and emptying a deleted namespace (kube's
//! namespace controller) are here too; the API calls them before it answers the DELETE.

use std::collections::HashSet;

use serde_json::Value;

use super::ControllerError;
use crate::objects::{delete_pod, is_terminating, name, namespace, pod_grace, uid};
use crate::resources::{ResourceType, RESOURCES};
use crate::store::Store;

/// Objects to delete: those with ownerReferences none of which points at a live object.
pub fn orphans(store: &Store) -> Vec<(&'static ResourceType, Value)> {
    let all: Vec<(&'static ResourceType, Vec<Value>)> = RESOURCES
        .iter()
        .map(|rt| (rt, store.list(rt, None).0))
        .collect();
    let live: HashSet<String> = all
        .iter()
        .flat_map(|(_, objs)| objs.iter().map(|o| uid(o).to_string()))
        .collect();
    let mut out = Vec::new();
    for (rt, objs) in all {
        for obj in objs {
            let Some(refs) = obj["metadata"]["ownerReferences"].as_array() else {
                continue;
            };
            let dangling = !refs.is_empty()
                && refs
                    .iter()
                    .all(|r| !live.contains(r["uid"].as_str().unwrap_or("")));
            if dangling && !is_terminating(&obj) {
                out.push((rt, obj));
            }
        }
    }
    out
}

/// Deletes every orphan.
pub fn reconcile(store: &Store) -> Result<(), ControllerError> {
    for (rt, obj) in orphans(store) {
        let ns = Some(namespace(&obj)).filter(|n| !n.is_empty());
        let result = if rt.kind == "Pod" {
            delete_pod(store, &obj).map(|_| ())
        } else {
            // Objects with finalizers only get a deletionTimestamp; their controller finishes.
            store.delete(rt, ns, name(&obj), None).map(|_| ())
        };
        match result {
            Ok(()) => {}
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `propagationPolicy: Orphan`: dependents lose their ownerReference to `uid` instead of being
/// garbage-collected.
pub fn orphan_dependents(store: &Store, uid: &str) {
    if uid.is_empty() {
        return;
    }
    for rt in RESOURCES {
        let (items, _) = store.list(rt, None);
        for obj in items {
            let owned = obj["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid));
            if !owned {
                continue;
            }
            let m = &obj["metadata"];
            let _ = store.modify(
                rt,
                m["namespace"].as_str(),
                m["name"].as_str().unwrap_or(""),
                |o| {
                    if let Some(refs) = o["metadata"]["ownerReferences"].as_array_mut() {
                        refs.retain(|r| r["uid"] != uid);
                    }
                },
            );
        }
    }
}

/// What kube's namespace controller does for a deleted namespace: everything in it is deleted
/// too, pods gracefully (`grace` as asked for the namespace, else their own), dependents of each
/// orphaned first when the namespace's deletion asked for that. labsim does it at once.
pub fn delete_namespace_contents(store: &Store, namespace: &str, grace: Option<i64>, orphan: bool) {
    for rt in RESOURCES.iter().filter(|r| r.namespaced) {
        let (items, _) = store.list(rt, Some(namespace));
        for obj in items {
            if orphan {
                orphan_dependents(store, uid(&obj));
            }
            let grace = if rt.kind == "Pod" {
                pod_grace(&obj, grace)
            } else {
                None
            };
            if let Err(e) = store.delete(rt, Some(namespace), name(&obj), grace) {
                tracing::debug!("deleting {} {namespace}/{}: {e}", rt.kind, name(&obj));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::owner_ref;
    use crate::resources::get;
    use serde_json::json;

    #[test]
    fn dependents_of_a_deleted_owner_are_collected() {
        let s = Store::in_memory();
        let sts = s
            .create(
                get("StatefulSet"),
                Some("default"),
                json!({"metadata": {"name": "mysql"}, "spec": {}}),
            )
            .unwrap();
        let other = s
            .create(
                get("ConfigMap"),
                Some("default"),
                json!({"metadata": {"name": "keep-owner"}}),
            )
            .unwrap();
        let owned = |n: &str, node: Option<&str>| {
            let mut p = json!({"metadata": {"name": n, "ownerReferences": [owner_ref(&sts, true)]}, "spec": {}});
            if let Some(node) = node {
                p["spec"]["nodeName"] = json!(node);
            }
            p
        };
        s.create(get("Pod"), None, owned("mysql-0", Some("minikube")))
            .unwrap();
        s.create(get("Pod"), None, owned("mysql-1", None)).unwrap();
        s.create(get("ControllerRevision"), None, owned("mysql-abc", None))
            .unwrap();
        // Two owners, one of which survives: kept.
        let mut two = owned("shared", None);
        two["metadata"]["ownerReferences"]
            .as_array_mut()
            .unwrap()
            .push(owner_ref(&other, false));
        s.create(get("ConfigMap"), None, two).unwrap();
        s.create(
            get("Pod"),
            None,
            json!({"metadata": {"name": "free"}, "spec": {}}),
        )
        .unwrap();

        reconcile(&s).unwrap();
        assert!(orphans(&s).is_empty());
        assert_eq!(s.list(get("Pod"), None).0.len(), 3);

        s.delete(get("StatefulSet"), Some("default"), "mysql", None)
            .unwrap();
        reconcile(&s).unwrap();
        let p0 = s.get(get("Pod"), None, "mysql-0").unwrap();
        assert!(is_terminating(&p0), "bound pod is deleted gracefully");
        assert!(
            s.get(get("Pod"), None, "mysql-1").is_err(),
            "unbound pod goes at once"
        );
        assert!(s.get(get("ControllerRevision"), None, "mysql-abc").is_err());
        assert!(s.get(get("ConfigMap"), None, "shared").is_ok());
        assert!(s.get(get("Pod"), None, "free").is_ok());
        // Terminating pods are left to the kubelet: no second write.
        let rv = s.resource_version();
        reconcile(&s).unwrap();
        assert_eq!(s.resource_version(), rv);
    }
}
