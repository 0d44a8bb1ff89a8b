//! The endpoints controller: every Service with a selector gets an Endpoints object of the same
//! name listing its pods (Ready ones under `addresses`, others under `notReadyAddresses`), with
//! `hostname` for pods of a headless service's subdomain (`mysql-0.mysql`).
//!
//! Beside it, as the EndpointSlice controller does, one `discovery.k8s.io/v1` EndpointSlice per
//! such Service (`<service>-<random>`, labels `kubernetes.io/service-name` and
//! `endpointslice.kubernetes.io/managed-by`, owned by the Service): one endpoint per pod with
//! its conditions (`ready`, `serving`, `terminating`; terminating pods stay listed). The
//! `kubernetes` Service gets the slice `kubernetes` that kube-apiserver keeps for itself.

use serde_json::{json, Map, Value};

use super::ControllerError;
use crate::objects::{is_terminating, name, namespace, pod_running_and_ready, uid};
use crate::resources::get;
use crate::store::{now, selector::LabelSelector, Store};

/// Marks Endpoints this controller manages (the real controller sets it too).
const TRIGGER: &str = "endpoints.kubernetes.io/last-change-trigger-time";
const HEADLESS: &str = "service.kubernetes.io/headless";
/// The label the Endpoints controller puts on the Endpoints it makes since 1.33
/// (CHANGELOG-1.33 #130564: "Endpoints resources created by the Endpoints controller now
/// include a label indicating this").
const ENDPOINTS_MANAGED_BY: &str = "endpoints.kubernetes.io/managed-by";
const ENDPOINTS_CONTROLLER: &str = "endpoint-controller";

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

/// A service's `spec.ports`.
fn service_ports(svc: &Value) -> impl Iterator<Item = &Value> {
    svc["spec"]["ports"].as_array().into_iter().flatten()
}

/// The pods behind a service: its selector matches them, in its namespace, with an IP.
fn members<'a>(svc: &'a Value, pods: &'a [Value]) -> impl Iterator<Item = &'a Value> + 'a {
    let selector = LabelSelector::from_spec(&json!({"matchLabels": svc["spec"]["selector"]}));
    pods.iter().filter(move |p| {
        selector.matches(p) && namespace(p) == namespace(svc) && p["status"]["podIP"].is_string()
    })
}

