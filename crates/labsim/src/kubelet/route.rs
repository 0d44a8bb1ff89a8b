//! Where a TCP connection from a pod lands, for the clients labsim still starts on the host
//! (outside the pod network): a pod IP or name is that pod's server (port 3306), a ClusterIP one
//! ready endpoint of the Service through its port → targetPort, as kube-proxy would route it.
//! The client is then started against the server's loopback port.

use super::dns::{Net, Pod};

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

impl Net {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::dns::tests::net;

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
