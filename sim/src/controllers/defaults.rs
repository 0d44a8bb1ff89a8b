//! API defaulting as kube-apiserver applies it on create and update (the fields kubectl and the
//! controllers read back, e.g. `updateStrategy.type` for `kubectl rollout status`). Rules are
//! data: (path, value) pairs set only where missing. The API layer calls [`apply`]; the
//! controllers also tolerate objects that were never defaulted.

use serde_json::{json, Value};

/// One defaulting rule: a field and the value it gets when missing.
type Rule = (&'static str, fn() -> Value);

/// Defaults of a pod spec (also used inside StatefulSet templates).
const POD_SPEC: &[Rule] = &[
    ("restartPolicy", || json!("Always")),
    ("terminationGracePeriodSeconds", || json!(30)),
    ("dnsPolicy", || json!("ClusterFirst")),
    ("securityContext", || json!({})),
    ("schedulerName", || json!("default-scheduler")),
];

/// What admission plugins add to every pod (ServiceAccount, DefaultTolerationSeconds,
/// Priority) and the pod-only defaults.
const POD_ADMISSION: &[Rule] = &[
    ("enableServiceLinks", || json!(true)),
    ("serviceAccountName", || json!("default")),
    ("serviceAccount", || json!("default")),
    ("priority", || json!(0)),
    ("preemptionPolicy", || json!("PreemptLowerPriority")),
    ("tolerations", || {
        json!([
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
        ])
    }),
];

/// Defaults of each container.
const CONTAINER: &[Rule] = &[
    ("terminationMessagePath", || json!("/dev/termination-log")),
    ("terminationMessagePolicy", || json!("File")),
    ("resources", || json!({})),
];

/// Defaults of a StatefulSet spec.
const STATEFULSET_SPEC: &[Rule] = &[
    ("replicas", || json!(1)),
    ("podManagementPolicy", || json!("OrderedReady")),
    (
        "updateStrategy",
        || json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
    ),
    ("revisionHistoryLimit", || json!(10)),
    (
        "persistentVolumeClaimRetentionPolicy",
        || json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    ),
];

fn fill(obj: &mut Value, rules: &[Rule]) {
    if !obj.is_object() {
        return;
    }
    for (key, value) in rules {
        if obj[*key].is_null() {
            obj[*key] = value();
        }
    }
}

/// `Always` for `:latest` or untagged images, `IfNotPresent` otherwise.
fn pull_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return "IfNotPresent";
    }
    match last.split_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

fn pod_spec(spec: &mut Value) {
    fill(spec, POD_SPEC);
    for list in ["containers", "initContainers"] {
        // `get_mut`, not indexing: `v["x"]` on a `&mut Value` would insert `"x": null`.
        for c in items(spec, list) {
            fill(c, CONTAINER);
            if c["imagePullPolicy"].is_null() {
                let p = pull_policy(c["image"].as_str().unwrap_or(""));
                c["imagePullPolicy"] = json!(p);
            }
            for port in items(c, "ports") {
                if port["protocol"].is_null() {
                    port["protocol"] = json!("TCP");
                }
            }
        }
    }
}

/// The elements of the array at `key`, if there is one (never inserts the key).
fn items<'a>(v: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    v.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn claim_spec(spec: Option<&mut Value>) {
    if let Some(spec) = spec.filter(|s| s.is_object()) {
        if spec["volumeMode"].is_null() {
            spec["volumeMode"] = json!("Filesystem");
        }
    }
}

/// Applies the defaults of `kind` to `obj` in place.
pub fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "Pod" if obj["spec"].is_object() => {
            pod_spec(&mut obj["spec"]);
            fill(&mut obj["spec"], POD_ADMISSION);
        }
        "StatefulSet" => {
            let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) else {
                return;
            };
            fill(spec, STATEFULSET_SPEC);
            if spec["updateStrategy"]["type"] == "RollingUpdate"
                && spec["updateStrategy"]["rollingUpdate"].is_null()
            {
                spec["updateStrategy"]["rollingUpdate"] = json!({"partition": 0});
            }
            if spec["template"]["spec"].is_object() {
                pod_spec(&mut spec["template"]["spec"]);
            }
            for t in items(spec, "volumeClaimTemplates") {
                if t["apiVersion"].is_null() {
                    t["apiVersion"] = json!("v1");
                }
                if t["kind"].is_null() {
                    t["kind"] = json!("PersistentVolumeClaim");
                }
                claim_spec(t.get_mut("spec"));
                if t["status"].is_null() {
                    t["status"] = json!({"phase": "Pending"});
                }
            }
        }
        "PersistentVolumeClaim" => claim_spec(obj.get_mut("spec")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statefulset_gets_apiserver_defaults_and_keeps_given_values() {
        let mut sts = json!({"spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [
                {"name": "mysql", "image": "mysql:8.4", "ports": [{"containerPort": 3306}]},
                {"name": "side", "image": "busybox"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {}}],
        }});
        apply("StatefulSet", &mut sts);
        let s = &sts["spec"];
        assert_eq!(s["replicas"], 3);
        assert_eq!(s["podManagementPolicy"], "OrderedReady");
        assert_eq!(
            s["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        );
        let c = &s["template"]["spec"]["containers"];
        assert_eq!(c[0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c[1]["imagePullPolicy"], "Always");
        assert_eq!(c[0]["ports"][0]["protocol"], "TCP");
        assert_eq!(s["template"]["spec"]["terminationGracePeriodSeconds"], 30);
        assert_eq!(
            s["volumeClaimTemplates"][0]["spec"]["volumeMode"],
            "Filesystem"
        );
        // Idempotent.
        let before = sts.clone();
        apply("StatefulSet", &mut sts);
        assert_eq!(sts, before);
        let mut pod = json!({"spec": {"containers": [{"name": "a", "image": "mysql:8.4"}]}});
        apply("Pod", &mut pod);
        assert_eq!(pod["spec"]["serviceAccountName"], "default");
        assert_eq!(
            pod["spec"]["tolerations"][0]["key"],
            "node.kubernetes.io/not-ready"
        );
        assert_eq!(
            pod["spec"]["containers"][0]["terminationMessagePolicy"],
            "File"
        );
        assert_eq!(pod["spec"]["restartPolicy"], "Always");
        let mut od = json!({"spec": {"updateStrategy": {"type": "OnDelete"}}});
        apply("StatefulSet", &mut od);
        assert!(od["spec"]["updateStrategy"]["rollingUpdate"].is_null());
        // Absent lists stay absent.
        assert!(pod["spec"].get("initContainers").is_none());
        assert!(pod["spec"]["containers"][0].get("ports").is_none());
        let mut bare = json!({"metadata": {}});
        apply("StatefulSet", &mut bare);
        apply("PersistentVolumeClaim", &mut bare);
        assert_eq!(bare, json!({"metadata": {}}));
    }
}
