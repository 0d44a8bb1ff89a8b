//! Service: its row, kubectl's columns (`printService`) and the API server's defaults (ClusterIP
//! allocation included).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::resources::columns::*;
use crate::resources::defaulting::{obj_mut, set, Defaulting};
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns, defaults.
pub const ROW: ResourceType = ResourceType {
    short_names: &["svc"],
    categories: &["all"],
    subresources: &["status"],
    generation: true,
    columns: COLUMNS,
    defaults: Some(defaults),
    ..ResourceType::namespaced("", "Service", "services", "service")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Type", "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.", svc_type),
    col("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly.", svc_cluster_ip),
    col("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.", svc_external_ip),
    col("Port(s)", "The list of ports that are exposed by this service.", svc_ports),
    AGE,
    wide("Selector", "Route service traffic to pods with label keys and values matching this selector.", svc_selector),
];

/// The apiserver defaults `spec.type` to ClusterIP; labsim's store may keep it unset.
fn service_type(o: &Value) -> &str {
    match s(o, "/spec/type") {
        "" => "ClusterIP",
        t => t,
    }
}
fn svc_type(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(service_type(o))
}
fn svc_cluster_ip(o: &Value, _: DateTime<Utc>) -> Value {
    let ip = arr(o, "/spec/clusterIPs")
        .first()
        .and_then(Value::as_str)
        .unwrap_or_else(|| s(o, "/spec/clusterIP"));
    or(ip, "<none>")
}
fn svc_external_ip(o: &Value, _: DateTime<Utc>) -> Value {
    let external: Vec<&str> = arr(o, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match service_type(o) {
        "ClusterIP" | "NodePort" => or(&external.join(","), "<none>"),
        "LoadBalancer" => {
            // Server-side printing is always wide, so the list is never clipped.
            let mut lb: Vec<&str> = arr(o, "/status/loadBalancer/ingress")
                .iter()
                .map(|i| match s(i, "/ip") {
                    "" => s(i, "/hostname"),
                    ip => ip,
                })
                .filter(|a| !a.is_empty())
                .collect();
            lb.sort();
            lb.dedup();
            lb.extend(external);
            or(&lb.join(","), "<pending>")
        }
        "ExternalName" => Value::from(s(o, "/spec/externalName")),
        _ => Value::from("<unknown>"),
    }
}
fn svc_ports(o: &Value, _: DateTime<Utc>) -> Value {
    let ports: Vec<String> = arr(o, "/spec/ports")
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let proto = or(s(p, "/protocol"), "TCP");
            let proto = proto.as_str().unwrap_or("TCP");
            match p.get("nodePort").and_then(Value::as_i64) {
                Some(np) if np > 0 => format!("{port}:{np}/{proto}"),
                _ => format!("{port}/{proto}"),
            }
        })
        .collect();
    or(&ports.join(","), "<none>")
}
fn svc_selector(o: &Value, _: DateTime<Utc>) -> Value {
    format_labels(o, "/spec/selector")
}

/// `SetDefaults_Service`, and the ClusterIP the service REST storage allocates.
fn defaults(obj: &mut Value, d: &Defaulting) {
    let live = d.live;
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
            let ip = (d.free_cluster_ip)();
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn service_external_ip_by_type() {
        let now = Utc::now();
        let lb = json!({"spec": {"type": "LoadBalancer"}});
        assert_eq!(svc_external_ip(&lb, now), json!("<pending>"));
        let lb = json!({"spec": {"type": "LoadBalancer", "externalIPs": ["1.2.3.4"]},
            "status": {"loadBalancer": {"ingress": [{"hostname": "lb.example"}, {"ip": "5.6.7.8"}]}}});
        assert_eq!(
            svc_external_ip(&lb, now),
            json!("5.6.7.8,lb.example,1.2.3.4")
        );
        let en = json!({"spec": {"type": "ExternalName", "externalName": "db.example"}});
        assert_eq!(svc_external_ip(&en, now), json!("db.example"));
        let np = json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}});
        assert_eq!(svc_ports(&np, now), json!("80:30080/TCP"));
    }
}
