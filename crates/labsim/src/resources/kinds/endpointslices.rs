//! EndpointSlice: its row and kubectl's columns (`printEndpointSlice`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    columns: COLUMNS,
    ..ResourceType::namespaced(
        "discovery.k8s.io",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
    )
};

const COLUMNS: &[Column] = &[
    NAME,
    col("AddressType", "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.", eps_address_type),
    col("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates \"all ports\". Each slice may include a maximum of 100 ports.", eps_ports),
    col("Endpoints", "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.", eps_endpoints),
    AGE,
];

/// `listWithMoreString`: at most three, then `+ N more...`; nothing is `<unset>`.
fn list_with_more(list: &[String], count: usize) -> Value {
    const MAX: usize = 3;
    let joined = list.join(",");
    if count > MAX {
        Value::from(format!("{joined} + {} more...", count - MAX))
    } else if joined.is_empty() {
        Value::from("<unset>")
    } else {
        Value::from(joined)
    }
}
fn eps_address_type(o: &Value, _: DateTime<Utc>) -> Value {
    Value::from(s(o, "/addressType"))
}
/// `formatDiscoveryPorts`: the port number, else its name, else `*`.
fn eps_ports(o: &Value, _: DateTime<Utc>) -> Value {
    let ports = arr(o, "/ports");
    let list: Vec<String> = ports
        .iter()
        .take(3)
        .map(
            |p| match (p.get("port").and_then(Value::as_i64), p.get("name")) {
                (Some(n), _) => n.to_string(),
                (None, Some(Value::String(name))) => name.clone(),
                _ => "*".to_string(),
            },
        )
        .collect();
    list_with_more(&list, ports.len())
}
/// `formatDiscoveryEndpoints`: every address of every endpoint.
fn eps_endpoints(o: &Value, _: DateTime<Utc>) -> Value {
    let all: Vec<String> = arr(o, "/endpoints")
        .iter()
        .flat_map(|e| arr(e, "/addresses"))
        .map(|a| a.as_str().unwrap_or("").to_string())
        .collect();
    list_with_more(&all[..all.len().min(3)], all.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoint_slices_list_ports_and_addresses() {
        let now = Utc::now();
        let eps = json!({"addressType": "IPv4",
            "ports": [{"name": "mysql", "port": 3306}, {"name": "x"}, {}],
            "endpoints": [{"addresses": ["10.244.0.5"]}, {"addresses": ["10.244.1.3"]},
                {"addresses": ["10.244.2.4"]}, {"addresses": ["10.244.0.6"]}]});
        assert_eq!(eps_ports(&eps, now), json!("3306,x,*"));
        assert_eq!(
            eps_endpoints(&eps, now),
            json!("10.244.0.5,10.244.1.3,10.244.2.4 + 1 more...")
        );
        let empty = json!({"addressType": "IPv4", "endpoints": []});
        assert_eq!(eps_ports(&empty, now), json!("<unset>"));
        assert_eq!(eps_endpoints(&empty, now), json!("<unset>"));
        assert_eq!(eps_address_type(&empty, now), json!("IPv4"));
    }
}
