//! The DefaultTolerationSeconds admission plugin
//! (plugin/pkg/admission/defaulttolerationseconds/admission.go): a pod that does not already
//! tolerate `node.kubernetes.io/not-ready` / `node.kubernetes.io/unreachable` with effect
//! `NoExecute` (or a wildcard) gets a toleration of each for the configured seconds (300 by
//! default), so its pods leave a lost node five minutes after it is marked.

use serde_json::{json, Value};

use super::timings;

pub const NOT_READY: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE: &str = "node.kubernetes.io/unreachable";

/// Adds the default tolerations to a pod spec that lacks them.
pub fn add_defaults(spec: &mut Value) {
    let t = timings::get();
    if !spec["tolerations"].is_array() {
        spec["tolerations"] = json!([]);
    }
    let list = spec["tolerations"]
        .as_array_mut()
        .expect("tolerations is an array");
    let tolerates = |list: &[Value], key: &str| {
        list.iter().any(|t| {
            let k = t["key"].as_str().unwrap_or("");
            let e = t["effect"].as_str().unwrap_or("");
            (k == key || k.is_empty()) && (e == "NoExecute" || e.is_empty())
        })
    };
    for (key, seconds) in [
        (NOT_READY, t.default_not_ready_toleration_seconds),
        (UNREACHABLE, t.default_unreachable_toleration_seconds),
    ] {
        if !tolerates(list, key) {
            list.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_both_unless_tolerated() {
        let mut spec = json!({});
        add_defaults(&mut spec);
        assert_eq!(
            spec["tolerations"],
            json!([
                {"effect": "NoExecute", "key": NOT_READY, "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": UNREACHABLE, "operator": "Exists", "tolerationSeconds": 300},
            ])
        );
        // Idempotent.
        let before = spec.clone();
        add_defaults(&mut spec);
        assert_eq!(spec, before);
        // A pod's own toleration (other taints too) is kept and the missing one added.
        let mut spec = json!({"tolerations": [
            {"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10},
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]});
        add_defaults(&mut spec);
        let list = spec["tolerations"].as_array().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[0]["tolerationSeconds"], 10);
        assert_eq!(list[2]["key"], NOT_READY);
        // A wildcard tolerates everything.
        let mut spec = json!({"tolerations": [{"operator": "Exists"}]});
        add_defaults(&mut spec);
        assert_eq!(spec["tolerations"].as_array().unwrap().len(), 1);
    }
}
