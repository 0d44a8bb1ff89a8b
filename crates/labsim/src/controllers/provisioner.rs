//! minikube's hostpath provisioner and rancher's local-path provisioner (`local_path`), plus the
//! PV/PVC binding and protection controllers. A PVC of class `standard` gets a PV `pvc-<uid>`
//! with hostPath `/tmp/hostpath-provisioner/<ns>/<claim>` (minikube's
//! pkg/storage/storage_provisioner.go), a directory made on the disk of the node the
//! storage-provisioner pod runs on (`minikube`) and, having no node affinity, found on the disk of
//! whichever node runs the pod. A `local-path` claim waits for its first consumer and gets a PV
//! pinned to that pod's node. Deleting the PVC releases (Retain) or deletes (Delete) the PV and
//! then its directory, on the provisioner's node only. The `kubernetes.io/pvc-protection`
//! finalizer keeps a claim while a pod still uses it.

use std::path::{Component, Path, PathBuf};

use serde_json::{json, Value};

use super::bootstrap::{DEFAULT_CLASS_ANNOTATION, HOSTPATH_PROVISIONER};
use super::{local_path, ControllerError};
use crate::objects::events::EventRecorder;
use crate::objects::machines;
use crate::objects::{is_terminating, name, namespace, pod_claims, pod_finished, uid};
use crate::resources::get;
use crate::store::{now, Store};

pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";
const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
const IDENTITY: &str = "hostPathProvisionerIdentity";
/// Where minikube's storage-provisioner makes its volumes (`--pv-dir` default).
pub const HOSTPATH_DIR: &str = "/tmp/hostpath-provisioner";
/// The node minikube's storage-provisioner pod runs on: the control plane.
pub const PROVISIONER_NODE: &str = "minikube";
/// Set on a claim by the scheduler for a `WaitForFirstConsumer` class.
pub const SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";

/// Removes the directory of a PV made by a labsim before nodes had disks, refusing anything that
/// is not exactly `<state>/volumes/pvc-*`.
pub fn remove_volume_dir(state_dir: &Path, path: &Path) -> Result<(), ControllerError> {
    let volumes = state_dir.join("volumes");
    let plain = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::RootDir));
    let named = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("pvc-") && n.len() > 4);
    let is_link = path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    if !plain || !named || is_link || path.parent() != Some(volumes.as_path()) {
        return Err(ControllerError::UnsafePath(path.to_path_buf()));
    }
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ControllerError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// One pass: claims first (finalizer, default class, provisioning, release), then volumes.
pub fn reconcile(store: &Store, state_dir: &Path) -> Result<(), ControllerError> {
    let (classes, _) = store.list(get("StorageClass"), None);
    let default_class = classes
        .iter()
        .find(|c| c["metadata"]["annotations"][DEFAULT_CLASS_ANNOTATION] == "true")
        .map(|c| name(c).to_string());
    let (pvcs, _) = store.list(get("PersistentVolumeClaim"), None);
    let (pods, _) = store.list(get("Pod"), None);
    for pvc in &pvcs {
        let (ns, claim) = (namespace(pvc), name(pvc));
        if is_terminating(pvc) {
            let in_use = pods
                .iter()
                .any(|p| namespace(p) == ns && !pod_finished(p) && pod_claims(p).contains(&claim));
            if !in_use {
                release_protection(store, pvc)?;
            }
            continue;
        }
        let pvc = store.modify(get("PersistentVolumeClaim"), Some(ns), claim, |c| {
            add_finalizer(c, PVC_PROTECTION);
            // The DefaultStorageClass admission plugin's job, done late.
            if c["spec"]["storageClassName"].is_null() && c["spec"]["volumeName"].is_null() {
                if let Some(d) = &default_class {
                    c["spec"]["storageClassName"] = json!(d);
                }
            }
            if c["status"]["phase"].is_null() {
                c["status"]["phase"] = json!("Pending");
            }
        })?;
        let bound = pvc["spec"]["volumeName"]
            .as_str()
            .is_some_and(|v| !v.is_empty());
        if bound {
            continue;
        }
        let class = pvc["spec"]["storageClassName"]
            .as_str()
            .and_then(|c| classes.iter().find(|sc| name(sc) == c));
        if let Some(class) = class {
            let delayed = class["volumeBindingMode"] == "WaitForFirstConsumer";
            let selected = pvc["metadata"]["annotations"][SELECTED_NODE].as_str();
            match class["provisioner"].as_str() {
                Some(HOSTPATH_PROVISIONER | local_path::PROVISIONER)
                    if delayed && selected.is_none() =>
                {
                    super::claim_events::waiting_for_first_consumer(
                        store,
                        &pvc,
                        chrono::Utc::now(),
                    )?
                }
                Some(HOSTPATH_PROVISIONER | local_path::PROVISIONER) => {
                    provision(store, state_dir, &pvc, class)?
                }
                _ => {}
            }
        }
        // a named class that does not exist: the PV controller says so on the claim
        match pvc["spec"]["storageClassName"].as_str() {
            Some(c) if !c.is_empty() && class.is_none() => {
                super::claim_events::missing_class(store, &pvc, c, chrono::Utc::now())?
            }
            _ => {}
        }
    }
    let (pvs, _) = store.list(get("PersistentVolume"), None);
    for pv in &pvs {
        reconcile_volume(store, state_dir, pv)?;
    }
    Ok(())
}

