//! The DNS records of `cluster.local`, as CoreDNS's `kubernetes` plugin serves them from
//! Services and their Endpoints (coredns/coredns `plugin/kubernetes`, following the Kubernetes
//! DNS spec, kubernetes/dns `docs/specification.md`):
//!
//! - `<svc>.<ns>.svc.cluster.local` A → the ClusterIP; for a headless Service the ready
//!   endpoints' IPs (none ready: NXDOMAIN);
//! - `<hostname>.<svc>.<ns>.svc.cluster.local` (and `<a-b-c-d>.<svc>...`) A → that ready endpoint;
//! - `<a-b-c-d>.<ns>.pod.cluster.local` A → a.b.c.d (`pods insecure`, minikube's Corefile);
//! - PTR of a ClusterIP → the Service's name, of a ready endpoint's address → its name in each
//!   Service (`<hostname or a-b-c-d>.<svc>.<ns>.svc.cluster.local`);
//! - SRV `_<port>._tcp.<svc>.<ns>.svc.cluster.local` for named ports (ClusterIP: one record to the
//!   Service's name; headless: one per ready endpoint), and `<svc>.<ns>.svc...` SRV for every
//!   named port;
//! - a name that exists without records of the asked type: NOERROR, no answer (NODATA); any
//!   other name NXDOMAIN, names outside `cluster.local` included (labsim has no upstream).
//!
//! Everything here is pure over a [`Service`] list, so the rules are unit-tested.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use serde_json::Value;

use crate::resources;
use crate::store::Store;

/// The cluster domain (kubelet `clusterDomain`, minikube's default).
pub const DOMAIN: &str = "cluster.local";
/// The TTL of every answer: the `ttl 30` of the `kubernetes` block in the Corefile kubeadm
/// (and so minikube) installs (kubernetes/kubernetes `cmd/kubeadm/app/phases/addons/dns/
/// manifests.go`; `cache 30` beside it).
pub const TTL: u32 = 30;

/// One ready address of a Service (its Endpoints `addresses`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: String,
    pub hostname: Option<String>,
    /// The pod behind the address (`targetRef`), when it is one.
    pub pod: Option<String>,
    /// The endpoint ports: (name, port).
    pub ports: Vec<(Option<String>, u16)>,
}

/// A Service as DNS and kube-proxy see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub ns: String,
    pub name: String,
    /// `None` for a headless Service (`clusterIP: None`).
    pub cluster_ip: Option<String>,
    /// (port name, port).
    pub ports: Vec<(Option<String>, u16)>,
    pub endpoints: Vec<Endpoint>,
}

impl Service {
    /// The endpoint port serving Service port `name` (the only one when unnamed).
    pub fn target_port(&self, e: &Endpoint, name: &Option<String>) -> Option<u16> {
        e.ports
            .iter()
            .find(|(n, _)| n == name || e.ports.len() == 1)
            .map(|(_, p)| *p)
    }
}

/// Record data of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    A(Ipv4Addr),
    Ptr(String),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: String,
    },
}

/// The query types answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QType {
    A,
    Ptr,
    Srv,
    /// Anything else (AAAA included: the cluster is IPv4 only).
    Other,
}

/// A lookup's result: (name, data) records, plus records for the additional section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Found {
        answers: Vec<(String, Data)>,
        additional: Vec<(String, Data)>,
    },
    /// The name exists, not with this type.
    NoData,
    NxDomain,
}

