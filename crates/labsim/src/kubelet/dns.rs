//! Name resolution as a process inside a pod sees it: glibc's `hosts: files dns` and nslookup's
//! DNS-only lookups over the pod's `/etc/hosts` and resolv.conf search path, asking the cluster
//! DNS's records (`network::records`, the ones the real DNS server at 10.96.0.10 answers from).
//! The kubelet's files are in `netfiles.rs`, where a host-started client's connection lands in
//! `route.rs`; the DNS records and the real DNS server live in `network/`.
//!
//! A [`Net`] is a snapshot of the store (Services, Endpoints, Pods) plus the loopback ports of
//! the servers the kubelet runs; everything here is pure so the rules are unit-tested.

use std::collections::HashMap;

use serde_json::Value;

use crate::network::records;
pub use crate::network::records::{service_of, Endpoint, Service, DOMAIN};
use crate::resources;
use crate::store::Store;

pub use super::route::Route;

/// The kube-dns Service address every pod's `resolv.conf` names (`network::DNS_IP`).
pub const DNS_SERVER: &str = "10.96.0.10";
/// resolv.conf's `options ndots:5` as the kubelet writes it for ClusterFirst pods.
pub(super) const NDOTS: usize = 5;

/// A pod that has an IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    pub ns: String,
    pub name: String,
    pub ip: String,
    pub hostname: String,
    pub subdomain: Option<String>,
    /// Loopback port of the pod's running server (its container port 3306); None when no
    /// server runs (connections are refused).
    pub port: Option<u16>,
}

impl Pod {
    /// `mysql-0.mysql.default.svc.cluster.local` for a pod with a subdomain.
    pub fn fqdn(&self) -> Option<String> {
        self.subdomain
            .as_ref()
            .map(|s| format!("{}.{s}.{}.svc.{DOMAIN}", self.hostname, self.ns))
    }
}

/// The network seen from one pod (`me`).
#[derive(Debug, Clone)]
pub struct Net {
    pub me: Pod,
    pub services: Vec<Service>,
    pub pods: Vec<Pod>,
}

/// One answer of a forward lookup: the canonical name and its addresses (IPv4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub aliases: Vec<String>,
    pub addrs: Vec<String>,
}

impl Net {
    /// A snapshot of the store as seen from pod `me` (`ports`: (ns, name) → loopback port of
    /// every running server).
    pub fn from_store(store: &Store, me: Pod, ports: &HashMap<(String, String), u16>) -> Net {
        let (pods, _) = store.list(resources::get("Pod"), None);
        let pods: Vec<Pod> = pods
            .iter()
            .filter_map(|p| pod_of(p, ports))
            .filter(|p| !(p.ns == me.ns && p.name == me.name))
            .collect();
        let services = records::services_from_store(store);
        Net { me, services, pods }
    }

    /// What CoreDNS answers for an absolute name (A records); `None` is NXDOMAIN.
    pub fn query_a(&self, fqdn: &str) -> Option<Vec<String>> {
        records::lookup_a(&self.services, fqdn)
    }

    /// What CoreDNS answers for a PTR query of `ip`; `None` is NXDOMAIN.
    pub fn query_ptr(&self, ip: &str) -> Option<String> {
        records::lookup_ptr(&self.services, ip)
    }

    /// The names a resolver tries for `name`, in order (search list and ndots as glibc and
    /// nslookup apply them).
    pub fn candidates(&self, name: &str) -> Vec<String> {
        if let Some(abs) = name.strip_suffix('.') {
            return vec![abs.to_string()];
        }
        let searched: Vec<String> = self
            .search()
            .iter()
            .map(|d| format!("{name}.{d}"))
            .collect();
        let dots = name.matches('.').count();
        if dots >= NDOTS {
            std::iter::once(name.to_string()).chain(searched).collect()
        } else {
            searched
                .into_iter()
                .chain(std::iter::once(name.to_string()))
                .collect()
        }
    }

    /// DNS only (what nslookup does): the first candidate with an answer.
    pub fn lookup_dns(&self, name: &str) -> Option<Host> {
        self.candidates(name).into_iter().find_map(|c| {
            self.query_a(&c).map(|addrs| Host {
                name: c,
                aliases: vec![],
                addrs,
            })
        })
    }

    /// `gethostbyname2(name, AF_INET)` with `hosts: files dns`.
    pub fn lookup_v4(&self, name: &str) -> Option<Host> {
        self.lookup_files(name, false)
            .or_else(|| self.lookup_dns(name))
    }

