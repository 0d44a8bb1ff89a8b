//! Event: its row and kubectl's columns (`printEvent`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::age::{parse_time, since};
use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["ev"],
    columns: COLUMNS,
    ..ResourceType::namespaced("", "Event", "events", "event")
};

const COLUMNS: &[Column] = &[
    col("Last Seen", "The time at which the most recent occurrence of this event was recorded.", ev_last),
    col("Type", "Type of this event (Normal, Warning), new types could be added in the future", ev_type),
    col("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", ev_reason),
    col("Object", "The object that this event is about.", ev_object),
    wide("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", ev_subobject),
    wide("Source", "The component reporting this event. Should be a short machine understandable string.", ev_source),
    col("Message", "A human-readable description of the status of this operation.", ev_message),
    wide("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", ev_first_cell),
    wide("Count", "The number of times this event has occurred.", ev_count),
    Column {
        priority: 1,
        ..NAME
    },
];

fn ev_first(o: &Value, now: DateTime<Utc>) -> String {
    match parse_time(o.get("firstTimestamp")) {
        Some(t) => since(Some(t), now),
        None => since(parse_time(o.get("eventTime")), now),
    }
}
fn ev_last(o: &Value, now: DateTime<Utc>) -> Value {
    if let Some(series) = o.get("series").filter(|v| v.is_object()) {
        return Value::from(since(parse_time(series.get("lastObservedTime")), now));
    }
    match parse_time(o.get("lastTimestamp")) {
        Some(t) => Value::from(since(Some(t), now)),
        None => Value::from(ev_first(o, now)),
    }
}
fn ev_first_cell(o: &Value, now: DateTime<Utc>) -> Value {
    Value::from(ev_first(o, now))
}
fn ev_count(o: &Value, _: DateTime<Utc>) -> Value {
    if let Some(series) = o.get("series").filter(|v| v.is_object()) {
        return Value::from(series.get("count").and_then(Value::as_i64).unwrap_or(0));
    }
    // Singleton events of the events.k8s.io API carry no count.
    match o.get("count").and_then(Value::as_i64).unwrap_or(0) {
        0 => Value::from(1),
        n => Value::from(n),
    }
}
fn ev_type(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/type"))
}
fn ev_reason(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/reason"))
}
fn ev_object(o: &Value, _: DateTime<Utc>) -> Value {
    let kind = s(o, "/involvedObject/kind").to_lowercase();
    match s(o, "/involvedObject/name") {
        "" => Value::from(kind),
        name => Value::from(format!("{kind}/{name}")),
    }
}
fn ev_subobject(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/involvedObject/fieldPath"))
}
fn ev_source(o: &Value, _: DateTime<Utc>) -> Value {
    let component = or(s(o, "/source/component"), s(o, "/reportingComponent"));
    let component = component.as_str().unwrap_or("");
    let host = or(s(o, "/source/host"), s(o, "/reportingInstance"));
    match host.as_str().unwrap_or("") {
        "" => Value::from(component),
        host => Value::from(format!("{component}, {host}")),
    }
}
fn ev_message(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/message").trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_series_and_singletons() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ev = json!({"eventTime": "2026-11-25T02:50:00.000000Z",
            "series": {"count": 7, "lastObservedTime": "2026-11-25T02:59:30.000000Z"}});
        assert_eq!(ev_last(&ev, now), json!("30s"));
        assert_eq!(ev_first_cell(&ev, now), json!("10m"));
        assert_eq!(ev_count(&ev, now), json!(7));
        let single = json!({"eventTime": "2026-11-25T02:59:00.000000Z"});
        assert_eq!(ev_count(&single, now), json!(1));
        assert_eq!(ev_last(&single, now), json!("60s"));
        assert_eq!(ev_last(&json!({}), now), json!("<unknown>"));
        let no_name = json!({"involvedObject": {"kind": "Node"}});
        assert_eq!(ev_object(&no_name, now), json!("node"));
    }
}
