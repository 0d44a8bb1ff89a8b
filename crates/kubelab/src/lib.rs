//! kubelab: one call per step of the StatefulSet/MySQL lab, as a notebook cell (or the REPL) sees it.
//!
//! Crate map (dependencies run downwards only):
//! - [`prelude`] and the free functions below: the lab steps (`nodes()?`, `apply(..)?`, ...).
//! - [`Lab`] (`lab.rs`): the same steps as `async` methods, for cells that `.await`.
//! - `results.rs`, `sql.rs`: what the steps return ([`Table`], [`WatchReport`], [`MySql`], ...).
//! - `show.rs`: how results show (HTML in Jupyter, text in the REPL), from the engine's rendering.
//! - `call.rs`: sends a step to the kernel's engine and prints its lines as they come.
//! - [`wire`]: the frames both sides speak (std only).
//! - `error.rs`: [`Error`], the Korean message of a failed step.
//!
//! The work itself (kube-rs, port-forwards, SQL sessions, watches) runs once per kernel in
//! `kubelab-core`, inside the `kubelab-kernel` process; this crate has no dependencies so that
//! every cell compiles at plain-evcxr speed. See `docs/kernel.md`.

mod call;
mod error;
mod lab;
mod results;
mod show;
mod sql;
mod steps;
pub mod wire;

use std::time::Duration;

pub use call::SOCKET_ENV;
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

/// Reuses a reachable lab cluster; else starts minikube (docker) or labsim; else says what is missing.
pub fn start_cluster() -> Result<ClusterInfo> {
    call("start_cluster", &[]).map(ClusterInfo::from_value)
}

/// `kubectl cluster-info` + nodes: which cluster kubelab talks to.
pub fn cluster() -> Result<ClusterInfo> {
    call("cluster", &[]).map(ClusterInfo::from_value)
}

macro_rules! get_calls {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name() -> Result<Table> {
            call(stringify!($name), &[]).map(Table::from_value)
        }
    )*};
}

get_calls! {
    /// `kubectl get nodes`.
    nodes;
    /// `kubectl get pods`.
    pods;
    /// `kubectl get pods -o wide`.
    pods_wide;
    /// `kubectl get statefulsets`.
    statefulsets;
    /// `kubectl get pvc`.
    pvcs;
    /// `kubectl get pv`.
    pvs;
    /// `kubectl get storageclass`.
    storage_classes;
    /// `kubectl get services`.
    services;
    /// `kubectl get events`.
    events;
    /// POD NODE PVC VOLUME PV-NODE/PATH: where pods run and where their data lives.
    placement;
}

/// `kubectl apply -f PATH` (server-side apply, field manager `kubelab`).
pub fn apply(path: &str) -> Result<ApplyReport> {
    call("apply", &[path]).map(ApplyReport::from_value)
}

/// `kubectl get pods -l SELECTOR -w` until all replicas are Ready (timeout 300 s).
pub fn watch_pods(selector: &str) -> Result<WatchReport> {
    watch_pods_for(selector, DEFAULT_TIMEOUT)
}

/// `watch_pods` with a chosen timeout.
pub fn watch_pods_for(selector: &str, timeout: Duration) -> Result<WatchReport> {
    call("watch_pods", &[selector, &ms(timeout)]).map(WatchReport::from_value)
}

/// `kubectl delete pod -l SELECTOR`.
pub fn delete_pods(selector: &str) -> Result<DeleteReport> {
    call("delete_pods", &[selector]).map(ChangeReport::from_value)
}

/// `kubectl delete pod NAME`.
pub fn delete_pod(name: &str) -> Result<DeleteReport> {
    call("delete_pod", &[name]).map(ChangeReport::from_value)
}

/// Waits (300 s) for pod NAME to be Ready: the re-created one (new UID) after `delete_pod`.
pub fn wait_ready(name: &str) -> Result<PodReady> {
    wait_ready_for(name, DEFAULT_TIMEOUT)
}

/// `wait_ready` with a chosen timeout.
pub fn wait_ready_for(name: &str, timeout: Duration) -> Result<PodReady> {
    call("wait_ready", &[name, &ms(timeout)]).map(PodReady::from_value)
}

/// `kubectl scale statefulset NAME --replicas=N`.
pub fn scale(name: &str, replicas: i32) -> Result<ChangeReport> {
    call("scale", &[name, &replicas.to_string()]).map(ChangeReport::from_value)
}

/// `kubectl delete statefulset NAME` (PVCs stay; says so).
pub fn delete_statefulset(name: &str) -> Result<CleanupReport> {
    call("delete_statefulset", &[name]).map(CleanupReport::from_value)
}

/// Deletes what the lab created except PVCs, and lists the PVCs that stay.
pub fn cleanup() -> Result<CleanupReport> {
    call("cleanup", &[]).map(CleanupReport::from_value)
}

/// Deletes the lab's PVCs (label app=mysql or data-mysql-*), and so its data.
pub fn delete_data() -> Result<DeleteReport> {
    call("delete_data", &[]).map(ChangeReport::from_value)
}

/// `kubectl exec POD -- CMD...` without stdin/TTY.
pub fn exec(pod: &str, command: &[&str]) -> Result<ExecOutput> {
    let mut args = vec![pod];
    args.extend_from_slice(command);
    call("exec", &args).map(ExecOutput::from_value)
}

/// Opens a MySQL session to POD (port-forward + root, password from the StatefulSet/Secret).
pub fn mysql(pod: &str) -> Result<MySql> {
    call("mysql", &[pod]).map(MySql::from_value)
}

/// `kubectl get statefulset,pod,pvc -l app=mysql`: what an earlier run of the lab left.
pub fn leftovers() -> Result<Leftovers> {
    call("leftovers", &[]).map(Leftovers::from_value)
}

/// Starts the lab over: deletes its StatefulSet, Service, Secret and PVCs (so its data) and waits
/// until they are gone. Nothing is deleted without this call.
pub fn start_fresh() -> Result<FreshReport> {
    call("start_fresh", &[]).map(FreshReport::from_value)
}

/// Lets kubelab act on a kube context that is not a lab cluster (minikube, labsim).
pub fn allow_context(name: &str) -> Result<Note> {
    call("allow_context", &[name]).map(Note::from_value)
}

/// Everything a lab notebook needs: `use kubelab::prelude::*;` (the kernel does this for you).
pub mod prelude {
    pub use crate::{
        allow_context, apply, cleanup, cluster, delete_data, delete_pod, delete_pods,
        delete_statefulset, events, exec, leftovers, mysql, nodes, placement, pods, pods_wide,
        pvcs, pvs, scale, services, start_cluster, start_fresh, statefulsets, storage_classes,
        wait_ready, wait_ready_for, watch_pods, watch_pods_for,
    };
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
