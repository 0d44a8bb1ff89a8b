//! The endpoints controller: every Service with a selector gets an Endpoints object of the same
//! name listing its pods (Ready ones under `addresses`, others under `notReadyAddresses`), with
//! `hostname` for pods of a headless service's subdomain (`mysql-0.mysql`).

use serde_json::{json, Map, Value};

use super::objects::{is_terminating, name, namespace, pod_running_and_ready, uid};
use super::ControllerError;
use crate::resources::get;
use crate::store::{now, selector::LabelSelector, Store};

/// Marks Endpoints this controller manages (the real controller sets it too).
const TRIGGER: &str = "endpoints.kubernetes.io/last-change-trigger-time";
const HEADLESS: &str = "service.kubernetes.io/headless";

/// `targetPort` of a service port resolved against a pod's container ports.
fn target_port(port: &Value, pod: &Value) -> Option<i64> {
    match &port["targetPort"] {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => pod["spec"]["containers"]
            .as_array()?
            .iter()
            .flat_map(|c| c["ports"].as_array().into_iter().flatten())
            .find(|p| p["name"] == s.as_str())
            .and_then(|p| p["containerPort"].as_i64()),
        _ => port["port"].as_i64(),
    }
}

fn address(svc: &Value, pod: &Value) -> Value {
    let mut a = json!({
        "ip": pod["status"]["podIP"],
        "targetRef": {"kind": "Pod", "namespace": namespace(pod), "name": name(pod), "uid": uid(pod)},
    });
    if let Some(node) = pod["spec"]["nodeName"].as_str() {
        a["nodeName"] = json!(node);
    }
    if pod["spec"]["subdomain"] == name(svc) {
        if let Some(h) = pod["spec"]["hostname"].as_str() {
            a["hostname"] = json!(h);
        }
    }
    a
}

/// The `subsets` of a service given the pods in its namespace.
pub fn subsets(svc: &Value, pods: &[Value]) -> Value {
    let selector = LabelSelector::from_spec(&json!({"matchLabels": svc["spec"]["selector"]}));
    let members: Vec<&Value> = pods
        .iter()
        .filter(|p| {
            selector.matches(p)
                && namespace(p) == namespace(svc)
                && p["status"]["podIP"].is_string()
                && !is_terminating(p)
        })
        .collect();
    let Some(first) = members.first() else {
        return Value::Null;
    };
    let ports: Vec<Value> = svc["spec"]["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let mut e = json!({
                "port": target_port(p, first).or(p["port"].as_i64()),
                "protocol": p["protocol"].as_str().unwrap_or("TCP"),
            });
            if let Some(n) = p["name"].as_str() {
                e["name"] = json!(n);
            }
            e
        })
        .collect();
    let (ready, not_ready): (Vec<&Value>, Vec<&Value>) =
        members.into_iter().partition(|p| pod_running_and_ready(p));
    let mut subset = Map::new();
    if !ready.is_empty() {
        subset.insert(
            "addresses".into(),
            ready.iter().map(|p| address(svc, p)).collect(),
        );
    }
    if !not_ready.is_empty() {
        subset.insert(
            "notReadyAddresses".into(),
            not_ready.iter().map(|p| address(svc, p)).collect(),
        );
    }
    subset.insert("ports".into(), Value::Array(ports));
    json!([subset])
}

