//! Endpoints: its row and kubectl's columns (`printEndpoints`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::resources::columns::*;
use crate::resources::ResourceType;

/// The row: `kubectl api-resources`, routing, storage, `kubectl get` columns.
pub const ROW: ResourceType = ResourceType {
    short_names: &["ep"],
    columns: COLUMNS,
    ..ResourceType::namespaced("", "Endpoints", "endpoints", "endpoints")
};

const COLUMNS: &[Column] = &[
    NAME,
    col("Endpoints", "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share.", ep_endpoints),
    AGE,
];

/// `net.JoinHostPort`: IPv6 addresses get brackets.
fn join_host_port(ip: &str, port: i64) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}
fn ep_endpoints(o: &Value, _: DateTime<Utc>) -> Value {
    let subsets = arr(o, "/subsets");
    if subsets.is_empty() {
        return Value::from("<none>");
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ss in subsets {
        let addresses = arr(ss, "/addresses");
        let ports = arr(ss, "/ports");
        if ports.is_empty() {
            // Headless services may have no ports.
            count += addresses.len();
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(s(a, "/ip").to_string());
            }
            continue;
        }
        for p in ports {
            count += addresses.len();
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            for a in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(s(a, "/ip"), port));
            }
        }
    }
    let joined = list.join(",");
    if more {
        Value::from(format!("{joined} + {} more...", count - MAX))
    } else {
        Value::from(joined)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_cut_after_three() {
        let now = Utc::now();
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.1.3"},
            {"ip": "10.244.2.4"}, {"ip": "fd00::1"}], "ports": [{"port": 3306}]}]});
        assert_eq!(
            ep_endpoints(&ep, now),
            json!("10.244.0.5:3306,10.244.1.3:3306,10.244.2.4:3306 + 1 more...")
        );
        let v6 = json!({"subsets": [{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}]});
        assert_eq!(ep_endpoints(&v6, now), json!("[fd00::1]:80"));
        let headless =
            json!({"subsets": [{"addresses": [{"ip": "10.244.0.5"}, {"ip": "10.244.1.3"}]}]});
        assert_eq!(ep_endpoints(&headless, now), json!("10.244.0.5,10.244.1.3"));
        assert_eq!(ep_endpoints(&json!({}), now), json!("<none>"));
    }
}
