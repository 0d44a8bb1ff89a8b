//! Where a pod's `/var/lib/mysql` lives on the host: the hostPath of the PV bound to its claim
//! (waiting while the claim is unbound), or a per-pod directory for emptyDir / no volume.

use std::path::{Path, PathBuf};

use serde_json::Value;

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
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
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
    let Some(vol) = pod["spec"]["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == vol_name)
    else {
        return DataDir::Waiting(format!("volume \"{vol_name}\" not found in pod spec"));
    };
    let base = if let Some(claim) = vol["persistentVolumeClaim"]["claimName"].as_str() {
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
        let host = pv["spec"]["hostPath"]["path"].as_str().map(PathBuf::from);
        // labsim writes only inside its state dir: a PV pointing elsewhere gets a dir of its own.
        match host {
            Some(p)
                if p.is_absolute()
                    && p.starts_with(state_dir)
                    && !p.components().any(|c| c.as_os_str() == "..") =>
            {
                p
            }
            _ => state_dir.join("volumes").join(pv_name),
        }
    } else if vol["emptyDir"].is_object() {
        run_dir.join(format!("emptydir-{vol_name}"))
    } else if let Some(p) = vol["hostPath"]["path"].as_str() {
        let safe: String = p
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        state_dir.join("hostpath").join(safe)
    } else {
        return DataDir::Waiting(format!(
            "labsim은 볼륨 \"{vol_name}\"의 종류를 지원하지 않습니다 (unsupported volume type)"
        ));
    };
    let ephemeral = vol["emptyDir"].is_object();
    let path = if sub.is_empty() || sub.contains("..") || sub.starts_with('/') {
        base
    } else {
        base.join(sub)
    };
    DataDir::Ready { path, ephemeral }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(vol: Value) -> Value {
        json!({"metadata": {"name": "mysql-0", "namespace": "default"},
            "spec": {"volumes": [vol], "containers": [{"name": "mysql", "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}]}]}})
    }

    #[test]
    fn pvc_waits_until_bound_then_uses_pv_path() {
        let s = Store::in_memory();
        let state = Path::new("/state");
        let run = Path::new("/state/pods/x");
        let p =
            pod(json!({"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}));
        let c = &p["spec"]["containers"][0];
        assert!(
            matches!(data_dir(&s, state, run, &p, c), DataDir::Waiting(m) if m.contains("not found"))
        );
        s.create(
            resources::get("PersistentVolumeClaim"),
            Some("default"),
            json!({"metadata": {"name": "data-mysql-0"}, "spec": {}}),
        )
        .unwrap();
        assert!(
            matches!(data_dir(&s, state, run, &p, c), DataDir::Waiting(m) if m.contains("unbound"))
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
        s.create(resources::get("PersistentVolume"), None, json!({"metadata": {"name": "pvc-1"}, "spec": {"hostPath": {"path": "/state/volumes/pvc-1"}}})).unwrap();
        assert_eq!(
            data_dir(&s, state, run, &p, c),
            DataDir::Ready {
                path: "/state/volumes/pvc-1".into(),
                ephemeral: false
            }
        );
        s.modify(resources::get("PersistentVolume"), None, "pvc-1", |o| {
            o["spec"]["hostPath"]["path"] = json!("/etc")
        })
        .unwrap();
        assert_eq!(
            data_dir(&s, state, run, &p, c),
            DataDir::Ready {
                path: "/state/volumes/pvc-1".into(),
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
