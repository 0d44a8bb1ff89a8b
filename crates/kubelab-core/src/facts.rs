//! Facts about pods that the learner checks (`check`) and the pictures (`topology`, `timeline`)
//! read from the API objects: ordinal, creation and Ready times, kubectl's READY and STATUS.
//! Kept apart from the watch code so that both read the same facts in the same way.

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;

/// A read that failed or did not answer in time: what was read (a kubectl-like command) and why.
/// `check::Error::Api` and `picture::Error::Api` are made from it.
pub struct ReadFailed {
    pub what: String,
    pub detail: String,
}

/// Runs one API read of a check or a picture within the API's time limit (`deadline::in_time`),
/// naming it in the failure (`check::Error::Api`, `picture::Error::Api`).
pub async fn read<T>(
    what: &str,
    fut: impl std::future::Future<Output = kube::Result<T>>,
) -> Result<T, ReadFailed> {
    let failed = |detail: String| ReadFailed {
        what: what.to_string(),
        detail,
    };
    match crate::deadline::in_time(fut).await {
        Ok(r) => r.map_err(|e| failed(e.to_string())),
        Err(late) => Err(failed(late)),
    }
}

/// The ordinal of a StatefulSet pod name (`mysql-2` → 2); names without one sort last.
pub fn ordinal(name: &str) -> u32 {
    crate::pod::ordinal(name).unwrap_or(u32::MAX)
}

/// Sorts pods as a StatefulSet numbers them (`mysql-2` before `mysql-10`).
pub fn sort_by_ordinal(pods: &mut [Pod]) {
    pods.sort_by_key(|p| (ordinal(&p.name_any()), p.name_any()));
}

/// A Kubernetes timestamp (jiff inside k8s-openapi) as chrono.
pub fn time(t: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond().max(0) as u32)
        .unwrap_or_default()
}

/// When the pod was created (`metadata.creationTimestamp`).
pub fn created(p: &Pod) -> Option<DateTime<Utc>> {
    p.metadata.creation_timestamp.as_ref().map(time)
}

/// When the pod's Ready condition last became True; None while it is not Ready.
pub fn ready_since(p: &Pod) -> Option<DateTime<Utc>> {
    let c = p
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    if c.status != "True" {
        return None;
    }
    c.last_transition_time.as_ref().map(time)
}

/// True when the pod is Ready and not being deleted.
pub fn is_ready(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none() && ready_since(p).is_some()
}

/// kubectl's READY column: ready containers / containers.
pub fn ready_text(p: &Pod) -> String {
    let total = p.spec.as_ref().map(|s| s.containers.len()).unwrap_or(0);
    let ready = p
        .status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| cs.iter().filter(|c| c.ready).count())
        .unwrap_or(0);
    format!("{ready}/{total}")
}

/// A short STATUS as kubectl shows it: Terminating, a container's waiting reason, or the phase.
pub fn status_text(p: &Pod) -> String {
    if p.metadata.deletion_timestamp.is_some() {
        return "Terminating".into();
    }
    let status = p.status.as_ref();
    let waiting = status
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|cs| {
            cs.iter()
                .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone())
        });
    waiting
        .or_else(|| status.and_then(|s| s.phase.clone()))
        .unwrap_or_else(|| "Pending".into())
}

/// The node the pod runs on, if scheduled.
pub fn node(p: &Pod) -> Option<String> {
    p.spec.as_ref().and_then(|s| s.node_name.clone())
}

/// The pod's IP, if it has one.
pub fn ip(p: &Pod) -> Option<String> {
    p.status.as_ref().and_then(|s| s.pod_ip.clone())
}

/// Seconds from `a` to `b` (negative when `b` is earlier).
pub fn secs_between(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_seconds()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_ordinal_times_and_columns() {
        let p: Pod = serde_json::from_value(json!({
            "metadata": {"name": "mysql-10", "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"nodeName": "minikube-m02", "containers": [{"name": "mysql"}]},
            "status": {"phase": "Running", "podIP": "10.244.1.5",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-01-01T00:00:04Z"}],
                "containerStatuses": [{"name": "mysql", "ready": true, "restartCount": 0, "image": "m", "imageID": ""}]}
        }))
        .unwrap();
        assert_eq!(ordinal("mysql-10"), 10);
        assert_eq!(ordinal("web"), u32::MAX);
        assert_eq!(
            secs_between(created(&p).unwrap(), ready_since(&p).unwrap()),
            4
        );
        assert!(is_ready(&p));
        assert_eq!(ready_text(&p), "1/1");
        assert_eq!(status_text(&p), "Running");
        assert_eq!(node(&p).as_deref(), Some("minikube-m02"));
        assert_eq!(ip(&p).as_deref(), Some("10.244.1.5"));
    }
}
