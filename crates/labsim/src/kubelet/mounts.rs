//! A container's `volumeMounts` as host directories to bind: persistent volumes, emptyDir and
//! hostPath where [`super::volumes`] keeps them (its rules decide the host directory; this file
//! only asks it per volume), configMap and secret volumes written as files (one per key, or
//! per `items` entry, mode `defaultMode`/`mode`) into the pod's run dir, `subPath` below any of
//! them. A missing source makes the pod wait, as a real kubelet does.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;

use super::sandbox::rootfs::Mount;
use super::volumes::{self, DataDir};
use crate::resources;
use crate::store::Store;

/// The mounts of `container`, or why the pod waits (`ContainerCreating`).
pub fn resolve(
    store: &Store,
    state_dir: &Path,
    run_dir: &Path,
    pod: &Value,
    container: &Value,
) -> Result<Vec<Mount>, String> {
    let mut out = Vec::new();
    for m in container["volumeMounts"].as_array().into_iter().flatten() {
        let target = m["mountPath"].as_str().unwrap_or("").trim_end_matches('/');
        if !target.starts_with('/') || target.split('/').any(|c| c == "..") {
            return Err(format!("invalid mountPath \"{target}\""));
        }
        let name = m["name"].as_str().unwrap_or("");
        let sub = m["subPath"].as_str().unwrap_or("");
        let Some(vol) = pod["spec"]["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == name)
        else {
            return Err(format!("volume \"{name}\" not found in pod spec"));
        };
        let base = if vol["configMap"].is_object() || vol["secret"].is_object() {
            project(store, run_dir, pod, vol)?
        } else {
            // The volume's host directory as volumes.rs computes it (on the disk of the pod's
            // node for a PVC or hostPath, in the pod's run dir for emptyDir).
            match volumes::volume_dir(store, state_dir, run_dir, pod, name) {
                DataDir::Ready { path, .. } => path,
                DataDir::Waiting(why) => return Err(why),
            }
        };
        let host = if sub.is_empty() {
            base
        } else if sub.starts_with('/') || sub.split('/').any(|c| c == "..") {
            return Err(format!("invalid subPath \"{sub}\""));
        } else {
            base.join(sub)
        };
        if !host.exists() {
            std::fs::create_dir_all(&host).map_err(|e| format!("{}: {e}", host.display()))?;
        }
        let read_only =
            m["readOnly"] == true || vol["configMap"].is_object() || vol["secret"].is_object();
        out.push(Mount {
            host,
            target: target.to_string(),
            read_only,
        });
    }
    Ok(out)
}

/// Writes a configMap or secret volume's files under `<run_dir>/volumes/<name>/` (rewritten on
/// every container start, so a changed ConfigMap shows on restart).
fn project(store: &Store, run_dir: &Path, pod: &Value, vol: &Value) -> Result<PathBuf, String> {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("default");
    let vname = vol["name"].as_str().unwrap_or("");
    let (kind, src, obj_name) = if vol["configMap"].is_object() {
        (
            "ConfigMap",
            &vol["configMap"],
            vol["configMap"]["name"].as_str(),
        )
    } else {
        (
            "Secret",
            &vol["secret"],
            vol["secret"]["secretName"].as_str(),
        )
    };
    let obj_name = obj_name.unwrap_or("");
    let optional = src["optional"] == true;
    let data: Vec<(String, Vec<u8>)> = match store.get(resources::get(kind), Some(ns), obj_name) {
        Ok(o) => entries(kind, &o),
        Err(_) if optional => vec![],
        Err(_) => {
            let what = if kind == "Secret" {
                "secret"
            } else {
                "configmap"
            };
            return Err(format!(
                "MountVolume.SetUp failed for volume \"{vname}\" : {what} \"{obj_name}\" not found"
            ));
        }
    };
    let dir = run_dir.join("volumes").join(vname);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let default_mode = src["defaultMode"].as_u64().unwrap_or(0o644) as u32;
    let files: Vec<(String, Vec<u8>, u32)> = match src["items"].as_array() {
        Some(items) => items
            .iter()
            .filter_map(|it| {
                let key = it["key"].as_str()?;
                let (_, v) = data.iter().find(|(k, _)| k == key)?;
                let path = it["path"].as_str().unwrap_or(key).to_string();
                let mode = it["mode"]
                    .as_u64()
                    .map(|m| m as u32)
                    .unwrap_or(default_mode);
                Some((path, v.clone(), mode))
            })
            .collect(),
        None => data
            .into_iter()
            .map(|(k, v)| (k, v, default_mode))
            .collect(),
    };
    for (path, bytes, mode) in files {
        if path.starts_with('/') || path.split('/').any(|c| c == "..") {
            continue;
        }
        let file = dir.join(&path);
        if let Some(parent) = file.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        std::fs::write(&file, bytes).map_err(|e| format!("{}: {e}", file.display()))?;
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o777));
    }
    Ok(dir)
}

/// A ConfigMap's `data` (and `binaryData`) or a Secret's decoded `data` and `stringData`.
fn entries(kind: &str, o: &Value) -> Vec<(String, Vec<u8>)> {
    let b64 = |s: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap_or_default()
    };
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (k, v) in o["data"].as_object().into_iter().flatten() {
        let s = v.as_str().unwrap_or("");
        out.push((
            k.clone(),
            if kind == "Secret" {
                b64(s)
            } else {
                s.as_bytes().to_vec()
            },
        ));
    }
    for (field, decode) in [("binaryData", true), ("stringData", false)] {
        for (k, v) in o[field].as_object().into_iter().flatten() {
            let s = v.as_str().unwrap_or("");
            out.retain(|(n, _)| n != k);
            out.push((
                k.clone(),
                if decode {
                    b64(s)
                } else {
                    s.as_bytes().to_vec()
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_maps_become_files_and_sub_paths_nest() {
        let s = Store::in_memory();
        s.create(
            resources::get("ConfigMap"),
            Some("default"),
            json!({"metadata": {"name": "mysql"}, "data": {"primary.cnf": "[mysqld]\nlog-bin\n"}}),
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("pods/x");
        let pod = json!({"metadata": {"name": "mysql-0", "namespace": "default"},
            "spec": {"volumes": [{"name": "config-map", "configMap": {"name": "mysql"}},
                                 {"name": "conf", "emptyDir": {}}]}});
        let c = json!({"volumeMounts": [
            {"name": "conf", "mountPath": "/mnt/conf.d"},
            {"name": "config-map", "mountPath": "/mnt/config-map"},
            {"name": "conf", "mountPath": "/etc/x", "subPath": "sub"}]});
        let m = resolve(&s, dir.path(), &run, &pod, &c).unwrap();
        assert_eq!(m[1].target, "/mnt/config-map");
        assert!(m[1].read_only && !m[0].read_only);
        assert_eq!(
            std::fs::read_to_string(m[1].host.join("primary.cnf")).unwrap(),
            "[mysqld]\nlog-bin\n"
        );
        assert_eq!(m[2].host, m[0].host.join("sub"));
        let missing = json!({"metadata": {"name": "p", "namespace": "default"},
            "spec": {"volumes": [{"name": "s", "secret": {"secretName": "nope"}}]}});
        let c = json!({"volumeMounts": [{"name": "s", "mountPath": "/s"}]});
        assert!(resolve(&s, dir.path(), &run, &missing, &c)
            .unwrap_err()
            .contains("secret \"nope\" not found"));
    }
}
