//! What the lab calls return: tables and reports with the accessors notebooks use, built from the
//! engine's `Value` (data plus its text and HTML rendering).

use std::time::Duration;

use crate::show::report;
use crate::wire::{PodReadyData, TableData, Value};

report! {
    /// A table as `kubectl get` (or the mysql client) prints it: its data (`columns()`, `rows()`,
    /// `column(name)`, `get(first_cell, column)`, `len()`, `is_empty()`, from [`TableData`]) and
    /// the engine's rendering. A value's first table, rendered as the value.
    #[derive(PartialEq)]
    Table |v| {
        data: TableData = v.tables.into_iter().next().unwrap_or_default(),
    }
}

impl std::ops::Deref for Table {
    type Target = TableData;

    fn deref(&self) -> &TableData {
        &self.data
    }
}

impl Table {
    pub(crate) fn new(data: TableData, text: String, html: String) -> Table {
        Table { data, text, html }
    }
}

/// A nested table carried by a report: data in `tables[i]`, rendering in `<key>.text`/`<key>.html`.
fn nested(v: &Value, i: usize, key: &str) -> Table {
    Table::new(
        v.tables.get(i).cloned().unwrap_or_default(),
        v.attr(&format!("{key}.text")).to_string(),
        v.attr(&format!("{key}.html")).to_string(),
    )
}

fn millis(v: &Value) -> Duration {
    Duration::from_millis(v.attr("elapsed_ms").parse().unwrap_or(0))
}

report! {
    /// Which cluster kubelab talks to (`kubectl cluster-info` and nodes).
    ClusterInfo |v| {
        /// Context name.
        pub context: String = v.attr("context").into(),
        /// API server URL.
        pub server: String = v.attr("server").into(),
        /// `minikube`, `labsim` or `other`.
        pub kind: String = v.attr("kind").into(),
        /// Server version, e.g. `v1.31.0`.
        pub version: String = v.attr("version").into(),
        /// `kubectl get nodes`.
        pub nodes: Table = nested(&v, 0, "nodes"),
    }
}

report! {
    /// The outcome of `apply`: one line per object, like kubectl.
    ApplyReport |v| {
        /// (`service/mysql`, `created` | `configured` | `unchanged`) in file order.
        pub objects: Vec<(String, String)> = v
            .attrs("objects")
            .iter()
            .zip(v.attrs("outcomes"))
            .map(|(o, r)| (o.clone(), r.clone()))
            .collect(),
    }
}

impl ApplyReport {
    /// The outcome for `kind/name` (e.g. `statefulset.apps/mysql`).
    pub fn outcome(&self, object: &str) -> Option<&str> {
        self.objects
            .iter()
            .find(|(o, _)| o == object)
            .map(|(_, r)| r.as_str())
    }
}

report! {
    /// The outcome of `watch_pods`.
    WatchReport |v| {
        /// The lines printed while watching (kubectl -w style).
        pub lines: Vec<String> = v.attrs("lines").to_vec(),
        ready_order: Vec<String> = v.attrs("ready_order").to_vec(),
        in_order: bool = v.attr("in_ordinal_order") == "true",
        /// Final `kubectl get pods` of the selected pods.
        pub pods: Table = nested(&v, 0, "pods"),
        /// Time it took.
        pub elapsed: Duration = millis(&v),
    }
}

impl WatchReport {
    /// Pod names in the order they became Ready.
    pub fn ready_order(&self) -> &[String] {
        &self.ready_order
    }

    /// True when the pods became Ready in ordinal order (mysql-0, mysql-1, ...).
    pub fn in_ordinal_order(&self) -> bool {
        self.in_order
    }
}

report! {
    /// A pod that became Ready (`wait_ready`): `name`, `uid`, `node`, `ip`, `elapsed`, `recreated`
    /// (the fields of [`PodReadyData`]).
    PodReady |v| {
        data: PodReadyData = PodReadyData::from_value(&v),
    }
}

impl std::ops::Deref for PodReady {
    type Target = PodReadyData;

    fn deref(&self) -> &PodReadyData {
        &self.data
    }
}

report! {
    /// Lines like `pod "mysql-0" deleted` or `statefulset.apps/mysql scaled`.
    ChangeReport |v| {
        /// One line per object.
        pub lines: Vec<String> = v.attrs("lines").to_vec(),
        /// Names deleted.
        pub deleted: Vec<String> = v.attrs("deleted").to_vec(),
    }
}

/// What `delete_pods`, `delete_pod` and `delete_data` return.
pub type DeleteReport = ChangeReport;

report! {
    /// What `cleanup` and `delete_statefulset` deleted and which PVCs (data) stay.
    CleanupReport |v| {
        /// `statefulset.apps "mysql" deleted`, ...
        pub deleted: Vec<String> = v.attrs("deleted").to_vec(),
        /// PVC names kept.
        pub kept_pvcs: Vec<String> = v.attrs("kept_pvcs").to_vec(),
    }
}

report! {
    /// What a command run in a pod printed and how it ended (`exec`).
    ExecOutput |v| {
        /// Standard output.
        pub stdout: String = v.attr("stdout").into(),
        /// Standard error.
        pub stderr: String = v.attr("stderr").into(),
        /// Exit code (0 = success).
        pub code: i32 = v.attr("code").parse().unwrap_or(-1),
    }
}

report! {
    /// A status line or acknowledgement with nothing else to read (`allow_context`).
    Note |v| {}
}

report! {
    /// What an earlier run of the lab left in the cluster (`leftovers()`).
    Leftovers |v| {
        /// StatefulSets labelled app=mysql.
        pub statefulsets: Vec<String> = v.attrs("statefulsets").to_vec(),
        /// Pods labelled app=mysql.
        pub pods: Vec<String> = v.attrs("pods").to_vec(),
        /// The lab's PVCs (its data).
        pub pvcs: Vec<String> = v.attrs("pvcs").to_vec(),
    }
}

impl Leftovers {
    /// True when nothing of an earlier run is there.
    pub fn is_empty(&self) -> bool {
        self.statefulsets.is_empty() && self.pods.is_empty() && self.pvcs.is_empty()
    }
}

report! {
    /// What `start_fresh()` removed.
    FreshReport |v| {
        /// What was there before.
        pub removed: Vec<String> = v.attrs("removed").to_vec(),
        /// Time it took.
        pub elapsed: Duration = millis(&v),
    }
}
