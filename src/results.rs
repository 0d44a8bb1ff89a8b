//! What the lab calls return, each defined once: the data struct (with `data!`, which also
//! writes its wire encoding), its accessors, and the name a cell uses (`Shown<data>`, the data plus
//! the engine's text and HTML). The engine (kubelab-core) builds the same structs.

use std::time::Duration;

use crate::show::Shown;
use crate::wire::{data, names};

/// Columns and rows of a table (`None` = SQL NULL).
pub use crate::table::TableData;

/// A table as `kubectl get` (or the mysql client) prints it: [`TableData`]'s accessors
/// (`columns()`, `rows()`, `column(name)`, `get(first_cell, column)`, `len()`, `is_empty()`) and
/// the engine's rendering.
pub type Table = Shown<TableData>;

names! {
    /// What kind of cluster a context points at.
    pub enum ClusterKind {
        /// A minikube profile.
        Minikube = "minikube",
        /// The project's simulated cluster.
        Labsim = "labsim",
        /// Anything else (only with `allow_context`).
        Other = "other",
    }
}

data! {
    /// Which cluster kubelab talks to (`kubectl cluster-info` and nodes).
    pub struct ClusterData = "cluster" {
        /// Context name.
        pub context: String,
        /// API server URL.
        pub server: String,
        /// minikube, labsim or other.
        pub kind: ClusterKind,
        /// Server version, e.g. `v1.33.1`.
        pub version: String,
        /// `kubectl get nodes`.
        pub nodes: Table,
    }
}
/// What `start_cluster` and `cluster` return.
pub type ClusterInfo = Shown<ClusterData>;

names! {
    /// What `apply` did to one object, as kubectl says it.
    pub enum ApplyOutcome {
        /// Did not exist before.
        Created = "created",
        /// Existed and changed.
        Configured = "configured",
        /// Existed and did not change.
        Unchanged = "unchanged",
    }
}

data! {
    /// The outcome of `apply`: one line per object, like kubectl.
    pub struct ApplyData = "apply" {
        /// (`service/mysql`, outcome) in file order.
        pub objects: Vec<(String, ApplyOutcome)>,
    }
}
/// What `apply` and `apply_yaml` return.
pub type ApplyReport = Shown<ApplyData>;

impl ApplyData {
    /// The outcome for `kind/name` (e.g. `statefulset.apps/mysql`).
    pub fn outcome(&self, object: &str) -> Option<ApplyOutcome> {
        self.objects
            .iter()
            .find(|(o, _)| o == object)
            .map(|(_, r)| *r)
    }
}

data! {
    /// The outcome of `watch_pods`.
    pub struct WatchData = "watch" {
        /// The lines printed while watching (kubectl -w style).
        pub lines: Vec<String>,
        /// Pod names in the order they became Ready.
        pub ready_order: Vec<String>,
        /// Final `kubectl get pods` of the selected pods.
        pub pods: Table,
        /// Time it took.
        pub elapsed: Duration,
    }
}
/// What `watch_pods` returns.
pub type WatchReport = Shown<WatchData>;

impl WatchData {
    /// Pod names in the order they became Ready.
    pub fn ready_order(&self) -> &[String] {
        &self.ready_order
    }

    /// True when the pods became Ready in ordinal order (mysql-0, mysql-1, ...).
    pub fn in_ordinal_order(&self) -> bool {
        in_ordinal_order(&self.ready_order)
    }
}

/// The StatefulSet ordinal of a pod name (`mysql-2` -> 2).
pub fn ordinal(name: &str) -> Option<u32> {
    name.rsplit_once('-')?.1.parse().ok()
}

/// True when `names` (`mysql-0`, `mysql-1`, ...) are in increasing ordinal order.
pub fn in_ordinal_order(names: &[String]) -> bool {
    let ords: Vec<Option<u32>> = names.iter().map(|n| ordinal(n)).collect();
    ords.iter().all(Option::is_some) && ords.windows(2).all(|w| w[0] < w[1])
}

data! {
    /// A pod that became Ready (`wait_ready`).
    pub struct PodReadyData = "pod_ready" {
        /// Pod name.
        pub name: String,
        /// Its UID (differs from the deleted pod's).
        pub uid: String,
        /// Node it runs on.
        pub node: String,
        /// Pod IP.
        pub ip: String,
        /// Time waited.
        pub elapsed: Duration,
        /// True when this is a re-created pod (new UID).
        pub recreated: bool,
    }
}
/// What `wait_ready` returns: `name`, `uid`, `node`, `ip`, `elapsed`, `recreated`.
pub type PodReady = Shown<PodReadyData>;

data! {
    /// Lines like `pod "mysql-0" deleted` or `statefulset.apps/mysql scaled`.
    pub struct ChangeData = "change" {
        /// One line per object.
        pub lines: Vec<String>,
        /// Names deleted.
        pub deleted: Vec<String>,
    }
}
/// What `scale`, `delete`, `wait_deleted` return.
pub type ChangeReport = Shown<ChangeData>;
/// What `delete_pods`, `delete_pod` and `delete_data` return.
pub type DeleteReport = ChangeReport;

data! {
    /// What `cleanup` and `delete_statefulset` deleted and which PVCs (data) stay.
    pub struct CleanupData = "cleanup" {
        /// `statefulset.apps "mysql" deleted`, ...
        pub deleted: Vec<String>,
        /// PVC names kept.
        pub kept_pvcs: Vec<String>,
    }
}
/// What `cleanup` and `delete_statefulset` return.
pub type CleanupReport = Shown<CleanupData>;

