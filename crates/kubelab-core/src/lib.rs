//! kubelab-core: the lab engine, one call per step of the StatefulSet/MySQL lab.
//!
//! The course's kernel (`kubelab-kernel`) runs this crate once per kernel and serves its async
//! [`Lab`] to notebook cells; every printed line goes through [`out`] to the cell that asked.
//! The free functions (see [`prelude`]) are a sync facade over the same `Lab` on kubelab's own
//! tokio runtime, for tests, examples and plain programs. Every call prints the kubectl command it
//! stands for; results render as tables (HTML for Jupyter, text elsewhere).

pub mod apply;
pub mod cluster;
pub mod context;
pub mod delete;
mod delete_object;
pub mod describe;
mod error;
pub mod exec;
pub mod fresh;
pub mod get;
mod lab;
pub mod objects;
pub mod out;
pub mod portforward;
pub mod rollout;
pub mod runtime;
pub mod sql;
pub mod table;
pub mod wait;

use std::time::Duration;

pub use apply::ApplyReport;
pub use cluster::ClusterInfo;
pub use context::{allow_context, ClusterKind};
pub use delete::{ChangeReport, CleanupReport, DeleteReport};
pub use describe::Description;
pub use error::{Error, Result};
pub use exec::ExecOutput;
pub use fresh::{FreshReport, Leftovers};
pub use lab::Lab;
pub use rollout::RolloutReport;
pub use sql::{MySql, SqlOutput, StatementResult};
pub use table::Table;
pub use wait::{PodReady, WatchReport};

use runtime::with_lab;

/// Reuses a reachable lab cluster; else starts minikube (docker) or labsim; else says what is missing.
pub fn start_cluster() -> Result<ClusterInfo> {
    runtime::block(cluster::start_cluster())
}

/// `kubectl cluster-info` + nodes: which cluster kubelab talks to.
pub fn cluster() -> Result<ClusterInfo> {
    with_lab(|l| async move { l.cluster().await })
}

/// `kubectl get nodes`.
pub fn nodes() -> Result<Table> {
    with_lab(|l| async move { l.nodes().await })
}

/// `kubectl get pods`.
pub fn pods() -> Result<Table> {
    with_lab(|l| async move { l.pods().await })
}

/// `kubectl get pods -o wide`.
pub fn pods_wide() -> Result<Table> {
    with_lab(|l| async move { l.pods_wide().await })
}

/// `kubectl get statefulsets`.
pub fn statefulsets() -> Result<Table> {
    with_lab(|l| async move { l.statefulsets().await })
}

/// `kubectl get pvc`.
pub fn pvcs() -> Result<Table> {
    with_lab(|l| async move { l.pvcs().await })
}

/// `kubectl get pv`.
pub fn pvs() -> Result<Table> {
    with_lab(|l| async move { l.pvs().await })
}

/// `kubectl get storageclass`.
pub fn storage_classes() -> Result<Table> {
    with_lab(|l| async move { l.storage_classes().await })
}

/// `kubectl get services`.
pub fn services() -> Result<Table> {
    with_lab(|l| async move { l.services().await })
}

/// `kubectl get events`.
pub fn events() -> Result<Table> {
    with_lab(|l| async move { l.events().await })
}

/// POD NODE PVC VOLUME PV-NODE/PATH: where pods run and where their data lives.
pub fn placement() -> Result<Table> {
    with_lab(|l| async move { l.placement().await })
}

/// `kubectl apply -f PATH` (server-side apply, field manager `kubelab`).
pub fn apply(path: &str) -> Result<ApplyReport> {
    let path = path.to_string();
    with_lab(move |l| async move { l.apply(&path).await })
}

/// `kubectl get pods -l SELECTOR -w` until all replicas are Ready (timeout 300 s).
pub fn watch_pods(selector: &str) -> Result<WatchReport> {
    watch_pods_for(selector, wait::DEFAULT_TIMEOUT)
}

/// `watch_pods` with a chosen timeout.
pub fn watch_pods_for(selector: &str, timeout: Duration) -> Result<WatchReport> {
    let selector = selector.to_string();
    with_lab(move |l| async move { l.watch_pods(&selector, timeout).await })
}

/// `kubectl delete pod -l SELECTOR`.
pub fn delete_pods(selector: &str) -> Result<DeleteReport> {
    let selector = selector.to_string();
    with_lab(move |l| async move { l.delete_pods(&selector).await })
}

/// `kubectl delete pod NAME`.
pub fn delete_pod(name: &str) -> Result<DeleteReport> {
    let name = name.to_string();
    with_lab(move |l| async move { l.delete_pod(&name).await })
}

/// Waits (300 s) for pod NAME to be Ready: the re-created one (new UID) after `delete_pod`.
pub fn wait_ready(name: &str) -> Result<PodReady> {
    wait_ready_for(name, wait::DEFAULT_TIMEOUT)
}

/// `wait_ready` with a chosen timeout.
pub fn wait_ready_for(name: &str, timeout: Duration) -> Result<PodReady> {
    let name = name.to_string();
    with_lab(move |l| async move { l.wait_ready(&name, timeout).await })
}

/// `kubectl scale statefulset NAME --replicas=N`.
pub fn scale(name: &str, replicas: i32) -> Result<ChangeReport> {
    let name = name.to_string();
    with_lab(move |l| async move { l.scale(&name, replicas).await })
}

/// `kubectl delete statefulset NAME` (PVCs stay; says so).
pub fn delete_statefulset(name: &str) -> Result<CleanupReport> {
    let name = name.to_string();
    with_lab(move |l| async move { l.delete_statefulset(&name).await })
}

/// Deletes what the lab created except PVCs, and lists the PVCs that stay.
pub fn cleanup() -> Result<CleanupReport> {
    with_lab(|l| async move { l.cleanup().await })
}

/// Deletes the lab's PVCs (label app=mysql or data-mysql-*), and so its data.
pub fn delete_data() -> Result<DeleteReport> {
    with_lab(|l| async move { l.delete_data().await })
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

/// Opens a MySQL session to POD (port-forward + root, password from the StatefulSet/Secret).
pub fn mysql(pod: &str) -> Result<MySql> {
    let pod = pod.to_string();
    with_lab(move |l| async move { l.mysql(&pod).await })
}

/// Everything a lab notebook needs: `use kubelab_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        allow_context, apply, cleanup, cluster, delete_data, delete_pod, delete_pods,
        delete_statefulset, events, exec, mysql, nodes, placement, pods, pods_wide, pvcs, pvs,
        scale, services, start_cluster, statefulsets, storage_classes, wait_ready, wait_ready_for,
        watch_pods, watch_pods_for,
    };
    pub use crate::{
        ApplyReport, ChangeReport, CleanupReport, ClusterInfo, DeleteReport, Error, ExecOutput,
        Lab, MySql, PodReady, SqlOutput, StatementResult, Table, WatchReport,
    };
    pub use std::time::Duration;
}

#[cfg(test)]
mod facade_tests;

#[cfg(test)]
mod mock_tests;
