//! Defaulting, as the real API server does it on every write: the fields kubectl and the
//! controllers expect to find (`updateStrategy`, `podManagementPolicy`, container pull policy,
//! Service `clusterIP`, ...). Only fields the client left out are filled.

use serde_json::{json, Map, Value};

use crate::resources::{self, ResourceType};
use crate::store::Store;

/// Fills defaults into `obj` (a whole object of kind `rt`). `live` is the stored version on
/// updates: fields a client cannot drop (Service `clusterIP`) are carried over from it.
pub fn apply(store: &Store, rt: &ResourceType, obj: &mut Value, live: Option<&Value>) {
    match rt.kind {
        "StatefulSet" => statefulset(&mut obj["spec"]),
        "Pod" => {
            pod_spec(&mut obj["spec"]);
            let spec = obj["spec"]
                .as_object_mut()
                .expect("pod_spec made an object");
            set(spec, "enableServiceLinks", json!(true));
            // The ServiceAccount and DefaultTolerationSeconds admission plugins.
            set(spec, "serviceAccountName", json!("default"));
            set(spec, "serviceAccount", json!("default"));
            set(spec, "priority", json!(0));
            set(spec, "preemptionPolicy", json!("PreemptLowerPriority"));
            super::tolerations::add_defaults(&mut obj["spec"]);
            if live.is_none() {
                // A new pod waits for the scheduler and the kubelet.
                let qos = qos_class(&obj["spec"]);
                let status = obj_mut(&mut obj["status"]);
                set(status, "phase", json!("Pending"));
                set(status, "qosClass", json!(qos));
            }
        }
        "Service" => service(store, obj, live),
        "PersistentVolumeClaim" if obj["spec"].is_object() => {
            set(obj_mut(&mut obj["spec"]), "volumeMode", json!("Filesystem"));
            if live.is_none() {
                set(obj_mut(&mut obj["status"]), "phase", json!("Pending"));
            }
        }
        "Namespace" => {
            let name = obj["metadata"]["name"].clone();
            set(
                obj_mut(&mut obj["metadata"]["labels"]),
                "kubernetes.io/metadata.name",
                name,
            );
            set(
                obj_mut(&mut obj["spec"]),
                "finalizers",
                json!(["kubernetes"]),
            );
            if live.is_none() {
                set(obj_mut(&mut obj["status"]), "phase", json!("Active"));
            }
        }
        _ => {}
    }
}

/// Makes `v` an object (if it is not) and returns it.
fn obj_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut().expect("just made an object")
}

/// Sets `key` unless present (and not null).
fn set(m: &mut Map<String, Value>, key: &str, value: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), value);
    }
}

fn statefulset(spec: &mut Value) {
    let s = obj_mut(spec);
    set(s, "replicas", json!(1));
    set(s, "podManagementPolicy", json!("OrderedReady"));
    set(s, "revisionHistoryLimit", json!(10));
    set(
        s,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
    );
    if s["updateStrategy"]["type"] == "RollingUpdate" {
        set(
            obj_mut(&mut s["updateStrategy"]["rollingUpdate"]),
            "partition",
            json!(0),
        );
    }
    set(
        s,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    if s.get("template").is_some_and(Value::is_object) {
        pod_spec(&mut s["template"]["spec"]);
    }
    if let Some(vcts) = s
        .get_mut("volumeClaimTemplates")
        .and_then(Value::as_array_mut)
    {
        for vct in vcts {
            let v = obj_mut(vct);
            set(v, "apiVersion", json!("v1"));
            set(v, "kind", json!("PersistentVolumeClaim"));
            set(
                obj_mut(v.entry("spec").or_insert(Value::Null)),
                "volumeMode",
                json!("Filesystem"),
            );
            set(
                obj_mut(v.entry("status").or_insert(Value::Null)),
                "phase",
                json!("Pending"),
            );
        }
    }
}

fn pod_spec(spec: &mut Value) {
    let s = obj_mut(spec);
    set(s, "restartPolicy", json!("Always"));
    set(s, "terminationGracePeriodSeconds", json!(30));
    set(s, "dnsPolicy", json!("ClusterFirst"));
    set(s, "securityContext", json!({}));
    set(s, "schedulerName", json!("default-scheduler"));
    for list in ["containers", "initContainers"] {
        for c in s
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            container(c);
        }
    }
}

/// `Guaranteed` when every container limits cpu and memory with requests equal to the limits,
/// `BestEffort` when none asks for anything, else `Burstable`.
fn qos_class(spec: &Value) -> &'static str {
    let containers: Vec<&Value> = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let empty = |v: &Value| v.as_object().is_none_or(|m| m.is_empty());
    if containers
        .iter()
        .all(|c| empty(&c["resources"]["requests"]) && empty(&c["resources"]["limits"]))
    {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        let (req, lim) = (&c["resources"]["requests"], &c["resources"]["limits"]);
        ["cpu", "memory"]
            .iter()
            .all(|r| !lim[*r].is_null() && (req[*r].is_null() || req[*r] == lim[*r]))
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn container(c: &mut Value) {
    let c = obj_mut(c);
    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
    // `:latest` or no tag pulls always (unless pinned by digest).
    let tag = image.rsplit('/').next().unwrap_or("");
    let always = !image.contains('@') && (!tag.contains(':') || tag.ends_with(":latest"));
    set(
        c,
        "imagePullPolicy",
        json!(if always { "Always" } else { "IfNotPresent" }),
    );
    set(c, "terminationMessagePath", json!("/dev/termination-log"));
    set(c, "terminationMessagePolicy", json!("File"));
    set(c, "resources", json!({}));
    for p in c
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        set(obj_mut(p), "protocol", json!("TCP"));
    }
}