/// The `subsets` of a service given the pods in its namespace.
pub fn subsets(svc: &Value, pods: &[Value]) -> Value {
    let members: Vec<&Value> = members(svc, pods).filter(|p| !is_terminating(p)).collect();
    let Some(first) = members.first() else {
        return Value::Null;
    };
    let ports: Vec<Value> = service_ports(svc)
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

const SERVICE_NAME: &str = "kubernetes.io/service-name";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const SLICE_CONTROLLER: &str = "endpointslice-controller.k8s.io";

/// One EndpointSlice endpoint for a pod of `svc`.
fn slice_endpoint(svc: &Value, pod: &Value) -> Value {
    let terminating = is_terminating(pod);
    let serving = pod_running_and_ready(pod);
    let publish = svc["spec"]["publishNotReadyAddresses"] == true;
    let mut e = json!({
        "addresses": [pod["status"]["podIP"]],
        "conditions": {
            "ready": publish || (serving && !terminating),
            "serving": publish || serving,
            "terminating": terminating,
        },
        "targetRef": {"kind": "Pod", "namespace": namespace(pod), "name": name(pod), "uid": uid(pod)},
    });
    if pod["spec"]["subdomain"] == name(svc) {
        if let Some(h) = pod["spec"]["hostname"].as_str() {
            e["hostname"] = json!(h);
        }
    }
    if let Some(node) = pod["spec"]["nodeName"].as_str() {
        e["nodeName"] = json!(node);
    }
    e
}

/// `(endpoints, ports)` of the EndpointSlice of a service with a selector. No pods: no
/// endpoints and no ports (kubectl prints `<unset>`).
pub fn slice_content(svc: &Value, pods: &[Value]) -> (Value, Option<Value>) {
    // Terminating pods stay (ready: false, terminating: true).
    let members: Vec<&Value> = members(svc, pods).collect();
    let Some(first) = members.first() else {
        return (json!([]), None);
    };
    let ports: Vec<Value> = service_ports(svc)
        .map(|p| {
            let mut e = json!({
                // Always a name ("" when the service port has none): kubectl dereferences it.
                "name": p["name"].as_str().unwrap_or(""),
                "port": target_port(p, first).or(p["port"].as_i64()),
                "protocol": p["protocol"].as_str().unwrap_or("TCP"),
            });
            if let Some(a) = p["appProtocol"].as_str() {
                e["appProtocol"] = json!(a);
            }
            e
        })
        .collect();
    let endpoints: Vec<Value> = members.iter().map(|p| slice_endpoint(svc, p)).collect();
    (Value::Array(endpoints), Some(Value::Array(ports)))
}

/// Creates or updates the slice named `name` (or, with `generate`, the one labelled for the
/// service), deleting extra ones. `mirror` slices are kube-apiserver's own (no managed-by).
fn ensure_slice(
    store: &Store,
    svc: &Value,
    existing: &[&Value],
    endpoints: Value,
    ports: Option<Value>,
    mirror: bool,
) -> Result<(), ControllerError> {
    let rt = get("EndpointSlice");
    let ns = namespace(svc);
    let mut labels = if mirror {
        json!({})
    } else {
        let mut l = svc["metadata"]["labels"].clone();
        if !l.is_object() {
            l = json!({});
        }
        l[MANAGED_BY] = json!(SLICE_CONTROLLER);
        if svc["spec"]["clusterIP"] == "None" {
            l[HEADLESS] = json!("");
        }
        l
    };
    labels[SERVICE_NAME] = json!(name(svc));
    let fill = |e: &mut Value| {
        if e["endpoints"] != endpoints {
            e["metadata"]["annotations"][TRIGGER] = json!(now());
        }
        e["metadata"]["labels"] = labels.clone();
        e["addressType"] = json!("IPv4");
        e["endpoints"] = endpoints.clone();
        match &ports {
            Some(p) => e["ports"] = p.clone(),
            None => {
                if let Some(m) = e.as_object_mut() {
                    m.remove("ports");
                }
            }
        }
    };
    match existing.split_first() {
        Some((keep, extra)) => {
            store.modify(rt, Some(ns), name(keep), fill)?;
            for e in extra {
                store.remove_uid(rt, Some(ns), name(e), uid(e));
            }
        }
        None => {
            let mut meta = json!({"namespace": ns, "annotations": {TRIGGER: now()}});
            if mirror {
                meta["name"] = json!(name(svc));
            } else {
                meta["generateName"] = json!(format!("{}-", name(svc)));
                meta["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "Service",
                    "name": name(svc), "uid": uid(svc), "controller": true,
                    "blockOwnerDeletion": true}]);
            }
            let mut slice = json!({"metadata": meta});
            fill(&mut slice);
            match store.create(rt, Some(ns), slice) {
                Ok(_) => {}
                Err(e) if e.code == 409 => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

/// Creates, updates and deletes EndpointSlices to follow Services and their pods.
fn reconcile_slices(
    store: &Store,
    services: &[Value],
    pods: &[Value],
) -> Result<(), ControllerError> {
    let rt = get("EndpointSlice");
    let (slices, _) = store.list(rt, None);
    let of = |svc: &Value, managed: bool| -> Vec<&Value> {
        slices
            .iter()
            .filter(|e| {
                namespace(e) == namespace(svc)
                    && e["metadata"]["labels"][SERVICE_NAME] == name(svc)
                    && (e["metadata"]["labels"][MANAGED_BY] == SLICE_CONTROLLER) == managed
            })
            .collect()
    };
    let mut wanted: Vec<&str> = Vec::new();
    for svc in services {
        if is_terminating(svc) {
            continue;
        }
        if svc["spec"]["selector"].is_object() {
            let (endpoints, ports) = slice_content(svc, pods);
            let existing = of(svc, true);
            ensure_slice(store, svc, &existing, endpoints, ports, false)?;
            wanted.push(uid(svc));
        } else if name(svc) == "kubernetes" && namespace(svc) == "default" {
            // kube-apiserver's own slice mirrors its Endpoints.
            let Ok(ep) = store.get(get("Endpoints"), Some("default"), "kubernetes") else {
                continue;
            };
            let subset = &ep["subsets"][0];
            let endpoints: Vec<Value> = subset["addresses"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| json!({"addresses": [a["ip"]], "conditions": {"ready": true}}))
                .collect();
            let ports = subset["ports"].as_array().cloned().map(Value::Array);
            let existing: Vec<&Value> = of(svc, false)
                .into_iter()
                .filter(|e| name(e) == "kubernetes")
                .collect();
            ensure_slice(store, svc, &existing, Value::Array(endpoints), ports, true)?;
        }
    }
    // Slices this controller made whose Service is gone (or lost its selector).
    for e in &slices {
        let managed = e["metadata"]["labels"][MANAGED_BY] == SLICE_CONTROLLER;
        let owner_alive = e["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| wanted.contains(&r["uid"].as_str().unwrap_or("")));
        if managed && !owner_alive {
            store.remove_uid(rt, Some(namespace(e)), name(e), uid(e));
        }
    }
    Ok(())
}

/// Creates, updates and deletes Endpoints and EndpointSlices to follow Services and their pods.
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
        labels[ENDPOINTS_MANAGED_BY] = json!(ENDPOINTS_CONTROLLER);
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
    reconcile_slices(store, &services, &pods)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::set_condition;

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
        // CHANGELOG-1.33 #130564 (pkg/controller/endpoint): the controller labels its Endpoints.
        assert_eq!(
            ep["metadata"]["labels"]["endpoints.kubernetes.io/managed-by"],
            "endpoint-controller"
        );
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

    fn slices(s: &Store, svc: &str) -> Vec<Value> {
        let (all, _) = s.list(get("EndpointSlice"), Some("default"));
        all.into_iter()
            .filter(|e| e["metadata"]["labels"][SERVICE_NAME] == svc)
            .collect()
    }

    #[test]
    fn endpoint_slices_follow_pods_and_conditions() {
        let s = Store::in_memory();
        headless(&s);
        reconcile(&s).unwrap();
        let sl = slices(&s, "mysql");
        assert_eq!(sl.len(), 1);
        let name0 = sl[0]["metadata"]["name"].as_str().unwrap().to_string();
        assert!(
            name0.starts_with("mysql-") && name0.len() == "mysql-".len() + 5,
            "{name0}"
        );
        assert_eq!(sl[0]["endpoints"], json!([]));
        assert!(sl[0].get("ports").is_none());
        assert_eq!(sl[0]["metadata"]["labels"][MANAGED_BY], SLICE_CONTROLLER);
        assert_eq!(sl[0]["metadata"]["labels"][HEADLESS], "");
        assert_eq!(sl[0]["metadata"]["ownerReferences"][0]["kind"], "Service");
        pod(&s, "mysql-0", "10.244.0.2", true);
        pod(&s, "mysql-1", "10.244.1.2", false);
        reconcile(&s).unwrap();
        let sl = slices(&s, "mysql");
        assert_eq!(sl.len(), 1);
        assert_eq!(
            sl[0]["metadata"]["name"],
            name0.as_str(),
            "the same slice is updated"
        );
        assert_eq!(sl[0]["addressType"], "IPv4");
        assert_eq!(
            sl[0]["ports"],
            json!([{"name": "mysql", "port": 3306, "protocol": "TCP"}])
        );
        let e0 = &sl[0]["endpoints"][0];
        assert_eq!(e0["addresses"], json!(["10.244.0.2"]));
        assert_eq!(e0["hostname"], "mysql-0");
        assert_eq!(e0["nodeName"], "minikube");
        assert_eq!(
            e0["conditions"],
            json!({"ready": true, "serving": true, "terminating": false})
        );
        assert_eq!(sl[0]["endpoints"][1]["conditions"]["ready"], false);
        let rv = s.resource_version();
        reconcile(&s).unwrap();
        assert_eq!(s.resource_version(), rv, "idempotent");
        // A terminating pod stays listed, not ready.
        s.delete(get("Pod"), Some("default"), "mysql-0", Some(30))
            .unwrap();
        reconcile(&s).unwrap();
        let e0 = &slices(&s, "mysql")[0]["endpoints"][0];
        assert_eq!(
            e0["conditions"],
            json!({"ready": false, "serving": true, "terminating": true})
        );
        s.delete(get("Service"), Some("default"), "mysql", None)
            .unwrap();
        reconcile(&s).unwrap();
        assert!(slices(&s, "mysql").is_empty());
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
        let sl = s
            .get(get("EndpointSlice"), Some("default"), "kubernetes")
            .unwrap();
        assert_eq!(sl["endpoints"][0]["addresses"], json!(["192.168.49.2"]));
        assert_eq!(sl["ports"][0]["port"], 8443);
        assert!(sl["metadata"]["labels"].get(MANAGED_BY).is_none());
    }
}
