//! The pod network, real and made without root: labsim's own network namespace (the "node
//! network": bridge `cni0` with each node's pod gateway `10.244.N.1`, the ClusterIP range
//! 10.96.0.0/12 routed locally), a network namespace per pod (`eth0` on a veth into `cni0`, its
//! pod IP, `lo`, a default route via its node's gateway), the cluster DNS at 10.96.0.10:53
//! ([`dns_server`], answering from [`records`] as CoreDNS's `kubernetes` plugin does) and the
//! ClusterIP Services ([`proxy`], kube-proxy's job).
//!
//! Nothing here needs root: the cluster namespaces belong to a user namespace labsim's uid owns
//! ([`holder`]), pod namespaces are nested in it ([`cmd`]). Every namespace lives only as long as
//! its holder process, and every holder ends with labsim (its pipe or socket closes, and
//! `PR_SET_PDEATHSIG`), so a SIGKILLed labsim leaves nothing behind.

pub mod cmd;
pub mod dns_server;
pub mod holder;
pub mod pod;
pub mod proxy;
pub mod records;

#[cfg(test)]
mod tests;

#[test]
fn resolv_conf_is_the_kubelets() {
    assert_eq!(
        resolv_conf("default"),
        "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n"
    );
}

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

pub use pod::PodNet;

/// The bridge the pods' veths are plugged into (the name of the CNI bridge plugin's default).
pub const BRIDGE: &str = "cni0";
/// kube-apiserver's default `--service-cluster-ip-range` (minikube keeps it).
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// The kube-dns Service address every pod's `resolv.conf` names (minikube's `kube-dns`).
pub const DNS_IP: Ipv4Addr = Ipv4Addr::new(10, 96, 0, 10);
/// The control-plane node's address and the API server's port there (minikube's docker
/// driver: `192.168.49.2:8443`), the endpoint of the `kubernetes` Service.
pub const APISERVER: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    Ipv4Addr::new(192, 168, 49, 2),
    8443,
));

/// The `/etc/resolv.conf` the kubelet writes for a `ClusterFirst` pod in `namespace`
/// (kubernetes/kubernetes `pkg/kubelet/network/dns/dns.go`: the cluster DNS, the search path
/// `<ns>.svc.<domain> svc.<domain> <domain>`, `options ndots:5`).
pub fn resolv_conf(namespace: &str) -> String {
    let d = records::DOMAIN;
    format!("nameserver {DNS_IP}\nsearch {namespace}.svc.{d} svc.{d} {d}\noptions ndots:5\n")
}

/// A locally administered unicast MAC (`x2:..`) from six random bytes, as the kernel picks one
/// for a new bridge (`eth_random_addr`).
fn bridge_mac(mut b: [u8; 6]) -> String {
    b[0] = (b[0] & 0xfe) | 0x02;
    b.map(|x| format!("{x:02x}")).join(":")
}

/// What can go wrong making the network; the messages are what `labsim up` prints.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// No unprivileged user/network namespaces on this machine.
    #[error("{0}")]
    Unavailable(String),
    /// A program the network needs is not installed.
    #[error("파드 네트워크에 필요한 `{tool}`를 실행할 수 없습니다 ({err}). `make setup`(또는 `sudo apt-get install -y iproute2 util-linux coreutils`)으로 설치하세요.")]
    MissingTool { tool: String, err: io::Error },
    /// A configuration step failed.
    #[error("파드 네트워크 설정 실패: {what}: {detail}")]
    Step { what: String, detail: String },
    #[error("잘못된 파드 주소 {ip}/{prefix}: 서브넷의 네트워크·게이트웨이(.1)·브로드캐스트 주소가 아닌, 접두사 8~30의 IPv4 주소여야 합니다")]
    BadAddress { ip: Ipv4Addr, prefix: u8 },
    #[error("잘못된 호스트 이름 {0:?}: 영문 소문자·숫자·'-'로 된 63자 이하의 이름이어야 합니다 (RFC 1123)")]
    BadHostname(String),
    #[error("파드 네트워크 입출력 오류: {0}")]
    Io(#[from] io::Error),
}

impl NetError {
    fn missing_tool(tool: &str, err: io::Error) -> NetError {
        NetError::MissingTool {
            tool: tool.to_string(),
            err,
        }
    }