    /// `/etc/hosts` lines for `name` of one family; glibc gathers the addresses of every line
    /// whose name or alias matches, keeping the first line's names.
    pub(super) fn lookup_files(&self, name: &str, v6: bool) -> Option<Host> {
        let name = name.trim_end_matches('.');
        let mut found: Option<Host> = None;
        for (ip, canon, aliases) in self.hosts_file() {
            if ip.contains(':') != v6 {
                continue;
            }
            let hit = canon.eq_ignore_ascii_case(name)
                || aliases.iter().any(|a| a.eq_ignore_ascii_case(name));
            if !hit {
                continue;
            }
            match &mut found {
                Some(h) => h.addrs.push(ip),
                None => {
                    found = Some(Host {
                        name: canon,
                        aliases,
                        addrs: vec![ip],
                    })
                }
            }
        }
        found
    }

    /// `getent hosts KEY`: IPv6 first (files; cluster DNS has no AAAA records), then IPv4; an
    /// address is looked up in reverse (files, then PTR).
    pub fn getent_hosts(&self, key: &str) -> Option<Host> {
        if key.parse::<std::net::IpAddr>().is_ok() {
            let canon = |ip: &str| ip.parse::<std::net::IpAddr>().ok();
            if let Some((ip, name, aliases)) = self
                .hosts_file()
                .into_iter()
                .find(|(ip, _, _)| canon(ip) == canon(key))
            {
                return Some(Host {
                    name,
                    aliases,
                    addrs: vec![ip],
                });
            }
            return self.query_ptr(key).map(|name| Host {
                name,
                aliases: vec![],
                addrs: vec![key.to_string()],
            });
        }
        self.lookup_files(key, true).or_else(|| self.lookup_v4(key))
    }
}

