//! kubelab: one call per step of the StatefulSet/MySQL lab, as a notebook cell (or the REPL) sees it.
//!
//! Crate map (dependencies run downwards only):
//! - [`prelude`] and the free functions below: the lab steps (`nodes()?`, `apply(..)?`, ...).
//! - [`Lab`] (`lab.rs`): the same steps as `async` methods, for cells that `.await`.
//! - `results.rs`, `sql.rs`: what the steps return ([`Table`], [`WatchReport`], [`MySql`], ...).
//! - `show.rs`: how results show (HTML in Jupyter, text in the REPL), from the engine's rendering.
//! - `call.rs`: sends a step to the kernel's engine and prints its lines as they come.
//! - [`wire`]: the frames both sides speak and the data they carry ([`wire::TableData`] with
//!   the table accessors, [`wire::PodReadyData`]); std only, and kubelab-core builds on them.
//! - `error.rs`: [`Error`], the Korean message of a failed step.
//!
//! The work itself (kube-rs, port-forwards, SQL sessions, watches) runs once per kernel in
//! `kubelab-core`, inside the `kubelab-kernel` process; this crate has no dependencies so that
//! every cell compiles at plain-evcxr speed. See `docs/kernel.md`.

mod call;
mod check;
mod error;
mod lab;
mod results;
mod show;
mod sql;
mod steps;
pub mod wire;

use std::time::Duration;

pub use call::SOCKET_ENV;
pub use check::{check, timeline, topology, CheckReport, Picture};
pub use error::{Error, Result};
pub use lab::Lab;
pub use results::{
    ApplyReport, ChangeReport, CleanupReport, ClusterInfo, DeleteReport, ExecOutput, FreshReport,
    Leftovers, Note, PodReady, Table, WatchReport,
};
pub use sql::{MySql, SqlOutput, StatementResult};
pub use steps::{
    delete, describe, revisions, wait_deleted, wait_deleted_for, watch_rollout, watch_rollout_for,
    Description, RolloutReport,
};

use call::call;

/// How long `watch_pods` and `wait_ready` wait by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

fn ms(d: Duration) -> String {
    d.as_millis().to_string()
}

/// One function per row: its arguments, the engine operation and the arguments sent as strings,
/// and how the returned value is read.
macro_rules! calls {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $op:literal [$($sent:expr),*] $read:path;)*) => {$(
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> Result<$ret> {
            call($op, &[$($sent),*]).map($read)
        }
    )*};
}

