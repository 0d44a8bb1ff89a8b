//! `v1` kinds a typed client sends (k8s.io/api `core/v1/generated.proto` for the messages,
//! `core/v1/types.go` for the JSON tags followed here): ConfigMap, Secret, Namespace,
//! ServiceAccount, Service.

use k8s_pb::api::core::v1 as pb;
use serde_json::{json, Value};

use super::json::Obj;
use super::meta::{int_or_string, object_meta};

pub fn config_map(m: pb::ConfigMap) -> Obj {
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .bool_ptr("immutable", m.immutable)
        .str_map("data", m.data)
        .bytes_map("binaryData", m.binary_data)
}

pub fn secret(m: pb::Secret) -> Obj {
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .bool_ptr("immutable", m.immutable)
        .bytes_map("data", m.data)
        .str_map("stringData", m.string_data)
        .str("type", m.r#type)
}

pub fn namespace(m: pb::Namespace) -> Obj {
    let spec = m.spec.unwrap_or_default();
    let status = m.status.unwrap_or_default();
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .set(
            "spec",
            Obj::new().strs("finalizers", spec.finalizers).done(),
        )
        // `conditions` is not carried: no kubectl command sends a namespace's status.
        .set("status", Obj::new().str("phase", status.phase).done())
}

pub fn service_account(m: pb::ServiceAccount) -> Obj {
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .list("secrets", m.secrets, object_reference)
        .list("imagePullSecrets", m.image_pull_secrets, |r| {
            Obj::new().str("name", r.name).done()
        })
        .bool_ptr(
            "automountServiceAccountToken",
            m.automount_service_account_token,
        )
}

fn object_reference(r: pb::ObjectReference) -> Value {
    Obj::new()
        .str("kind", r.kind)
        .str("namespace", r.namespace)
        .str("name", r.name)
        .str("uid", r.uid)
        .str("apiVersion", r.api_version)
        .str("resourceVersion", r.resource_version)
        .str("fieldPath", r.field_path)
        .done()
}

pub fn service(m: pb::Service) -> Obj {
    let s = m.spec.unwrap_or_default();
    let spec = Obj::new()
        .list("ports", s.ports, service_port)
        .str_map("selector", s.selector)
        .str("clusterIP", s.cluster_ip)
        .strs("clusterIPs", s.cluster_ips)
        .str("type", s.r#type)
        .strs("externalIPs", s.external_ips)
        .str("sessionAffinity", s.session_affinity)
        .str("loadBalancerIP", s.load_balancer_ip)
        .strs("loadBalancerSourceRanges", s.load_balancer_source_ranges)
        .str("externalName", s.external_name)
        .str("externalTrafficPolicy", s.external_traffic_policy)
        .int("healthCheckNodePort", s.health_check_node_port)
        .bool("publishNotReadyAddresses", s.publish_not_ready_addresses)
        .ptr("sessionAffinityConfig", s.session_affinity_config, |c| {
            Obj::new()
                .ptr("clientIP", c.client_ip, |ip| {
                    Obj::new()
                        .int_ptr("timeoutSeconds", ip.timeout_seconds)
                        .done()
                })
                .done()
        })
        .strs("ipFamilies", s.ip_families)
        .str_ptr("ipFamilyPolicy", s.ip_family_policy)
        .bool_ptr(
            "allocateLoadBalancerNodePorts",
            s.allocate_load_balancer_node_ports,
        )
        .str_ptr("loadBalancerClass", s.load_balancer_class)
        .str_ptr("internalTrafficPolicy", s.internal_traffic_policy)
        .str_ptr("trafficDistribution", s.traffic_distribution);
    Obj::new()
        .set("metadata", object_meta(m.metadata))
        .set("spec", spec.done())
        // `loadBalancer.ingress` and `conditions` are not carried: no kubectl command sends a
        // service's status (and create drops it).
        .set("status", json!({"loadBalancer": {}}))
}

fn service_port(p: pb::ServicePort) -> Value {
    Obj::new()
        .str("name", p.name)
        .str("protocol", p.protocol)
        .str_ptr("appProtocol", p.app_protocol)
        .int_always("port", p.port)
        // A non-pointer struct: written even when unset (as 0).
        .set("targetPort", int_or_string(p.target_port))
        .int("nodePort", p.node_port)
        .done()
}
