//! The files the kubelet writes into a pod for the network (kubelet `pkg/kubelet/kubelet_pods.go`
//! `ensureHostsFile`, `pkg/kubelet/network/dns`): the Kubernetes-managed `/etc/hosts` (localhost,
//! the IPv6 names, the pod's own `hostname.subdomain.ns.svc.cluster.local` and short name) and
//! `/etc/resolv.conf` of a `ClusterFirst` pod (`nameserver 10.96.0.10`, the search path
//! `<ns>.svc.cluster.local svc.cluster.local cluster.local`, `options ndots:5`).

use super::dns::Net;
use crate::network::records::DOMAIN;

impl Net {
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
        crate::network::resolv_conf(&self.me.ns)
    }
}
