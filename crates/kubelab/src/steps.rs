//! The troubleshooting and update steps of notebooks 03 and 04: `describe`, `delete`,
//! `watch_rollout` and `revisions`, with what they return ([`Description`], [`RolloutReport`]).

use std::time::Duration;

use crate::call::call;
use crate::results::{ChangeReport, Table};
use crate::show::shown;
use crate::wire::Value;
use crate::{Result, DEFAULT_TIMEOUT};

/// `kubectl describe KIND NAME` (pod, pvc, statefulset): what a learner needs to see why it is
/// stuck — status, container state and reason, conditions, probes, claims — and its Events.
#[derive(Debug, Clone)]
pub struct Description {
    fields: Vec<(String, String)>,
    /// TYPE REASON AGE FROM MESSAGE of the object's Events, oldest first.
    pub events: Table,
    text: String,
    html: String,
}
shown!(Description);

impl Description {
    fn from_value(v: Value) -> Description {
        let keys = v.attrs("field.keys").to_vec();
        let vals = v.attrs("field.values").to_vec();
        Description {
            fields: keys.into_iter().zip(vals).collect(),
            events: Table::new(
                v.tables.first().cloned().unwrap_or_default(),
                v.attr("events.text").to_string(),
                v.attr("events.html").to_string(),
            ),
            text: v.text,
            html: v.html,
        }
    }

    /// A top field: `Status`, `Reason` (first container's waiting/terminated reason), `Ready`,
    /// `Image`, `StorageClass`, `Partition`, `whenScaled`, ...
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }
}

/// What `watch_rollout` returns: the order pods were replaced and each pod's revision at the end.
#[derive(Debug, Clone)]
pub struct RolloutReport {
    /// Printed lines (kubectl's status lines and the pod changes).
    pub lines: Vec<String>,
    replaced: Vec<String>,
    /// The StatefulSet's update revision.
    pub update_revision: String,
    /// `kubectl get pods -l ... -L controller-revision-hash` at the end.
    pub pods: Table,
    /// Time it took.
    pub elapsed: Duration,
    text: String,
    html: String,
}
shown!(RolloutReport);

impl RolloutReport {
    fn from_value(v: Value) -> RolloutReport {
        RolloutReport {
            lines: v.attrs("lines").to_vec(),
            replaced: v.attrs("replaced").to_vec(),
            update_revision: v.attr("update_revision").to_string(),
            pods: Table::new(
                v.tables.first().cloned().unwrap_or_default(),
                v.attr("pods.text").to_string(),
                v.attr("pods.html").to_string(),
            ),
            elapsed: Duration::from_millis(v.attr("elapsed_ms").parse().unwrap_or(0)),
            text: v.text,
            html: v.html,
        }
    }

    /// Pods replaced by a pod of the new revision, in order (`["mysql-2", "mysql-1", "mysql-0"]`).
    pub fn replaced(&self) -> &[String] {
        &self.replaced
    }
}

/// `kubectl describe KIND NAME` for a pod, a PVC or a StatefulSet.
pub fn describe(kind: &str, name: &str) -> Result<Description> {
    call("describe", &[kind, name]).map(Description::from_value)
}

/// `kubectl delete KIND NAME` (pod, pvc, statefulset, service, secret, storageclass).
pub fn delete(kind: &str, name: &str) -> Result<ChangeReport> {
    call("delete", &[kind, name]).map(ChangeReport::from_value)
}

/// `kubectl wait --for=delete KIND/NAME --timeout=60s` (pod or pvc).
pub fn wait_deleted(kind: &str, name: &str) -> Result<ChangeReport> {
    wait_deleted_for(kind, name, Duration::from_secs(60))
}

/// `wait_deleted` with a chosen timeout.
pub fn wait_deleted_for(kind: &str, name: &str, timeout: Duration) -> Result<ChangeReport> {
    let ms = timeout.as_millis().to_string();
    call("wait_deleted", &[kind, name, &ms]).map(ChangeReport::from_value)
}

/// `kubectl rollout status statefulset/NAME` until done (300 s), and the order pods were replaced.
pub fn watch_rollout(name: &str) -> Result<RolloutReport> {
    watch_rollout_for(name, DEFAULT_TIMEOUT)
}

/// `watch_rollout` with a chosen timeout.
pub fn watch_rollout_for(name: &str, timeout: Duration) -> Result<RolloutReport> {
    let ms = timeout.as_millis().to_string();
    call("watch_rollout", &[name, &ms]).map(RolloutReport::from_value)
}

/// `kubectl get pods -l ... -L controller-revision-hash`: which revision each pod of NAME runs.
pub fn revisions(name: &str) -> Result<Table> {
    call("revisions", &[name]).map(Table::from_value)
}