fn add_finalizer(obj: &mut Value, finalizer: &str) {
    if !obj["metadata"]["finalizers"].is_array() {
        obj["metadata"]["finalizers"] = json!([]);
    }
    let list = obj["metadata"]["finalizers"]
        .as_array_mut()
        .expect("finalizers is an array");
    if !list.iter().any(|f| f == finalizer) {
        list.push(json!(finalizer));
    }
}

/// Drops `finalizer` from a terminating object and removes the object once none is left.
fn finish_deletion(
    store: &Store,
    kind: &str,
    obj: &Value,
    finalizer: &str,
) -> Result<(), ControllerError> {
    let rt = get(kind);
    let ns = Some(namespace(obj)).filter(|n| !n.is_empty());
    let updated = store.modify(rt, ns, name(obj), |o| {
        if let Some(list) = o["metadata"]
            .get_mut("finalizers")
            .and_then(Value::as_array_mut)
        {
            list.retain(|f| f != finalizer);
        }
    })?;
    let left = updated["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|f| !f.is_empty());
    if !left && uid(&updated) == uid(obj) {
        store.remove_uid(rt, ns, name(obj), uid(obj));
    }
    Ok(())
}

fn release_protection(store: &Store, pvc: &Value) -> Result<(), ControllerError> {
    finish_deletion(store, "PersistentVolumeClaim", pvc, PVC_PROTECTION)
}

fn provision(
    store: &Store,
    state_dir: &Path,
    pvc: &Value,
    class: &Value,
) -> Result<(), ControllerError> {
    let (ns, claim) = (namespace(pvc), name(pvc));
    let pv_name = format!("pvc-{}", uid(pvc));
    let provisioner = class["provisioner"].as_str().unwrap_or("");
    let identity = uid(class).to_string();
    // (node whose disk gets the directory, hostPath, node affinity, the provisioner's name in
    // events)
    let (node, host_path, affinity, source) = if provisioner == local_path::PROVISIONER {
        let Some(node) = pvc["metadata"]["annotations"][SELECTED_NODE].as_str() else {
            return Ok(());
        };
        (
            node.to_string(),
            local_path::volume_path(&pv_name, ns, claim),
            Some(local_path::node_affinity(node)),
            local_path::event_source(&identity),
        )
    } else {
        (
            PROVISIONER_NODE.to_string(),
            format!("{HOSTPATH_DIR}/{ns}/{claim}"),
            None,
            format!("{HOSTPATH_PROVISIONER}_{PROVISIONER_NODE}_{identity}"),
        )
    };
    let dir = machines::host_path(state_dir, &node, &host_path)
        .map_err(|e| ControllerError::UnsafePath(PathBuf::from(format!("{host_path}: {e}"))))?;
    let fresh_claim = store.get(get("PersistentVolume"), None, &pv_name).is_err();
    if fresh_claim {
        super::claim_events::external_provisioning(store, pvc, provisioner, chrono::Utc::now())?;
    }
    make_world_writable_dir(&dir)?;
    let storage = pvc["spec"]["resources"]["requests"]["storage"].clone();
    let storage = if storage.is_null() {
        json!("1Gi")
    } else {
        storage
    };
    let access_modes = match &pvc["spec"]["accessModes"] {
        Value::Array(a) if !a.is_empty() => json!(a),
        _ => json!(["ReadWriteOnce"]),
    };
    let class_name = name(class);
    let mut annotations = json!({PROVISIONED_BY: provisioner});
    if provisioner == HOSTPATH_PROVISIONER {
        annotations[IDENTITY] = json!(identity);
    }
    let mut pv = json!({
        "metadata": {
            "name": pv_name,
            "annotations": annotations,
            "finalizers": [PV_PROTECTION],
        },
        "spec": {
            "accessModes": access_modes,
            "capacity": {"storage": storage},
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "name": claim,
                "namespace": ns,
                "resourceVersion": pvc["metadata"]["resourceVersion"],
                "uid": uid(pvc),
            },
            "hostPath": {"path": host_path, "type": ""},
            "persistentVolumeReclaimPolicy": class["reclaimPolicy"].as_str().unwrap_or("Delete"),
            "storageClassName": class_name,
            "volumeMode": pvc["spec"]["volumeMode"].as_str().unwrap_or("Filesystem"),
        },
        "status": {"phase": "Bound", "lastPhaseTransitionTime": now()},
    });
    if let Some(a) = affinity {
        pv["spec"]["nodeAffinity"] = a;
        pv["spec"]["hostPath"]["type"] = json!("DirectoryOrCreate");
    }
    let fresh = match store.create(get("PersistentVolume"), None, pv) {
        Ok(_) => true,
        // Created by an earlier pass that stopped half-way: finish the binding.
        Err(e) if e.code == 409 => false,
        Err(e) => return Err(e.into()),
    };
    if fresh {
        EventRecorder::record(
            store,
            pvc,
            "Normal",
            "Provisioning",
            &format!("External provisioner is provisioning volume for claim \"{ns}/{claim}\""),
            &source,
        )?;
    }
    let bound = store.modify(get("PersistentVolumeClaim"), Some(ns), claim, |c| {
        c["spec"]["volumeName"] = json!(pv_name);
        if !c["metadata"]["annotations"].is_object() {
            c["metadata"]["annotations"] = json!({});
        }
        let a = &mut c["metadata"]["annotations"];
        a["pv.kubernetes.io/bind-completed"] = json!("yes");
        a["pv.kubernetes.io/bound-by-controller"] = json!("yes");
        a["volume.beta.kubernetes.io/storage-provisioner"] = json!(provisioner);
        a["volume.kubernetes.io/storage-provisioner"] = json!(provisioner);
        c["status"] = json!({"phase": "Bound", "accessModes": access_modes, "capacity": {"storage": storage}});
    })?;
    if fresh {
        EventRecorder::record(
            store,
            &bound,
            "Normal",
            "ProvisioningSucceeded",
            &format!("Successfully provisioned volume {pv_name}"),
            &source,
        )?;
    }
    Ok(())
}