/// Every Service with its Endpoints, as the store holds them now.
pub fn services_from_store(store: &Store) -> Vec<Service> {
    let key = |o: &Value| {
        (
            o["metadata"]["namespace"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            o["metadata"]["name"].as_str().unwrap_or("").to_string(),
        )
    };
    let (eps, _) = store.list(resources::get("Endpoints"), None);
    let by_name: HashMap<(String, String), &Value> = eps.iter().map(|e| (key(e), e)).collect();
    let (svcs, _) = store.list(resources::get("Service"), None);
    svcs.iter()
        .map(|s| service_of(s, by_name.get(&key(s)).copied().unwrap_or(&Value::Null)))
        .collect()
}

/// A Service object and its Endpoints object (ready addresses only, as CoreDNS serves them
/// unless `publishNotReadyAddresses`).
pub fn service_of(s: &Value, ep: &Value) -> Service {
    let spec = &s["spec"];
    let cluster_ip = spec["clusterIP"]
        .as_str()
        .filter(|ip| !ip.is_empty() && *ip != "None")
        .map(str::to_string);
    let ports = named_ports(&spec["ports"]);
    let publish_not_ready = spec["publishNotReadyAddresses"] == true;
    let mut endpoints = Vec::new();
    for sub in ep["subsets"].as_array().into_iter().flatten() {
        let ports = named_ports(&sub["ports"]);
        let mut addrs: Vec<&Value> = sub["addresses"].as_array().into_iter().flatten().collect();
        if publish_not_ready {
            addrs.extend(sub["notReadyAddresses"].as_array().into_iter().flatten());
        }
        for a in addrs {
            let Some(ip) = a["ip"].as_str() else { continue };
            endpoints.push(Endpoint {
                ip: ip.to_string(),
                hostname: a["hostname"].as_str().map(str::to_string),
                pod: (a["targetRef"]["kind"] == "Pod")
                    .then(|| a["targetRef"]["name"].as_str().map(str::to_string))
                    .flatten(),
                ports: ports.clone(),
            });
        }
    }
    Service {
        ns: s["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        name: s["metadata"]["name"].as_str().unwrap_or("").to_string(),
        cluster_ip,
        ports,
        endpoints,
    }
}

/// `(name, port)` of a Service's or an Endpoints subset's `ports`.
fn named_ports(ports: &Value) -> Vec<(Option<String>, u16)> {
    let port = |p: &Value| {
        Some((
            p["name"]
                .as_str()
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            p["port"].as_u64()? as u16,
        ))
    };
    ports
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(port)
        .collect()
}

/// `10.244.1.3` → `10-244-1-3`.
pub fn dashed(ip: &str) -> String {
    ip.replace('.', "-")
}

fn find<'a>(services: &'a [Service], ns: &str, name: &str) -> Option<&'a Service> {
    services.iter().find(|s| s.ns == ns && s.name == name)
}

/// The name of a headless endpoint: `<hostname or a-b-c-d>.<svc>.<ns>.svc.cluster.local`.
fn endpoint_name(s: &Service, e: &Endpoint) -> String {
    let host = e.hostname.clone().unwrap_or_else(|| dashed(&e.ip));
    format!("{host}.{}.{}.svc.{DOMAIN}", s.name, s.ns)
}

/// The A records of an absolute name (without the trailing dot); `None` when there are none.
pub fn lookup_a(services: &[Service], fqdn: &str) -> Option<Vec<String>> {
    let name = fqdn.trim_end_matches('.').to_ascii_lowercase();
    let rest = name.strip_suffix(&format!(".{DOMAIN}"))?;
    let labels: Vec<&str> = rest.split('.').collect();
    match labels.as_slice() {
        // <svc>.<ns>.svc
        [svc, ns, "svc"] => {
            let s = find(services, ns, svc)?;
            match &s.cluster_ip {
                Some(ip) => Some(vec![ip.clone()]),
                None => {
                    let ips: Vec<String> = s.endpoints.iter().map(|e| e.ip.clone()).collect();
                    (!ips.is_empty()).then_some(ips)
                }
            }
        }
        // <hostname or a-b-c-d>.<svc>.<ns>.svc
        [host, svc, ns, "svc"] => {
            let s = find(services, ns, svc)?;
            let e = s
                .endpoints
                .iter()
                .find(|e| e.hostname.as_deref() == Some(*host) || dashed(&e.ip) == *host)?;
            Some(vec![e.ip.clone()])
        }
        // a-b-c-d.<ns>.pod (CoreDNS `pods insecure`, minikube's Corefile)
        [dashed_ip, _ns, "pod"] => {
            let ip = dashed_ip.replace('-', ".");
            ip.parse::<Ipv4Addr>().ok()?;
            Some(vec![ip])
        }
        _ => None,
    }
}

/// The PTR names of `ip`: a Service's name for its ClusterIP; otherwise the name of every ready
/// endpoint with that address, in any Service (CoreDNS `serviceRecordForIP`: "if a service
/// cluster ip does not match, it checks all endpoints"), headless Services' first.
pub fn lookup_ptrs(services: &[Service], ip: &str) -> Vec<String> {
    if let Some(s) = services
        .iter()
        .find(|s| s.cluster_ip.as_deref() == Some(ip))
    {
        return vec![format!("{}.{}.svc.{DOMAIN}", s.name, s.ns)];
    }
    let headless = services.iter().filter(|s| s.cluster_ip.is_none());
    let others = services.iter().filter(|s| s.cluster_ip.is_some());
    headless
        .chain(others)
        .flat_map(|s| {
            s.endpoints
                .iter()
                .filter(|e| e.ip == ip)
                .map(move |e| endpoint_name(s, e))
        })
        .collect()
}

