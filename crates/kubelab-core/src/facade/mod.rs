//! The sync facade: each lab step as a plain function (`nodes()?`, `apply(..)?`) that runs the
//! async `Lab` step on kubelab's own runtime with the process's one `Lab`, for tests, examples and
//! plain programs. (Notebook cells use the `kubelab` crate instead: the kernel's engine runs the
//! same steps.)

use std::time::Duration;

use crate::apply::ApplyReport;
use crate::change::{ChangeReport, DeleteReport};
use crate::cluster::{self, ClusterInfo};
use crate::delete::CleanupReport;
use crate::error::Result;
use crate::exec::ExecOutput;
use crate::runtime::{block, with_lab};
use crate::sql::MySql;
use crate::table::Table;
use crate::wait::{PodReady, DEFAULT_TIMEOUT};
use crate::watch::WatchReport;

/// One sync function per row: its arguments (owned before they go to kubelab's runtime) and the
/// `Lab` call it makes on the process's one `Lab` (`|l| ...`).
macro_rules! sync_steps {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = |$l:ident| $call:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> Result<$ret> {
            $(let $arg = $arg.to_owned();)*
            with_lab(move |$l| async move { $call.await })
        }
    )*};
}

/// Reuses a reachable lab cluster; else starts minikube (docker) or labsim; else says what is missing.
pub fn start_cluster() -> Result<ClusterInfo> {
    block(cluster::start_cluster())
}

/// `kubectl get pods -l SELECTOR -w` until all replicas are Ready (timeout 300 s).
pub fn watch_pods(selector: &str) -> Result<WatchReport> {
    watch_pods_for(selector, DEFAULT_TIMEOUT)
}

/// Waits (300 s) for pod NAME to be Ready: the re-created one (new UID) after `delete_pod`.
pub fn wait_ready(name: &str) -> Result<PodReady> {
    wait_ready_for(name, DEFAULT_TIMEOUT)
}

sync_steps! {
    /// `kubectl cluster-info` + nodes: which cluster kubelab talks to.
    fn cluster() -> ClusterInfo = |l| l.cluster();
    /// `kubectl get nodes`.
    fn nodes() -> Table = |l| l.nodes();
    /// `kubectl get pods`.
    fn pods() -> Table = |l| l.pods();
    /// `kubectl get pods -o wide`.
    fn pods_wide() -> Table = |l| l.pods_wide();
    /// `kubectl get statefulsets`.
    fn statefulsets() -> Table = |l| l.statefulsets();
    /// `kubectl get pvc`.
    fn pvcs() -> Table = |l| l.pvcs();
    /// `kubectl get pv`.
    fn pvs() -> Table = |l| l.pvs();
    /// `kubectl get storageclass`.
    fn storage_classes() -> Table = |l| l.storage_classes();
    /// `kubectl get services`.
    fn services() -> Table = |l| l.services();
    /// `kubectl get events`.
    fn events() -> Table = |l| l.events();
    /// POD NODE PVC VOLUME PV-NODE/PATH: where pods run and where their data lives.
    fn placement() -> Table = |l| l.placement();
    /// `kubectl apply -f PATH` (server-side apply, field manager `kubelab`).
    fn apply(path: &str) -> ApplyReport = |l| l.apply(&path);
    /// `watch_pods` with a chosen timeout.
    fn watch_pods_for(selector: &str, timeout: Duration) -> WatchReport =
        |l| l.watch_pods(&selector, timeout);
    /// `kubectl delete pod -l SELECTOR`.
    fn delete_pods(selector: &str) -> DeleteReport = |l| l.delete_pods(&selector);
    /// `kubectl delete pod NAME`.
    fn delete_pod(name: &str) -> DeleteReport = |l| l.delete_pod(&name);
    /// `wait_ready` with a chosen timeout.
    fn wait_ready_for(name: &str, timeout: Duration) -> PodReady = |l| l.wait_ready(&name, timeout);
    /// `kubectl scale statefulset NAME --replicas=N`.
    fn scale(name: &str, replicas: i32) -> ChangeReport = |l| l.scale(&name, replicas);
    /// `kubectl delete statefulset NAME` (PVCs stay; says so).
    fn delete_statefulset(name: &str) -> CleanupReport = |l| l.delete_statefulset(&name);
    /// Deletes what the lab created except PVCs, and lists the PVCs that stay.
    fn cleanup() -> CleanupReport = |l| l.cleanup();
    /// Deletes the lab's PVCs (label app=mysql or data-mysql-*), and so its data.
    fn delete_data() -> DeleteReport = |l| l.delete_data();
    /// Opens a MySQL session to POD (port-forward + root, password from the StatefulSet/Secret).
    fn mysql(pod: &str) -> MySql = |l| l.mysql(&pod);
}

/// `kubectl exec POD -- CMD...` without stdin/TTY.
pub fn exec(pod: &str, command: &[&str]) -> Result<ExecOutput> {
    let pod = pod.to_string();
    let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
    with_lab(move |l| async move {
        let c: Vec<&str> = command.iter().map(String::as_str).collect();
        l.exec(&pod, &c).await
    })
}

#[cfg(test)]
mod tests;
