//! `Lab`: the lab steps as `async` methods, for cells that use `.await` (evcxr runs such a cell
//! in its own tokio runtime). Each method is the free function of the same name: the engine does
//! the waiting, so awaiting one only hands the result back.

use std::time::Duration;

use crate::*;

/// A connection to the lab cluster, checked when made (`Lab::connect().await?`).
#[derive(Debug, Clone, Copy)]
pub struct Lab {
    _private: (),
}

macro_rules! async_calls {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
            crate::$name($($arg),*)
        }
    )*};
}

impl Lab {
    /// Connects to the current kube context (only lab clusters unless `allow_context`).
    pub async fn connect() -> Result<Lab> {
        call::call("connect", &[])?;
        Ok(Lab { _private: () })
    }

    async_calls! {
        /// `kubectl cluster-info` + nodes.
        cluster() -> ClusterInfo;
        /// `kubectl get nodes`.
        nodes() -> Table;
        /// `kubectl get pods`.
        pods() -> Table;
        /// `kubectl get pods -o wide`.
        pods_wide() -> Table;
        /// `kubectl get statefulsets`.
        statefulsets() -> Table;
        /// `kubectl get pvc`.
        pvcs() -> Table;
        /// `kubectl get pv`.
        pvs() -> Table;
        /// `kubectl get storageclass`.
        storage_classes() -> Table;
        /// `kubectl get services`.
        services() -> Table;
        /// `kubectl get events`.
        events() -> Table;
        /// Where pods run and where their data lives.
        placement() -> Table;
        /// `kubectl apply -f PATH`.
        apply(path: &str) -> ApplyReport;
        /// `kubectl get pods -l SELECTOR -w` until all replicas are Ready.
        watch_pods_for(selector: &str, timeout: Duration) -> WatchReport;
        /// `kubectl delete pod -l SELECTOR`.
        delete_pods(selector: &str) -> DeleteReport;
        /// `kubectl delete pod NAME`.
        delete_pod(name: &str) -> DeleteReport;
        /// Waits for pod NAME to be Ready.
        wait_ready_for(name: &str, timeout: Duration) -> PodReady;
        /// `kubectl scale statefulset NAME --replicas=N`.
        scale(name: &str, replicas: i32) -> ChangeReport;
        /// `kubectl delete statefulset NAME`.
        delete_statefulset(name: &str) -> CleanupReport;
        /// Deletes the lab's objects except PVCs.
        cleanup() -> CleanupReport;
        /// Deletes the lab's PVCs.
        delete_data() -> DeleteReport;
        /// `kubectl exec POD -- CMD...`.
        exec(pod: &str, command: &[&str]) -> ExecOutput;
        /// A MySQL session to POD.
        mysql(pod: &str) -> MySql;
        /// What an earlier run of the lab left.
        leftovers() -> Leftovers;
        /// Starts the lab over (deletes its objects and PVCs).
        start_fresh() -> FreshReport;
        /// The learner's check of a step: ✅ or a failed call with the hint.
        check(step: &str) -> CheckReport;
        /// Nodes, pods, PVCs and volumes as a picture.
        topology() -> Picture;
        /// Each pod's creation → Ready on a time axis.
        timeline(selector: &str) -> Picture;
        /// `kubectl describe KIND NAME`.
        describe(kind: &str, name: &str) -> Description;
        /// `kubectl delete KIND NAME --wait=false`.
        delete(kind: &str, name: &str) -> ChangeReport;
        /// `kubectl wait --for=delete KIND/NAME`.
        wait_deleted_for(kind: &str, name: &str, timeout: Duration) -> ChangeReport;
        /// `kubectl rollout status statefulset/NAME`, and the order pods were replaced.
        watch_rollout_for(name: &str, timeout: Duration) -> RolloutReport;
        /// Pods with their revision, and the StatefulSet's update and current revision.
        revisions(name: &str) -> Table;
    }
}
