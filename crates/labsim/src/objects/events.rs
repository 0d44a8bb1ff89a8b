//! The event recorder every component uses (controllers, scheduler, kubelet): core/v1 Events
//! named `<object>.<hex nanos>`, repeats aggregated into `count`, client-go's spam filter and
//! similar-event aggregation (`event_correlator`), and expiry after one hour.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::api_error::ApiError;
use crate::objects::{name, namespace, uid};
use crate::resources::get;
use crate::store::{now, Store};

/// How long an event is kept after its last occurrence (the API server's `--event-ttl`).
pub const EVENT_TTL: chrono::Duration = chrono::Duration::hours(1);

/// Where an event comes from and what it points at, beyond the involved object itself.
#[derive(Debug, Clone, Default)]
pub struct Source<'a> {
    /// `source.component` / `reportingComponent`, e.g. `statefulset-controller`, `kubelet`.
    pub component: &'a str,
    /// `source.host` (the node, for kubelet events).
    pub host: Option<&'a str>,
    /// `involvedObject.fieldPath`, e.g. `spec.containers{mysql}`.
    pub field_path: Option<&'a str>,
}

/// Records Events the way client-go's recorder does. Stateless: aggregation looks at the Events
/// already stored, so it also works across restarts and between components.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventRecorder;

impl EventRecorder {
    /// Records an event about `involved` (`type_` is `Normal` or `Warning`).
    pub fn record(
        store: &Store,
        involved: &Value,
        type_: &str,
        reason: &str,
        message: &str,
        source_component: &str,
    ) -> Result<Value, ApiError> {
        Self::record_from(
            store,
            involved,
            type_,
            reason,
            message,
            &Source {
                component: source_component,
                ..Source::default()
            },
        )
    }

    /// Like [`EventRecorder::record`] with a host and a field path.
    pub fn record_from(
        store: &Store,
        involved: &Value,
        type_: &str,
        reason: &str,
        message: &str,
        source: &Source<'_>,
    ) -> Result<Value, ApiError> {
        let rt = get("Event");
        let at = std::time::Instant::now();
        let host = source.host.unwrap_or("");
        let combined = super::event_correlator::aggregate(
            source.component,
            host,
            involved,
            type_,
            reason,
            message,
            at,
        );
        let message = combined.as_str();
        if !super::event_correlator::allow(source.component, host, involved, type_, at) {
            tracing::debug!(
                "event dropped by the spam filter: {} {reason} {message}",
                name(involved)
            );
            return Ok(Value::Null);
        }
        // Events about cluster-scoped objects (nodes) live in `default`, as in real clusters.
        let ns = match namespace(involved) {
            "" => "default",
            n => n,
        };
        let (events, _) = store.list(rt, Some(ns));
        let same = events.iter().find(|e| {
            let io = &e["involvedObject"];
            io["uid"] == uid(involved)
                && io["name"] == name(involved)
                && e["reason"] == reason
                && (e["message"] == message
                    || message.starts_with(super::event_correlator::COMBINED_PREFIX)
                        && e["message"].as_str().is_some_and(|m| {
                            m.starts_with(super::event_correlator::COMBINED_PREFIX)
                        }))
                && e["type"] == type_
                && e["source"]["component"] == source.component
                && io["fieldPath"].as_str() == source.field_path
        });
        if let Some(e) = same {
            let count = e["count"].as_i64().unwrap_or(1) + 1;
            return store.modify(rt, Some(ns), name(e), |e| {
                e["count"] = json!(count);
                e["lastTimestamp"] = json!(now());
                // A combined event shows the latest of the similar messages.
                e["message"] = json!(message);
            });
        }
        let mut involved_ref = json!({
            "kind": involved["kind"],
            "apiVersion": involved["apiVersion"],
            "name": name(involved),
            "uid": uid(involved),
            "resourceVersion": involved["metadata"]["resourceVersion"],
        });
        if !namespace(involved).is_empty() {
            involved_ref["namespace"] = json!(namespace(involved));
        }
        if let Some(f) = source.field_path {
            involved_ref["fieldPath"] = json!(f);
        }
        let mut src = json!({"component": source.component});
        if let Some(h) = source.host {
            src["host"] = json!(h);
        }
        let ts = now();
        let mut nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        // Two events in the same nanosecond (or a clock step back) would collide: try the next.
        for _ in 0..16 {
            let event = json!({
                "metadata": {"name": format!("{}.{:x}", name(involved), nanos), "namespace": ns},
                "involvedObject": involved_ref,
                "reason": reason,
                "message": message,
                "source": src,
                "firstTimestamp": ts,
                "lastTimestamp": ts,
                "count": 1,
                "type": type_,
                "eventTime": null,
                "reportingComponent": source.component,
                "reportingInstance": source.host.unwrap_or(""),
            });
            match store.create(rt, Some(ns), event) {
                Err(e) if e.code == 409 => nanos += 1,
                other => return other,
            }
        }
        Err(ApiError::internal("could not name a new event"))
    }

