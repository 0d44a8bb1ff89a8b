//! The process's one `Lab`: connected on first use, forgotten when the cluster or the allowed
//! contexts change. The engine runs every call with it (`on_lab`), on the engine's runtime.

use std::future::Future;
use std::sync::{Arc, Mutex};

use crate::error::cluster::Error as ClusterError;
use crate::error::{Error, Result};
use crate::lab::Lab;

static LAB_SLOT: Mutex<Option<Arc<Lab>>> = Mutex::new(None);

/// The global `Lab`, connected on first use.
pub async fn lab() -> Result<Arc<Lab>> {
    if let Some(l) = LAB_SLOT.lock().unwrap_or_else(|e| e.into_inner()).clone() {
        return Ok(l);
    }
    let l = Arc::new(Lab::connect().await?);
    *LAB_SLOT.lock().unwrap_or_else(|e| e.into_inner()) = Some(l.clone());
    Ok(l)
}

/// Makes `lab` the global `Lab` (a cluster `start_cluster` just started or found).
pub(crate) fn install(lab: Arc<Lab>) {
    *LAB_SLOT.lock().unwrap_or_else(|e| e.into_inner()) = Some(lab);
}

/// Forgets the global `Lab` (the kubeconfig or the allowed contexts changed).
pub fn reset_lab() {
    *LAB_SLOT.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

/// Runs `f(lab)` with the global `Lab` on the caller's runtime; a cluster that went away (or
/// restarted with a new port/token) makes the next call read the kubeconfig afresh.
pub async fn on_lab<F, Fut, T>(f: F) -> Result<T>
where
    F: FnOnce(Arc<Lab>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let l = lab().await?;
    let r = f(l).await;
    if matches!(r, Err(Error::Cluster(ClusterError::Unreachable { .. }))) {
        reset_lab();
    }
    r
}
