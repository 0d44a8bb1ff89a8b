//! Volumes across nodes, controllers only (no kubelet): minikube's hostpath PVs have no node
//! affinity and their directory is made and removed on `minikube` only; rancher's local-path
//! claims wait for their first consumer and pin their pod to one node
//! (kubernetes/minikube deploy/addons/storage-provisioner-rancher, pkg/storage;
//! pkg/controller/volume/persistentvolume; pkg/scheduler/framework/plugins/volumebinding).

use serde_json::{json, Value};

use super::local_path;
use crate::objects::uid;
use crate::resources::get;
use crate::store::Store;

fn setup() -> (Store, tempfile::TempDir) {
    let s = Store::in_memory();
    super::bootstrap::run(&s).unwrap();
    (s, tempfile::tempdir().unwrap())
}

fn settle(s: &Store, dir: &std::path::Path) {
    for _ in 0..10 {
        let rv = s.resource_version();
        super::reconcile_all(s, dir);
        if s.resource_version() == rv {
            return;
        }
    }
}

fn claim(s: &Store, claim: &str) -> Value {
    s.create(
        get("PersistentVolumeClaim"),
        Some("default"),
        json!({"metadata": {"name": claim}, "spec": {"accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "64Mi"}}}}),
    )
    .unwrap()
}

fn pod(s: &Store, pod: &str, claim: &str) {
    s.create(
        get("Pod"),
        Some("default"),
        json!({"metadata": {"name": pod}, "spec": {"containers": [{"name": "c", "image": "busybox"}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]}}),
    )
    .unwrap();
}

fn get_pvc(s: &Store, n: &str) -> Value {
    s.get(get("PersistentVolumeClaim"), Some("default"), n)
        .unwrap()
}

fn node_of(s: &Store, p: &str) -> String {
    s.get(get("Pod"), Some("default"), p).unwrap()["spec"]["nodeName"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn events(s: &Store, involved: &str, reason: &str) -> Vec<Value> {
    s.list(get("Event"), Some("default"))
        .0
        .into_iter()
        .filter(|e| e["involvedObject"]["name"] == involved && e["reason"] == reason)
        .collect()
}

#[test]
fn hostpath_claims_get_the_external_provisioning_event_and_minikubes_path() {
    let (s, dir) = setup();
    claim(&s, "data");
    settle(&s, dir.path());
    let c = get_pvc(&s, "data");
    assert_eq!(c["status"]["phase"], "Bound");
    let ev = events(&s, "data", "ExternalProvisioning");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["source"]["component"], "persistentvolume-controller");
    // pkg/controller/volume/persistentvolume/pv_controller.go (Kubernetes >= 1.28 wording).
    assert_eq!(
        ev[0]["message"],
        "Waiting for a volume to be created either by the external provisioner 'k8s.io/minikube-hostpath' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
    );
    let dir_on = |node: &str| {
        dir.path().join(format!(
            "nodes/{node}/disk/tmp/hostpath-provisioner/default/data"
        ))
    };
    assert!(dir_on("minikube").is_dir());
    assert!(!dir_on("minikube-m02").exists());
    // A worker's copy (written by a pod that ran there) outlives the claim: minikube's
    // provisioner removes only its own node's directory (minikube #12165, #11765).
    std::fs::create_dir_all(dir_on("minikube-m02")).unwrap();
    std::fs::write(dir_on("minikube-m02").join("ibdata1"), b"old").unwrap();
    s.delete(get("PersistentVolumeClaim"), Some("default"), "data", None)
        .unwrap();
    settle(&s, dir.path());
    assert!(s.list(get("PersistentVolume"), None).0.is_empty());
    assert!(!dir_on("minikube").exists());
    assert!(dir_on("minikube-m02").join("ibdata1").exists());
}

#[test]
fn local_path_waits_for_its_first_consumer_then_pins_the_pod_to_that_node() {
    let (s, dir) = setup();
    assert!(local_path::enable(&s).unwrap());
    assert!(
        !local_path::enable(&s).unwrap(),
        "enabling twice changes nothing"
    );
    // minikube's SetDefaultStorageClass: only local-path is the default now.
    let default_of = |c: &str| {
        s.get(get("StorageClass"), None, c).unwrap()["metadata"]["annotations"]
            ["storageclass.kubernetes.io/is-default-class"]
            .clone()
    };
    assert_eq!(default_of("local-path"), "true");
    assert_eq!(default_of("standard"), "false");
    let sc = s.get(get("StorageClass"), None, "local-path").unwrap();
    assert_eq!(sc["provisioner"], "rancher.io/local-path");
    assert_eq!(sc["volumeBindingMode"], "WaitForFirstConsumer");
    assert_eq!(sc["reclaimPolicy"], "Delete");

    let c = claim(&s, "data");
    settle(&s, dir.path());
    let pending = get_pvc(&s, "data");
    assert_eq!(pending["spec"]["storageClassName"], "local-path");
    assert_eq!(pending["status"]["phase"], "Pending");
    let waiting = events(&s, "data", "WaitForFirstConsumer");
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0]["message"],
        "waiting for first consumer to be created before binding"
    );
    assert!(s.list(get("PersistentVolume"), None).0.is_empty());

    // Spread the load so the consumer lands on minikube-m03.
    for (i, n) in ["minikube", "minikube", "minikube-m02", "minikube-m02"]
        .iter()
        .enumerate()
    {
        s.create(
            get("Pod"),
            Some("default"),
            json!({"metadata": {"name": format!("busy-{i}")}, "spec": {"nodeName": n}}),
        )
        .unwrap();
    }
    pod(&s, "app", "data");
    settle(&s, dir.path());
    assert_eq!(node_of(&s, "app"), "minikube-m03");
    let bound = get_pvc(&s, "data");
    assert_eq!(bound["status"]["phase"], "Bound");
    assert_eq!(
        bound["metadata"]["annotations"]["volume.kubernetes.io/selected-node"],
        "minikube-m03"
    );
    let pv_name = format!("pvc-{}", uid(&c));
    let pv = s.get(get("PersistentVolume"), None, &pv_name).unwrap();
    let path = format!("/opt/local-path-provisioner/{pv_name}_default_data");
    assert_eq!(pv["spec"]["hostPath"]["path"], path.as_str());
    assert_eq!(pv["spec"]["hostPath"]["type"], "DirectoryOrCreate");
    assert_eq!(
        pv["spec"]["nodeAffinity"],
        json!({"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["minikube-m03"]}]}]}})
    );
    assert!(
        events(&s, "data", "ProvisioningSucceeded")[0]["source"]["component"]
            .as_str()
            .unwrap()
            .starts_with("rancher.io/local-path_local-path-provisioner-")
    );
    let on_m03 = dir.path().join(format!("nodes/minikube-m03/disk{path}"));
    assert!(on_m03.is_dir());

    // The node cordoned, the re-created pod cannot go anywhere else.
    s.modify(get("Node"), None, "minikube-m03", |n| {
        n["spec"]["unschedulable"] = json!(true)
    })
    .unwrap();
    s.remove(get("Pod"), Some("default"), "app").unwrap();
    pod(&s, "app", "data");
    settle(&s, dir.path());
    assert_eq!(node_of(&s, "app"), "");
    let failed = events(&s, "app", "FailedScheduling");
    // volumebinding's ErrReasonNodeConflict in 1.33's words (CHANGELOG-1.33 #129887).
    assert_eq!(
        failed.last().unwrap()["message"],
        "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match PersistentVolume's node affinity. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    );
    // Uncordoned, it goes back to its data.
    s.modify(get("Node"), None, "minikube-m03", |n| {
        n["spec"]["unschedulable"] = json!(false)
    })
    .unwrap();
    settle(&s, dir.path());
    assert_eq!(node_of(&s, "app"), "minikube-m03");

    // The claim deleted: the volume and its directory on that node go (teardown).
    s.remove(get("Pod"), Some("default"), "app").unwrap();
    s.delete(get("PersistentVolumeClaim"), Some("default"), "data", None)
        .unwrap();
    settle(&s, dir.path());
    assert!(s.get(get("PersistentVolume"), None, &pv_name).is_err());
    assert!(!on_m03.exists());

    // Disabled: the class and the addon's namespace go; standard stays non-default (minikube).
    assert!(local_path::disable(&s).unwrap());
    assert!(s.get(get("StorageClass"), None, "local-path").is_err());
    assert!(s
        .get(get("Namespace"), None, local_path::NAMESPACE)
        .is_err());
    assert_eq!(default_of("standard"), "false");
}