/// A pod object with an IP, as the network sees it.
pub fn pod_of(p: &Value, ports: &HashMap<(String, String), u16>) -> Option<Pod> {
    let ip = p["status"]["podIP"].as_str()?.to_string();
    let ns = p["metadata"]["namespace"].as_str().unwrap_or("default");
    let name = p["metadata"]["name"].as_str().unwrap_or("");
    Some(Pod {
        ns: ns.to_string(),
        name: name.to_string(),
        ip,
        hostname: p["spec"]["hostname"].as_str().unwrap_or(name).to_string(),
        subdomain: p["spec"]["subdomain"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        port: ports.get(&(ns.to_string(), name.to_string())).copied(),
    })
}

/// `getent hosts` output for one answer (glibc's `print_hosts`: `%-15s %s` and the aliases).
pub fn getent_line(h: &Host) -> String {
    let mut out = String::new();
    for a in &h.addrs {
        out.push_str(&format!("{a:<15} {}", h.name));
        for al in &h.aliases {
            out.push(' ');
            out.push_str(al);
        }
        out.push('\n');
    }
    out
}

/// BIND 9 `nslookup` output and exit code for `name` (forward or, for an address, reverse).
pub fn nslookup(net: &Net, name: &str) -> (String, i32) {
    let mut out = format!("Server:\t\t{DNS_SERVER}\nAddress:\t{DNS_SERVER}#53\n\n");
    if let Ok(ip) = name.parse::<std::net::Ipv4Addr>() {
        let o = ip.octets();
        let arpa = format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0]);
        return match net.query_ptr(name) {
            Some(ptr) => {
                out.push_str(&format!("{arpa}\tname = {ptr}.\n\n"));
                (out, 0)
            }
            None => {
                out.push_str(&format!("** server can't find {arpa}: NXDOMAIN\n\n"));
                (out, 1)
            }
        };
    }
    match net.lookup_dns(name) {
        Some(h) => {
            for a in &h.addrs {
                out.push_str(&format!("Name:\t{}\nAddress: {a}\n", h.name));
            }
            out.push('\n');
            (out, 0)
        }
        None => {
            out.push_str(&format!("** server can't find {name}: NXDOMAIN\n\n"));
            (out, 1)
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::kubelet::fixtures::set_member as pod;
    use crate::network::records::tests::tutorial_services;
    use serde_json::json;

    /// The tutorial's StatefulSet seen from mysql-1: mysql-0 ready, mysql-2 not; `mysql-read`
    /// (the Services of `network/testdata/tutorial-services.json`, with `mysql-read` on port
    /// 3307 → targetPort 3306 so that the routing tests see a port translated) and `kubernetes`.
    pub(in crate::kubelet) fn net() -> Net {
        let mut services: Vec<Service> = tutorial_services()
            .into_iter()
            .map(|(mut s, ep)| {
                if s["metadata"]["name"] == "mysql-read" {
                    s["spec"]["ports"] =
                        json!([{"name": "mysql", "port": 3307, "targetPort": 3306}]);
                }
                service_of(&s, &ep)
            })
            .collect();
        services.push(service_of(
            &json!({"metadata": {"name": "kubernetes", "namespace": "default"},
                "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443}]}}),
            &json!({"subsets": [{"addresses": [{"ip": "192.168.49.2"}], "ports": [{"name": "https", "port": 8443}]}]}),
        ));
        Net {
            me: pod("mysql-1", "10.244.1.4", Some(4001)),
            services,
            pods: vec![
                pod("mysql-0", "10.244.0.3", Some(4000)),
                pod("mysql-2", "10.244.2.5", None),
            ],
        }
    }

    fn names(h: Option<Host>) -> Option<(String, Vec<String>)> {
        h.map(|h| (h.name, h.addrs))
    }

    #[test]
    fn services_and_pod_names_resolve_like_coredns() {
        let n = net();
        let one = |name: &str, ip: &str| Some((name.to_string(), vec![ip.to_string()]));
        let fq0 = "mysql-0.mysql.default.svc.cluster.local";
        for q in [
            "mysql-0.mysql",
            "mysql-0.mysql.default",
            fq0,
            &format!("{fq0}."),
        ] {
            assert_eq!(names(n.lookup_v4(q)), one(fq0, "10.244.0.3"), "{q}");
        }
        let fq = "mysql-read.default.svc.cluster.local";
        for q in [
            "mysql-read",
            "mysql-read.default",
            "mysql-read.default.svc",
            fq,
        ] {
            assert_eq!(names(n.lookup_v4(q)), one(fq, "10.101.7.9"), "{q}");
        }
        // Headless: the ready pods only.
        assert_eq!(
            n.lookup_v4("mysql").unwrap().addrs,
            ["10.244.0.3", "10.244.1.4"]
        );
        // Not ready: no record.
        assert_eq!(n.lookup_v4("mysql-2.mysql"), None);
        assert_eq!(n.lookup_v4("mysql-0"), None);
        assert_eq!(n.lookup_v4("nope"), None);
        assert_eq!(n.lookup_v4("google.com"), None);
        assert_eq!(
            names(n.lookup_v4("10-244-2-5.default.pod.cluster.local")),
            one("10-244-2-5.default.pod.cluster.local", "10.244.2.5")
        );
        assert_eq!(
            names(n.lookup_v4("kubernetes.default")),
            one("kubernetes.default.svc.cluster.local", "10.96.0.1")
        );
    }

    #[test]
    fn getent_reads_etc_hosts_first_and_prints_like_glibc() {
        let n = net();
        // The pod's own name comes from /etc/hosts with its alias.
        let me = n.getent_hosts("mysql-1").unwrap();
        assert_eq!(
            getent_line(&me),
            "10.244.1.4      mysql-1.mysql.default.svc.cluster.local mysql-1\n"
        );
        // localhost: the IPv6 line first, as getent asks AF_INET6 first.
        assert_eq!(
            getent_line(&n.getent_hosts("localhost").unwrap()),
            "::1             localhost ip6-localhost ip6-loopback\n"
        );
        assert_eq!(
            getent_line(&n.getent_hosts("mysql").unwrap()),
            "10.244.0.3      mysql.default.svc.cluster.local\n10.244.1.4      mysql.default.svc.cluster.local\n"
        );
        // Reverse: a headless endpoint and a ClusterIP have PTR records, a lone pod IP not.
        assert_eq!(
            n.getent_hosts("10.244.0.3").unwrap().name,
            "mysql-0.mysql.default.svc.cluster.local"
        );
        assert_eq!(
            n.getent_hosts("10.101.7.9").unwrap().name,
            "mysql-read.default.svc.cluster.local"
        );
        assert_eq!(n.getent_hosts("10.244.2.5"), None);
        assert!(n
            .hosts_text()
            .ends_with("10.244.1.4\tmysql-1.mysql.default.svc.cluster.local\tmysql-1\n"));
    }

    #[test]
    fn nslookup_formats() {
        let n = net();
        let (o, c) = nslookup(&n, "mysql-0.mysql");
        assert_eq!(c, 0);
        assert_eq!(
            o,
            "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tmysql-0.mysql.default.svc.cluster.local\nAddress: 10.244.0.3\n\n"
        );
        let (o, c) = nslookup(&n, "nope");
        assert_eq!(c, 1);
        assert!(
            o.ends_with("** server can't find nope: NXDOMAIN\n\n"),
            "{o}"
        );
        let (o, c) = nslookup(&n, "10.244.0.3");
        assert_eq!(c, 0);
        assert!(o.contains(
            "3.0.244.10.in-addr.arpa\tname = mysql-0.mysql.default.svc.cluster.local.\n"
        ));
        // nslookup asks DNS only: the pod's own short name is not there.
        assert_eq!(nslookup(&n, "mysql-1").1, 1);
    }
}
