//! The engine: kubelab-core, once per kernel, serving the cells' calls on a Unix socket.
//!
//! One tokio runtime, one kube client, SQL sessions and watches that live from cell to cell.
//! Each call runs as its own task: its printed lines stream back to the cell as they come, a
//! panic becomes a Korean failure instead of a crash, and an interrupt aborts it.

mod ops;
mod socket;

#[cfg(test)]
mod path_tests;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kubelab::Error;
use kubelab_core as core;
use tokio::task::AbortHandle;

pub use socket::serve;

/// State shared by every call of one kernel.
#[derive(Default)]
pub struct Engine {
    sessions: Mutex<HashMap<u64, core::MySql>>,
    next_id: AtomicU64,
    running: Mutex<HashMap<u64, AbortHandle>>,
    failures: Mutex<Vec<Error>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Engine {
    /// A new engine behind an `Arc` (calls run as tasks that hold it).
    pub fn new() -> Arc<Engine> {
        Arc::new(Engine::default())
    }

    fn add_session(&self, m: core::MySql) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        lock(&self.sessions).insert(id, m);
        id
    }

    fn session(&self, id: u64) -> Option<core::MySql> {
        lock(&self.sessions).get(&id).cloned()
    }

    /// Aborts every running call (Jupyter's interrupt); true when there was one.
    pub fn interrupt(&self) -> bool {
        let running: Vec<AbortHandle> = lock(&self.running).drain().map(|(_, h)| h).collect();
        for h in &running {
            h.abort();
        }
        !running.is_empty()
    }

    /// The failures reported to cells since the last call of this (the front end asks after
    /// each cell, to name the error it shows).
    pub fn take_failures(&self) -> Vec<Error> {
        std::mem::take(&mut *lock(&self.failures))
    }

    fn note_failure(&self, f: &Error) {
        lock(&self.failures).push(f.clone());
    }
}
