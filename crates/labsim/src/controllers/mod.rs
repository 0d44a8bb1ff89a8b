//! Controllers in the spirit of kube-controller-manager and kube-scheduler, one per file.
//!
//! Every controller is a level-triggered `reconcile` over the whole store: it reads what is,
//! writes what should be, and is idempotent (a second pass writes nothing). [`run`] calls them
//! all after every burst of store changes (coalesced for [`DEBOUNCE`]) and on a [`TICK`].

pub mod bootstrap;
pub mod claim_events;
pub mod disruption;
pub mod endpoints;
pub mod gc;
pub mod local_path;
pub mod node_lifecycle;
pub mod nodes;
pub mod provisioner;
pub mod revisions;
pub mod sched_retry;
pub mod scheduler;
pub mod serviceaccounts;
pub mod statefulset;
pub mod volume_binding;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use crate::objects::events::EventRecorder;

use crate::api_error::ApiError;
use crate::shutdown::Shutdown;
use crate::store::Store;

/// Changes arriving within this window are handled by one pass.
pub const DEBOUNCE: Duration = Duration::from_millis(20);
/// A pass also runs this often without changes (event expiry, retries).
pub const TICK: Duration = Duration::from_secs(1);
/// How often the nodes' heartbeats are refreshed.
const HEARTBEAT: Duration = Duration::from_secs(40);

/// Why a reconcile pass failed.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// The store refused a read or write.
    #[error("store: {0}")]
    Api(Box<ApiError>),
    /// A volume directory could not be created or removed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A path that is not a volume directory of this state dir was about to be touched.
    #[error("refusing to touch {0}: not a volume directory of this cluster")]
    UnsafePath(PathBuf),
}

impl From<ApiError> for ControllerError {
    fn from(e: ApiError) -> Self {
        ControllerError::Api(Box::new(e))
    }
}

impl ControllerError {
    /// The HTTP code of a store error (404, 409, ...), if this is one.
    pub fn code(&self) -> Option<u16> {
        match self {
            ControllerError::Api(e) => Some(e.code),
            _ => None,
        }
    }
}

/// Creates what a fresh minikube has (namespaces, three nodes, StorageClass `standard`) if missing.
pub fn bootstrap(store: &Store) {
    if let Err(e) = bootstrap::run(store) {
        tracing::error!("bootstrap: {e}");
    }
}

/// One pass of every controller, in the order a pod's life needs them. Errors are logged and do
/// not stop the other controllers (the next pass retries).
pub fn reconcile_all(store: &Store, state_dir: &Path) {
    let report = |what: &str, r: Result<(), ControllerError>| {
        if let Err(e) = r {
            tracing::warn!("{what}: {e}");
        }
    };
    report("statefulset", statefulset::reconcile(store));
    report("provisioner", provisioner::reconcile(store, state_dir));
    report(
        "nodelifecycle",
        node_lifecycle::reconcile(store, state_dir, chrono::Utc::now()),
    );
    report("scheduler", scheduler::reconcile(store));
    report("serviceaccounts", serviceaccounts::reconcile(store));
    report("endpoints", endpoints::reconcile(store));
    report("disruption", disruption::reconcile(store));
    report("gc", gc::reconcile(store));
}

/// Runs every controller until shutdown.
pub async fn run(store: Arc<Store>, state_dir: PathBuf, shutdown: Shutdown) {
    let mut changes = store.subscribe();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heartbeat = tokio::time::Instant::now();
    loop {
        let pass_store = store.clone();
        let pass_dir = state_dir.clone();
        // Reconciles touch the disk (volume directories, store files): keep them off the
        // async workers.
        let _ = tokio::task::spawn_blocking(move || reconcile_all(&pass_store, &pass_dir)).await;
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = tick.tick() => {
                let s = store.clone();
                let dir = state_dir.clone();
                let beat = last_heartbeat.elapsed() >= HEARTBEAT;
                if beat {
                    last_heartbeat = tokio::time::Instant::now();
                }
                let _ = tokio::task::spawn_blocking(move || {
                    EventRecorder::expire(&s, chrono::Utc::now());
                    if beat {
                        if let Err(e) = nodes::heartbeat(&s, &|n| crate::objects::machines::is_stopped(&dir, n)) {
                            tracing::warn!("node heartbeat: {e}");
                        }
                    }
                })
                .await;
            }
            r = changes.recv() => {
                if matches!(r, Err(RecvError::Closed)) {
                    // The store is gone; nothing left to reconcile.
                    shutdown.wait().await;
                    return;
                }
                tokio::time::sleep(DEBOUNCE).await;
                // Everything queued meanwhile is covered by the next pass.
                while !matches!(
                    changes.try_recv(),
                    Err(tokio::sync::broadcast::error::TryRecvError::Empty)
                        | Err(tokio::sync::broadcast::error::TryRecvError::Closed)
                ) {}
            }
        }
    }
}

#[cfg(test)]
mod storage_tests;
#[cfg(test)]
mod tests;
