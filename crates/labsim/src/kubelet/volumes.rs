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

    /// What `data_dir` should say: waiting with a message containing this, or ready here.
    #[derive(Debug)]
    enum Want {
        Waiting(&'static str),
        Ready(&'static str, bool),
    }

    fn check(case: &str, got: DataDir, want: &Want) {
        match (want, &got) {
            (Want::Waiting(m), DataDir::Waiting(msg)) if msg.contains(m) => {}
            (Want::Ready(path, eph), DataDir::Ready { path: p, ephemeral })
                if p == Path::new(path) && ephemeral == eph => {}
            _ => panic!("{case}: got {got:?}, want {want:?}"),
        }
    }

    /// Volumes that need no API object: where each lives (state dir `/s`, pod dir `/s/pods/x`).
    #[test]
    fn volumes_without_objects_land_on_the_node_or_in_the_pod() {
        let s = Store::in_memory();
        let mounted = json!({"name": "mysql", "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}]});
        let cases = [
            (
                "hostPath: on the pod's node's disk",
                json!({"name": "data", "hostPath": {"path": "/mnt/data", "type": "DirectoryOrCreate"}}),
                mounted.clone(),
                Want::Ready("/s/nodes/minikube-m02/disk/mnt/data", false),
            ),
            (
                "emptyDir: the pod's own",
                json!({"name": "data", "emptyDir": {}}),
                mounted.clone(),
                Want::Ready("/s/pods/x/emptydir-data", true),
            ),
            (
                "a container without the mount: the pod's own data dir",
                json!({"name": "data", "emptyDir": {}}),
                json!({"name": "mysql"}),
                Want::Ready("/s/pods/x/emptydir-data", true),
            ),
        ];
        for (case, vol, container, want) in cases {
            let p = pod(vol);
            let got = data_dir(&s, Path::new("/s"), Path::new("/s/pods/x"), &p, &container);
            check(case, got, &want);
        }
    }

    /// A claim, step by step: not found, unbound, bound to minikube's hostPath PV (the path
    /// pkg/storage/storage_provisioner.go writes) on whichever node the pod runs, a path that
    /// would leave the node's disk, and a PV of an earlier labsim inside the state dir.
    #[test]
    fn pvc_waits_until_bound_then_uses_the_pv_path_on_the_pods_node() {
        let s = Store::in_memory();
        let (claims, pvs) = (
            resources::get("PersistentVolumeClaim"),
            resources::get("PersistentVolume"),
        );
        let p =
            pod(json!({"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}));
        type Step = fn(&Store, &'static resources::ResourceType, &'static resources::ResourceType);
        let steps: [(&str, Step, &str, Want); 6] = [
            (
                "no claim",
                |_, _, _| {},
                "minikube-m02",
                Want::Waiting("not found"),
            ),
            (
                "claim unbound",
                |s, c, _| {
                    s.create(
                        c,
                        Some("default"),
                        json!({"metadata": {"name": "data-mysql-0"}, "spec": {}}),
                    )
                    .unwrap();
                },
                "minikube-m02",
                Want::Waiting("unbound"),
            ),
            (
                "bound: on the pod's node",
                |s, c, v| {
                    s.modify(c, Some("default"), "data-mysql-0", |o| {
                        o["spec"]["volumeName"] = json!("pvc-1");
                        o["status"]["phase"] = json!("Bound");
                    })
                    .unwrap();
                    s.create(v, None, json!({"metadata": {"name": "pvc-1"},
                        "spec": {"hostPath": {"path": "/tmp/hostpath-provisioner/default/data-mysql-0"}}}))
                        .unwrap();
                },
                "minikube-m02",
                Want::Ready(
                    "/state/nodes/minikube-m02/disk/tmp/hostpath-provisioner/default/data-mysql-0",
                    false,
                ),
            ),
            (
                "the same PV from another node: another directory",
                |_, _, _| {},
                "minikube-m03",
                Want::Ready(
                    "/state/nodes/minikube-m03/disk/tmp/hostpath-provisioner/default/data-mysql-0",
                    false,
                ),
            ),
            (
                "a path leaving the node's disk: refused",
                |s, _, v| {
                    s.modify(v, None, "pvc-1", |o| {
                        o["spec"]["hostPath"]["path"] = json!("/etc/../..")
                    })
                    .unwrap();
                },
                "minikube-m03",
                Want::Waiting(""),
            ),
            (
                "a PV of an earlier labsim, inside the state dir",
                |s, _, v| {
                    s.modify(v, None, "pvc-1", |o| {
                        o["spec"]["hostPath"]["path"] = json!("/state/volumes/pvc-1")
                    })
                    .unwrap();
                },
                "minikube-m03",
                Want::Ready("/state/volumes/pvc-1", false),
            ),
        ];
        for (case, step, node, want) in steps {
            step(&s, claims, pvs);
            let mut p = p.clone();
            p["spec"]["nodeName"] = json!(node);
            let c = p["spec"]["containers"][0].clone();
            let got = data_dir(&s, Path::new("/state"), Path::new("/state/pods/x"), &p, &c);
            check(case, got, &want);
        }
    }
}
