//! The garbage collector: an object all of whose owners (by uid) are gone is deleted, pods
//! gracefully so the kubelet stops them, everything else at once (background propagation).
//! Orphaning dependents (`propagationPolicy: Orphan`) and emptying a deleted namespace (kube's
//! namespace controller) are here too; the API calls them before it answers the DELETE.
//!
//! An orphaning delete follows kube's garbage collector (pkg/controller/garbagecollector,
//! `orphanDependents` behind the `orphan` finalizer): the owner first gets the `orphan`
//! finalizer and its deletionTimestamp, so that controllers stop adopting for it (the
//! StatefulSet controller rechecks that before adopting, as `ClaimPods`'
//! `RecheckDeletionTimestamp` does); then its dependents lose their reference to it; then the
//! finalizer goes and the owner with it. A reference to such an owner that a controller still
//! wrote in between (it read the owner before the deletion began) is dropped by the collector
//! instead of deleting the dependent: orphaned means orphaned.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use serde_json::Value;

use super::ControllerError;
use crate::api_error::ApiError;
use crate::objects::{delete_pod, is_terminating, name, namespace, pod_grace, uid};
use crate::resources::{ResourceType, RESOURCES};
use crate::store::Store;

/// kube's `metav1.FinalizerOrphanDependents`.
pub const ORPHAN_FINALIZER: &str = "orphan";

/// Uids of owners deleted with `propagationPolicy: Orphan` (the latest ones; uids are unique).
static ORPHANED_OWNERS: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());
const ORPHANED_KEPT: usize = 1024;

fn remember_orphaned(uid: &str) {
    let mut q = ORPHANED_OWNERS.lock().unwrap_or_else(|e| e.into_inner());
    if !q.iter().any(|u| u == uid) {
        if q.len() >= ORPHANED_KEPT {
            q.pop_front();
        }
        q.push_back(uid.to_string());
    }
}

fn was_orphaned(uid: &str) -> bool {
    let q = ORPHANED_OWNERS.lock().unwrap_or_else(|e| e.into_inner());
    q.iter().any(|u| u == uid)
}

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

/// Deletes every orphan; references to owners deleted with `Orphan` are dropped instead.
pub fn reconcile(store: &Store) -> Result<(), ControllerError> {
    for (rt, obj) in orphans(store) {
        let ns = Some(namespace(&obj)).filter(|n| !n.is_empty());
        let refs = obj["metadata"]["ownerReferences"].as_array();
        let orphaned: Vec<String> = refs
            .into_iter()
            .flatten()
            .filter_map(|r| r["uid"].as_str())
            .filter(|u| was_orphaned(u))
            .map(str::to_string)
            .collect();
        let result = if !orphaned.is_empty() {
            store
                .modify(rt, ns, name(&obj), |o| {
                    if let Some(refs) = o["metadata"]["ownerReferences"].as_array_mut() {
                        refs.retain(|r| !orphaned.iter().any(|u| r["uid"] == u.as_str()));
                    }
                })
                .map(|_| ())
        } else if rt.kind == "Pod" {
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

/// `DELETE` with `propagationPolicy: Orphan`, in kube's order (see the top of this file): the
/// `orphan` finalizer and deletionTimestamp, the dependents orphaned, then the owner removed.
/// Returns the object as the DELETE answers it (terminating, with the finalizer).
pub fn delete_orphaning(
    store: &Store,
    rt: &ResourceType,
    ns: Option<&str>,
    name: &str,
    grace: Option<i64>,
) -> Result<Value, ApiError> {
    store.modify(rt, ns, name, |o| {
        if !o["metadata"]["finalizers"].is_array() {
            o["metadata"]["finalizers"] = serde_json::json!([]);
        }
        if let Some(list) = o["metadata"]["finalizers"].as_array_mut() {
            if !list.iter().any(|f| f == ORPHAN_FINALIZER) {
                list.push(ORPHAN_FINALIZER.into());
            }
        }
    })?;
    let deleted = store.delete(rt, ns, name, grace)?;
    let owner = uid(&deleted).to_string();
    orphan_dependents(store, &owner);
    let updated = store.modify(rt, ns, name, |o| {
        if let Some(list) = o["metadata"]["finalizers"].as_array_mut() {
            list.retain(|f| f != ORPHAN_FINALIZER);
        }
    })?;
    let left = updated["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|f| !f.is_empty());
    // A pod still has its grace period for the kubelet; anything else goes now.
    if !left && uid(&updated) == owner && grace.is_none_or(|g| g <= 0) {
        store.remove_uid(rt, ns, name, &owner);
    }
    Ok(deleted)
}

/// `propagationPolicy: Orphan`: dependents lose their ownerReference to `uid` instead of being
/// garbage-collected.
pub fn orphan_dependents(store: &Store, uid: &str) {
    if uid.is_empty() {
        return;
    }
    remember_orphaned(uid);
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

    /// `kubectl delete sts --cascade=orphan` as kube's garbage collector does it
    /// (pkg/controller/garbagecollector `orphanDependents`, the `orphan` finalizer): the
    /// dependents stay, without the reference; a StatefulSet controller that read the set before
    /// the DELETE neither re-adopts them (`RecheckDeletionTimestamp`), nor does a reference it
    /// wrote late make the collector delete them.
    #[test]
    fn orphaning_delete_keeps_dependents_even_against_a_stale_controller() {
        let s = Store::in_memory();
        let sts = s
            .create(
                get("StatefulSet"),
                Some("default"),
                json!({"metadata": {"name": "web"}, "spec": {"replicas": 1, "serviceName": "web",
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}),
            )
            .unwrap();
        let pod = |n: &str| {
            json!({"metadata": {"name": n, "labels": {"app": "web"},
                "ownerReferences": [owner_ref(&sts, true)]}, "spec": {}})
        };
        s.create(get("Pod"), Some("default"), pod("web-0")).unwrap();
        s.create(get("Pod"), Some("default"), pod("web-1")).unwrap();
        let answer =
            delete_orphaning(&s, get("StatefulSet"), Some("default"), "web", None).unwrap();
        assert_eq!(answer["metadata"]["finalizers"], json!([ORPHAN_FINALIZER]));
        assert!(is_terminating(&answer));
        assert!(s.get(get("StatefulSet"), Some("default"), "web").is_err());
        let refs = |n: &str| {
            s.get(get("Pod"), Some("default"), n).unwrap()["metadata"]["ownerReferences"].clone()
        };
        assert_eq!(refs("web-0"), json!([]));

        // The controller's snapshot of the set, taken before the DELETE: no adoption.
        super::super::statefulset::sync(&s, &sts).ok();
        assert_eq!(refs("web-0"), json!([]));
        assert_eq!(refs("web-1"), json!([]));
        // A reference written in between anyway: dropped, the pod kept.
        s.modify(get("Pod"), Some("default"), "web-1", |p| {
            p["metadata"]["ownerReferences"] = json!([owner_ref(&sts, true)]);
        })
        .unwrap();
        reconcile(&s).unwrap();
        reconcile(&s).unwrap();
        let p1 = s.get(get("Pod"), Some("default"), "web-1").unwrap();
        assert!(!is_terminating(&p1));
        assert_eq!(p1["metadata"]["ownerReferences"], json!([]));
        assert!(s.get(get("Pod"), Some("default"), "web-0").is_ok());
    }
}