data! {
    /// What a command printed and how it ended (`exec`, `kubectl`).
    pub struct ExecData = "exec" {
        /// Standard output.
        pub stdout: String,
        /// Standard error.
        pub stderr: String,
        /// Exit code (0 = success).
        pub code: i32,
    }
}
/// What `exec` returns.
pub type ExecOutput = Shown<ExecData>;

data! {
    /// What the real `kubectl` printed (`kubectl(args)`), shown as it printed it.
    pub struct KubectlData = "kubectl" {
        /// The arguments as split (the words after `kubectl`).
        pub args: Vec<String>,
        /// Standard output.
        pub stdout: String,
        /// Standard error.
        pub stderr: String,
        /// Exit code (0; a non-zero exit is an error).
        pub code: i32,
    }
}
/// What `kubectl` returns.
pub type KubectlOutput = Shown<KubectlData>;

data! {
    /// `kubectl logs POD` (or `--previous`): the container's log.
    pub struct LogsData = "logs" {
        /// The pod.
        pub pod: String,
        /// True for the previous (terminated) container's log.
        pub previous: bool,
        /// The log as kubectl prints it.
        pub text: String,
    }
}
/// What `logs` and `logs_previous` return.
pub type Logs = Shown<LogsData>;

impl LogsData {
    /// The log's lines.
    pub fn lines(&self) -> Vec<&str> {
        self.text.lines().collect()
    }
}

data! {
    /// A status line or acknowledgement with nothing else to read (`allow_context`).
    pub struct NoteData = "note" {}
}
/// What `allow_context` returns.
pub type Note = Shown<NoteData>;

data! {
    /// What an earlier run of the lab left in the cluster (`leftovers()`).
    pub struct LeftoversData = "leftovers" {
        /// StatefulSets labelled app=mysql.
        pub statefulsets: Vec<String>,
        /// Pods labelled app=mysql.
        pub pods: Vec<String>,
        /// The lab's PVCs (its data).
        pub pvcs: Vec<String>,
    }
}
/// What `leftovers` returns.
pub type Leftovers = Shown<LeftoversData>;

impl LeftoversData {
    /// True when nothing of an earlier run is there.
    pub fn is_empty(&self) -> bool {
        self.statefulsets.is_empty() && self.pods.is_empty() && self.pvcs.is_empty()
    }
}

data! {
    /// What `start_fresh()` removed.
    pub struct FreshData = "fresh" {
        /// What was there before.
        pub removed: LeftoversData,
        /// Time it took.
        pub elapsed: Duration,
    }
}
/// What `start_fresh` returns.
pub type FreshReport = Shown<FreshData>;

data! {
    /// A step whose conditions all hold (`check("deploy")?`): one ✅ line per condition.
    pub struct CheckData = "check" {
        /// The step (`cluster`, `deploy`, `order`, `data`, `dns`, `survive`, `scale`).
        pub step: String,
        /// The ✅ lines.
        pub lines: Vec<String>,
    }
}
/// What `check` returns.
pub type CheckReport = Shown<CheckData>;

names! {
    /// Which picture.
    pub enum PictureKind {
        /// Nodes ⊃ pods → PVC → PV → disk.
        Topology = "topology",
        /// Each pod's creation → Ready on one time axis.
        Timeline = "timeline",
    }
}

data! {
    /// A drawing of the cluster: inline SVG in Jupyter, a text picture in the REPL.
    pub struct PictureData = "picture" {
        /// `topology` or `timeline`.
        pub kind: PictureKind,
        /// The pods drawn, in order.
        pub pods: Vec<String>,
    }
}
/// What `topology` and `timeline` return.
pub type Picture = Shown<PictureData>;

data! {
    /// `kubectl describe KIND NAME` (pod, pvc, statefulset): the top fields and the Events.
    pub struct DescriptionData = "description" {
        /// (field, value) of the top fields, in order.
        pub fields: Vec<(String, String)>,
        /// TYPE REASON AGE FROM MESSAGE of the object's Events, oldest first.
        pub events: Table,
    }
}
/// What `describe` returns.
pub type Description = Shown<DescriptionData>;

impl DescriptionData {
    /// A top field: `Status`, `Reason` (first container's waiting/terminated reason), `Ready`,
    /// `Image`, `StorageClass`, `Partition`, `whenScaled`, ...
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
}

data! {
    /// What `watch_rollout` returns: the order pods were replaced and each pod's revision at the end.
    pub struct RolloutData = "rollout" {
        /// Printed lines (kubectl's status lines and the pod changes).
        pub lines: Vec<String>,
        /// Pods replaced by a pod of the new revision, in order.
        pub replaced: Vec<String>,
        /// The StatefulSet's update revision.
        pub update_revision: String,
        /// `kubectl get pods -l ... -L controller-revision-hash` at the end.
        pub pods: Table,
        /// Time it took.
        pub elapsed: Duration,
    }
}
/// What `watch_rollout` returns.
pub type RolloutReport = Shown<RolloutData>;

impl RolloutData {
    /// Pods replaced by a pod of the new revision, in order (`["mysql-2", "mysql-1", "mysql-0"]`).
    pub fn replaced(&self) -> &[String] {
        &self.replaced
    }
}
