//! The pod network as a process inside a pod sees it, by concern: the kubelet-managed
//! `/etc/hosts` and `resolv.conf` (the kubelet's files); name resolution as glibc and nslookup do
//! it over them (search path `<ns>.svc.cluster.local svc.cluster.local cluster.local`,
//! `ndots:5`), asking the cluster DNS's records (`network::records`, the same the real DNS
//! server at 10.96.0.10 answers from); and, for programs labsim still starts on the host, where
//! a TCP connection to an address lands (`route`: a pod IP is that pod's server, a ClusterIP one
//! ready endpoint of the Service, as kube-proxy would do).
//!
//! A [`Net`] is a snapshot of the store (Services, Endpoints, Pods) plus the loopback ports of
//! the servers the kubelet runs; everything here is pure so the rules are unit-tested.

use std::collections::HashMap;

use serde_json::Value;

use crate::network::records;
pub use crate::network::records::{service_of, Endpoint, Service, DOMAIN};
use crate::resources;
use crate::store::Store;

/// The kube-dns Service address every pod's `resolv.conf` names (`network::DNS_IP`).
pub const DNS_SERVER: &str = "10.96.0.10";
/// resolv.conf's `options ndots:5` as the kubelet writes it for ClusterFirst pods.
const NDOTS: usize = 5;

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