    /// The one error `labsim up` prints when user namespaces are refused: the cause this
    /// machine shows, and the fix.
    fn unavailable(step: &str, err: io::Error) -> NetError {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .ok()
                .map(|s| s.trim().to_string())
        };
        let fix = if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref()
            == Some("1")
        {
            "Ubuntu의 AppArmor가 권한 없는 사용자 네임스페이스를 막고 있습니다. `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`으로 허용하세요(영구히: /etc/sysctl.d/ 에 같은 줄)."
        } else if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
            "커널 설정 kernel.unprivileged_userns_clone이 0입니다. `sudo sysctl -w kernel.unprivileged_userns_clone=1`로 허용하세요."
        } else if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
            "user.max_user_namespaces가 0입니다. `sudo sysctl -w user.max_user_namespaces=15000`으로 허용하세요."
        } else {
            "컨테이너 안이라면 사용자 네임스페이스를 허용하는 설정(예: Docker의 --security-opt seccomp=unconfined 또는 --privileged)으로 실행하세요."
        };
        NetError::Unavailable(format!(
            "labsim은 파드 네트워크를 만들 수 없습니다: 이 컴퓨터에서 권한 없는 사용자·네트워크 네임스페이스를 만들 수 없습니다 ({step}: {err}). {fix}"
        ))
    }
}

/// A job for the network thread.
type Job = Box<dyn FnOnce() + Send>;

/// The thread that forks and spawns every holder: `PR_SET_PDEATHSIG` fires when the thread
/// that made a child exits, so it must outlive them (tokio's blocking threads do not).
struct NetThread {
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl NetThread {
    fn start() -> io::Result<NetThread> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("labsim-net".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })?;
        Ok(NetThread {
            jobs: Mutex::new(tx),
        })
    }

    /// Runs `f` on the network thread and waits for its result.
    fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| io::Error::other("the network thread is gone"))?;
        rx.recv()
            .map_err(|_| io::Error::other("the network thread is gone"))
    }
}

/// What the cluster network and its pods share.
pub(crate) struct Inner {
    // Field order is drop order: the holder goes first, the thread (whose end makes any
    // remaining child get SIGKILL) last.
    holder: holder::Holder,
    /// The pod subnets whose gateway address `cni0` has (network address, prefix).
    gateways: Mutex<HashSet<(u32, u8)>>,
    thread: NetThread,
}

/// labsim's network namespace with its bridge, created once per labsim run. Dropped (with every
/// [`PodNet`] made from it), it is gone.
#[derive(Clone)]
pub struct ClusterNet {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ClusterNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClusterNet(holder {})", self.inner.holder.pid())
    }
}

impl ClusterNet {
    /// Makes the cluster namespace: bridge `cni0` (up), `lo` up, the ClusterIP range
    /// 10.96.0.0/12 routed to `lo` (so the DNS server and the Service proxy can bind any
    /// ClusterIP), forwarding between pod subnets. Writes the holder's pid to
    /// `<state_dir>/network.pid`, so a developer can look inside:
    /// `nsenter --preserve-credentials --user=/proc/PID/ns/user --net=/proc/PID/ns/net ip a`.
    /// Blocking (about 25 ms).
    pub fn create(state_dir: &Path) -> Result<ClusterNet, NetError> {
        let thread = NetThread::start()?;
        let holder = thread.run(holder::Holder::spawn)?.map_err(|e| match e {
            holder::SpawnError::Os(e) => NetError::Io(e),
            holder::SpawnError::Namespaces(step, e) => NetError::unavailable(step, e),
        })?;
        let net = ClusterNet {
            inner: Arc::new(Inner {
                holder,
                gateways: Mutex::new(HashSet::new()),
                thread,
            }),
        };
        // The bridge gets an address of its own, as the CNI bridge plugin gives it ("Set the
        // bridge's MAC to itself. Otherwise, the bridge will take the lowest-numbered mac on
        // the bridge, and will change as ifs churn": containernetworking/plugins
        // plugins/main/bridge/bridge.go). Left to the kernel, a re-created pod's veth could
        // change the gateway's MAC under every other pod, whose ARP entries then point
        // nowhere until they go stale: a DNS lookup took ~25 s after a pod re-creation.
        let mac = bridge_mac(rand::random());
        cmd::ip_batch(
            net.holder_pid(),
            &format!(
                "link set lo up\nlink add {BRIDGE} address {mac} type bridge\nlink set {BRIDGE} up\nroute add local {SERVICE_CIDR} dev lo\naddr add {}/32 dev lo\n",
                APISERVER.ip()
            ),
            "클러스터 네트워크 네임스페이스",
        )?;
        std::fs::create_dir_all(state_dir)?;
        crate::files::write_private(
            &state_dir.join("network.pid"),
            format!("{}\n", net.holder_pid()).as_bytes(),
        )?;
        Ok(net)
    }

    /// The pid of the process holding the cluster namespaces (`/proc/PID/ns/{user,net}`).
    pub fn holder_pid(&self) -> u32 {
        self.inner.holder.pid() as u32
    }

