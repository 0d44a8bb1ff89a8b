//! What a fresh `minikube start --nodes=3` cluster holds: namespaces, the three nodes, the
//! default StorageClass `standard` and the `kubernetes` Service. Idempotent: objects that exist
//! are kept (a restart only refreshes the nodes' heartbeats).

use serde_json::{json, Value};

use super::nodes::{self, NODES};
use super::ControllerError;
use crate::resources::get;
use crate::store::Store;

/// Namespaces every cluster starts with.
pub const NAMESPACES: &[&str] = &["default", "kube-node-lease", "kube-public", "kube-system"];

/// Name and provisioner of the default StorageClass.
pub const DEFAULT_CLASS: &str = "standard";
pub const HOSTPATH_PROVISIONER: &str = "k8s.io/minikube-hostpath";
/// The annotation that marks the default StorageClass.
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

fn namespace(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

fn storage_class() -> Value {
    json!({
        "metadata": {
            "name": DEFAULT_CLASS,
            "annotations": {DEFAULT_CLASS_ANNOTATION: "true"},
            "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"},
        },
        "provisioner": HOSTPATH_PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    })
}

fn kubernetes_service() -> Value {
    json!({
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "clusterIP": "10.96.0.1",
            "clusterIPs": ["10.96.0.1"],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 8443}],
            "sessionAffinity": "None",
            "type": "ClusterIP",
        },
        "status": {"loadBalancer": {}},
    })
}

/// The API server's own address behind the `kubernetes` Service.
fn kubernetes_endpoints() -> Value {
    json!({
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
        },
        "subsets": [{
            "addresses": [{"ip": "192.168.49.2"}],
            "ports": [{"name": "https", "port": 8443, "protocol": "TCP"}],
        }],
    })
}

/// Creates `obj` unless an object of that name exists. Returns whether it was created.
fn ensure(
    store: &Store,
    kind: &str,
    ns: Option<&str>,
    obj: Value,
) -> Result<bool, ControllerError> {
    match store.create(get(kind), ns, obj) {
        Ok(_) => Ok(true),
        Err(e) if e.code == 409 => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Creates what is missing; refreshes node heartbeats of nodes that already existed.
pub fn run(store: &Store) -> Result<(), ControllerError> {
    for ns in NAMESPACES {
        ensure(store, "Namespace", None, namespace(ns))?;
    }
    let mut existed = false;
    for def in NODES {
        existed |= !ensure(store, "Node", None, nodes::node_object(def))?;
    }
    if existed {
        nodes::heartbeat(store, &|_| false)?;
    }
    ensure(store, "StorageClass", None, storage_class())?;
    ensure(store, "Service", Some("default"), kubernetes_service())?;
    ensure(store, "Endpoints", Some("default"), kubernetes_endpoints())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kube-apiserver keeps these in existence; labsim creates them here and nowhere else.
    #[test]
    fn system_namespaces_exist_after_start() {
        let store = Store::in_memory();
        run(&store).unwrap();
        run(&store).unwrap();
        let (items, _) = store.list(get("Namespace"), None);
        assert_eq!(items.len(), 4);
        assert_eq!(items[0]["metadata"]["name"], "default");
    }

    #[test]
    fn restart_does_not_duplicate_and_refreshes_heartbeats() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path()).unwrap();
            run(&s).unwrap();
            // Pretend the cluster was down for a while.
            s.modify(get("Node"), None, "minikube-m02", |n| {
                n["status"]["conditions"][3]["lastHeartbeatTime"] = json!("2020-01-01T00:00:00Z");
                n["status"]["conditions"][3]["lastTransitionTime"] = json!("2020-01-01T00:00:00Z");
            })
            .unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        let uid_before = s.get(get("Node"), None, "minikube").unwrap()["metadata"]["uid"].clone();
        let rv = s.resource_version();
        run(&s).unwrap();
        let (nodes, _) = s.list(get("Node"), None);
        let names: Vec<_> = nodes
            .iter()
            .map(|n| n["metadata"]["name"].clone())
            .collect();
        assert_eq!(names, vec!["minikube", "minikube-m02", "minikube-m03"]);
        assert_eq!(s.list(get("Namespace"), None).0.len(), 4);
        assert_eq!(s.list(get("StorageClass"), None).0.len(), 1);
        assert_eq!(s.list(get("Service"), None).0.len(), 1);
        let m = s.get(get("Node"), None, "minikube").unwrap();
        assert_eq!(m["metadata"]["uid"], uid_before);
        let m02 = s.get(get("Node"), None, "minikube-m02").unwrap();
        let ready = &m02["status"]["conditions"][3];
        assert_eq!(ready["type"], "Ready");
        assert_ne!(ready["lastHeartbeatTime"], "2020-01-01T00:00:00Z");
        assert_eq!(ready["lastTransitionTime"], "2020-01-01T00:00:00Z");
        // Nothing was created again: at most the three heartbeat writes happened.
        assert!(s.resource_version() > rv && s.resource_version() <= rv + 3);
        let sc = s.get(get("StorageClass"), None, "standard").unwrap();
        assert_eq!(
            sc["metadata"]["annotations"][DEFAULT_CLASS_ANNOTATION],
            "true"
        );
        assert_eq!(sc["provisioner"], HOSTPATH_PROVISIONER);
        let ns = s.get(get("Namespace"), None, "kube-system").unwrap();
        assert_eq!(ns["status"]["phase"], "Active");
    }
}
