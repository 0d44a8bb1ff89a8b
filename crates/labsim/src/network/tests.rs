//! The network for real: namespaces made here, real programs (`ncat`, `hostname`, `ip`) run in
//! them through `nsenter`, real sockets. Nothing is sent outside the namespaces made here.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// `nsenter <pod> -- ARGV` to completion (bounded by `timeout 10`).
fn in_pod(pod: &PodNet, argv: &[&str]) -> Output {
    Command::new("timeout")
        .arg("10")
        .arg("nsenter")
        .args(pod.nsenter_args())
        .arg("--")
        .args(argv)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A server in `pod`: `ncat -l -k ADDR PORT -c 'hostname'` (each connection gets the pod's
/// hostname). Killed when the returned guard drops.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_hostname(pod: &PodNet, addr: &str, port: u16) -> Server {
    Server(
        Command::new("nsenter")
            .args(pod.nsenter_args())
            .args([
                "--",
                "ncat",
                "-l",
                "-k",
                addr,
                &port.to_string(),
                "-c",
                "hostname",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// Waits until `f` connects (a server just started needs a moment to listen).
async fn until_connects<F, Fut>(what: &str, f: F) -> tokio::net::TcpStream
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = std::io::Result<tokio::net::TcpStream>>,
{
    let start = Instant::now();
    loop {
        match f().await {
            Ok(s) => return s,
            Err(e) if start.elapsed() > Duration::from_secs(10) => panic!("{what}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

async fn read_all(mut s: tokio::net::TcpStream) -> String {
    let mut out = String::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut out))
        .await
        .expect("the server answers within 5 s")
        .unwrap();
    out
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .is_some_and(|(_, r)| !r.trim_start().starts_with('Z'))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_reach_each_other_by_ip_and_loopback_is_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let net = ClusterNet::create(dir.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("network.pid")).unwrap(),
        format!("{}\n", net.holder_pid())
    );
    // Two pods on two nodes' subnets (minikube: 10.244.0.0/24, minikube-m02: 10.244.1.0/24).
    let a = net.pod_sandbox("mysql-0", ip("10.244.0.2"), 24).unwrap();
    let b = net.pod_sandbox("mysql-1", ip("10.244.1.2"), 24).unwrap();
    assert_ne!(a.pid(), b.pid());

    // Inside: the hostname is the pod's, eth0 has the pod IP, the default route is the node's
    // gateway (as the CNI bridge plugin sets a pod up).
    assert_eq!(text(&in_pod(&a, &["hostname"])), "mysql-0\n");
    assert_eq!(text(&in_pod(&b, &["hostname"])), "mysql-1\n");
    let addrs = text(&in_pod(&a, &["ip", "-4", "-o", "addr", "show"]));
    assert!(addrs.contains("lo    inet 127.0.0.1/8"), "{addrs}");
    assert!(addrs.contains("eth0    inet 10.244.0.2/24"), "{addrs}");
    let routes = text(&in_pod(&b, &["ip", "route"]));
    assert!(
        routes.starts_with("default via 10.244.1.1 dev eth0"),
        "{routes}"
    );

    // A server on all addresses in pod A: pod B reaches it by A's IP (across subnets, through
    // the gateways), the node network reaches it too (a probe), and labsim's port-forward
    // dial reaches it on A's loopback.
    let _srv = serve_hostname(&a, "0.0.0.0", 7000);
    let addr = SocketAddr::from((ip("10.244.0.2"), 7000));
    let s = until_connects("node → pod A", || net.dial(addr, Duration::from_secs(2))).await;
    assert_eq!(read_all(s).await, "mysql-0\n");
    let out = in_pod(&b, &["ncat", "--recv-only", "10.244.0.2", "7000"]);
    assert_eq!(text(&out), "mysql-0\n", "{out:?}");
    let s = a.dial_local(7000, Duration::from_secs(2)).await.unwrap();
    assert_eq!(read_all(s).await, "mysql-0\n");

    // Loopback is each pod's own: a server on A's 127.0.0.1 is not on B's, nor on A's IP.
    let _lo = serve_hostname(&a, "127.0.0.1", 7001);
    let s = until_connects("pod A loopback", || {
        a.dial_local(7001, Duration::from_secs(2))
    })
    .await;
    assert_eq!(read_all(s).await, "mysql-0\n");
    let e = b
        .dial_local(7001, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    let e = net
        .dial(
            SocketAddr::from((ip("10.244.0.2"), 7001)),
            Duration::from_secs(2),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");

    // Dropped, a pod's holder is gone and so is its veth on the bridge.
    let (pid, veth) = (a.pid(), a.veth().to_string());
    drop(_srv);
    drop(_lo);
    drop(a);
    assert!(!alive(pid));
    let links = Command::new("nsenter")
        .args(cmd::nsenter_args(net.holder_pid(), &["net"]))
        .args(["--", "ip", "-o", "link"])
        .output()
        .unwrap();
    let links = text(&links);
    let gone = Instant::now();
    while !text(
        &Command::new("nsenter")
            .args(cmd::nsenter_args(net.holder_pid(), &["net"]))
            .args(["--", "ip", "-o", "link", "show", &veth])
            .stderr(Stdio::null())
            .output()
            .unwrap(),
    )
    .is_empty()
    {
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "{veth} stays: {links}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(links.contains(b.veth()), "{links}");

    // The cluster gone, its holder and the pods' are gone.
    let (cluster_pid, b_pid) = (net.holder_pid(), b.pid());
    drop(b);
    drop(net);
    assert!(!alive(cluster_pid));
    assert!(!alive(b_pid));
}

#[tokio::test]
async fn a_listener_on_a_cluster_ip_serves_pods() {
    // kube-proxy makes every ClusterIP reachable from pods; here any 10.96.0.0/12 address is
    // local to the node network, so a listener binds it.
    let dir = tempfile::tempdir().unwrap();
    let net = ClusterNet::create(dir.path()).unwrap();
    let pod = net.pod_sandbox("client", ip("10.244.2.7"), 24).unwrap();
    let l = net
        .listen_tcp(SocketAddr::from((ip("10.101.7.9"), 3306)))
        .unwrap();
    let task = tokio::spawn(async move {
        let (mut s, peer) = l.accept().await.unwrap();
        s.write_all(format!("{}\n", peer.ip()).as_bytes())
            .await
            .unwrap();
    });
    let out = tokio::task::spawn_blocking({
        let args = pod.nsenter_args();
        move || {
            Command::new("timeout")
                .args(["10", "nsenter"])
                .args(args)
                .args(["--", "ncat", "--recv-only", "10.101.7.9", "3306"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    task.await.unwrap();
    // The connection came from the pod's own address.
    assert_eq!(text(&out), "10.244.2.7\n", "{out:?}");
}

#[test]
fn bad_names_and_addresses_are_refused_in_korean() {
    let dir = tempfile::tempdir().unwrap();
    let net = ClusterNet::create(dir.path()).unwrap();
    let e = net
        .pod_sandbox("Bad_Name", ip("10.244.0.5"), 24)
        .unwrap_err();
    assert!(e.to_string().contains("잘못된 호스트 이름"), "{e}");
    for (a, p) in [
        ("10.244.0.1", 24),
        ("10.244.0.0", 24),
        ("10.244.0.255", 24),
        ("10.244.0.9", 31),
    ] {
        let e = net.pod_sandbox("ok", ip(a), p).unwrap_err();
        assert!(matches!(e, NetError::BadAddress { .. }), "{a}/{p}: {e}");
    }
    assert_eq!(
        subnet_of(ip("10.244.1.7"), 24),
        Some((ip("10.244.1.0"), ip("10.244.1.1")))
    );
}

#[test]
fn a_bwrap_container_joins_the_pods_namespaces() {
    // The sandbox's way in: nsenter into the pod's namespaces, then bubblewrap with a user
    // namespace of its own (uid 999, the mysql image's user): the container sees the pod's
    // hostname and eth0 with the pod IP.
    let dir = tempfile::tempdir().unwrap();
    let net = ClusterNet::create(dir.path()).unwrap();
    let pod = net.pod_sandbox("mysql-2", ip("10.244.2.9"), 24).unwrap();
    let o = in_pod(
        &pod,
        &[
            "bwrap",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--unshare-pid",
            "--unshare-user",
            "--uid",
            "999",
            "--gid",
            "999",
            "--",
            "sh",
            "-c",
            "hostname; id -u; ip -4 -o addr show eth0",
        ],
    );
    let got = text(&o);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(lines[..2], ["mysql-2", "999"], "{o:?}");
    assert!(lines[2].contains("inet 10.244.2.9/24"), "{got}");
}

/// The bridge's address as `ip -br link` shows it in the node network.
fn bridge_mac_now(net: &ClusterNet) -> String {
    let o = Command::new("nsenter")
        .args(cmd::nsenter_args(net.holder_pid(), &["net"]))
        .args(["--", "ip", "-br", "link", "show", BRIDGE])
        .output()
        .unwrap();
    let line = text(&o);
    line.split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_gateway_keeps_its_mac_as_pods_come_and_go() {
    // Left to the kernel, a bridge takes the lowest MAC of its ports: the first veth, or a
    // re-created pod's, would change the gateway's MAC under every other pod (their ARP
    // entries then point nowhere for ~25 s; the CNI bridge plugin pins it for this reason).
    let dir = tempfile::tempdir().unwrap();
    let net = ClusterNet::create(dir.path()).unwrap();
    let before = bridge_mac_now(&net);
    assert_eq!(before.len(), 17, "{before:?}");
    let a = net.pod_sandbox("a", ip("10.244.0.2"), 24).unwrap();
    let pods: Vec<_> = (3..9)
        .map(|i| {
            net.pod_sandbox(&format!("p{i}"), ip(&format!("10.244.0.{i}")), 24)
                .unwrap()
        })
        .collect();
    assert_eq!(bridge_mac_now(&net), before);
    drop(pods);
    let again = net.pod_sandbox("b", ip("10.244.0.9"), 24).unwrap();
    assert_eq!(bridge_mac_now(&net), before);
    // What pod `a` learnt for its gateway is still the gateway's address.
    // (A connection attempt to the gateway makes `a` resolve its MAC; port 9 refuses.)
    let _ = in_pod(&a, &["ncat", "-z", "-w", "1", "10.244.0.1", "9"]);
    let neigh = text(&in_pod(&a, &["ip", "neigh", "show", "10.244.0.1"]));
    assert!(neigh.contains(&before), "{neigh} (bridge {before})");
    drop(again);
}

#[test]
fn bridge_macs_are_locally_administered_unicast() {
    assert_eq!(bridge_mac([0xff; 6]), "fe:ff:ff:ff:ff:ff");
    assert_eq!(bridge_mac([0; 6]), "02:00:00:00:00:00");
}