/// The first PTR name of `ip` (what a resolver's reverse lookup reports).
pub fn lookup_ptr(services: &[Service], ip: &str) -> Option<String> {
    lookup_ptrs(services, ip).into_iter().next()
}

/// SRV record data, with (target, A record) pairs for the additional section.
type SrvAnswer = (Vec<Data>, Vec<(String, Data)>);

/// SRV records (and their targets' A records) of `_<port>._tcp.<svc>.<ns>.svc.cluster.local`
/// or of `<svc>.<ns>.svc.cluster.local` (every named port).
fn lookup_srv(services: &[Service], name: &str) -> Option<SrvAnswer> {
    let rest = name.strip_suffix(&format!(".{DOMAIN}"))?;
    let labels: Vec<&str> = rest.split('.').collect();
    let (port_name, svc, ns) = match labels.as_slice() {
        [p, "_tcp", svc, ns, "svc"] => (Some(p.strip_prefix('_')?), *svc, *ns),
        [svc, ns, "svc"] => (None, *svc, *ns),
        _ => return None,
    };
    let s = find(services, ns, svc)?;
    let ports: Vec<&(Option<String>, u16)> = s
        .ports
        .iter()
        .filter(|(n, _)| {
            n.as_deref()
                .is_some_and(|n| port_name.is_none_or(|p| p == n))
        })
        .collect();
    let mut srv = vec![];
    let mut extra = vec![];
    for (pname, port) in ports {
        match &s.cluster_ip {
            Some(ip) => {
                let target = format!("{}.{}.svc.{DOMAIN}", s.name, s.ns);
                srv.push(Data::Srv {
                    priority: 0,
                    weight: 100,
                    port: *port,
                    target: target.clone(),
                });
                if let Ok(a) = ip.parse() {
                    extra.push((target, Data::A(a)));
                }
            }
            None => {
                // CoreDNS splits a weight of 100 over the records of one name.
                let weight = (100 / s.endpoints.len().max(1)) as u16;
                for e in &s.endpoints {
                    let Some(tp) = s.target_port(e, pname) else {
                        continue;
                    };
                    let target = endpoint_name(s, e);
                    srv.push(Data::Srv {
                        priority: 0,
                        weight,
                        port: tp,
                        target: target.clone(),
                    });
                    if let Ok(a) = e.ip.parse() {
                        extra.push((target, Data::A(a)));
                    }
                }
            }
        }
    }
    (!srv.is_empty()).then_some((srv, extra))
}

/// `4.3.244.10.in-addr.arpa` → `10.244.3.4`.
fn arpa_ip(name: &str) -> Option<String> {
    let rest = name.strip_suffix(".in-addr.arpa")?;
    let mut o: Vec<&str> = rest.split('.').collect();
    if o.len() != 4 {
        return None;
    }
    o.reverse();
    let ip = o.join(".");
    ip.parse::<Ipv4Addr>().ok().map(|_| ip)
}

