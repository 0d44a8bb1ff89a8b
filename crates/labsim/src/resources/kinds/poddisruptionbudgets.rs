//! PodDisruptionBudget (policy/v1): its row and kubectl's columns (`printPodDisruptionBudget`
//! in pkg/printers/internalversion/printers.go). Its status is the disruption controller's
//! (`controllers/disruption.rs`); evictions honour it (`objects/disruption.rs`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["pdb"],
    subresources: &["status"],
    generation: true,
    columns: COLUMNS,
    ..ResourceType::namespaced(
        "policy",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "poddisruptionbudget",
    )
};

const COLUMNS: &[Column] = &[
    NAME,
    col(
        "Min Available",
        "The minimum number of pods that must be available.",
        min_available,
    ),
    col(
        "Max Unavailable",
        "The maximum number of pods that may be unavailable.",
        max_unavailable,
    ),
    Column {
        ty: "integer",
        ..col(
            "Allowed Disruptions",
            "Calculated number of pods that may be disrupted at this time.",
            allowed,
        )
    },
    AGE,
];

/// An IntOrString as `intstr.String()` prints it, `N/A` when unset.
fn int_or_string(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Number(n)) => Value::from(n.to_string()),
        Some(Value::String(s)) => Value::from(s.as_str()),
        _ => Value::from("N/A"),
    }
}
fn min_available(o: &Value, _: DateTime<Utc>) -> Value {
    int_or_string(o.pointer("/spec/minAvailable"))
}
fn max_unavailable(o: &Value, _: DateTime<Utc>) -> Value {
    int_or_string(o.pointer("/spec/maxUnavailable"))
}
fn allowed(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(
        o.pointer("/status/disruptionsAllowed")
            .and_then(Value::as_i64)
            .unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_as_print_pod_disruption_budget() {
        let now = Utc::now();
        let b = json!({"spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 1}});
        assert_eq!(min_available(&b, now), "2");
        assert_eq!(max_unavailable(&b, now), "N/A");
        assert_eq!(allowed(&b, now), 1);
        let b = json!({"spec": {"maxUnavailable": "34%"}});
        assert_eq!(min_available(&b, now), "N/A");
        assert_eq!(max_unavailable(&b, now), "34%");
        assert_eq!(allowed(&b, now), 0);
    }
}