calls! {
    /// Reuses a reachable lab cluster; else starts minikube (docker) or labsim; else says what is missing.
    fn start_cluster() -> ClusterInfo = "start_cluster" [] ClusterInfo::from_value;
    /// `kubectl cluster-info` + nodes: which cluster kubelab talks to.
    fn cluster() -> ClusterInfo = "cluster" [] ClusterInfo::from_value;
    /// `kubectl get nodes`.
    fn nodes() -> Table = "nodes" [] Table::from_value;
    /// `kubectl get pods`.
    fn pods() -> Table = "pods" [] Table::from_value;
    /// `kubectl get pods -o wide`.
    fn pods_wide() -> Table = "pods_wide" [] Table::from_value;
    /// `kubectl get statefulsets`.
    fn statefulsets() -> Table = "statefulsets" [] Table::from_value;
    /// `kubectl get pvc`.
    fn pvcs() -> Table = "pvcs" [] Table::from_value;
    /// `kubectl get pv`.
    fn pvs() -> Table = "pvs" [] Table::from_value;
    /// `kubectl get storageclass`.
    fn storage_classes() -> Table = "storage_classes" [] Table::from_value;
    /// `kubectl get services`.
    fn services() -> Table = "services" [] Table::from_value;
    /// `kubectl get events`.
    fn events() -> Table = "events" [] Table::from_value;
    /// POD NODE PVC VOLUME PV-NODE/PATH: where pods run and where their data lives.
    fn placement() -> Table = "placement" [] Table::from_value;
    /// `kubectl apply -f PATH` (server-side apply, field manager `kubelab`).
    fn apply(path: &str) -> ApplyReport = "apply" [path] ApplyReport::from_value;
    /// `watch_pods` with a chosen timeout.
    fn watch_pods_for(selector: &str, timeout: Duration) -> WatchReport =
        "watch_pods" [selector, &ms(timeout)] WatchReport::from_value;
    /// `kubectl delete pod -l SELECTOR`.
    fn delete_pods(selector: &str) -> DeleteReport = "delete_pods" [selector] ChangeReport::from_value;
    /// `kubectl delete pod NAME`.
    fn delete_pod(name: &str) -> DeleteReport = "delete_pod" [name] ChangeReport::from_value;
    /// `wait_ready` with a chosen timeout.
    fn wait_ready_for(name: &str, timeout: Duration) -> PodReady =
        "wait_ready" [name, &ms(timeout)] PodReady::from_value;
    /// `kubectl scale statefulset NAME --replicas=N`.
    fn scale(name: &str, replicas: i32) -> ChangeReport =
        "scale" [name, &replicas.to_string()] ChangeReport::from_value;
    /// `kubectl delete statefulset NAME` (PVCs stay; says so).
    fn delete_statefulset(name: &str) -> CleanupReport =
        "delete_statefulset" [name] CleanupReport::from_value;
    /// Deletes what the lab created except PVCs, and lists the PVCs that stay.
    fn cleanup() -> CleanupReport = "cleanup" [] CleanupReport::from_value;
    /// Deletes the lab's PVCs (label app=mysql or data-mysql-*), and so its data.
    fn delete_data() -> DeleteReport = "delete_data" [] ChangeReport::from_value;
    /// Opens a MySQL session to POD (port-forward + root, password from the StatefulSet/Secret).
    fn mysql(pod: &str) -> MySql = "mysql" [pod] MySql::from_value;
    /// `kubectl get statefulset,pod,pvc -l app=mysql`: what an earlier run of the lab left.
    fn leftovers() -> Leftovers = "leftovers" [] Leftovers::from_value;
    /// Starts the lab over: deletes its StatefulSet, Service, Secret and PVCs (so its data) and
    /// waits until they are gone. Nothing is deleted without this call.
    fn start_fresh() -> FreshReport = "start_fresh" [] FreshReport::from_value;
    /// Lets kubelab act on a kube context that is not a lab cluster (minikube, labsim).
    fn allow_context(name: &str) -> Note = "allow_context" [name] Note::from_value;
}

/// `kubectl get pods -l SELECTOR -w` until all replicas are Ready (timeout 300 s).
pub fn watch_pods(selector: &str) -> Result<WatchReport> {
    watch_pods_for(selector, DEFAULT_TIMEOUT)
}

/// Waits (300 s) for pod NAME to be Ready: the re-created one (new UID) after `delete_pod`.
pub fn wait_ready(name: &str) -> Result<PodReady> {
    wait_ready_for(name, DEFAULT_TIMEOUT)
}

/// `kubectl exec POD -- CMD...` without stdin/TTY.
pub fn exec(pod: &str, command: &[&str]) -> Result<ExecOutput> {
    let mut args = vec![pod];
    args.extend_from_slice(command);
    call("exec", &args).map(ExecOutput::from_value)
}

/// Everything a lab notebook needs: `use kubelab::prelude::*;` (the kernel does this for you).
pub mod prelude {
    pub use crate::{
        allow_context, apply, cleanup, cluster, delete_data, delete_pod, delete_pods,
        delete_statefulset, events, exec, leftovers, mysql, nodes, placement, pods, pods_wide,
        pvcs, pvs, scale, services, start_cluster, start_fresh, statefulsets, storage_classes,
        wait_ready, wait_ready_for, watch_pods, watch_pods_for,
    };
    pub use crate::{check, timeline, topology, CheckReport, Picture};
    // notebooks 03 (troubleshooting) and 04 (updates)
    pub use crate::{
        delete, describe, revisions, wait_deleted, wait_deleted_for, watch_rollout,
        watch_rollout_for, Description, RolloutReport,
    };
    pub use crate::{
        ApplyReport, ChangeReport, CleanupReport, ClusterInfo, DeleteReport, Error, ExecOutput,
        FreshReport, Lab, Leftovers, MySql, PodReady, SqlOutput, StatementResult, Table,
        WatchReport,
    };
    pub use std::time::Duration;
}