/// Creates, updates and deletes Endpoints to follow Services and their pods.
pub fn reconcile(store: &Store) -> Result<(), ControllerError> {
    let rt = get("Endpoints");
    let (services, _) = store.list(get("Service"), None);
    let (pods, _) = store.list(get("Pod"), None);
    for svc in &services {
        if !svc["spec"]["selector"].is_object() || is_terminating(svc) {
            continue;
        }
        let ns = namespace(svc);
        let subsets = subsets(svc, &pods);
        let mut labels = svc["metadata"]["labels"].clone();
        if !labels.is_object() {
            labels = json!({});
        }
        if svc["spec"]["clusterIP"] == "None" {
            labels[HEADLESS] = json!("");
        }
        match store.get(rt, Some(ns), name(svc)) {
            Ok(_) => {
                store.modify(rt, Some(ns), name(svc), |e| {
                    if e["subsets"] != subsets {
                        e["metadata"]["annotations"][TRIGGER] = json!(now());
                    }
                    e["metadata"]["labels"] = labels;
                    match &subsets {
                        Value::Null => {
                            if let Some(m) = e.as_object_mut() {
                                m.remove("subsets");
                            }
                        }
                        s => e["subsets"] = s.clone(),
                    }
                })?;
            }
            Err(_) => {
                let mut ep = json!({
                    "metadata": {"name": name(svc), "namespace": ns, "labels": labels,
                                 "annotations": {TRIGGER: now()}},
                });
                if !subsets.is_null() {
                    ep["subsets"] = subsets;
                }
                match store.create(rt, Some(ns), ep) {
                    Ok(_) => {}
                    Err(e) if e.code == 409 => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    // Endpoints this controller made whose Service is gone.
    let (all, _) = store.list(rt, None);
    for ep in &all {
        let ours = !ep["metadata"]["annotations"][TRIGGER].is_null();
        let svc_alive = services
            .iter()
            .any(|s| namespace(s) == namespace(ep) && name(s) == name(ep));
        if ours && !svc_alive {
            store.remove_uid(rt, Some(namespace(ep)), name(ep), uid(ep));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::objects::set_condition;

    fn headless(s: &Store) {
        s.create(
            get("Service"),
            Some("default"),
            json!({"metadata": {"name": "mysql", "labels": {"app": "mysql"}},
                   "spec": {"clusterIP": "None", "selector": {"app": "mysql"},
                            "ports": [{"name": "mysql", "port": 3306, "targetPort": "mysql"}]}}),
        )
        .unwrap();
    }

    fn pod(s: &Store, n: &str, ip: &str, ready: bool) {
        let mut p = json!({"metadata": {"name": n, "labels": {"app": "mysql"}},
            "spec": {"hostname": n, "subdomain": "mysql", "nodeName": "minikube",
                     "containers": [{"name": "mysql", "ports": [{"name": "mysql", "containerPort": 3306}]}]},
            "status": {"phase": "Running", "podIP": ip}});
        set_condition(
            &mut p,
            "Ready",
            if ready { "True" } else { "False" },
            "",
            "",
        );
        s.create(get("Pod"), Some("default"), p).unwrap();
    }

    #[test]
    fn headless_service_lists_ready_and_not_ready_pods_with_hostnames() {
        let s = Store::in_memory();
        headless(&s);
        reconcile(&s).unwrap();
        let ep = s.get(get("Endpoints"), Some("default"), "mysql").unwrap();
        assert!(ep.get("subsets").is_none());
        assert_eq!(ep["metadata"]["labels"][HEADLESS], "");
        pod(&s, "mysql-0", "10.244.0.2", true);
        pod(&s, "mysql-1", "10.244.1.2", false);
        reconcile(&s).unwrap();
        let ep = s.get(get("Endpoints"), Some("default"), "mysql").unwrap();
        let sub = &ep["subsets"][0];
        assert_eq!(sub["addresses"][0]["ip"], "10.244.0.2");
        assert_eq!(sub["addresses"][0]["hostname"], "mysql-0");
        assert_eq!(sub["addresses"][0]["targetRef"]["name"], "mysql-0");
        assert_eq!(sub["notReadyAddresses"][0]["ip"], "10.244.1.2");
        assert_eq!(
            sub["ports"],
            json!([{"name": "mysql", "port": 3306, "protocol": "TCP"}])
        );
        let rv = s.resource_version();
        reconcile(&s).unwrap();
        assert_eq!(s.resource_version(), rv, "idempotent");
        s.delete(get("Service"), Some("default"), "mysql", None)
            .unwrap();
        reconcile(&s).unwrap();
        assert!(s.get(get("Endpoints"), Some("default"), "mysql").is_err());
    }

    #[test]
    fn services_without_selector_are_left_alone() {
        let s = Store::in_memory();
        crate::controllers::bootstrap::run(&s).unwrap();
        reconcile(&s).unwrap();
        let ep = s
            .get(get("Endpoints"), Some("default"), "kubernetes")
            .unwrap();
        assert_eq!(ep["subsets"][0]["addresses"][0]["ip"], "192.168.49.2");
        assert_eq!(ep["subsets"][0]["ports"][0]["port"], 8443);
    }
}
