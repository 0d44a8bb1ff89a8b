//! Defaulting, as the real API server does it on every write: the fields kubectl and the
//! controllers expect to find (`updateStrategy`, `podManagementPolicy`, container pull policy,
//! Service `clusterIP`, ...). Only fields the client left out are filled. The rules of each
//! kind sit beside its row (`resources/kinds/<plural>.rs`, the row's `defaults`); [`apply`] is
//! the one entry point (the API and the StatefulSet controller call it) and gives them what only
//! the server knows.

use serde_json::Value;

use crate::resources::{self, Defaulting, ResourceType};
use crate::store::Store;

/// Fills defaults into `obj` (a whole object of kind `rt`). `live` is the stored version on
/// updates: fields a client cannot drop (Service `clusterIP`) are carried over from it.
pub fn apply(store: &Store, rt: &ResourceType, obj: &mut Value, live: Option<&Value>) {
    let Some(defaults) = rt.defaults else {
        return;
    };
    let free_cluster_ip = || free_cluster_ip(store);
    defaults(
        obj,
        &Defaulting {
            live,
            free_cluster_ip: &free_cluster_ip,
        },
    );
    // The DefaultTolerationSeconds admission plugin needs the configured timings (this layer).
    if rt.kind == "Pod" {
        super::tolerations::add_defaults(&mut obj["spec"]);
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
    use serde_json::json;

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