    /// A pod sandbox: a holder with its own user, network, UTS and IPC namespaces, hostname
    /// `hostname`, `eth0` with `ip/prefix` on a veth into `cni0`, `lo` up, default route via
    /// the subnet's `.1` (added to `cni0` the first time a subnet is seen). Blocking (about
    /// 40 ms: it runs `nsenter`, `unshare` and `ip`): from async code, call it in
    /// `spawn_blocking`.
    pub fn pod_sandbox(
        &self,
        hostname: &str,
        ip: Ipv4Addr,
        prefix: u8,
    ) -> Result<PodNet, NetError> {
        pod::create(self.inner.clone(), hostname, ip, prefix)
    }

    /// A TCP connection from the node network (probes, the Service proxy) to `addr`.
    pub async fn dial(
        &self,
        addr: SocketAddr,
        timeout: Duration,
    ) -> io::Result<tokio::net::TcpStream> {
        let fd = self.inner.socket(None, libc::SOCK_STREAM)?;
        connect(fd, addr, timeout).await
    }

    /// A TCP listener on `addr` in the cluster namespace (any ClusterIP, the pod gateways).
    pub fn listen_tcp(&self, addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
        let s = socket2::Socket::from(self.inner.socket(None, libc::SOCK_STREAM)?);
        s.set_reuse_address(true)?;
        s.bind(&addr.into())?;
        s.listen(1024)?;
        tokio::net::TcpListener::from_std(s.into())
    }

    /// Starts the cluster DNS (10.96.0.10:53, UDP and TCP) and the ClusterIP proxy, both
    /// following `store`'s Services and Endpoints, and the control-plane node's
    /// [`APISERVER`] address, relayed to labsim's API server on the host's `api` (so the
    /// `kubernetes` Service works from pods), until `shutdown`. Fails (at once) if the DNS or
    /// API address cannot be bound.
    pub fn serve(
        &self,
        store: Arc<crate::store::Store>,
        api: SocketAddr,
        shutdown: crate::shutdown::Shutdown,
    ) -> io::Result<()> {
        let bound = dns_server::bind(self)?;
        let relay = self.listen_tcp(APISERVER)?;
        tokio::spawn(proxy::relay_to_host(relay, api, shutdown.clone()));
        let (tx, zone) =
            tokio::sync::watch::channel(Arc::new(records::services_from_store(&store)));
        tokio::spawn(dns_server::serve(bound, zone.clone(), shutdown.clone()));
        tokio::spawn(proxy::run(self.clone(), zone, shutdown.clone()));
        let mut changes = store.subscribe();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = shutdown.wait() => return,
                    r = changes.recv() => {
                        if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                            return;
                        }
                    }
                }
                // Coalesce a burst of changes into one snapshot.
                tokio::time::sleep(Duration::from_millis(20)).await;
                while changes.try_recv().is_ok() {}
                let _ = tx.send(Arc::new(records::services_from_store(&store)));
            }
        });
        Ok(())
    }

    /// A UDP socket bound to `addr` in the cluster namespace.
    pub fn bind_udp(&self, addr: SocketAddr) -> io::Result<tokio::net::UdpSocket> {
        let s = socket2::Socket::from(self.inner.socket(None, libc::SOCK_DGRAM)?);
        s.bind(&addr.into())?;
        tokio::net::UdpSocket::from_std(s.into())
    }
}

impl Inner {
    /// A non-blocking IPv4 socket of `ty` in the cluster namespace or in `netns`'s.
    fn socket(&self, netns: Option<&OwnedFd>, ty: i32) -> io::Result<OwnedFd> {
        self.holder
            .socket(netns, libc::AF_INET, ty | libc::SOCK_NONBLOCK, 0)
    }
}

/// Connects the non-blocking TCP socket `fd` to `addr` within `timeout` (tokio's runtime).
async fn connect(
    fd: OwnedFd,
    addr: SocketAddr,
    timeout: Duration,
) -> io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::from_std_stream(std::net::TcpStream::from(fd));
    match tokio::time::timeout(timeout, socket.connect(addr)).await {
        Ok(r) => r,
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")),
    }
}

/// `10.244.1.7/24` → (network, gateway = network + 1), refusing the network, gateway and
/// broadcast addresses themselves.
pub fn subnet_of(ip: Ipv4Addr, prefix: u8) -> Option<(Ipv4Addr, Ipv4Addr)> {
    if !(8..=30).contains(&prefix) {
        return None;
    }
    let mask = u32::MAX << (32 - prefix);
    let net = u32::from(ip) & mask;
    let broadcast = net | !mask;
    let a = u32::from(ip);
    (a != net && a != net + 1 && a != broadcast)
        .then(|| (Ipv4Addr::from(net), Ipv4Addr::from(net + 1)))
}

/// An RFC 1123 label, as a pod's hostname is.
fn valid_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 63
        && h.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !h.starts_with('-')
        && !h.ends_with('-')
}