/// Where a connection to `host:port` ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The loopback port of the server that answers.
    Port(u16),
    /// The name does not resolve.
    UnknownHost,
    /// Resolved, but nothing listens there (no server running, another port, no endpoints).
    Refused,
    /// An address no pod or Service holds: packets go nowhere.
    Unreachable,
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

    /// The search list of the pod's resolv.conf.
    pub fn search(&self) -> Vec<String> {
        vec![
            format!("{}.svc.{DOMAIN}", self.me.ns),
            format!("svc.{DOMAIN}"),
            DOMAIN.to_string(),
        ]
    }

    /// The kubelet-managed `/etc/hosts` of the pod: (address, canonical name, aliases).
    pub fn hosts_file(&self) -> Vec<(String, String, Vec<String>)> {
        let s = |x: &str| x.to_string();
        let mut v = vec![
            (s("127.0.0.1"), s("localhost"), vec![]),
            (
                s("::1"),
                s("localhost"),
                vec![s("ip6-localhost"), s("ip6-loopback")],
            ),
            (s("fe00::0"), s("ip6-localnet"), vec![]),
            (s("fe00::0"), s("ip6-mcastprefix"), vec![]),
            (s("fe00::1"), s("ip6-allnodes"), vec![]),
            (s("fe00::2"), s("ip6-allrouters"), vec![]),
        ];
        match self.me.fqdn() {
            Some(f) => v.push((self.me.ip.clone(), f, vec![self.me.hostname.clone()])),
            None => v.push((self.me.ip.clone(), self.me.hostname.clone(), vec![])),
        }
        v
    }

    /// The text of that file, as `cat /etc/hosts` shows it.
    pub fn hosts_text(&self) -> String {
        let mut t = String::from("# Kubernetes-managed hosts file.\n");
        for (ip, name, aliases) in self.hosts_file() {
            t.push_str(&format!("{ip}\t{name}"));
            for a in aliases {
                t.push_str(&format!("\t{a}"));
            }
            t.push('\n');
        }
        t
    }

    /// The pod's `/etc/resolv.conf`.
    pub fn resolv_conf(&self) -> String {
        format!(
            "nameserver {DNS_SERVER}\nsearch {}\noptions ndots:{NDOTS}\n",
            self.search().join(" ")
        )
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
    fn lookup_files(&self, name: &str, v6: bool) -> Option<Host> {
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

    /// Where a TCP connection from this pod to `host:port` lands (`host` None: the client's
    /// default, the pod's own server).
    pub fn route(&self, host: Option<&str>, port: u16) -> Route {
        let host = host.unwrap_or("localhost");
        let addrs = if host.parse::<std::net::IpAddr>().is_ok() {
            vec![host.to_string()]
        } else {
            match self
                .lookup_files(host, true)
                .or_else(|| self.lookup_v4(host))
            {
                Some(h) => h.addrs,
                None => return Route::UnknownHost,
            }
        };
        // A client tries the addresses in order until one connects.
        let mut last = Route::Unreachable;
        for a in &addrs {
            match self.route_ip(a, port) {
                Route::Port(p) => return Route::Port(p),
                r => last = r,
            }
        }
        last
    }

    fn route_ip(&self, ip: &str, port: u16) -> Route {
        let to_pod = |p: &Pod, port: u16| match (port, p.port) {
            (3306, Some(lp)) => Route::Port(lp),
            _ => Route::Refused,
        };
        let loopback = ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
        if loopback || ip == self.me.ip {
            return to_pod(&self.me, port);
        }
        if let Some(p) = self.pods.iter().find(|p| p.ip == ip) {
            return to_pod(p, port);
        }
        if let Some(s) = self
            .services
            .iter()
            .find(|s| s.cluster_ip.as_deref() == Some(ip))
        {
            let Some((pname, _)) = s.ports.iter().find(|(_, p)| *p == port) else {
                return Route::Refused;
            };
            // kube-proxy picks one ready endpoint; the first one that serves is as good.
            for e in &s.endpoints {
                let Some(target) = s.target_port(e, pname) else {
                    continue;
                };
                let pod = e.pod.as_ref().and_then(|name| {
                    std::iter::once(&self.me)
                        .chain(&self.pods)
                        .find(|p| &p.name == name && p.ns == s.ns && p.ip == e.ip)
                });
                if let Some(Route::Port(lp)) = pod.map(|p| to_pod(p, target)) {
                    return Route::Port(lp);
                }
            }
            return Route::Refused;
        }
        Route::Unreachable
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
mod tests {
    use super::*;
    use crate::kubelet::fixtures::set_member as pod;
    use serde_json::json;

    fn net() -> Net {
        let headless = service_of(
            &json!({"metadata": {"name": "mysql", "namespace": "default"},
                "spec": {"clusterIP": "None", "ports": [{"name": "mysql", "port": 3306}]}}),
            &json!({"subsets": [{"addresses": [
                    {"ip": "10.244.0.3", "hostname": "mysql-0", "targetRef": {"kind": "Pod", "name": "mysql-0"}},
                    {"ip": "10.244.1.4", "hostname": "mysql-1", "targetRef": {"kind": "Pod", "name": "mysql-1"}}],
                "notReadyAddresses": [{"ip": "10.244.2.5", "hostname": "mysql-2", "targetRef": {"kind": "Pod", "name": "mysql-2"}}],
                "ports": [{"name": "mysql", "port": 3306}]}]}),
        );
        let read = service_of(
            &json!({"metadata": {"name": "mysql-read", "namespace": "default"},
                "spec": {"clusterIP": "10.101.7.9", "ports": [{"name": "mysql", "port": 3307, "targetPort": 3306}]}}),
            &json!({"subsets": [{"addresses": [
                    {"ip": "10.244.1.4", "targetRef": {"kind": "Pod", "name": "mysql-1"}}],
                "ports": [{"name": "mysql", "port": 3306}]}]}),
        );
        let api = service_of(
            &json!({"metadata": {"name": "kubernetes", "namespace": "default"},
                "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443}]}}),
            &json!({"subsets": [{"addresses": [{"ip": "192.168.49.2"}], "ports": [{"name": "https", "port": 8443}]}]}),
        );
        Net {
            me: pod("mysql-1", "10.244.1.4", Some(4001)),
            services: vec![headless, read, api],
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

    #[test]
    fn connections_route_to_the_pod_behind_the_name() {
        let n = net();
        assert_eq!(n.route(None, 3306), Route::Port(4001));
        assert_eq!(n.route(Some("127.0.0.1"), 3306), Route::Port(4001));
        assert_eq!(n.route(Some("localhost"), 3306), Route::Port(4001));
        assert_eq!(n.route(Some("mysql-1"), 3306), Route::Port(4001));
        assert_eq!(n.route(Some("mysql-0.mysql"), 3306), Route::Port(4000));
        assert_eq!(n.route(Some("10.244.0.3"), 3306), Route::Port(4000));
        assert_eq!(n.route(Some("10.244.0.3"), 3307), Route::Refused);
        // A pod without a running server refuses; an address nobody holds goes nowhere.
        assert_eq!(n.route(Some("10.244.2.5"), 3306), Route::Refused);
        assert_eq!(n.route(Some("10.244.2.99"), 3306), Route::Unreachable);
        assert_eq!(n.route(Some("mysql-2.mysql"), 3306), Route::UnknownHost);
        // A ClusterIP Service: its port maps to the endpoint's target port.
        assert_eq!(n.route(Some("mysql-read"), 3307), Route::Port(4001));
        assert_eq!(n.route(Some("mysql-read"), 3306), Route::Refused);
        assert_eq!(n.route(Some("kubernetes.default"), 443), Route::Refused);
        // Headless name: the first ready pod.
        assert_eq!(n.route(Some("mysql"), 3306), Route::Port(4000));
    }
}
