//! The pod READY, STATUS and RESTARTS cells, computed like `printPod` in kubernetes'
//! `pkg/printers/internalversion/printers.go`.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::age::{parse_time, since};
use crate::resources::columns::arr;

/// The three computed cells of a pod row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSummary {
    /// `ready/total`, e.g. `1/1`.
    pub ready: String,
    /// The STATUS cell: a reason (`ContainerCreating`, `CrashLoopBackOff`, `Init:0/1`,
    /// `Terminating`...) or the phase.
    pub status: String,
    /// The RESTARTS cell, e.g. `0` or `5 (12s ago)`.
    pub restarts: String,
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn int_at(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn has_condition(pod: &Value, ty: &str) -> bool {
    arr(pod, "/status/conditions")
        .iter()
        .any(|c| str_at(c, "/type") == ty && str_at(c, "/status") == "True")
}

/// `podutil.IsRestartableInitContainer`: a sidecar (`restartPolicy: Always`) init container.
fn is_restartable_init(pod: &Value, name: &str) -> bool {
    arr(pod, "/spec/initContainers")
        .iter()
        .any(|c| str_at(c, "/name") == name && str_at(c, "/restartPolicy") == "Always")
}

/// Keeps the latest `lastState.terminated.finishedAt` (Go's `lastRestartDate.Before(&t)`).
fn note_last_termination(status: &Value, latest: &mut Option<DateTime<Utc>>) {
    if status
        .pointer("/lastState/terminated")
        .is_some_and(Value::is_object)
    {
        if let Some(t) = parse_time(status.pointer("/lastState/terminated/finishedAt")) {
            if latest.is_none_or(|l| l < t) {
                *latest = Some(t);
            }
        }
    }
}

/// A reason for a terminated container without one: `Signal:N` or `ExitCode:N`.
fn terminated_code(term: &Value, prefix: &str) -> String {
    let signal = int_at(term, "/signal");
    if signal != 0 {
        format!("{prefix}Signal:{signal}")
    } else {
        format!("{prefix}ExitCode:{}", int_at(term, "/exitCode"))
    }
}

/// Computes READY, STATUS and RESTARTS of `pod` as kube-apiserver prints them at `now`.
pub fn summarize(pod: &Value, now: DateTime<Utc>) -> PodSummary {
    let mut restarts: i64 = 0;
    let mut restartable_init_restarts: i64 = 0;
    let init_specs = arr(pod, "/spec/initContainers");
    let mut total = arr(pod, "/spec/containers").len();
    let mut ready = 0usize;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let mut last_restartable_init_restart: Option<DateTime<Utc>> = None;

    let phase = str_at(pod, "/status/phase");
    let mut reason = phase.to_string();
    let status_reason = str_at(pod, "/status/reason");
    if !status_reason.is_empty() {
        reason = status_reason.to_string();
    }
    for c in arr(pod, "/status/conditions") {
        if str_at(c, "/type") == "PodScheduled" && str_at(c, "/reason") == "SchedulingGated" {
            reason = "SchedulingGated".to_string();
        }
    }

    total += init_specs
        .iter()
        .filter(|c| str_at(c, "/restartPolicy") == "Always")
        .count();

    let mut initializing = false;
    for (i, cs) in arr(pod, "/status/initContainerStatuses").iter().enumerate() {
        let name = str_at(cs, "/name");
        let restartable = is_restartable_init(pod, name);
        restarts += int_at(cs, "/restartCount");
        note_last_termination(cs, &mut last_restart);
        if restartable {
            restartable_init_restarts += int_at(cs, "/restartCount");
            note_last_termination(cs, &mut last_restartable_init_restart);
        }
        let terminated = cs.pointer("/state/terminated").filter(|t| t.is_object());
        let waiting_reason = str_at(cs, "/state/waiting/reason");
        if terminated.is_some_and(|t| int_at(t, "/exitCode") == 0) {
            continue;
        }
        if restartable && cs.pointer("/started").and_then(Value::as_bool) == Some(true) {
            if cs.pointer("/ready").and_then(Value::as_bool) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            let r = str_at(t, "/reason");
            reason = if r.is_empty() {
                terminated_code(t, "Init:")
            } else {
                format!("Init:{r}")
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }

    if !initializing || has_condition(pod, "Initialized") {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        for cs in arr(pod, "/status/containerStatuses").iter().rev() {
            restarts += int_at(cs, "/restartCount");
            note_last_termination(cs, &mut last_restart);
            let waiting_reason = str_at(cs, "/state/waiting/reason");
            let terminated = cs.pointer("/state/terminated").filter(|t| t.is_object());
            if !waiting_reason.is_empty() {
                reason = waiting_reason.to_string();
            } else if let Some(t) = terminated {
                let r = str_at(t, "/reason");
                reason = if r.is_empty() {
                    terminated_code(t, "")
                } else {
                    r.to_string()
                };
            } else if cs.pointer("/ready").and_then(Value::as_bool) == Some(true)
                && cs.pointer("/state/running").is_some_and(Value::is_object)
            {
                has_running = true;
                ready += 1;
            }
        }
        // A pod whose last container completed while another still runs is not "Completed".
        if reason == "Completed" && has_running {
            reason = if has_condition(pod, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    let deleting = pod
        .pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null());
    if deleting && status_reason == "NodeLost" {
        reason = "Unknown".to_string();
    } else if deleting && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", since(Some(t), now)),
        _ => restarts.to_string(),
    };
    PodSummary {
        ready: format!("{ready}/{total}"),
        status: reason,
        restarts: restarts_cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn pod(status: Value) -> Value {
        json!({
            "metadata": {"name": "mysql-0"},
            "spec": {"containers": [{"name": "mysql", "image": "mysql:8.4"}]},
            "status": status,
        })
    }

    fn sum(p: &Value) -> (String, String, String) {
        let s = summarize(p, now());
        (s.ready, s.status, s.restarts)
    }

    fn t(a: &str, b: &str, c: &str) -> (String, String, String) {
        (a.into(), b.into(), c.into())
    }

    #[test]
    fn pending_unscheduled_pod_shows_phase() {
        let p = pod(json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}));
        assert_eq!(sum(&p), t("0/1", "Pending", "0"));
        // No status at all (just created): empty phase, like the real printer.
        let bare = json!({"metadata": {"name": "x"}, "spec": {"containers": [{"name": "a"}]}});
        assert_eq!(sum(&bare), t("0/1", "", "0"));
    }

    #[test]
    fn waiting_reasons_win_over_phase() {
        for r in [
            "ContainerCreating",
            "ErrImagePull",
            "ImagePullBackOff",
            "CrashLoopBackOff",
        ] {
            let p = pod(json!({"phase": "Pending", "containerStatuses": [
                {"name": "mysql", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": r}}}]}));
            assert_eq!(sum(&p).1, r);
        }
    }

    #[test]
    fn running_not_ready_and_ready() {
        let running = json!({"running": {"startedAt": "2026-11-25T02:59:00Z"}});
        let p = pod(
            json!({"phase": "Running", "containerStatuses": [{"name": "mysql", "ready": false, "restartCount": 0, "state": running}]}),
        );
        assert_eq!(sum(&p), t("0/1", "Running", "0"));
        let p = pod(
            json!({"phase": "Running", "containerStatuses": [{"name": "mysql", "ready": true, "restartCount": 0, "state": running}]}),
        );
        assert_eq!(sum(&p), t("1/1", "Running", "0"));
    }

    #[test]
    fn crash_loop_with_restarts_shows_last_restart_age() {
        let p = pod(json!({"phase": "Running", "containerStatuses": [{
            "name": "mysql", "ready": false, "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 2m40s"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                "finishedAt": "2026-11-25T02:59:55Z"}}}]}));
        assert_eq!(sum(&p), t("0/1", "CrashLoopBackOff", "5 (5s ago)"));
        // Restarts without a recorded termination time print the bare count.
        let p = pod(json!({"phase": "Running", "containerStatuses": [{
            "name": "mysql", "ready": true, "restartCount": 2,
            "state": {"running": {}}}]}));
        assert_eq!(sum(&p), t("1/1", "Running", "2"));
    }

    #[test]
    fn terminated_containers_give_reason_or_code() {
        let p = pod(
            json!({"phase": "Succeeded", "containerStatuses": [{"name": "mysql", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}),
        );
        assert_eq!(sum(&p).1, "Completed");
        let p = pod(
            json!({"phase": "Failed", "containerStatuses": [{"name": "mysql", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": 137}}}]}),
        );
        assert_eq!(sum(&p).1, "ExitCode:137");
        let p = pod(
            json!({"phase": "Failed", "containerStatuses": [{"name": "mysql", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": 0, "signal": 9}}}]}),
        );
        assert_eq!(sum(&p).1, "Signal:9");
    }

    #[test]
    fn completed_with_a_running_sibling_is_running_or_not_ready() {
        let mut p = pod(json!({"phase": "Running", "containerStatuses": [
            {"name": "a", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
            {"name": "b", "ready": true, "restartCount": 0, "state": {"running": {}}}]}));
        p["spec"]["containers"] = json!([{"name": "a"}, {"name": "b"}]);
        // Walked in reverse: b (running) first, then a sets "Completed".
        assert_eq!(sum(&p), t("1/2", "NotReady", "0"));
        p["status"]["conditions"] = json!([{"type": "Ready", "status": "True"}]);
        assert_eq!(sum(&p).1, "Running");
    }

    #[test]
    fn init_containers() {
        let mut p = pod(json!({"phase": "Pending", "initContainerStatuses": [
            {"name": "init-mysql", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}],
            "containerStatuses": [{"name": "mysql", "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}}}]}));
        p["spec"]["initContainers"] = json!([{"name": "init-mysql"}]);
        assert_eq!(sum(&p), t("0/1", "Init:0/1", "0"));
        p["status"]["initContainerStatuses"][0]["state"] =
            json!({"waiting": {"reason": "CrashLoopBackOff"}});
        p["status"]["initContainerStatuses"][0]["restartCount"] = json!(3);
        assert_eq!(sum(&p), t("0/1", "Init:CrashLoopBackOff", "3"));
        p["status"]["initContainerStatuses"][0]["state"] = json!({"terminated": {"exitCode": 2}});
        assert_eq!(sum(&p).1, "Init:ExitCode:2");
        p["status"]["initContainerStatuses"][0]["state"] =
            json!({"terminated": {"exitCode": 1, "reason": "Error"}});
        assert_eq!(sum(&p).1, "Init:Error");
        // Init done: the main containers decide.
        p["status"]["initContainerStatuses"][0]["state"] =
            json!({"terminated": {"exitCode": 0, "reason": "Completed"}});
        p["status"]["containerStatuses"][0]["state"] =
            json!({"waiting": {"reason": "ContainerCreating"}});
        assert_eq!(sum(&p), t("0/1", "ContainerCreating", "0"));
    }

    #[test]
    fn sidecar_init_containers_count_as_containers() {
        let p = json!({"metadata": {"name": "x"},
            "spec": {"initContainers": [{"name": "side", "restartPolicy": "Always"}], "containers": [{"name": "main"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Initialized", "status": "True"}],
                "initContainerStatuses": [{"name": "side", "ready": true, "started": true, "restartCount": 1,
                    "state": {"running": {}}, "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2026-11-25T02:58:00Z"}}}],
                "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0, "state": {"running": {}}}]}});
        assert_eq!(sum(&p), t("2/2", "Running", "1 (2m ago)"));
    }

    #[test]
    fn deletion_makes_terminating_unless_terminal() {
        let mut p = pod(
            json!({"phase": "Running", "containerStatuses": [{"name": "mysql",
            "ready": true, "restartCount": 0, "state": {"running": {}}}]}),
        );
        p["metadata"]["deletionTimestamp"] = json!("2026-11-25T03:00:30Z");
        assert_eq!(sum(&p), t("1/1", "Terminating", "0"));
        p["status"]["phase"] = json!("Succeeded");
        assert_eq!(sum(&p).1, "Succeeded");
        p["status"]["phase"] = json!("Running");
        p["status"]["reason"] = json!("NodeLost");
        assert_eq!(sum(&p).1, "Unknown");
    }

    #[test]
    fn scheduling_gated() {
        let p = pod(json!({"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}));
        assert_eq!(sum(&p).1, "SchedulingGated");
    }
}
