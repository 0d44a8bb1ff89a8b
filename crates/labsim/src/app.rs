//! The state every request handler shares: the store, the kubelet (for exec, port-forward and
//! logs), the bearer token and the state directory.

use std::path::PathBuf;
use std::sync::Arc;

use crate::kubelet::Kubelet;
use crate::store::Store;

/// Cheap to clone: everything is behind `Arc`s.
#[derive(Clone)]
pub struct App {
    pub store: Arc<Store>,
    pub kubelet: Arc<Kubelet>,
    /// Every request must carry `Authorization: Bearer <token>`.
    pub token: Arc<str>,
    /// Root of everything labsim writes.
    pub state_dir: Arc<PathBuf>,
}
