//! The process's one `Lab` and kubelab's own runtime: the global `Lab` (connected on first use,
//! forgotten when the cluster or the allowed contexts change) that the engine and the sync facade
//! share, kubelab's lazily created multi-thread tokio runtime, and `block` that runs a future
//! there and waits for it from anywhere (plain code, a multi-thread runtime such as evcxr's after
//! a top-level `.await`, or a current-thread runtime).

use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

use crate::error::cluster::Error as ClusterError;
use crate::error::{Error, Result};
use crate::lab::Lab;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static LAB_SLOT: Mutex<Option<Arc<Lab>>> = Mutex::new(None);

/// kubelab's own runtime (two workers: enough for watch + port-forward + SQL at once).
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kubelab")
            .enable_all()
            .build()
            .expect("kubelab: tokio runtime could not start")
    })
}

/// Identifies this copy of kubelab's code: evcxr links its dependencies statically into every
/// cell's library, so each cell has its own statics (this runtime, the global `Lab`). Objects
/// that outlive a cell compare this to know whether they were made by the code now running.
pub fn copy_id() -> usize {
    &RUNTIME as *const _ as usize
}

/// Runs `fut` on kubelab's runtime and waits for its result, without ever nesting runtimes.
pub fn block<F, T>(fut: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    let wait = move || match rx.recv() {
        Ok(v) => v,
        // the task panicked: report it on the caller's thread
        Err(_) => {
            panic!("kubelab: 작업이 비정상 종료되었습니다 (panic). 위의 메시지를 확인하세요.")
        }
    };
    match Handle::try_current() {
        // a worker of someone else's multi-thread runtime (evcxr): hand its tasks to other
        // workers while this thread waits
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        // current-thread runtime or none: the work runs on our runtime, so blocking is safe
        _ => wait(),
    }
}

/// The global `Lab`, connected on first use inside kubelab's runtime.
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

/// Runs `f(lab)` on kubelab's runtime with the global `Lab` (the sync facade).
pub fn with_lab<F, Fut, T>(f: F) -> Result<T>
where
    F: FnOnce(Arc<Lab>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    block(on_lab(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn work() -> u32 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        // the work really runs on kubelab's runtime
        assert!(std::thread::current().name() == Some("kubelab"));
        7
    }

    #[test]
    fn block_from_plain_code() {
        assert_eq!(block(work()), 7);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn block_inside_multi_thread_runtime() {
        assert_eq!(block(work()), 7);
        // and again after an await, like a later evcxr cell
        tokio::task::yield_now().await;
        assert_eq!(block(work()), 7);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn block_inside_current_thread_runtime() {
        assert_eq!(block(work()), 7);
    }

    #[test]
    fn block_from_spawned_blocking_thread_of_other_runtime() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let v = rt.block_on(async { tokio::task::spawn_blocking(|| block(work())).await.unwrap() });
        assert_eq!(v, 7);
    }
}