/// `mkdir -p` then `chmod 0777`, as both provisioners do (so any container user can write).
fn make_world_writable_dir(dir: &Path) -> Result<(), ControllerError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| ControllerError::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).map_err(io)
}

/// Removes the directory of a deleted PV the way its provisioner does: minikube's
/// storage-provisioner `os.RemoveAll(hostPath)` inside its pod on `minikube` (so only that
/// node's copy goes), rancher's teardown helper pod on the PV's node. Paths are checked to be
/// what the provisioner made, never a symlink.
fn remove_provisioned_dir(state_dir: &Path, pv: &Value) -> Result<(), ControllerError> {
    let Some(path) = pv["spec"]["hostPath"]["path"].as_str() else {
        return Ok(());
    };
    if Path::new(path).starts_with(state_dir) {
        // A PV of an earlier labsim, inside the state dir itself.
        return remove_volume_dir(state_dir, Path::new(path));
    }
    let unsafe_path = || ControllerError::UnsafePath(PathBuf::from(path));
    let by = pv["metadata"]["annotations"][PROVISIONED_BY].as_str();
    let (node, base, depth) = match by {
        Some(HOSTPATH_PROVISIONER) => (PROVISIONER_NODE.to_string(), HOSTPATH_DIR, 2),
        Some(local_path::PROVISIONER) => (
            local_path::node_of(pv).ok_or_else(unsafe_path)?,
            local_path::BASE_DIR,
            1,
        ),
        _ => return Err(unsafe_path()),
    };
    let rest = Path::new(path)
        .strip_prefix(base)
        .map_err(|_| unsafe_path())?;
    if rest.components().count() != depth {
        return Err(unsafe_path());
    }
    let dir = machines::host_path(state_dir, &node, path).map_err(|_| unsafe_path())?;
    if dir
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(unsafe_path());
    }
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ControllerError::Io { path: dir, source }),
    }
}

