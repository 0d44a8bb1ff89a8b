//! The kubelet: runs a real `mariadbd` for every MySQL pod bound to a node and reports pod status.
//! (Stub until the kubelet lands: pods stay as the scheduler left them.)

use std::path::PathBuf;
use std::sync::Arc;

use crate::store::Store;

/// What exec, port-forward and logs need to reach a running pod.
#[derive(Debug, Clone)]
pub struct PodRuntime {
    /// Loopback port where this pod's port 3306 is served.
    pub mysql_port: u16,
    /// The server's log (what `kubectl logs` prints).
    pub log_path: PathBuf,
    /// The container's environment as the pod spec resolves it (Secrets included).
    pub env: Vec<(String, String)>,
    /// Directory that stands for the container's filesystem (`cat`/`ls` look here).
    pub root_dir: PathBuf,
    /// The pod's hostname (its name).
    pub hostname: String,
}

/// Owns the pod processes.
pub struct Kubelet {
    #[allow(dead_code)]
    store: Arc<Store>,
    #[allow(dead_code)]
    state_dir: PathBuf,
}

impl Kubelet {
    pub fn new(store: Arc<Store>, state_dir: PathBuf) -> Arc<Kubelet> {
        Arc::new(Kubelet { store, state_dir })
    }

    /// The runtime of a running pod, if it has one.
    pub fn runtime(&self, _namespace: &str, _pod: &str) -> Option<PodRuntime> {
        None
    }

    /// Syncs pods with processes until `shutdown` resolves, then stops every process cleanly.
    pub async fn run(self: Arc<Self>, shutdown: crate::shutdown::Shutdown) {
        shutdown.wait().await;
    }
}
