//! The one piece of kubectl's printing kubelab still does itself: the READY, STATUS, RESTARTS and
//! AGE of the `kubectl get pods -w` lines `watch_pods` streams and of its timeout diagnosis,
//! computed from the watched Pod objects like the API server's `printPod`
//! (`pkg/printers/internalversion/printers.go`) and apimachinery's `HumanDuration`. Every
//! `kubectl get` table (and the watch's final table) comes from the server instead (`get.rs`).
//! Plus the small pod predicates the waits use.

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Converts a Kubernetes timestamp (jiff inside k8s-openapi) to chrono.
pub fn to_chrono(t: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond().max(0) as u32)
        .unwrap_or_default()
}

/// Formats a duration the way kubectl's AGE column does: `4s`, `2m3s`, `15m`, `3h20m`, `5d`, `2y3d`.
pub fn human_duration_secs(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

/// The columns kubectl prints for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodColumns {
    /// READY, e.g. `1/1`.
    pub ready: String,
    /// STATUS, e.g. `Running`, `ContainerCreating`, `Terminating`, `Init:0/1`.
    pub status: String,
    /// RESTARTS, e.g. `0` or `2 (5m ago)`.
    pub restarts: String,
}

/// Computes READY, STATUS and RESTARTS the way kubectl does.
pub fn pod_columns(pod: &Pod, now: DateTime<Utc>) -> PodColumns {
    let spec_containers = pod.spec.as_ref().map(|s| s.containers.len()).unwrap_or(0);
    let status = pod.status.clone().unwrap_or_default();
    let mut reason = status.phase.clone().unwrap_or_default();
    if let Some(r) = status.reason.as_ref().filter(|r| !r.is_empty()) {
        reason = r.clone();
    }
    let mut restarts: i32 = 0;
    let mut ready_containers = 0;
    let mut last_restart: Option<DateTime<Utc>> = None;
    let note_restart = |last: &mut Option<DateTime<Utc>>,
                        cs: &k8s_openapi::api::core::v1::ContainerStatus| {
        if let Some(t) = cs
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.finished_at.as_ref())
        {
            let t = to_chrono(t);
            if last.is_none_or(|l| t > l) {
                *last = Some(t);
            }
        }
    };

    let init_statuses = status.init_container_statuses.clone().unwrap_or_default();
    let init_count = pod
        .spec
        .as_ref()
        .and_then(|s| s.init_containers.as_ref())
        .map(|c| c.len())
        .unwrap_or(0);
    let mut initializing = false;
    for (i, cs) in init_statuses.iter().enumerate() {
        restarts += cs.restart_count;
        if cs.restart_count > 0 {
            note_restart(&mut last_restart, cs);
        }
        let st = cs.state.clone().unwrap_or_default();
        if let Some(t) = st.terminated.as_ref() {
            if t.exit_code == 0 {
                continue;
            }
            reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None if t.signal.unwrap_or(0) != 0 => {
                    format!("Init:Signal:{}", t.signal.unwrap_or(0))
                }
                None => format!("Init:ExitCode:{}", t.exit_code),
            };
        } else if let Some(r) = st
            .waiting
            .as_ref()
            .and_then(|w| w.reason.as_deref())
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            reason = format!("Init:{r}");
        } else {
            reason = format!("Init:{i}/{init_count}");
        }
        initializing = true;
        break;
    }

    let conditions = status.conditions.clone().unwrap_or_default();
    let initialized_true = conditions
        .iter()
        .any(|c| c.type_ == "Initialized" && c.status == "True");
    if !initializing || initialized_true {
        restarts = 0;
        let mut has_running = false;
        let statuses = status.container_statuses.clone().unwrap_or_default();
        for cs in statuses.iter().rev() {
            restarts += cs.restart_count;
            if cs.restart_count > 0 {
                note_restart(&mut last_restart, cs);
            }
            let st = cs.state.clone().unwrap_or_default();
            if let Some(r) = st
                .waiting
                .as_ref()
                .and_then(|w| w.reason.as_deref())
                .filter(|r| !r.is_empty())
            {
                reason = r.to_string();
            } else if let Some(t) = st.terminated.as_ref() {
                reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(r) => r.to_string(),
                    None if t.signal.unwrap_or(0) != 0 => {
                        format!("Signal:{}", t.signal.unwrap_or(0))
                    }
                    None => format!("ExitCode:{}", t.exit_code),
                };
            } else if cs.ready && st.running.is_some() {
                has_running = true;
                ready_containers += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
            {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }

    if pod.metadata.deletion_timestamp.is_some() {
        reason = if status.reason.as_deref() == Some("NodeLost") {
            "Unknown".to_string()
        } else {
            "Terminating".to_string()
        };
    }

    let restarts = match last_restart {
        Some(t) if restarts > 0 => format!(
            "{restarts} ({} ago)",
            human_duration_secs((now - t).num_seconds())
        ),
        _ => restarts.to_string(),
    };
    PodColumns {
        ready: format!("{ready_containers}/{spec_containers}"),
        status: reason,
        restarts,
    }
}

/// True when the pod's Ready condition is True and it is not being deleted.
pub fn is_ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// When the pod's Ready condition last became True, if it is True.
pub fn ready_since(pod: &Pod) -> Option<DateTime<Utc>> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready" && c.status == "True")?
        .last_transition_time
        .as_ref()
        .map(to_chrono)
}

