//! Where a pod's volumes live on the host. A PVC resolves to its PV's `hostPath`; a `hostPath`
//! (of a PV or of the pod) is a path on the disk of the node where the pod RUNS
//! (`<state>/nodes/<node>/disk/<path>`, `objects::machines`), as the kubelet bind-mounts the
//! node's own directory: minikube's hostpath PVs (`/tmp/hostpath-provisioner/<ns>/<claim>`, no
//! node affinity) therefore start empty on another node. `emptyDir` and no volume are per pod.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::objects::machines;
use crate::resources;
use crate::store::Store;

/// Where the MySQL images keep their data: the mount whose volume is the pod's data directory.
pub const DATA_MOUNT: &str = "/var/lib/mysql";

/// The data directory, or why the pod must wait (`ContainerCreating`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataDir {
    /// Ready to use; `ephemeral` dirs are removed with the pod.
    Ready {
        path: PathBuf,
        ephemeral: bool,
    },
    Waiting(String),
}

/// Resolves the volume mounted at `/var/lib/mysql` of `container`.
pub fn data_dir(
    store: &Store,
    state_dir: &Path,
    run_dir: &Path,
    pod: &Value,
    container: &Value,
) -> DataDir {
    let ephemeral = DataDir::Ready {
        path: run_dir.join("emptydir-data"),
        ephemeral: true,
    };
    let Some(mount) = container["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["mountPath"].as_str().map(|p| p.trim_end_matches('/')) == Some(DATA_MOUNT))
    else {
        return ephemeral;
    };
    let vol_name = mount["name"].as_str().unwrap_or("");
    let sub = mount["subPath"].as_str().unwrap_or("");
    match volume_dir(store, state_dir, run_dir, pod, vol_name) {
        DataDir::Ready { path, ephemeral } => {
            let path = if sub.is_empty() || sub.contains("..") || sub.starts_with('/') {
                path
            } else {
                path.join(sub)
            };
            DataDir::Ready { path, ephemeral }
        }
        waiting => waiting,
    }
}

/// The host directory of the pod's volume `vol_name` (a PVC, `emptyDir` or `hostPath`), on the
/// disk of the node the pod is bound to.
pub fn volume_dir(
    store: &Store,
    state_dir: &Path,
    run_dir: &Path,
    pod: &Value,
    vol_name: &str,
) -> DataDir {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let node = pod["spec"]["nodeName"].as_str().unwrap_or("");
    let Some(vol) = pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == vol_name)
    else {
        return DataDir::Waiting(format!("volume \"{vol_name}\" not found in pod spec"));
    };
    let on_node = |p: &str| -> Result<PathBuf, String> {
        let path = Path::new(p);
        // PVs made by labsim before nodes had disks point into the state dir itself.
        if path.starts_with(state_dir) && !p.contains("..") {
            return Ok(path.to_path_buf());
        }
        machines::host_path(state_dir, node, p).map_err(|e| e.to_string())
    };
    let path = if let Some(claim) = vol["persistentVolumeClaim"]["claimName"].as_str() {
        let Ok(pvc) = store.get(resources::get("PersistentVolumeClaim"), Some(ns), claim) else {
            return DataDir::Waiting(format!("persistentvolumeclaim \"{claim}\" not found"));
        };
        let pv_name = pvc["spec"]["volumeName"].as_str().unwrap_or("");
        if pvc["status"]["phase"] != "Bound" || pv_name.is_empty() {
            return DataDir::Waiting(format!(
                "pod has unbound immediate PersistentVolumeClaims (claim \"{claim}\" is {})",
                pvc["status"]["phase"].as_str().unwrap_or("Pending")
            ));
        }
        let Ok(pv) = store.get(resources::get("PersistentVolume"), None, pv_name) else {
            return DataDir::Waiting(format!("persistentvolume \"{pv_name}\" not found"));
        };
        match pv["spec"]["hostPath"]["path"]
            .as_str()
            .or(pv["spec"]["local"]["path"].as_str())
        {
            Some(p) => on_node(p),
            None => Err(format!(
                "labsim은 PV \"{pv_name}\"의 볼륨 종류를 지원하지 않습니다 (hostPath, local만 지원)"
            )),
        }
    } else if vol["emptyDir"].is_object() {
        return DataDir::Ready {
            path: run_dir.join(format!("emptydir-{vol_name}")),
            ephemeral: true,
        };
    } else if let Some(p) = vol["hostPath"]["path"].as_str() {
        on_node(p)
    } else {
        Err(format!(
            "labsim은 볼륨 \"{vol_name}\"의 종류를 지원하지 않습니다 (unsupported volume type)"
        ))
    };
    match path {
        Ok(path) => DataDir::Ready {
            path,
            ephemeral: false,
        },
        Err(why) => DataDir::Waiting(why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(vol: Value) -> Value {
        json!({"metadata": {"name": "mysql-0", "namespace": "default"},
            "spec": {"nodeName": "minikube-m02", "volumes": [vol], "containers": [{"name": "mysql", "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}]}]}})
    }

    #[test]
    fn pvc_waits_until_bound_then_uses_the_pv_path_on_the_pods_node() {
        let s = Store::in_memory();
        let state = Path::new("/state");
        let run = Path::new("/state/pods/x");
        let mut p =
            pod(json!({"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}));
        let c = p["spec"]["containers"][0].clone();
        assert!(
            matches!(data_dir(&s, state, run, &p, &c), DataDir::Waiting(m) if m.contains("not found"))
        );
        s.create(
            resources::get("PersistentVolumeClaim"),
            Some("default"),
            json!({"metadata": {"name": "data-mysql-0"}, "spec": {}}),
        )
        .unwrap();
        assert!(
            matches!(data_dir(&s, state, run, &p, &c), DataDir::Waiting(m) if m.contains("unbound"))
        );
        s.modify(
            resources::get("PersistentVolumeClaim"),
            Some("default"),
            "data-mysql-0",
            |o| {
                o["spec"]["volumeName"] = json!("pvc-1");
                o["status"]["phase"] = json!("Bound");
            },
        )
        .unwrap();
        // minikube's storage-provisioner writes this path (pkg/storage/storage_provisioner.go).
        s.create(resources::get("PersistentVolume"), None, json!({"metadata": {"name": "pvc-1"}, "spec": {"hostPath": {"path": "/tmp/hostpath-provisioner/default/data-mysql-0"}}})).unwrap();
        let on = |node: &str| {
            format!("/state/nodes/{node}/disk/tmp/hostpath-provisioner/default/data-mysql-0")
        };
        assert_eq!(
            data_dir(&s, state, run, &p, &c),
            DataDir::Ready {
                path: on("minikube-m02").into(),
                ephemeral: false
            }
        );
        // The same PV seen from a pod on another node is another directory.
        p["spec"]["nodeName"] = json!("minikube-m03");
        assert_eq!(
            data_dir(&s, state, run, &p, &c),
            DataDir::Ready {
                path: on("minikube-m03").into(),
                ephemeral: false
            }
        );
        // A path that would leave the node's disk is refused.
        s.modify(resources::get("PersistentVolume"), None, "pvc-1", |o| {
            o["spec"]["hostPath"]["path"] = json!("/etc/../..")
        })
        .unwrap();
        assert!(matches!(
            data_dir(&s, state, run, &p, &c),
            DataDir::Waiting(_)
        ));
        // A PV made by an earlier labsim (inside the state dir) keeps working.
        s.modify(resources::get("PersistentVolume"), None, "pvc-1", |o| {
            o["spec"]["hostPath"]["path"] = json!("/state/volumes/pvc-1")
        })
        .unwrap();
        assert_eq!(
            data_dir(&s, state, run, &p, &c),
            DataDir::Ready {
                path: "/state/volumes/pvc-1".into(),
                ephemeral: false
            }
        );
    }

    #[test]
    fn pod_host_path_is_on_the_node_disk() {
        let s = Store::in_memory();
        let p = pod(
            json!({"name": "data", "hostPath": {"path": "/mnt/data", "type": "DirectoryOrCreate"}}),
        );
        let r = data_dir(
            &s,
            Path::new("/s"),
            Path::new("/s/pods/x"),
            &p,
            &p["spec"]["containers"][0],
        );
        assert_eq!(
            r,
            DataDir::Ready {
                path: "/s/nodes/minikube-m02/disk/mnt/data".into(),
                ephemeral: false
            }
        );
    }

    #[test]
    fn empty_dir_and_no_volume_are_per_pod() {
        let s = Store::in_memory();
        let p = pod(json!({"name": "data", "emptyDir": {}}));
        let r = data_dir(
            &s,
            Path::new("/s"),
            Path::new("/s/pods/x"),
            &p,
            &p["spec"]["containers"][0],
        );
        assert_eq!(
            r,
            DataDir::Ready {
                path: "/s/pods/x/emptydir-data".into(),
                ephemeral: true
            }
        );
        let r = data_dir(
            &s,
            Path::new("/s"),
            Path::new("/s/pods/x"),
            &p,
            &json!({"name": "mysql"}),
        );
        assert_eq!(
            r,
            DataDir::Ready {
                path: "/s/pods/x/emptydir-data".into(),
                ephemeral: true
            }
        );
    }
}
