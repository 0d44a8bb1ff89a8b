//! kubelab: one call per step of the StatefulSet/MySQL lab, as a notebook cell (or the REPL) sees it.
//!
//! Crate map (dependencies run downwards only):
//! - the `steps!` table below: one row per step gives the free function (`nodes()?`,
//!   `apply(..)?`, ...), the same step as an `async` method of [`Lab`] (`lab.rs`) and its
//!   [`prelude`] entry.
//! - [`Call`] (`call.rs`): every step with typed arguments, its frame form, and `send`, which
//!   runs one in the kernel's engine and prints its lines as they come.
//! - `results.rs`, `sql.rs`, `table.rs`: what the steps return, each defined once (its data
//!   struct and wire encoding side by side; the engine builds the same structs).
//! - `show.rs`: [`Shown`], a result with the text and HTML the engine rendered (HTML in
//!   Jupyter, text in the REPL and `Display`).
//! - [`wire`]: frames and values, the bytes both sides speak.
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
mod table;
pub mod wire;

use std::time::Duration;

pub use call::{send, Call, SOCKET_ENV};
pub use error::{Error, Result};
pub use lab::Lab;
pub use results::*;
pub use show::Shown;
pub use sql::{DatabaseData, MySql, SessionData, SqlData, SqlOutput, StatementResult};

/// How long `watch_pods`, `wait_ready` and `watch_rollout` wait by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How long `wait_deleted` waits by default (kubectl wait's `--timeout=60s`).
pub const DELETE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `kubectl(args)` may run by default.
pub const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);

/// The table of steps: one row each gives the free function, the `async` method of [`Lab`]
/// of the same name and the entry in [`prelude`]. A row's right side is the [`Call`] it sends.
macro_rules! steps {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = $call:expr;)*) => {
        $(
            $(#[$doc])*
            pub fn $name($($arg: $ty),*) -> Result<$ret> {
                send($call)
            }
        )*

        impl Lab {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    $name($($arg),*)
                }
            )*
        }

        /// Everything a lab notebook needs: `use kubelab::prelude::*;` (the kernel does this for you).
        pub mod prelude {
            pub use crate::{$($name),*};
            pub use crate::{
                ApplyReport, ChangeReport, CheckReport, CleanupReport, ClusterInfo, DeleteReport,
                Description, Error, ExecOutput, FreshReport, KubectlOutput, Lab, Leftovers, Logs,
                MySql, PodReady, Picture, RolloutReport, SqlOutput, StatementResult, Table,
                WatchReport,
            };
            pub use std::time::Duration;
        }
    };
}

