//! What the lab calls return: tables and reports with the accessors notebooks use, built from the
//! engine's `Value` (data plus its text and HTML rendering).

use std::time::Duration;

use crate::show::shown;
use crate::wire::{PodReadyData, TableData, Value};

/// A table as `kubectl get` (or the mysql client) prints it: its data (`columns()`, `rows()`,
/// `column(name)`, `get(first_cell, column)`, `len()`, `is_empty()`, from [`TableData`]) and the
/// engine's rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    data: TableData,
    text: String,
    html: String,
}
shown!(Table);

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

    /// The first table of a value, rendered as the value.
    pub(crate) fn from_value(v: Value) -> Table {
        let data = v.tables.into_iter().next().unwrap_or_default();
        Table::new(data, v.text, v.html)
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

/// Which cluster kubelab talks to (`kubectl cluster-info` and nodes).
#[derive(Debug, Clone)]
pub struct ClusterInfo {
    /// Context name.
    pub context: String,
    /// API server URL.
    pub server: String,
    /// `minikube`, `labsim` or `other`.
    pub kind: String,
    /// Server version, e.g. `v1.31.0`.
    pub version: String,
    /// `kubectl get nodes`.
    pub nodes: Table,
    text: String,
    html: String,
}
shown!(ClusterInfo);

impl ClusterInfo {
    pub(crate) fn from_value(v: Value) -> ClusterInfo {
        ClusterInfo {
            context: v.attr("context").into(),
            server: v.attr("server").into(),
            kind: v.attr("kind").into(),
            version: v.attr("version").into(),
            nodes: nested(&v, 0, "nodes"),
            text: v.text,
            html: v.html,
        }
    }
}

/// The outcome of `apply`: one line per object, like kubectl.
#[derive(Debug, Clone)]
pub struct ApplyReport {
    /// (`service/mysql`, `created` | `configured` | `unchanged`) in file order.
    pub objects: Vec<(String, String)>,
    text: String,
    html: String,
}
shown!(ApplyReport);

impl ApplyReport {
    pub(crate) fn from_value(v: Value) -> ApplyReport {
        let objects = v
            .attrs("objects")
            .iter()
            .zip(v.attrs("outcomes"))
            .map(|(o, r)| (o.clone(), r.clone()))
            .collect();
        ApplyReport {
            objects,
            text: v.text,
            html: v.html,
        }
    }

    /// The outcome for `kind/name` (e.g. `statefulset.apps/mysql`).
    pub fn outcome(&self, object: &str) -> Option<&str> {
        self.objects
            .iter()
            .find(|(o, _)| o == object)
            .map(|(_, r)| r.as_str())
    }
}

/// The outcome of `watch_pods`.
#[derive(Debug, Clone)]
pub struct WatchReport {
    /// The lines printed while watching (kubectl -w style).
    pub lines: Vec<String>,
    ready_order: Vec<String>,
    in_order: bool,
    /// Final `kubectl get pods` of the selected pods.
    pub pods: Table,
    /// Time it took.
    pub elapsed: Duration,
    text: String,
    html: String,
}
shown!(WatchReport);

impl WatchReport {
    pub(crate) fn from_value(v: Value) -> WatchReport {
        WatchReport {
            lines: v.attrs("lines").to_vec(),
            ready_order: v.attrs("ready_order").to_vec(),
            in_order: v.attr("in_ordinal_order") == "true",
            pods: nested(&v, 0, "pods"),
            elapsed: millis(&v),
            text: v.text,
            html: v.html,
        }
    }

    /// Pod names in the order they became Ready.
    pub fn ready_order(&self) -> &[String] {
        &self.ready_order
    }

    /// True when the pods became Ready in ordinal order (mysql-0, mysql-1, ...).
    pub fn in_ordinal_order(&self) -> bool {
        self.in_order
    }
}

/// A pod that became Ready (`wait_ready`): `name`, `uid`, `node`, `ip`, `elapsed`, `recreated`
/// (the fields of [`PodReadyData`]).
#[derive(Debug, Clone)]
pub struct PodReady {
    data: PodReadyData,
    text: String,
    html: String,
}
shown!(PodReady);

impl std::ops::Deref for PodReady {
    type Target = PodReadyData;

    fn deref(&self) -> &PodReadyData {
        &self.data
    }
}

impl PodReady {
    pub(crate) fn from_value(v: Value) -> PodReady {
        PodReady {
            data: PodReadyData::from_value(&v),
            text: v.text,
            html: v.html,
        }
    }
}

/// Lines like `pod "mysql-0" deleted` or `statefulset.apps/mysql scaled`.
#[derive(Debug, Clone)]
pub struct ChangeReport {
    /// One line per object.
    pub lines: Vec<String>,
    /// Names deleted.
    pub deleted: Vec<String>,
    text: String,
    html: String,
}
shown!(ChangeReport);

/// What `delete_pods`, `delete_pod` and `delete_data` return.
pub type DeleteReport = ChangeReport;

impl ChangeReport {
    pub(crate) fn from_value(v: Value) -> ChangeReport {
        ChangeReport {
            lines: v.attrs("lines").to_vec(),
            deleted: v.attrs("deleted").to_vec(),
            text: v.text,
            html: v.html,
        }
    }
}

/// What `cleanup` and `delete_statefulset` deleted and which PVCs (data) stay.
#[derive(Debug, Clone)]
pub struct CleanupReport {
    /// `statefulset.apps "mysql" deleted`, ...
    pub deleted: Vec<String>,
    /// PVC names kept.
    pub kept_pvcs: Vec<String>,
    text: String,
    html: String,
}
shown!(CleanupReport);

impl CleanupReport {
    pub(crate) fn from_value(v: Value) -> CleanupReport {
        CleanupReport {
            deleted: v.attrs("deleted").to_vec(),
            kept_pvcs: v.attrs("kept_pvcs").to_vec(),
            text: v.text,
            html: v.html,
        }
    }
}

/// What a command run in a pod printed and how it ended (`exec`).
#[derive(Debug, Clone)]
pub struct ExecOutput {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit code (0 = success).
    pub code: i32,
    text: String,
    html: String,
}
shown!(ExecOutput);

impl ExecOutput {
    pub(crate) fn from_value(v: Value) -> ExecOutput {
        ExecOutput {
            stdout: v.attr("stdout").into(),
            stderr: v.attr("stderr").into(),
            code: v.attr("code").parse().unwrap_or(-1),
            text: v.text,
            html: v.html,
        }
    }
}

/// A status line or acknowledgement with nothing else to read (`allow_context`).
#[derive(Debug, Clone)]
pub struct Note {
    text: String,
    html: String,
}
shown!(Note);

impl Note {
    pub(crate) fn from_value(v: Value) -> Note {
        Note {
            text: v.text,
            html: v.html,
        }
    }
}

/// What an earlier run of the lab left in the cluster (`leftovers()`).
#[derive(Debug, Clone)]
pub struct Leftovers {
    /// StatefulSets labelled app=mysql.
    pub statefulsets: Vec<String>,
    /// Pods labelled app=mysql.
    pub pods: Vec<String>,
    /// The lab's PVCs (its data).
    pub pvcs: Vec<String>,
    text: String,
    html: String,
}
shown!(Leftovers);

impl Leftovers {
    pub(crate) fn from_value(v: Value) -> Leftovers {
        Leftovers {
            statefulsets: v.attrs("statefulsets").to_vec(),
            pods: v.attrs("pods").to_vec(),
            pvcs: v.attrs("pvcs").to_vec(),
            text: v.text,
            html: v.html,
        }
    }

    /// True when nothing of an earlier run is there.
    pub fn is_empty(&self) -> bool {
        self.statefulsets.is_empty() && self.pods.is_empty() && self.pvcs.is_empty()
    }
}

/// What `start_fresh()` removed.
#[derive(Debug, Clone)]
pub struct FreshReport {
    /// What was there before.
    pub removed: Vec<String>,
    /// Time it took.
    pub elapsed: Duration,
    text: String,
    html: String,
}
shown!(FreshReport);

impl FreshReport {
    pub(crate) fn from_value(v: Value) -> FreshReport {
        FreshReport {
            removed: v.attrs("removed").to_vec(),
            elapsed: millis(&v),
            text: v.text,
            html: v.html,
        }
    }
}
