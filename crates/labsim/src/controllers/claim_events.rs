//! The PV controller's events about a claim it does not bind itself: `Warning ProvisioningFailed
//! storageclass.storage.k8s.io "fast" not found` (class missing), `WaitForFirstConsumer` and
//! `ExternalProvisioning`, from `persistentvolume-controller`, repeated on each claim resync
//! (15 s, kube-controller-manager's `--pvclaimbinder-sync-period`) as real clusters do, so
//! `count` grows at the real pace.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::ControllerError;
use crate::objects::events::EventRecorder;
use crate::objects::{name, namespace, uid};
use crate::resources::get;
use crate::store::Store;

pub const COMPONENT: &str = "persistentvolume-controller";
/// How often the PV controller resyncs an unbound claim (and so repeats the event).
pub const RESYNC: chrono::Duration = chrono::Duration::seconds(15);

/// Records (at most once per [`RESYNC`]) that `pvc`'s class `class` does not exist.
pub fn missing_class(
    store: &Store,
    pvc: &Value,
    class: &str,
    now: DateTime<Utc>,
) -> Result<(), ControllerError> {
    let message = format!("storageclass.storage.k8s.io \"{class}\" not found");
    per_resync(store, pvc, "Warning", "ProvisioningFailed", &message, now)
}

/// A claim of a `WaitForFirstConsumer` class that no scheduled pod uses yet
/// (pv_controller.go `emitEventForUnboundDelayBindingClaim`).
pub fn waiting_for_first_consumer(
    store: &Store,
    pvc: &Value,
    now: DateTime<Utc>,
) -> Result<(), ControllerError> {
    per_resync(
        store,
        pvc,
        "Normal",
        "WaitForFirstConsumer",
        "waiting for first consumer to be created before binding",
        now,
    )
}

/// A claim left to an external provisioner (pv_controller.go `provisionClaim`, the wording of
/// Kubernetes ≥ 1.28).
pub fn external_provisioning(
    store: &Store,
    pvc: &Value,
    provisioner: &str,
    now: DateTime<Utc>,
) -> Result<(), ControllerError> {
    let message = format!(
        "Waiting for a volume to be created either by the external provisioner '{provisioner}' \
         or manually by the system administrator. If volume creation is delayed, please verify \
         that the provisioner is running and correctly registered."
    );
    per_resync(store, pvc, "Normal", "ExternalProvisioning", &message, now)
}

/// Records an event of the PV controller about `pvc`, at most once per [`RESYNC`].
fn per_resync(
    store: &Store,
    pvc: &Value,
    type_: &str,
    reason: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), ControllerError> {
    let (events, _) = store.list(get("Event"), Some(namespace(pvc)));
    let recent = events.iter().any(|e| {
        e["involvedObject"]["uid"] == uid(pvc)
            && e["reason"] == reason
            && e["message"] == message
            && e["lastTimestamp"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| now.signed_duration_since(t) < RESYNC)
    });
    if recent {
        return Ok(());
    }
    tracing::debug!("claim {}: {message}", name(pvc));
    EventRecorder::record(store, pvc, type_, reason, message, COMPONENT)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_claim_of_a_missing_class_gets_one_event_per_resync() {
        let s = Store::in_memory();
        super::super::bootstrap::run(&s).unwrap();
        let pvc = s
            .create(
                get("PersistentVolumeClaim"),
                Some("default"),
                json!({"metadata": {"name": "data-mysql-fast-0"},
                       "spec": {"storageClassName": "fast", "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": "1Gi"}}}}),
            )
            .unwrap();
        let t0 = Utc::now();
        missing_class(&s, &pvc, "fast", t0).unwrap();
        missing_class(&s, &pvc, "fast", t0 + chrono::Duration::seconds(1)).unwrap();
        let failed = |s: &Store| -> Vec<Value> {
            s.list(get("Event"), Some("default"))
                .0
                .into_iter()
                .filter(|e| e["reason"] == "ProvisioningFailed")
                .collect()
        };
        let evs = failed(&s);
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0]["type"], "Warning");
        assert_eq!(
            evs[0]["message"],
            "storageclass.storage.k8s.io \"fast\" not found"
        );
        assert_eq!(evs[0]["source"]["component"], COMPONENT);
        assert_eq!(evs[0]["count"], 1);
        // after a resync the same event counts up
        missing_class(&s, &pvc, "fast", Utc::now() + RESYNC).unwrap();
        assert_eq!(failed(&s)[0]["count"], 2);
    }
}