steps! {
    /// Reuses a reachable lab cluster; else starts minikube (docker) or labsim; else says what is missing.
    fn start_cluster() -> ClusterInfo = Call::StartCluster {};
    /// `kubectl cluster-info` + nodes: which cluster kubelab talks to.
    fn cluster() -> ClusterInfo = Call::Cluster {};
    /// Lets kubelab act on a kube context that is not a lab cluster (minikube, labsim).
    fn allow_context(name: &str) -> Note = Call::AllowContext { name: name.into() };
    /// `kubectl get nodes`.
    fn nodes() -> Table = Call::Nodes {};
    /// `kubectl get pods`.
    fn pods() -> Table = Call::Pods {};
    /// `kubectl get pods -o wide`.
    fn pods_wide() -> Table = Call::PodsWide {};
    /// `kubectl get statefulsets`.
    fn statefulsets() -> Table = Call::Statefulsets {};
    /// `kubectl get pvc`.
    fn pvcs() -> Table = Call::Pvcs {};
    /// `kubectl get pv`.
    fn pvs() -> Table = Call::Pvs {};
    /// `kubectl get storageclass`.
    fn storage_classes() -> Table = Call::StorageClasses {};
    /// `kubectl get services`.
    fn services() -> Table = Call::Services {};
    /// `kubectl get events`.
    fn events() -> Table = Call::Events {};
    /// POD NODE PVC VOLUME PV-NODE/PATH: where pods run and where their data lives.
    fn placement() -> Table = Call::Placement {};
    /// `kubectl apply -f PATH` (server-side apply, field manager `kubelab`).
    fn apply(path: &str) -> ApplyReport = Call::Apply { path: path.into() };
    /// `kubectl apply -f -` of YAML written in the cell: same report and errors as `apply`.
    fn apply_yaml(yaml: &str) -> ApplyReport = Call::ApplyYaml { yaml: yaml.into() };
    /// `kubectl get pods -l SELECTOR -w` until all replicas are Ready (timeout 300 s).
    fn watch_pods(selector: &str) -> WatchReport =
        Call::WatchPods { selector: selector.into(), timeout: DEFAULT_TIMEOUT };
    /// `watch_pods` with a chosen timeout.
    fn watch_pods_for(selector: &str, timeout: Duration) -> WatchReport =
        Call::WatchPods { selector: selector.into(), timeout };
    /// `kubectl delete pod -l SELECTOR`.
    fn delete_pods(selector: &str) -> DeleteReport = Call::DeletePods { selector: selector.into() };
    /// `kubectl delete pod NAME`.
    fn delete_pod(name: &str) -> DeleteReport = Call::DeletePod { name: name.into() };
    /// Waits (300 s) for pod NAME to be Ready: the re-created one (new UID) after `delete_pod`.
    fn wait_ready(name: &str) -> PodReady =
        Call::WaitReady { name: name.into(), timeout: DEFAULT_TIMEOUT };
    /// `wait_ready` with a chosen timeout.
    fn wait_ready_for(name: &str, timeout: Duration) -> PodReady =
        Call::WaitReady { name: name.into(), timeout };
    /// `kubectl scale statefulset NAME --replicas=N`.
    fn scale(name: &str, replicas: i32) -> ChangeReport =
        Call::Scale { name: name.into(), replicas };
    /// `kubectl delete statefulset NAME` (PVCs stay; says so).
    fn delete_statefulset(name: &str) -> CleanupReport =
        Call::DeleteStatefulset { name: name.into() };
    /// Deletes what the lab created except PVCs, and lists the PVCs that stay.
    fn cleanup() -> CleanupReport = Call::Cleanup {};
    /// Deletes the lab's PVCs (label app=mysql or data-mysql-*), and so its data.
    fn delete_data() -> DeleteReport = Call::DeleteData {};
    /// `kubectl exec POD -- CMD...` without stdin/TTY (60 s).
    fn exec(pod: &str, command: &[&str]) -> ExecOutput = Call::Exec {
        pod: pod.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
    };
    /// The real `kubectl ARGS` on the lab's context (60 s): prints `$ kubectl ARGS` and its output.
    fn kubectl(args: &str) -> KubectlOutput =
        Call::Kubectl { args: args.into(), timeout: KUBECTL_TIMEOUT };
    /// `kubectl` with a chosen timeout.
    fn kubectl_for(args: &str, timeout: Duration) -> KubectlOutput =
        Call::Kubectl { args: args.into(), timeout };
    /// `kubectl logs POD`: the default container's log.
    fn logs(pod: &str) -> Logs = Call::Logs { pod: pod.into(), previous: false };
    /// `kubectl logs POD --previous`: the log of the container before its last restart.
    fn logs_previous(pod: &str) -> Logs = Call::Logs { pod: pod.into(), previous: true };
    /// Opens a MySQL session to POD (port-forward + root, password from the StatefulSet/Secret).
    fn mysql(pod: &str) -> MySql = Call::Mysql { pod: pod.into() };
    /// `kubectl get statefulset,pod,pvc -l app=mysql`: what an earlier run of the lab left.
    fn leftovers() -> Leftovers = Call::Leftovers {};
    /// Starts the lab over: deletes its StatefulSet, Service, Secret and PVCs (so its data) and
    /// waits until they are gone. Nothing is deleted without this call.
    fn start_fresh() -> FreshReport = Call::StartFresh {};
    /// Checks one step of the lab; any ❌ fails with the first failed condition and its hint.
    /// Steps: `cluster`, `deploy`, `order`, `data`, `dns`, `survive`, `scale`, ... (docs/kubelab-api.md).
    fn check(step: &str) -> CheckReport = Call::Check { step: step.into() };
    /// Nodes holding their pods, each pod → PVC → PV → the disk its data is on.
    fn topology() -> Picture = Call::Topology {};
    /// Creation → Ready of the pods `selector` matches, on one time axis (from the cluster).
    fn timeline(selector: &str) -> Picture = Call::Timeline { selector: selector.into() };
    /// `kubectl describe KIND NAME` for a pod, a PVC or a StatefulSet.
    fn describe(kind: &str, name: &str) -> Description =
        Call::Describe { kind: kind.into(), name: name.into() };
    /// `kubectl delete KIND NAME --wait=false` (pod, pvc, statefulset, service, secret, storageclass).
    fn delete(kind: &str, name: &str) -> ChangeReport =
        Call::Delete { kind: kind.into(), name: name.into() };
    /// `kubectl wait --for=delete KIND/NAME --timeout=60s` (pod or pvc).
    fn wait_deleted(kind: &str, name: &str) -> ChangeReport =
        Call::WaitDeleted { kind: kind.into(), name: name.into(), timeout: DELETE_TIMEOUT };
    /// `wait_deleted` with a chosen timeout.
    fn wait_deleted_for(kind: &str, name: &str, timeout: Duration) -> ChangeReport =
        Call::WaitDeleted { kind: kind.into(), name: name.into(), timeout };
    /// `kubectl rollout status statefulset/NAME` until done (300 s), and the order pods were replaced.
    fn watch_rollout(name: &str) -> RolloutReport =
        Call::WatchRollout { name: name.into(), timeout: DEFAULT_TIMEOUT };
    /// `watch_rollout` with a chosen timeout.
    fn watch_rollout_for(name: &str, timeout: Duration) -> RolloutReport =
        Call::WatchRollout { name: name.into(), timeout };
    /// `kubectl get pods -l ... -L controller-revision-hash`: which revision each pod of NAME runs.
    fn revisions(name: &str) -> Table = Call::Revisions { name: name.into() };
    /// `minikube node stop NODE` (a worker, e.g. `minikube-m02`): its kubelet and containers stop.
    fn node_stop(node: &str) -> ChangeReport = Call::NodeStop { node: node.into() };
    /// `minikube node start NODE`: the stopped node starts again.
    fn node_start(node: &str) -> ChangeReport = Call::NodeStart { node: node.into() };
    /// `minikube addons enable NAME` (`storage-provisioner-rancher`: StorageClass `local-path`).
    fn addon_enable(name: &str) -> ChangeReport = Call::AddonEnable { name: name.into() };
    /// `minikube addons disable NAME`.
    fn addon_disable(name: &str) -> ChangeReport = Call::AddonDisable { name: name.into() };
}