/// A volume whose claim is gone is deleted (with its directory) or released, per its policy.
fn reconcile_volume(store: &Store, state_dir: &Path, pv: &Value) -> Result<(), ControllerError> {
    let rt = get("PersistentVolume");
    let claim_ref = &pv["spec"]["claimRef"];
    let claim_alive = !claim_ref.is_null()
        && store
            .get(
                get("PersistentVolumeClaim"),
                claim_ref["namespace"].as_str(),
                claim_ref["name"].as_str().unwrap_or(""),
            )
            .is_ok_and(|c| uid(&c) == claim_ref["uid"].as_str().unwrap_or(""));
    if claim_alive {
        return Ok(());
    }
    let by = pv["metadata"]["annotations"][PROVISIONED_BY].as_str();
    let ours = matches!(by, Some(HOSTPATH_PROVISIONER | local_path::PROVISIONER));
    let delete = pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete" && !claim_ref.is_null();
    if delete && ours {
        match remove_provisioned_dir(state_dir, pv) {
            Ok(()) => {}
            // Not ours to remove (e.g. a state dir that moved): drop the object only.
            Err(ControllerError::UnsafePath(p)) => {
                tracing::warn!("PV {}: not removing {}", name(pv), p.display())
            }
            Err(e) => return Err(e),
        }
        store.remove_uid(rt, None, name(pv), uid(pv));
        return Ok(());
    }
    if is_terminating(pv) {
        return finish_deletion(store, "PersistentVolume", pv, PV_PROTECTION);
    }
    if !claim_ref.is_null() {
        store.modify(rt, None, name(pv), |v| {
            if v["status"]["phase"] != "Released" {
                v["status"]["phase"] = json!("Released");
                v["status"]["lastPhaseTransitionTime"] = json!(now());
            }
        })?;
    } else {
        store.modify(rt, None, name(pv), |v| {
            if v["status"]["phase"] != "Available" {
                v["status"]["phase"] = json!("Available");
                v["status"]["lastPhaseTransitionTime"] = json!(now());
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Store, tempfile::TempDir) {
        let s = Store::in_memory();
        super::super::bootstrap::run(&s).unwrap();
        (s, tempfile::tempdir().unwrap())
    }

    fn claim(s: &Store, name: &str, class: Option<&str>) -> Value {
        let mut spec = json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}});
        if let Some(c) = class {
            spec["storageClassName"] = json!(c);
        }
        s.create(
            get("PersistentVolumeClaim"),
            Some("default"),
            json!({"metadata": {"name": name}, "spec": spec}),
        )
        .unwrap()
    }

    fn pvc(s: &Store, name: &str) -> Option<Value> {
        s.get(get("PersistentVolumeClaim"), Some("default"), name)
            .ok()
    }

    #[test]
    fn provisions_binds_and_deletes_directory_with_the_claim() {
        let (s, dir) = setup();
        let c = claim(&s, "data-mysql-0", None);
        reconcile(&s, dir.path()).unwrap();
        let pv_name = format!("pvc-{}", uid(&c));
        let c = pvc(&s, "data-mysql-0").unwrap();
        assert_eq!(c["spec"]["storageClassName"], "standard");
        assert_eq!(c["spec"]["volumeName"], pv_name.as_str());
        assert_eq!(c["status"]["phase"], "Bound");
        assert_eq!(c["status"]["capacity"]["storage"], "1Gi");
        assert_eq!(c["metadata"]["finalizers"], json!([PVC_PROTECTION]));
        assert_eq!(
            c["metadata"]["annotations"]["pv.kubernetes.io/bind-completed"],
            "yes"
        );
        let pv = s.get(get("PersistentVolume"), None, &pv_name).unwrap();
        // minikube's storage-provisioner: /tmp/hostpath-provisioner/<ns>/<claim>, made on the
        // disk of the node it runs on (pkg/storage/storage_provisioner.go).
        assert_eq!(
            pv["spec"]["hostPath"]["path"],
            "/tmp/hostpath-provisioner/default/data-mysql-0"
        );
        assert!(pv["spec"]["nodeAffinity"].is_null());
        let path = dir
            .path()
            .join("nodes/minikube/disk/tmp/hostpath-provisioner/default/data-mysql-0");
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
        assert_eq!(pv["spec"]["claimRef"]["uid"], uid(&c));
        assert_eq!(pv["status"]["phase"], "Bound");
        assert_eq!(
            pv["metadata"]["annotations"][PROVISIONED_BY],
            HOSTPATH_PROVISIONER
        );
        assert!(path.is_dir());
        std::fs::write(path.join("ibdata1"), b"x").unwrap();
        let (events, _) = s.list(get("Event"), Some("default"));
        assert!(events.iter().any(|e| e["reason"] == "ProvisioningSucceeded"
            && e["message"] == format!("Successfully provisioned volume {pv_name}")));
        // Idempotent.
        let rv = s.resource_version();
        reconcile(&s, dir.path()).unwrap();
        assert_eq!(s.resource_version(), rv);

        // A pod uses the claim: deleting the claim leaves it Terminating.
        s.create(
            get("Pod"),
            Some("default"),
            json!({"metadata": {"name": "mysql-0"}, "spec": {"volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}]}}),
        )
        .unwrap();
        s.delete(
            get("PersistentVolumeClaim"),
            Some("default"),
            "data-mysql-0",
            None,
        )
        .unwrap();
        reconcile(&s, dir.path()).unwrap();
        assert!(is_terminating(&pvc(&s, "data-mysql-0").unwrap()));
        assert!(path.join("ibdata1").exists());
        // The pod goes: the claim, the volume and its directory go.
        s.remove(get("Pod"), Some("default"), "mysql-0").unwrap();
        reconcile(&s, dir.path()).unwrap();
        assert!(pvc(&s, "data-mysql-0").is_none());
        assert!(s.get(get("PersistentVolume"), None, &pv_name).is_err());
        assert!(!path.exists());
        assert!(path.parent().unwrap().is_dir());
    }

    #[test]
    fn retain_releases_and_keeps_directory() {
        let (s, dir) = setup();
        s.create(
            get("StorageClass"),
            None,
            json!({"metadata": {"name": "keep"}, "provisioner": HOSTPATH_PROVISIONER, "reclaimPolicy": "Retain"}),
        )
        .unwrap();
        let c = claim(&s, "data", Some("keep"));
        reconcile(&s, dir.path()).unwrap();
        let pv_name = format!("pvc-{}", uid(&c));
        s.delete(get("PersistentVolumeClaim"), Some("default"), "data", None)
            .unwrap();
        reconcile(&s, dir.path()).unwrap();
        reconcile(&s, dir.path()).unwrap();
        let pv = s.get(get("PersistentVolume"), None, &pv_name).unwrap();
        assert_eq!(pv["status"]["phase"], "Released");
        assert!(dir
            .path()
            .join("nodes/minikube/disk/tmp/hostpath-provisioner/default/data")
            .is_dir());
    }

    #[test]
    fn other_classes_are_left_pending() {
        let (s, dir) = setup();
        claim(&s, "manual", Some(""));
        reconcile(&s, dir.path()).unwrap();
        let c = pvc(&s, "manual").unwrap();
        assert_eq!(c["status"]["phase"], "Pending");
        assert!(c["spec"]["volumeName"].is_null());
        assert!(s.list(get("PersistentVolume"), None).0.is_empty());
    }

    #[test]
    fn refuses_paths_outside_volumes() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("store");
        std::fs::create_dir_all(&outside).unwrap();
        for bad in [
            outside.clone(),
            dir.path().join("volumes/../store"),
            dir.path().join("volumes/data"),
            PathBuf::from("/tmp/pvc-x"),
        ] {
            assert!(matches!(
                remove_volume_dir(dir.path(), &bad),
                Err(ControllerError::UnsafePath(_))
            ));
        }
        assert!(outside.is_dir());
        let ok = dir.path().join("volumes/pvc-1");
        std::fs::create_dir_all(ok.join("sub")).unwrap();
        remove_volume_dir(dir.path(), &ok).unwrap();
        assert!(!ok.exists());
    }
}
