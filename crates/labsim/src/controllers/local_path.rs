//! Rancher's local-path provisioner as minikube's `storage-provisioner-rancher` addon installs it
//! (deploy/addons/storage-provisioner-rancher in kubernetes/minikube): StorageClass `local-path`
//! (`rancher.io/local-path`, `WaitForFirstConsumer`, Delete), volumes at
//! `/opt/local-path-provisioner/pvc-<uid>_<ns>_<claim>` on the node the first consumer was
//! scheduled to, and a PV pinned there by required node affinity on `kubernetes.io/hostname`
//! (rancher/local-path-provisioner provisioner.go). `enable`/`disable` are what `minikube addons
//! enable|disable storage-provisioner-rancher` change in the API.

use serde_json::{json, Value};

use super::bootstrap::DEFAULT_CLASS_ANNOTATION;
use super::ControllerError;
use crate::objects::name;
use crate::resources::get;
use crate::store::Store;

pub const ADDON: &str = "storage-provisioner-rancher";
pub const PROVISIONER: &str = "rancher.io/local-path";
pub const CLASS: &str = "local-path";
pub const NAMESPACE: &str = "local-path-storage";
/// The `DEFAULT_PATH_FOR_NON_LISTED_NODES` path of the addon's `local-path-config`.
pub const BASE_DIR: &str = "/opt/local-path-provisioner";
const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// The volume's directory on its node: `<base>/<pv>_<ns>_<claim>`.
pub fn volume_path(pv_name: &str, ns: &str, claim: &str) -> String {
    format!("{BASE_DIR}/{pv_name}_{ns}_{claim}")
}

/// The PV's `spec.nodeAffinity` for `node`.
pub fn node_affinity(node: &str) -> Value {
    json!({"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": HOSTNAME_LABEL, "operator": "In", "values": [node]}]}]}})
}

/// The node a local-path PV is pinned to.
pub fn node_of(pv: &Value) -> Option<String> {
    pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
        .as_array()?
        .iter()
        .flat_map(|t| t["matchExpressions"].as_array().into_iter().flatten())
        .find(|e| e["key"] == HOSTNAME_LABEL && e["operator"] == "In")
        .and_then(|e| e["values"][0].as_str())
        .map(str::to_string)
}

/// The provisioner's name in its events: `<provisioner>_<its pod>_<uuid>`, the pod being the
/// addon Deployment's (`local-path-provisioner-<replicaset hash>-<suffix>`).
pub fn event_source(identity: &str) -> String {
    let h = |salt: &str| -> String {
        let v = identity
            .bytes()
            .chain(salt.bytes())
            .fold(0xcbf29ce484222325u64, |h, b| {
                (h ^ b as u64).wrapping_mul(0x100000001b3)
            });
        // Kubernetes' generated-name alphabet (no vowels, no confusable digits).
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..10)
            .map(|i| ALPHABET[((v >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
            .collect()
    };
    let (rs, pod) = (h("rs"), h("pod"));
    format!(
        "{PROVISIONER}_local-path-provisioner-{}-{}_{identity}",
        &rs[..10],
        &pod[..5]
    )
}

/// What the addon's manifest creates that labsim models: the namespace, the provisioner's
/// config and the StorageClass.
fn objects() -> Vec<(&'static str, Option<&'static str>, Value)> {
    let addon_labels = json!({"addonmanager.kubernetes.io/mode": "Reconcile"});
    vec![
        (
            "Namespace",
            None,
            json!({"metadata": {"name": NAMESPACE, "labels": addon_labels}}),
        ),
        (
            "ServiceAccount",
            Some(NAMESPACE),
            json!({"metadata": {"name": "local-path-provisioner-service-account", "namespace": NAMESPACE}}),
        ),
        (
            "ConfigMap",
            Some(NAMESPACE),
            json!({"metadata": {"name": "local-path-config", "namespace": NAMESPACE},
            "data": {
                "config.json": format!("{{\n        \"nodePathMap\":[\n        {{\n                \"node\":\"DEFAULT_PATH_FOR_NON_LISTED_NODES\",\n                \"paths\":[\"{BASE_DIR}\"]\n        }}\n        ]\n}}"),
                "setup": "#!/bin/sh\nset -eu\nmkdir -m 0777 -p \"$VOL_DIR\"",
                "teardown": "#!/bin/sh\nset -eu\nrm -rf \"$VOL_DIR\"",
            }}),
        ),
        (
            "StorageClass",
            None,
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": CLASS},
                "provisioner": PROVISIONER,
                "volumeBindingMode": "WaitForFirstConsumer",
                "reclaimPolicy": "Delete"}),
        ),
    ]
}

/// Marks only `class` as the default StorageClass (minikube's `SetDefaultStorageClass`), or
/// un-marks `class` when `default` is false (`DisableDefaultStorageClass`).
fn set_default(store: &Store, class: &str, default: bool) -> Result<(), ControllerError> {
    let (classes, _) = store.list(get("StorageClass"), None);
    for c in classes {
        let want = if default {
            name(&c) == class
        } else if name(&c) == class {
            false
        } else {
            continue;
        };
        store.modify(get("StorageClass"), None, name(&c), |sc| {
            if !sc["metadata"]["annotations"].is_object() {
                sc["metadata"]["annotations"] = json!({});
            }
            sc["metadata"]["annotations"][DEFAULT_CLASS_ANNOTATION] = json!(want.to_string());
        })?;
    }
    Ok(())
}

/// `minikube addons enable storage-provisioner-rancher`: the addon's objects, then `local-path`
/// becomes the only default class (minikube's addons_storage_classes.go). Returns whether
/// anything was created.
pub fn enable(store: &Store) -> Result<bool, ControllerError> {
    let mut created = false;
    for (kind, ns, obj) in objects() {
        match store.create(get(kind), ns, obj) {
            Ok(_) => created = true,
            Err(e) if e.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
    }
    set_default(store, CLASS, true)?;
    Ok(created)
}

/// `minikube addons disable storage-provisioner-rancher`: `local-path` stops being the default,
/// then the addon's objects are deleted (`kubectl delete -f` of its manifest). The other
/// classes stay as they are (`standard` does not become the default again, as in minikube).
/// Returns whether anything was deleted.
pub fn disable(store: &Store) -> Result<bool, ControllerError> {
    if store.get(get("StorageClass"), None, CLASS).is_ok() {
        set_default(store, CLASS, false)?;
    }
    let mut deleted = false;
    super::gc::delete_namespace_contents(store, NAMESPACE, None, false);
    for (kind, ns, obj) in objects().into_iter().rev() {
        match store.delete(get(kind), ns, name(&obj), None) {
            Ok(_) => deleted = true,
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(deleted)
}

/// Whether the addon is enabled (its StorageClass exists).
pub fn enabled(store: &Store) -> bool {
    store.get(get("StorageClass"), None, CLASS).is_ok()
}