    /// Deletes events whose last occurrence is older than [`EVENT_TTL`] before `at`.
    /// Returns how many were removed.
    pub fn expire(store: &Store, at: DateTime<Utc>) -> usize {
        let rt = get("Event");
        let (events, _) = store.list(rt, None);
        let mut removed = 0;
        for e in &events {
            let last = e["lastTimestamp"]
                .as_str()
                .or(e["metadata"]["creationTimestamp"].as_str())
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
            if let Some(last) = last {
                if at.signed_duration_since(last) > EVENT_TTL
                    && store
                        .remove_uid(rt, Some(namespace(e)), name(e), uid(e))
                        .is_some()
                {
                    removed += 1;
                }
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(store: &Store) -> Value {
        store
            .create(
                get("Pod"),
                Some("default"),
                json!({"metadata": {"name": "mysql-0"}, "spec": {}}),
            )
            .unwrap()
    }

    #[test]
    fn repeats_are_aggregated_into_count() {
        let s = Store::in_memory();
        let p = pod(&s);
        let e1 = EventRecorder::record(&s, &p, "Warning", "BackOff", "x", "kubelet").unwrap();
        let e2 = EventRecorder::record(&s, &p, "Warning", "BackOff", "x", "kubelet").unwrap();
        assert_eq!(e1["metadata"]["name"], e2["metadata"]["name"]);
        assert_eq!(e2["count"], 2);
        assert!(e1["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("mysql-0."));
        assert_eq!(e2["involvedObject"]["kind"], "Pod");
        assert_eq!(e2["involvedObject"]["uid"], p["metadata"]["uid"]);
        assert_eq!(e2["source"]["component"], "kubelet");
        assert_eq!(e2["reportingComponent"], "kubelet");
        // Another message is another event.
        EventRecorder::record(&s, &p, "Warning", "BackOff", "y", "kubelet").unwrap();
        assert_eq!(s.list(get("Event"), Some("default")).0.len(), 2);
        // A re-created namesake (new uid) gets its own events.
        s.remove(get("Pod"), None, "mysql-0").unwrap();
        let p2 = pod(&s);
        let e3 = EventRecorder::record(&s, &p2, "Warning", "BackOff", "x", "kubelet").unwrap();
        assert_eq!(e3["count"], 1);
    }

    #[test]
    fn node_events_go_to_default_and_old_events_expire() {
        let s = Store::in_memory();
        let node = s
            .create(get("Node"), None, json!({"metadata": {"name": "minikube"}}))
            .unwrap();
        let src = Source {
            component: "kubelet",
            host: Some("minikube"),
            field_path: None,
        };
        let e =
            EventRecorder::record_from(&s, &node, "Normal", "Starting", "Starting kubelet.", &src)
                .unwrap();
        assert_eq!(e["metadata"]["namespace"], "default");
        assert_eq!(e["source"]["host"], "minikube");
        assert!(e["involvedObject"].get("namespace").is_none());
        assert_eq!(EventRecorder::expire(&s, Utc::now()), 0);
        let later = Utc::now() + chrono::Duration::minutes(61);
        assert_eq!(EventRecorder::expire(&s, later), 1);
        assert!(s.list(get("Event"), None).0.is_empty());
    }
}