fn service(store: &Store, obj: &mut Value, live: Option<&Value>) {
    let s = obj_mut(&mut obj["spec"]);
    set(s, "type", json!("ClusterIP"));
    set(s, "sessionAffinity", json!("None"));
    set(s, "internalTrafficPolicy", json!("Cluster"));
    for p in s
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let p = obj_mut(p);
        set(p, "protocol", json!("TCP"));
        if let Some(port) = p.get("port").cloned() {
            set(p, "targetPort", port);
        }
    }
    let live_ip = live.and_then(|l| l["spec"]["clusterIP"].as_str());
    if let Some(ip) = live_ip {
        // clusterIP is immutable; an update that omits it keeps it.
        set(s, "clusterIP", json!(ip));
    }
    let ip = match s.get("clusterIP").and_then(Value::as_str) {
        Some(ip) if !ip.is_empty() => ip.to_string(),
        _ => {
            let ip = free_cluster_ip(store);
            s.insert("clusterIP".into(), json!(ip));
            ip
        }
    };
    set(s, "clusterIPs", json!([ip]));
    if ip != "None" {
        set(s, "ipFamilies", json!(["IPv4"]));
        set(s, "ipFamilyPolicy", json!("SingleStack"));
    }
    if live.is_none() {
        set(obj_mut(&mut obj["status"]), "loadBalancer", json!({}));
    }
}

/// An unused address in minikube's service range 10.96.0.0/12 (10.96.0.1 is `kubernetes`).
fn free_cluster_ip(store: &Store) -> String {
    use rand::Rng;
    let (services, _) = store.list(resources::get("Service"), None);
    let used: Vec<&str> = services
        .iter()
        .filter_map(|s| s["spec"]["clusterIP"].as_str())
        .collect();
    let mut rng = rand::thread_rng();
    loop {
        let ip = format!(
            "10.{}.{}.{}",
            rng.gen_range(96..112),
            rng.gen_range(0..=255),
            rng.gen_range(2..=254)
        );
        if !used.contains(&ip.as_str()) {
            return ip;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statefulset_defaults_keep_given_values() {
        let store = Store::in_memory();
        let mut sts = json!({"spec": {"podManagementPolicy": "Parallel", "template": {"spec": {"containers": [
            {"name": "mysql", "image": "mysql:8.4", "ports": [{"containerPort": 3306}]},
            {"name": "side", "image": "busybox"}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {}}]}});
        apply(&store, resources::get("StatefulSet"), &mut sts, None);
        let s = &sts["spec"];
        assert_eq!(s["podManagementPolicy"], "Parallel");
        assert_eq!(s["replicas"], 1);
        assert_eq!(s["updateStrategy"]["type"], "RollingUpdate");
        assert_eq!(s["updateStrategy"]["rollingUpdate"]["partition"], 0);
        let c = &s["template"]["spec"]["containers"];
        assert_eq!(c[0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c[0]["ports"][0]["protocol"], "TCP");
        assert_eq!(c[1]["imagePullPolicy"], "Always");
        assert_eq!(s["template"]["spec"]["restartPolicy"], "Always");
        assert_eq!(
            s["volumeClaimTemplates"][0]["kind"],
            "PersistentVolumeClaim"
        );
        assert_eq!(
            s["persistentVolumeClaimRetentionPolicy"]["whenScaled"],
            "Retain"
        );
    }

    #[test]
    fn new_pods_are_pending_with_a_qos_class() {
        let store = Store::in_memory();
        let rt = resources::get("Pod");
        let mut pod = json!({"spec": {"containers": [{"name": "c", "image": "mysql:8.4"}]}});
        apply(&store, rt, &mut pod, None);
        assert_eq!(pod["status"]["phase"], "Pending");
        assert_eq!(pod["status"]["qosClass"], "BestEffort");
        let limits = json!({"cpu": "1", "memory": "1Gi"});
        let mut pod = json!({"spec": {"containers": [{"name": "c", "image": "i", "resources": {"limits": limits}}]}});
        apply(&store, rt, &mut pod, None);
        assert_eq!(pod["status"]["qosClass"], "Guaranteed");
        let mut pod = json!({"spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": "1"}}}]}});
        apply(&store, rt, &mut pod, None);
        assert_eq!(pod["status"]["qosClass"], "Burstable");
        let mut running = json!({"spec": {}, "status": {"phase": "Running"}});
        apply(&store, rt, &mut running, Some(&json!({})));
        assert_eq!(running["status"]["phase"], "Running");
    }

    #[test]
    fn services_get_a_cluster_ip_unless_headless() {
        let store = Store::in_memory();
        let rt = resources::get("Service");
        let mut svc = json!({"spec": {"ports": [{"port": 3306}]}});
        apply(&store, rt, &mut svc, None);
        let ip = svc["spec"]["clusterIP"].as_str().unwrap().to_string();
        assert!(ip.starts_with("10."), "{ip}");
        assert_eq!(svc["spec"]["ports"][0]["targetPort"], 3306);
        assert_eq!(svc["spec"]["clusterIPs"], json!([ip.clone()]));
        let mut headless = json!({"spec": {"clusterIP": "None"}});
        apply(&store, rt, &mut headless, None);
        assert_eq!(headless["spec"]["clusterIP"], "None");
        assert!(headless["spec"].get("ipFamilies").is_none());
        let mut update = json!({"spec": {"ports": [{"port": 3306}]}});
        apply(&store, rt, &mut update, Some(&svc));
        assert_eq!(update["spec"]["clusterIP"], json!(ip));
    }
}
