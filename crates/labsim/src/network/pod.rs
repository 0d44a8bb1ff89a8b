//! A pod's network sandbox: the "pause" holder of its user, network, UTS and IPC namespaces,
//! wired to the cluster bridge as the CNI bridge plugin wires a pod (veth pair, `eth0` with the
//! pod IP, default route via the node's gateway).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Child;
use std::sync::Arc;
use std::time::Duration;

use super::{cmd, connect, subnet_of, valid_hostname, Inner, NetError, BRIDGE};

/// A pod's namespaces, held by a pause process. Dropped, the process is killed and the
/// namespaces (with the veth pair) are gone once no container process is left in them.
pub struct PodNet {
    inner: Arc<Inner>,
    /// The pause process (`cat` on a pipe whose other end is this child's stdin).
    holder: Child,
    hostname: String,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Ipv4Addr,
    /// The host end of the veth pair, in the cluster namespace.
    veth: String,
}

impl std::fmt::Debug for PodNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PodNet({} {}/{} pid {})",
            self.hostname,
            self.ip,
            self.prefix,
            self.pid()
        )
    }
}

pub(super) fn create(
    inner: Arc<Inner>,
    hostname: &str,
    ip: Ipv4Addr,
    prefix: u8,
) -> Result<PodNet, NetError> {
    if !valid_hostname(hostname) {
        return Err(NetError::BadHostname(hostname.to_string()));
    }
    let (network, gateway) = subnet_of(ip, prefix).ok_or(NetError::BadAddress { ip, prefix })?;
    let cluster = inner.holder.pid() as u32;
    let name = hostname.to_string();
    let holder = inner
        .thread
        .run(move || cmd::spawn_pod_holder(cluster, &name))??;
    let veth = format!("veth{:08x}", rand::random::<u32>());
    let pod = PodNet {
        inner: inner.clone(),
        holder,
        hostname: hostname.to_string(),
        ip,
        prefix,
        gateway,
        veth,
    };
    // The node side: the subnet's gateway on the bridge (once), the veth plugged in.
    let mut script = String::new();
    let key = (u32::from(network), prefix);
    let new_gateway = !inner
        .gateways
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&key);
    if new_gateway {
        script.push_str(&format!("addr replace {gateway}/{prefix} dev {BRIDGE}\n"));
    }
    script.push_str(&format!(
        "link add {v} type veth peer name eth0 netns {pid}\nlink set {v} master {BRIDGE}\nlink set {v} up\n",
        v = pod.veth,
        pid = pod.pid(),
    ));
    cmd::ip_batch(cluster, &script, &format!("{hostname}의 veth"))?;
    if new_gateway {
        inner
            .gateways
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key);
    }
    // The pod side.
    cmd::ip_batch(
        pod.pid(),
        &format!(
            "link set lo up\naddr add {ip}/{prefix} dev eth0\nlink set eth0 up\nroute add default via {gateway}\n"
        ),
        &format!("{hostname}의 eth0"),
    )?;
    // Both ends carry traffic before anyone dials the pod.
    cmd::wait_link_up(pod.pid(), "eth0", &format!("{hostname}의 eth0"))?;
    cmd::wait_link_up(cluster, &pod.veth, &format!("{hostname}의 veth"))?;
    Ok(pod)
}

impl PodNet {
    /// The pause process's pid: its `/proc/PID/ns/*` are the pod's namespaces.
    pub fn pid(&self) -> u32 {
        self.holder.id()
    }

    /// `/proc/PID/ns/net`.
    pub fn netns_path(&self) -> PathBuf {
        self.ns_path("net")
    }

    /// `/proc/PID/ns/KIND` (`user`, `net`, `uts`, `ipc`).
    pub fn ns_path(&self, kind: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/{kind}", self.pid()))
    }

    /// The `nsenter` options that put a program into this pod (user namespace first, then
    /// network, UTS, IPC; `--preserve-credentials` because the pod's user namespace denies
    /// `setgroups`): `nsenter <these> -- PROGRAM ARGS`.
    pub fn nsenter_args(&self) -> Vec<String> {
        cmd::nsenter_args(self.pid(), &["net", "uts", "ipc"])
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    pub fn ip(&self) -> Ipv4Addr {
        self.ip
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The node's gateway for this pod (its default route).
    pub fn gateway(&self) -> Ipv4Addr {
        self.gateway
    }

    /// The host end of the pod's veth pair (in the cluster namespace, on `cni0`).
    pub fn veth(&self) -> &str {
        &self.veth
    }

    /// A TCP connection to `127.0.0.1:port` inside the pod, as the kubelet's port-forward
    /// dials (the pod's loopback is its own).
    pub async fn dial_local(
        &self,
        port: u16,
        timeout: Duration,
    ) -> io::Result<tokio::net::TcpStream> {
        let netns = std::fs::File::open(self.netns_path())?;
        let fd = self
            .inner
            .socket(Some(&std::os::fd::OwnedFd::from(netns)), libc::SOCK_STREAM)?;
        connect(fd, SocketAddr::from((Ipv4Addr::LOCALHOST, port)), timeout).await
    }

    /// A TCP listener on `addr` inside the pod (tests; a server of labsim's own in a pod).
    pub fn listen_tcp(&self, addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
        let netns = std::fs::File::open(self.netns_path())?;
        let fd = self
            .inner
            .socket(Some(&std::os::fd::OwnedFd::from(netns)), libc::SOCK_STREAM)?;
        let s = socket2::Socket::from(fd);
        s.set_reuse_address(true)?;
        s.bind(&addr.into())?;
        s.listen(128)?;
        tokio::net::TcpListener::from_std(s.into())
    }
}

impl Drop for PodNet {
    fn drop(&mut self) {
        // SIGKILL and reap: the pipe closing would end `cat` too, but not reap it.
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}