/// What the cluster DNS answers for `qname` of type `qtype`.
pub fn answer(services: &[Service], qname: &str, qtype: QType) -> Answer {
    let name = qname.trim_end_matches('.').to_ascii_lowercase();
    let found = |answers: Vec<(String, Data)>, additional| Answer::Found {
        answers,
        additional,
    };
    if let Some(ip) = arpa_ip(&name) {
        let ptrs = lookup_ptrs(services, &ip);
        return match (ptrs.is_empty(), qtype) {
            (true, _) => Answer::NxDomain,
            (false, QType::Ptr) => found(
                ptrs.into_iter()
                    .map(|p| (name.clone(), Data::Ptr(p)))
                    .collect(),
                vec![],
            ),
            (false, _) => Answer::NoData,
        };
    }
    let a = lookup_a(services, &name);
    let srv = lookup_srv(services, &name);
    match (qtype, a, srv) {
        (QType::A, Some(ips), _) => found(
            ips.iter()
                .filter_map(|ip| ip.parse().ok())
                .map(|ip| (name.clone(), Data::A(ip)))
                .collect(),
            vec![],
        ),
        (QType::Srv, _, Some((srv, extra))) => {
            found(srv.into_iter().map(|d| (name.clone(), d)).collect(), extra)
        }
        (_, Some(_), _) | (_, _, Some(_)) => Answer::NoData,
        _ if name == DOMAIN => Answer::NoData,
        _ => Answer::NxDomain,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The tutorial's Services (kubernetes/website `mysql-services.yaml`): headless `mysql` and
    /// `mysql-read` (ClusterIP), with mysql-0 and mysql-1 ready and mysql-2 not; as
    /// (Service, Endpoints) pairs from `testdata/tutorial-services.json`, which the kubelet's
    /// name-record tests (`kubelet/dns.rs`) read too.
    pub(crate) fn tutorial_services() -> Vec<(Value, Value)> {
        let pairs: Vec<Value> =
            serde_json::from_str(include_str!("testdata/tutorial-services.json")).unwrap();
        pairs
            .into_iter()
            .map(|p| (p["service"].clone(), p["endpoints"].clone()))
            .collect()
    }

    fn services() -> Vec<Service> {
        tutorial_services()
            .iter()
            .map(|(s, ep)| service_of(s, ep))
            .collect()
    }

    fn a(ip: &str) -> Data {
        Data::A(ip.parse().unwrap())
    }

    #[test]
    fn a_records_follow_the_kubernetes_dns_spec() {
        let s = services();
        let fq = "mysql-read.default.svc.cluster.local";
        assert_eq!(lookup_a(&s, fq), Some(vec!["10.101.7.9".to_string()]));
        // Headless: ready endpoints only; a pod name: only while ready.
        assert_eq!(
            lookup_a(&s, "mysql.default.svc.cluster.local."),
            Some(vec!["10.244.0.3".to_string(), "10.244.1.4".to_string()])
        );
        assert_eq!(
            lookup_a(&s, "MYSQL-0.mysql.default.svc.cluster.local"),
            Some(vec!["10.244.0.3".to_string()])
        );
        assert_eq!(
            lookup_a(&s, "mysql-2.mysql.default.svc.cluster.local"),
            None
        );
        assert_eq!(
            lookup_a(&s, "10-244-9-9.default.pod.cluster.local"),
            Some(vec!["10.244.9.9".to_string()])
        );
        assert_eq!(
            answer(&s, "mysql-2.mysql.default.svc.cluster.local", QType::A),
            Answer::NxDomain
        );
        // No upstream: everything outside cluster.local is NXDOMAIN.
        assert_eq!(answer(&s, "example.com.", QType::A), Answer::NxDomain);
        // A name that exists answers other types with no records (NODATA), not NXDOMAIN, so
        // glibc's AAAA query beside A does not fail the lookup.
        assert_eq!(answer(&s, fq, QType::Other), Answer::NoData);
        assert_eq!(answer(&s, "cluster.local", QType::Other), Answer::NoData);
    }

    #[test]
    fn reverse_and_srv_records() {
        let s = services();
        assert_eq!(
            answer(&s, "9.7.101.10.in-addr.arpa.", QType::Ptr),
            Answer::Found {
                answers: vec![(
                    "9.7.101.10.in-addr.arpa".into(),
                    Data::Ptr("mysql-read.default.svc.cluster.local".into())
                )],
                additional: vec![]
            }
        );
        assert_eq!(
            lookup_ptr(&s, "10.244.0.3").as_deref(),
            Some("mysql-0.mysql.default.svc.cluster.local")
        );
        // A pod IP that is no headless endpoint has no PTR record (not ready mysql-2 here).
        assert_eq!(
            answer(&s, "5.2.244.10.in-addr.arpa", QType::Ptr),
            Answer::NxDomain
        );
        // SRV of a named port: headless → one per ready endpoint (weights split 100).
        let Answer::Found {
            answers,
            additional,
        } = answer(
            &s,
            "_mysql._tcp.mysql.default.svc.cluster.local",
            QType::Srv,
        )
        else {
            panic!("no SRV")
        };
        assert_eq!(
            answers.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(),
            vec![
                Data::Srv {
                    priority: 0,
                    weight: 50,
                    port: 3306,
                    target: "mysql-0.mysql.default.svc.cluster.local".into()
                },
                Data::Srv {
                    priority: 0,
                    weight: 50,
                    port: 3306,
                    target: "mysql-1.mysql.default.svc.cluster.local".into()
                }
            ]
        );
        assert_eq!(
            additional[0],
            (
                "mysql-0.mysql.default.svc.cluster.local".into(),
                a("10.244.0.3")
            )
        );
        // ClusterIP → one record to the Service's own name.
        let Answer::Found { answers, .. } =
            answer(&s, "mysql-read.default.svc.cluster.local", QType::Srv)
        else {
            panic!("no SRV")
        };
        assert_eq!(
            answers[0].1,
            Data::Srv {
                priority: 0,
                weight: 100,
                port: 3306,
                target: "mysql-read.default.svc.cluster.local".into()
            }
        );
        assert_eq!(
            answer(&s, "_nope._tcp.mysql.default.svc.cluster.local", QType::Srv),
            Answer::NxDomain
        );
    }
}
