//! The node machines behind the Node objects: each has its own disk (`<state>/nodes/<node>/`,
//! the root of that minikube node container's filesystem) and a power state (`labsim node
//! stop`). A hostPath is a path on the disk of the node that mounts it, as in a real multi-node
//! minikube, where `/tmp/hostpath-provisioner/...` on `minikube-m02` is not the same directory
//! as on `minikube`.

use std::path::{Component, Path, PathBuf};

/// Why a host path cannot be placed on a node's disk.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MachineError {
    /// Not absolute, or with `..`: it could leave the node's disk.
    #[error("호스트 경로 \"{0}\"는 절대 경로여야 하고 '..'를 포함할 수 없습니다")]
    BadPath(String),
    /// An unknown or unsafe node name.
    #[error("노드 이름 \"{0}\"이(가) 올바르지 않습니다")]
    BadNode(String),
}

/// The directory that holds every node disk.
pub fn nodes_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("nodes")
}

fn node_name_ok(node: &str) -> bool {
    !node.is_empty()
        && node.len() <= 63
        && node
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !node.starts_with('.')
}

/// The root of `node`'s disk.
pub fn disk(state_dir: &Path, node: &str) -> Result<PathBuf, MachineError> {
    if !node_name_ok(node) {
        return Err(MachineError::BadNode(node.to_string()));
    }
    Ok(nodes_dir(state_dir).join(node).join("disk"))
}

/// Where the absolute path `host_path` of `node` lives on this machine:
/// `<state>/nodes/<node>/disk/<host_path>`.
pub fn host_path(state_dir: &Path, node: &str, host_path: &str) -> Result<PathBuf, MachineError> {
    let p = Path::new(host_path);
    let plain = p
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::RootDir));
    if !p.is_absolute() || !plain {
        return Err(MachineError::BadPath(host_path.to_string()));
    }
    let rel: PathBuf = p
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    Ok(disk(state_dir, node)?.join(rel))
}

/// The marker file that says `node` is stopped (`labsim node stop`); it survives a labsim
/// restart, as a stopped minikube node stays stopped.
fn stopped_marker(state_dir: &Path, node: &str) -> Result<PathBuf, MachineError> {
    if !node_name_ok(node) {
        return Err(MachineError::BadNode(node.to_string()));
    }
    Ok(nodes_dir(state_dir).join(node).join("stopped"))
}

/// Whether `node`'s machine is stopped.
pub fn is_stopped(state_dir: &Path, node: &str) -> bool {
    stopped_marker(state_dir, node).is_ok_and(|m| m.exists())
}

/// When `node` was stopped (the marker's content, RFC 3339), if it is.
pub fn stopped_since(state_dir: &Path, node: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let m = stopped_marker(state_dir, node).ok()?;
    let text = std::fs::read_to_string(m).ok()?;
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Stops (`true`) or starts `node`'s machine. Returns whether the state changed.
pub fn set_stopped(state_dir: &Path, node: &str, stopped: bool) -> std::io::Result<bool> {
    let m = stopped_marker(state_dir, node)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    if stopped == m.exists() {
        return Ok(false);
    }
    if stopped {
        std::fs::create_dir_all(m.parent().expect("marker has a parent"))?;
        std::fs::write(&m, chrono::Utc::now().to_rfc3339())?;
    } else {
        std::fs::remove_file(&m)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_land_on_the_nodes_own_disk() {
        let s = Path::new("/state");
        assert_eq!(
            host_path(
                s,
                "minikube-m02",
                "/tmp/hostpath-provisioner/default/data-mysql-0"
            ),
            Ok(PathBuf::from(
                "/state/nodes/minikube-m02/disk/tmp/hostpath-provisioner/default/data-mysql-0"
            ))
        );
        assert_ne!(
            host_path(s, "minikube", "/data"),
            host_path(s, "minikube-m03", "/data")
        );
        for bad in ["relative", "/a/../b", ""] {
            assert!(host_path(s, "minikube", bad).is_err(), "{bad}");
        }
        assert!(host_path(s, "../x", "/data").is_err());
        assert!(host_path(s, "", "/data").is_err());
    }

    #[test]
    fn stop_and_start_persist_in_the_state_dir() {
        let d = tempfile::tempdir().unwrap();
        assert!(!is_stopped(d.path(), "minikube-m02"));
        assert!(set_stopped(d.path(), "minikube-m02", true).unwrap());
        assert!(!set_stopped(d.path(), "minikube-m02", true).unwrap());
        assert!(is_stopped(d.path(), "minikube-m02"));
        assert!(stopped_since(d.path(), "minikube-m02").is_some());
        assert!(!is_stopped(d.path(), "minikube"));
        assert!(set_stopped(d.path(), "minikube-m02", false).unwrap());
        assert!(!is_stopped(d.path(), "minikube-m02"));
        assert!(stopped_since(d.path(), "minikube-m02").is_none());
    }
}
