//! Controller scenarios across statefulset, provisioner, scheduler and gc, with the test playing
//! the kubelet's part (pods Running+Ready by hand, terminating pods removed).

use serde_json::{json, Value};

use super::*;
use crate::objects;
use crate::objects::{is_terminating, name, pod_running_and_ready, set_condition, uid};
use crate::resources::get;

struct Lab {
    store: Store,
    dir: tempfile::TempDir,
}

/// Where minikube's storage-provisioner keeps the claims of `default`, on node `minikube`'s disk.
fn hostpath_dir(lab: &Lab) -> std::path::PathBuf {
    lab.dir
        .path()
        .join("nodes/minikube/disk/tmp/hostpath-provisioner/default")
}

fn mysql_set(replicas: i64, extra: Value) -> Value {
    let mut set = json!({
        "metadata": {"name": "mysql", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "mysql"}},
            "serviceName": "mysql",
            "replicas": replicas,
            "template": {
                "metadata": {"labels": {"app": "mysql"}},
                "spec": {"containers": [{
                    "name": "mysql", "image": "mysql:8.4",
                    "ports": [{"containerPort": 3306, "name": "mysql"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}],
                }]},
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }],
        },
    });
    if let (Some(spec), Some(extra)) = (set["spec"].as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    set
}

impl Lab {
    fn new() -> Lab {
        let store = Store::in_memory();
        bootstrap(&store);
        Lab {
            store,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn with_set(replicas: i64, extra: Value) -> Lab {
        let lab = Lab::new();
        lab.store
            .create(
                get("StatefulSet"),
                Some("default"),
                mysql_set(replicas, extra),
            )
            .unwrap();
        lab
    }

    fn pass(&self) {
        reconcile_all(&self.store, self.dir.path());
    }

    /// Passes until nothing changes (panics on a write loop).
    fn passes(&self) {
        for _ in 0..50 {
            let rv = self.store.resource_version();
            self.pass();
            if self.store.resource_version() == rv {
                return;
            }
        }
        panic!("controllers never settled");
    }

    /// The kubelet: bound pods start and become Ready; terminating pods stop and go.
    fn kubelet(&self) {
        for p in self.pods() {
            if is_terminating(&p) {
                self.store
                    .remove_uid(get("Pod"), Some("default"), name(&p), uid(&p));
            } else if p["spec"]["nodeName"].is_string() && !pod_running_and_ready(&p) {
                self.make_ready(name(&p));
            }
        }
    }

    fn make_ready(&self, pod: &str) {
        self.store
            .modify(get("Pod"), Some("default"), pod, |p| {
                p["status"]["phase"] = json!("Running");
                set_condition(p, "Ready", "True", "", "");
            })
            .unwrap();
    }

    /// Controllers and kubelet until both are idle.
    fn settle(&self) {
        for _ in 0..100 {
            let rv = self.store.resource_version();
            self.pass();
            self.kubelet();
            if self.store.resource_version() == rv {
                return;
            }
        }
        panic!("cluster never settled");
    }

    fn pods(&self) -> Vec<Value> {
        self.store.list(get("Pod"), Some("default")).0
    }

    fn pod_names(&self) -> Vec<String> {
        self.pods().iter().map(|p| name(p).to_string()).collect()
    }

    fn pod(&self, n: &str) -> Value {
        self.store.get(get("Pod"), Some("default"), n).unwrap()
    }

    fn claim(&self, n: &str) -> Value {
        let rt = get("PersistentVolumeClaim");
        self.store.get(rt, Some("default"), n).unwrap()
    }

    fn claims(&self) -> Vec<Value> {
        self.store
            .list(get("PersistentVolumeClaim"), Some("default"))
            .0
    }

    fn set(&self) -> Value {
        self.store
            .get(get("StatefulSet"), Some("default"), "mysql")
            .unwrap()
    }

    fn scale(&self, replicas: i64) {
        self.store
            .modify(get("StatefulSet"), Some("default"), "mysql", |s| {
                s["spec"]["replicas"] = json!(replicas)
            })
            .unwrap();
    }

    fn events(&self, reason: &str) -> Vec<String> {
        let mut evs = self.store.list(get("Event"), Some("default")).0;
        evs.sort_by(|a, b| name(a).cmp(name(b)));
        evs.iter()
            .filter(|e| e["reason"] == reason)
            .map(|e| e["message"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

#[test]
fn ordered_ready_creates_one_at_a_time_in_order() {
    let lab = Lab::with_set(3, json!({}));
    lab.passes();
    // mysql-0 exists, claimed, bound and scheduled; mysql-1 waits for mysql-0 to be Ready.
    assert_eq!(lab.pod_names(), vec!["mysql-0"]);
    let p0 = lab.pod("mysql-0");
    assert_eq!(p0["spec"]["nodeName"], "minikube");
    assert_eq!(p0["metadata"]["labels"]["app"], "mysql");
    assert_eq!(
        p0["metadata"]["labels"][statefulset::POD_NAME_LABEL],
        "mysql-0"
    );
    assert_eq!(p0["metadata"]["labels"][statefulset::POD_INDEX_LABEL], "0");
    let set = lab.set();
    assert_eq!(
        p0["metadata"]["labels"][statefulset::REVISION_LABEL],
        set["status"]["updateRevision"]
    );
    let owner = &p0["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "StatefulSet");
    assert_eq!(owner["uid"], set["metadata"]["uid"]);
    assert_eq!(owner["controller"], true);
    assert_eq!(owner["blockOwnerDeletion"], true);
    assert_eq!(p0["spec"]["hostname"], "mysql-0");
    assert_eq!(p0["spec"]["subdomain"], "mysql");
    assert_eq!(
        p0["spec"]["volumes"],
        json!([{"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}])
    );
    let c0 = lab.claim("data-mysql-0");
    assert_eq!(c0["status"]["phase"], "Bound");
    assert_eq!(c0["metadata"]["labels"]["app"], "mysql");
    assert!(c0["metadata"]["ownerReferences"].is_null());

    // Running but not Ready is not enough.
    lab.store
        .modify(get("Pod"), Some("default"), "mysql-0", |p| {
            p["status"]["phase"] = json!("Running")
        })
        .unwrap();
    lab.passes();
    assert_eq!(lab.pod_names(), vec!["mysql-0"]);
    lab.make_ready("mysql-0");
    lab.passes();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1"]);
    lab.make_ready("mysql-1");
    lab.passes();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1", "mysql-2"]);
    lab.make_ready("mysql-2");
    lab.passes();
    let nodes: Vec<_> = lab
        .pods()
        .iter()
        .map(|p| p["spec"]["nodeName"].clone())
        .collect();
    assert_eq!(nodes, vec!["minikube", "minikube-m02", "minikube-m03"]);
    let st = &lab.set()["status"];
    assert_eq!(st["replicas"], 3);
    assert_eq!(st["readyReplicas"], 3);
    assert_eq!(st["availableReplicas"], 3);
    assert_eq!(st["updatedReplicas"], 3);
    assert_eq!(st["currentReplicas"], 3);
    assert_eq!(st["currentRevision"], st["updateRevision"]);
    assert_eq!(st["observedGeneration"], 1);
    assert_eq!(
        lab.events("SuccessfulCreate"),
        vec![
            "create Claim data-mysql-0 Pod mysql-0 in StatefulSet mysql success",
            "create Pod mysql-0 in StatefulSet mysql successful",
            "create Claim data-mysql-1 Pod mysql-1 in StatefulSet mysql success",
            "create Pod mysql-1 in StatefulSet mysql successful",
            "create Claim data-mysql-2 Pod mysql-2 in StatefulSet mysql success",
            "create Pod mysql-2 in StatefulSet mysql successful",
        ]
    );
    let rev = lab
        .store
        .get(
            get("ControllerRevision"),
            Some("default"),
            st["updateRevision"].as_str().unwrap(),
        )
        .unwrap();
    assert_eq!(rev["revision"], 1);
    assert_eq!(
        rev["data"]["spec"]["template"],
        lab.set()["spec"]["template"]
    );
}

#[test]
fn parallel_creates_all_at_once() {
    let lab = Lab::with_set(3, json!({"podManagementPolicy": "Parallel"}));
    lab.pass();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1", "mysql-2"]);
    lab.passes();
    let claims: Vec<_> = lab.claims().iter().map(|c| name(c).to_string()).collect();
    assert_eq!(claims, vec!["data-mysql-0", "data-mysql-1", "data-mysql-2"]);
    assert!(lab.pods().iter().all(|p| p["spec"]["nodeName"].is_string()));
}

#[test]
fn deleted_pods_come_back_in_order_with_new_uids_and_same_claims() {
    let lab = Lab::with_set(3, json!({}));
    lab.settle();
    let old: Vec<String> = lab.pods().iter().map(|p| uid(p).to_string()).collect();
    let volumes: Vec<Value> = lab
        .claims()
        .iter()
        .map(|c| c["spec"]["volumeName"].clone())
        .collect();
    // `kubectl delete pod -l app=mysql`.
    for p in lab.pods() {
        objects::delete_pod(&lab.store, &p).unwrap();
    }
    lab.passes();
    assert!(
        lab.pods().iter().all(is_terminating),
        "nothing re-created while terminating"
    );
    // The kubelet stops them; only mysql-0 comes back until it is Ready.
    for p in lab.pods() {
        lab.store
            .remove_uid(get("Pod"), Some("default"), name(&p), uid(&p));
    }
    lab.passes();
    assert_eq!(lab.pod_names(), vec!["mysql-0"]);
    lab.settle();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1", "mysql-2"]);
    for (p, old_uid) in lab.pods().iter().zip(&old) {
        assert_ne!(uid(p), old_uid);
        assert!(pod_running_and_ready(p));
    }
    let again: Vec<Value> = lab
        .claims()
        .iter()
        .map(|c| c["spec"]["volumeName"].clone())
        .collect();
    assert_eq!(again, volumes);
    assert_eq!(lab.store.list(get("PersistentVolume"), None).0.len(), 3);
}

#[test]
fn scale_down_removes_highest_first_and_keeps_claims_then_reuses_them() {
    let lab = Lab::with_set(3, json!({}));
    lab.settle();
    let claim_uids: Vec<String> = lab.claims().iter().map(|c| uid(c).to_string()).collect();
    lab.scale(1);
    lab.passes();
    assert!(is_terminating(&lab.pod("mysql-2")));
    assert!(!is_terminating(&lab.pod("mysql-1")), "one at a time");
    lab.kubelet();
    lab.passes();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1"]);
    assert!(is_terminating(&lab.pod("mysql-1")));
    lab.settle();
    assert_eq!(lab.pod_names(), vec!["mysql-0"]);
    assert_eq!(
        lab.events("SuccessfulDelete"),
        vec![
            "delete Pod mysql-2 in StatefulSet mysql successful",
            "delete Pod mysql-1 in StatefulSet mysql successful",
        ]
    );
    assert_eq!(lab.claims().len(), 3);
    assert!(lab.claims().iter().all(|c| c["status"]["phase"] == "Bound"));
    assert_eq!(lab.set()["status"]["replicas"], 1);
    let volumes = hostpath_dir(&lab);
    assert_eq!(std::fs::read_dir(&volumes).unwrap().count(), 3);

    lab.scale(3);
    lab.settle();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1", "mysql-2"]);
    let again: Vec<String> = lab.claims().iter().map(|c| uid(c).to_string()).collect();
    assert_eq!(again, claim_uids);
    assert_eq!(std::fs::read_dir(&volumes).unwrap().count(), 3);
}

#[test]
fn retention_policy_delete_removes_claims_volumes_and_directories() {
    let lab = Lab::with_set(
        3,
        json!({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Delete"}}),
    );
    lab.settle();
    let set_uid = uid(&lab.set()).to_string();
    for c in lab.claims() {
        assert_eq!(c["metadata"]["ownerReferences"][0]["uid"], set_uid.as_str());
    }
    // Deleting a pod must not take its claim with it.
    objects::delete_pod(&lab.store, &lab.pod("mysql-1")).unwrap();
    lab.settle();
    assert_eq!(lab.claims().len(), 3);

    lab.scale(1);
    lab.settle();
    assert_eq!(lab.pod_names(), vec!["mysql-0"]);
    let names: Vec<_> = lab.claims().iter().map(|c| name(c).to_string()).collect();
    assert_eq!(names, vec!["data-mysql-0"]);
    assert_eq!(lab.store.list(get("PersistentVolume"), None).0.len(), 1);
    let volumes = hostpath_dir(&lab);
    assert_eq!(std::fs::read_dir(&volumes).unwrap().count(), 1);

    lab.store
        .delete(get("StatefulSet"), Some("default"), "mysql", None)
        .unwrap();
    lab.settle();
    assert!(lab.pods().is_empty());
    assert!(lab.claims().is_empty());
    assert!(lab.store.list(get("PersistentVolume"), None).0.is_empty());
    assert_eq!(std::fs::read_dir(&volumes).unwrap().count(), 0);
}

#[test]
fn deleting_the_statefulset_collects_pods_but_keeps_claims() {
    let lab = Lab::with_set(3, json!({}));
    lab.settle();
    lab.store
        .delete(get("StatefulSet"), Some("default"), "mysql", None)
        .unwrap();
    lab.pass();
    assert!(lab.pods().iter().all(is_terminating));
    lab.settle();
    assert!(lab.pods().is_empty());
    assert!(lab.store.list(get("ControllerRevision"), None).0.is_empty());
    assert_eq!(lab.claims().len(), 3);
    assert_eq!(lab.store.list(get("PersistentVolume"), None).0.len(), 3);

    // Re-applying finds the old claims (and so the old data).
    let uids: Vec<String> = lab.claims().iter().map(|c| uid(c).to_string()).collect();
    lab.store
        .create(get("StatefulSet"), Some("default"), mysql_set(3, json!({})))
        .unwrap();
    lab.settle();
    assert_eq!(lab.pods().len(), 3);
    let again: Vec<String> = lab.claims().iter().map(|c| uid(c).to_string()).collect();
    assert_eq!(again, uids);
}

fn set_image(lab: &Lab, image: &str) {
    lab.store
        .modify(get("StatefulSet"), Some("default"), "mysql", |s| {
            s["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image)
        })
        .unwrap();
}

#[test]
fn rolling_update_replaces_pods_from_the_highest_ordinal() {
    let lab = Lab::with_set(3, json!({"updateStrategy": {"type": "RollingUpdate"}}));
    lab.settle();
    let old_rev = lab.set()["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    set_image(&lab, "mysql:9.0");
    lab.passes();
    let st = lab.set()["status"].clone();
    assert_eq!(st["observedGeneration"], 2);
    assert_eq!(st["currentRevision"], old_rev.as_str());
    assert_ne!(st["updateRevision"], old_rev.as_str());
    assert!(is_terminating(&lab.pod("mysql-2")));
    assert!(!is_terminating(&lab.pod("mysql-1")));
    lab.settle();
    let st = lab.set()["status"].clone();
    assert_eq!(st["currentRevision"], st["updateRevision"]);
    assert_eq!(st["updatedReplicas"], 3);
    assert_eq!(st["readyReplicas"], 3);
    for p in lab.pods() {
        assert_eq!(p["spec"]["containers"][0]["image"], "mysql:9.0");
        assert_eq!(
            p["metadata"]["labels"][statefulset::REVISION_LABEL],
            st["updateRevision"]
        );
    }
    assert_eq!(
        lab.events("SuccessfulDelete"),
        vec![
            "delete Pod mysql-2 in StatefulSet mysql successful",
            "delete Pod mysql-1 in StatefulSet mysql successful",
            "delete Pod mysql-0 in StatefulSet mysql successful",
        ]
    );
    assert_eq!(lab.store.list(get("ControllerRevision"), None).0.len(), 2);
}

#[test]
fn on_delete_updates_only_pods_deleted_by_hand() {
    let lab = Lab::with_set(3, json!({"updateStrategy": {"type": "OnDelete"}}));
    lab.settle();
    let old_rev = lab.set()["status"]["currentRevision"].clone();
    set_image(&lab, "mysql:9.0");
    lab.settle();
    assert!(lab
        .pods()
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == "mysql:8.4"));
    objects::delete_pod(&lab.store, &lab.pod("mysql-1")).unwrap();
    lab.settle();
    let images: Vec<_> = lab
        .pods()
        .iter()
        .map(|p| p["spec"]["containers"][0]["image"].clone())
        .collect();
    assert_eq!(images, vec!["mysql:8.4", "mysql:9.0", "mysql:8.4"]);
    let st = lab.set()["status"].clone();
    assert_eq!(st["currentRevision"], old_rev);
    assert_eq!(st["updatedReplicas"], 1);
    assert_eq!(st["currentReplicas"], 2);
}

#[test]
fn failed_pod_is_replaced() {
    let lab = Lab::with_set(1, json!({}));
    lab.settle();
    let before = uid(&lab.pod("mysql-0")).to_string();
    lab.store
        .modify(get("Pod"), Some("default"), "mysql-0", |p| {
            p["status"]["phase"] = json!("Failed")
        })
        .unwrap();
    lab.settle();
    assert_ne!(uid(&lab.pod("mysql-0")), before);
    assert!(pod_running_and_ready(&lab.pod("mysql-0")));
}

#[tokio::test]
async fn run_loop_reacts_to_changes_and_stops() {
    let Lab { store, dir } = Lab::with_set(1, json!({}));
    let store = std::sync::Arc::new(store);
    let (trigger, shutdown) = crate::shutdown::channel();
    let task = tokio::spawn(run(store.clone(), dir.path().to_path_buf(), shutdown));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if let Ok(p) = store.get(get("Pod"), Some("default"), "mysql-0") {
            if p["spec"]["nodeName"] == "minikube" {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "pod never scheduled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    trigger.fire();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("run stops on shutdown")
        .unwrap();
}

#[test]
fn orphaned_pods_are_adopted_not_duplicated() {
    let lab = Lab::new();
    // What `kubectl delete sts mysql --cascade=orphan` leaves behind (same template revision).
    let set = mysql_set(2, json!({}));
    let rev = format!(
        "mysql-{}",
        revisions::revision_hash(&set["spec"]["template"], 0)
    );
    lab.store
        .create(
            get("Pod"),
            Some("default"),
            json!({"metadata": {"name": "mysql-0",
                                "labels": {"app": "mysql", statefulset::REVISION_LABEL: rev}},
                   "spec": {"containers": [{"name": "mysql", "image": "mysql:8.4"}]}}),
        )
        .unwrap();
    lab.store
        .create(
            get("Pod"),
            Some("default"),
            json!({"metadata": {"name": "mysql-other", "labels": {"app": "mysql"}}, "spec": {}}),
        )
        .unwrap();
    let orphan_uid = uid(&lab.pod("mysql-0")).to_string();
    lab.store
        .create(get("StatefulSet"), Some("default"), set)
        .unwrap();
    lab.settle();
    assert_eq!(lab.pod_names(), vec!["mysql-0", "mysql-1", "mysql-other"]);
    let p0 = lab.pod("mysql-0");
    assert_eq!(uid(&p0), orphan_uid);
    assert_eq!(objects::controller_uid(&p0), Some(uid(&lab.set())));
    assert!(objects::controller_uid(&lab.pod("mysql-other")).is_none());
}

/// Replaces what differs between runs (uids, times, versions) so objects compare as text.
fn scrub(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match k.as_str() {
                    "uid"
                    | "creationTimestamp"
                    | "resourceVersion"
                    | "lastTransitionTime"
                    | "lastPhaseTransitionTime"
                    | "hostPathProvisionerIdentity" => *x = json!(format!("<{k}>")),
                    "path" | "name" | "volumeName"
                        if x.as_str().is_some_and(|s| s.contains("pvc-")) =>
                    {
                        let s = x.as_str().unwrap_or("");
                        let tail = &s[s.find("pvc-").unwrap_or(0)..];
                        *x = json!(if s.starts_with('/') {
                            "<state>/volumes/pvc-<uid>".to_string()
                        } else if tail.len() > 4 {
                            "pvc-<uid>".to_string()
                        } else {
                            s.to_string()
                        });
                    }
                    _ => scrub(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(scrub),
        _ => {}
    }
}

/// Compares with `testdata/<file>` (the workspace's golden rule: `KUBELAB_BLESS=1` rewrites).
fn golden(file: &str, mut v: Value) {
    scrub(&mut v);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/controllers/testdata");
    testkit::golden::check_json(dir.join(file), &v);
}

#[test]
fn golden_pod_claim_and_volume_of_mysql_0() {
    let lab = Lab::with_set(3, json!({}));
    lab.passes();
    golden("mysql-0.pod.json", lab.pod("mysql-0"));
    golden("data-mysql-0.pvc.json", lab.claim("data-mysql-0"));
    let (pvs, _) = lab.store.list(get("PersistentVolume"), None);
    golden("data-mysql-0.pv.json", pvs[0].clone());
}

#[test]
fn claim_deleted_under_a_running_pod_waits_then_comes_back_empty() {
    let lab = Lab::with_set(1, json!({}));
    lab.settle();
    let old = lab.claim("data-mysql-0");
    // The claim's directory on the provisioner's node (minikube), where mysql-0 runs.
    let old_dir = hostpath_dir(&lab).join("data-mysql-0");
    std::fs::write(old_dir.join("ibdata1"), b"old").unwrap();
    // `kubectl delete pvc data-mysql-0` while mysql-0 runs: Terminating, data kept.
    lab.store
        .delete(
            get("PersistentVolumeClaim"),
            Some("default"),
            "data-mysql-0",
            None,
        )
        .unwrap();
    lab.settle();
    let c = lab.claim("data-mysql-0");
    assert!(is_terminating(&c));
    assert!(old_dir.is_dir());
    // Deleting the pod releases the claim; the set then makes a fresh claim and volume.
    objects::delete_pod(&lab.store, &lab.pod("mysql-0")).unwrap();
    lab.settle();
    let c = lab.claim("data-mysql-0");
    assert_ne!(uid(&c), uid(&old));
    assert_eq!(c["status"]["phase"], "Bound");
    assert!(
        !old_dir.join("ibdata1").exists(),
        "reclaim policy Delete removed the old directory"
    );
    assert!(pod_running_and_ready(&lab.pod("mysql-0")));
    assert_eq!(lab.store.list(get("PersistentVolume"), None).0.len(), 1);
}

mod statefulset_rules;
