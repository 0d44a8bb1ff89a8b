//! Controllers in the spirit of kube-controller-manager and kube-scheduler, one per file.
//! (Stub until the controllers land.)

use std::path::PathBuf;
use std::sync::Arc;

use crate::shutdown::Shutdown;
use crate::store::Store;

/// Creates what a fresh minikube has (namespaces, three nodes, StorageClass `standard`) if missing.
pub fn bootstrap(_store: &Store) {}

/// Runs every controller until shutdown.
pub async fn run(_store: Arc<Store>, _state_dir: PathBuf, shutdown: Shutdown) {
    shutdown.wait().await;
}