/// The StatefulSet ordinal of a pod name (`mysql-2` -> 2).
pub fn ordinal(name: &str) -> Option<u32> {
    name.rsplit_once('-')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:10:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn spec() -> serde_json::Value {
        serde_json::json!({"containers":[{"name":"mysql","image":"mysql:8.4"}]})
    }

    #[test]
    fn running_and_ready() {
        let p = pod(
            serde_json::json!({"metadata":{"name":"mysql-0"},"spec":spec(),"status":{
            "phase":"Running",
            "conditions":[{"type":"Ready","status":"True"}],
            "containerStatuses":[{"name":"mysql","image":"i","imageID":"","ready":true,"restartCount":0,
                "state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}]}}),
        );
        let c = pod_columns(&p, now());
        assert_eq!(
            (c.ready.as_str(), c.status.as_str(), c.restarts.as_str()),
            ("1/1", "Running", "0")
        );
        assert!(is_ready(&p));
    }

    #[test]
    fn container_creating_from_waiting_reason() {
        let p = pod(
            serde_json::json!({"metadata":{"name":"mysql-0"},"spec":spec(),"status":{
            "phase":"Pending",
            "containerStatuses":[{"name":"mysql","image":"i","imageID":"","ready":false,"restartCount":0,
                "state":{"waiting":{"reason":"ContainerCreating"}}}]}}),
        );
        let c = pod_columns(&p, now());
        assert_eq!(
            (c.ready.as_str(), c.status.as_str()),
            ("0/1", "ContainerCreating")
        );
        assert!(!is_ready(&p));
    }

    #[test]
    fn pending_without_statuses_shows_phase() {
        let p = pod(
            serde_json::json!({"metadata":{"name":"mysql-0"},"spec":spec(),"status":{"phase":"Pending"}}),
        );
        assert_eq!(pod_columns(&p, now()).status, "Pending");
    }

    #[test]
    fn crash_loop_with_restart_age() {
        let p = pod(
            serde_json::json!({"metadata":{"name":"mysql-1"},"spec":spec(),"status":{
            "phase":"Running",
            "containerStatuses":[{"name":"mysql","image":"i","imageID":"","ready":false,"restartCount":3,
                "lastState":{"terminated":{"exitCode":1,"reason":"Error","finishedAt":"2026-01-01T00:08:00Z"}},
                "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off"}}}]}}),
        );
        let c = pod_columns(&p, now());
        assert_eq!(c.status, "CrashLoopBackOff");
        assert_eq!(c.restarts, "3 (2m ago)");
    }

    #[test]
    fn terminating_overrides_running() {
        let p = pod(
            serde_json::json!({"metadata":{"name":"mysql-0","deletionTimestamp":"2026-01-01T00:09:59Z"},
            "spec":spec(),"status":{"phase":"Running",
            "conditions":[{"type":"Ready","status":"True"}],
            "containerStatuses":[{"name":"mysql","image":"i","imageID":"","ready":true,"restartCount":0,
                "state":{"running":{}}}]}}),
        );
        let c = pod_columns(&p, now());
        assert_eq!(
            (c.ready.as_str(), c.status.as_str()),
            ("1/1", "Terminating")
        );
        assert!(!is_ready(&p), "a terminating pod does not count as Ready");
    }

    #[test]
    fn terminated_without_reason_shows_exit_code() {
        let p = pod(
            serde_json::json!({"metadata":{"name":"x"},"spec":spec(),"status":{"phase":"Failed",
            "containerStatuses":[{"name":"mysql","image":"i","imageID":"","ready":false,"restartCount":0,
                "state":{"terminated":{"exitCode":137}}}]}}),
        );
        assert_eq!(pod_columns(&p, now()).status, "ExitCode:137");
    }

    #[test]
    fn init_container_progress() {
        let p = pod(serde_json::json!({"metadata":{"name":"x"},
            "spec":{"initContainers":[{"name":"init"}],"containers":[{"name":"mysql"}]},
            "status":{"phase":"Pending",
            "initContainerStatuses":[{"name":"init","image":"i","imageID":"","ready":false,"restartCount":0,
                "state":{"running":{}}}]}}));
        assert_eq!(pod_columns(&p, now()).status, "Init:0/1");
    }

    #[test]
    fn image_pull_error() {
        let p = pod(
            serde_json::json!({"metadata":{"name":"x"},"spec":spec(),"status":{"phase":"Pending",
            "containerStatuses":[{"name":"mysql","image":"i","imageID":"","ready":false,"restartCount":0,
                "state":{"waiting":{"reason":"ImagePullBackOff"}}}]}}),
        );
        assert_eq!(pod_columns(&p, now()).status, "ImagePullBackOff");
    }

    #[test]
    fn matches_kubectl_human_duration() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (4, "4s"),
            (119, "119s"),
            (120, "2m"),
            (123, "2m3s"),
            (599, "9m59s"),
            (600, "10m"),
            (179 * 60 + 59, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 20 * 60 + 5, "3h20m"),
            (8 * 3600, "8h"),
            (47 * 3600, "47h"),
            (48 * 3600, "2d"),
            (50 * 3600, "2d2h"),
            (8 * 24 * 3600, "8d"),
            (729 * 24 * 3600, "729d"),
            (730 * 24 * 3600, "2y"),
            (733 * 24 * 3600, "2y3d"),
            (9 * 365 * 24 * 3600, "9y"),
        ];
        for (secs, want) in cases {
            assert_eq!(human_duration_secs(secs), want, "{secs}s");
        }
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal("mysql-2"), Some(2));
        assert_eq!(ordinal("web-app-10"), Some(10));
        assert_eq!(ordinal("mysql"), None);
    }
}
