//! Store unit tests: versions, conflicts, graceful deletion, watch replay and persistence.

use super::*;
use crate::resources::get;

fn pod(name: &str) -> Value {
    json!({"metadata": {"name": name, "labels": {"app": "mysql"}}, "spec": {"containers": [{"name": "mysql", "image": "mysql:8.4"}]}})
}

#[test]
fn create_fills_metadata_and_rejects_duplicates() {
    let s = Store::in_memory();
    let p = s
        .create(get("Pod"), Some("default"), pod("mysql-0"))
        .unwrap();
    assert_eq!(p["metadata"]["namespace"], "default");
    assert_eq!(p["metadata"]["resourceVersion"], "1");
    assert_eq!(p["kind"], "Pod");
    assert!(p["metadata"]["uid"].as_str().unwrap().len() == 36);
    let e = s
        .create(get("Pod"), Some("default"), pod("mysql-0"))
        .unwrap_err();
    assert_eq!((e.code, e.reason), (409, "AlreadyExists"));
    let e = s
        .create(get("Pod"), Some("default"), pod("Bad_Name"))
        .unwrap_err();
    assert_eq!(e.code, 422);
}

#[test]
fn update_checks_resource_version_and_bumps_generation() {
    let s = Store::in_memory();
    let sts = json!({"metadata": {"name": "mysql"}, "spec": {"replicas": 3}});
    let live = s.create(get("StatefulSet"), None, sts).unwrap();
    assert_eq!(live["metadata"]["generation"], 1);
    let mut stale = live.clone();
    stale["spec"]["replicas"] = json!(2);
    let v2 = s
        .update(get("StatefulSet"), None, "mysql", stale.clone(), false)
        .unwrap();
    assert_eq!(v2["metadata"]["generation"], 2);
    let e = s
        .update(get("StatefulSet"), None, "mysql", stale, false)
        .unwrap_err();
    assert_eq!(e.code, 409);
    // A status-only change through modify keeps the generation.
    let v3 = s
        .modify(get("StatefulSet"), None, "mysql", |o| {
            o["status"] = json!({"replicas": 2})
        })
        .unwrap();
    assert_eq!(v3["metadata"]["generation"], 2);
    // A no-op write keeps the version.
    let same = s.modify(get("StatefulSet"), None, "mysql", |_| {}).unwrap();
    assert_eq!(
        same["metadata"]["resourceVersion"],
        v3["metadata"]["resourceVersion"]
    );
}

/// Pods carry `metadata.generation` since 1.33 (CHANGELOG-1.33 #130181, KEP-5067 "API server
/// and generation"): 1 on create, +1 on a spec update, none for the binding's nodeName or a
/// status write, +1 on the graceful deletion mark (apiserver rest/delete.go `BeforeDelete`).
#[test]
fn pods_carry_a_generation() {
    let s = Store::in_memory();
    let p = s.create(get("Pod"), None, pod("web")).unwrap();
    assert_eq!(p["metadata"]["generation"], 1);
    let bound = s
        .modify(get("Pod"), None, "web", |p| {
            p["spec"]["nodeName"] = json!("minikube-m02");
            p["status"]["phase"] = json!("Running");
        })
        .unwrap();
    assert_eq!(bound["metadata"]["generation"], 1);
    let mut changed = bound.clone();
    changed["spec"]["activeDeadlineSeconds"] = json!(60);
    let v2 = s.update(get("Pod"), None, "web", changed, false).unwrap();
    assert_eq!(v2["metadata"]["generation"], 2);
    let d = s.delete(get("Pod"), None, "web", Some(30)).unwrap();
    assert_eq!(d["metadata"]["generation"], 3);
}

#[test]
fn graceful_delete_then_remove() {
    let s = Store::in_memory();
    s.create(get("Pod"), None, pod("mysql-0")).unwrap();
    let d = s.delete(get("Pod"), None, "mysql-0", Some(30)).unwrap();
    assert!(d["metadata"]["deletionTimestamp"].is_string());
    assert!(s.get(get("Pod"), None, "mysql-0").is_ok());
    s.remove(get("Pod"), None, "mysql-0").unwrap();
    assert_eq!(s.get(get("Pod"), None, "mysql-0").unwrap_err().code, 404);
}

#[test]
fn watch_replays_after_version_and_expires_old_ones() {
    let s = Store::in_memory();
    s.create(get("Pod"), None, pod("mysql-0")).unwrap();
    s.create(get("Pod"), None, pod("mysql-1")).unwrap();
    let w = s.watch_from(1).unwrap();
    assert_eq!(w.replay.len(), 1);
    assert_eq!(w.replay[0].object["metadata"]["name"], "mysql-1");
    let mut live = s.watch_from(s.resource_version()).unwrap().live;
    s.delete(get("Pod"), None, "mysql-0", None).unwrap();
    let c = live.try_recv().unwrap();
    assert_eq!(c.kind, ChangeType::Deleted);
}

#[test]
fn survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let uid;
    {
        let s = Store::open(dir.path()).unwrap();
        uid = s.create(get("Pod"), None, pod("mysql-0")).unwrap()["metadata"]["uid"].clone();
        s.create(
            get("StorageClass"),
            None,
            json!({"metadata": {"name": "standard"}}),
        )
        .unwrap();
        s.create(get("Pod"), None, pod("mysql-1")).unwrap();
        s.delete(get("Pod"), None, "mysql-1", None).unwrap();
    }
    let s = Store::open(dir.path()).unwrap();
    assert_eq!(
        s.get(get("Pod"), None, "mysql-0").unwrap()["metadata"]["uid"],
        uid
    );
    assert!(s.get(get("StorageClass"), None, "standard").is_ok());
    assert_eq!(s.get(get("Pod"), None, "mysql-1").unwrap_err().code, 404);
    assert_eq!(s.resource_version(), 4);
    // Old versions cannot be replayed after a restart: clients relist.
    assert_eq!(s.watch_from(1).err().unwrap().code, 410);
}
