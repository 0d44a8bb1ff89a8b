//! The pod network of a running labsim, for real: `dig` and `ncat` in pod namespaces made by the
//! cluster's own network ask the cluster DNS at 10.96.0.10 and connect to ClusterIPs; a
//! SIGKILLed labsim leaves no namespace behind; labsim runs unprivileged, and says why it
//! cannot when user namespaces are refused. Nothing is sent outside labsim's namespaces.

use std::net::Ipv4Addr;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use labsim::network::PodNet;
use labsim::resources;
use serde_json::json;

/// The labsim binary cargo built for these tests.
const LABSIM: &str = env!("CARGO_BIN_EXE_labsim");

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// `nsenter <pod> -- ARGV`, bounded by `timeout 10`, run off the async runtime.
async fn in_pod(pod: &PodNet, argv: &[&str]) -> Output {
    let mut cmd = Command::new("timeout");
    cmd.args(["10", "nsenter"])
        .args(pod.nsenter_args())
        .arg("--")
        .args(argv)
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `dig @10.96.0.10 ARGS +short` from `pod`: the answers, sorted.
async fn dig_short(pod: &PodNet, args: &[&str]) -> Vec<String> {
    let mut a = vec!["dig", "@10.96.0.10", "+short", "+time=2", "+tries=1"];
    a.extend(args);
    let o = in_pod(pod, &a).await;
    let mut v: Vec<String> = out(&o).lines().map(str::to_string).collect();
    v.sort();
    v
}

/// Retries `f` until it returns Some (Endpoints changes reach DNS and the proxy a moment later).
async fn until<T, F, Fut>(what: &str, f: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(t) = f().await {
            return t;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{what}: timed out"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A server in `pod` answering every connection on `port` with the pod's hostname.
fn serve_hostname(pod: &PodNet, port: u16) -> Reap {
    Reap(
        Command::new("nsenter")
            .args(pod.nsenter_args())
            .args([
                "--",
                "ncat",
                "-l",
                "-k",
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

fn endpoints(name: &str, ready: &[(&str, &str)], not_ready: &[(&str, &str)]) -> serde_json::Value {
    let addr = |(host, ip): &(&str, &str)| json!({"ip": ip, "hostname": host, "targetRef": {"kind": "Pod", "name": host, "namespace": "default"}});
    json!({"metadata": {"name": name, "namespace": "default"},
        "subsets": [{"addresses": ready.iter().map(addr).collect::<Vec<_>>(),
            "notReadyAddresses": not_ready.iter().map(addr).collect::<Vec<_>>(),
            "ports": [{"name": "mysql", "port": 3306}]}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_dns_and_cluster_ips_follow_services_and_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let lab = labsim::cluster::Cluster::start(dir.path()).await.unwrap();
    let net = lab.network.clone().expect("labsim has a pod network");
    let store = lab.store.clone();
    let (svc, ep) = (resources::get("Service"), resources::get("Endpoints"));
    // The tutorial's two Services (kubernetes/website mysql-services.yaml), without a selector
    // so the test writes their Endpoints itself: mysql-0 and mysql-1 ready, mysql-2 not.
    store
        .create(
            svc,
            Some("default"),
            json!({"metadata": {"name": "mysql", "namespace": "default"},
            "spec": {"clusterIP": "None", "ports": [{"name": "mysql", "port": 3306}]}}),
        )
        .unwrap();
    store
        .create(
            svc,
            Some("default"),
            json!({"metadata": {"name": "mysql-read", "namespace": "default"},
            "spec": {"clusterIP": "10.96.200.7", "ports": [{"name": "mysql", "port": 3306}]}}),
        )
        .unwrap();
    let two = [("mysql-0", "10.244.0.2"), ("mysql-1", "10.244.1.2")];
    let third = [("mysql-2", "10.244.2.2")];
    store
        .create(ep, Some("default"), endpoints("mysql", &two, &third))
        .unwrap();
    store
        .create(ep, Some("default"), endpoints("mysql-read", &two, &third))
        .unwrap();

    let m0 = net.pod_sandbox("mysql-0", ip("10.244.0.2"), 24).unwrap();
    let m1 = net.pod_sandbox("mysql-1", ip("10.244.1.2"), 24).unwrap();
    let client = net.pod_sandbox("client", ip("10.244.2.3"), 24).unwrap();
    let servers = [serve_hostname(&m0, 3306), serve_hostname(&m1, 3306)];

    // CoreDNS's kubernetes plugin (coredns/coredns plugin/kubernetes): a ready pod's
    // hostname.subdomain name, the headless Service's ready endpoints, the ClusterIP.
    until("mysql-0's name", || async {
        (dig_short(&client, &["mysql-0.mysql.default.svc.cluster.local"]).await == ["10.244.0.2"])
            .then_some(())
    })
    .await;
    assert_eq!(
        dig_short(&client, &["mysql.default.svc.cluster.local"]).await,
        ["10.244.0.2", "10.244.1.2"]
    );
    assert_eq!(
        dig_short(&client, &["+tcp", "mysql-read.default.svc.cluster.local"]).await,
        ["10.96.200.7"]
    );
    assert_eq!(
        dig_short(&client, &["kubernetes.default.svc.cluster.local"]).await,
        ["10.96.0.1"]
    );
    // PTR: the pod's name in every Service it is a ready endpoint of (CoreDNS
    // serviceRecordForIP checks all endpoints).
    assert_eq!(
        dig_short(&client, &["-x", "10.244.1.2"]).await,
        [
            "mysql-1.mysql-read.default.svc.cluster.local.",
            "mysql-1.mysql.default.svc.cluster.local."
        ]
    );
    assert_eq!(
        dig_short(
            &client,
            &["SRV", "_mysql._tcp.mysql-read.default.svc.cluster.local"]
        )
        .await,
        ["0 100 3306 mysql-read.default.svc.cluster.local."]
    );
    // Not ready: no record (NXDOMAIN, with the zone's SOA; authoritative, no recursion).
    let full = in_pod(
        &client,
        &[
            "dig",
            "@10.96.0.10",
            "+time=2",
            "+tries=1",
            "mysql-2.mysql.default.svc.cluster.local",
        ],
    )
    .await;
    let full = out(&full);
    assert!(full.contains("status: NXDOMAIN"), "{full}");
    assert!(full.contains("flags: qr aa rd;"), "{full}");
    assert!(
        full.contains(
            "cluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local."
        ),
        "{full}"
    );
    // No upstream: a name outside the cluster is NXDOMAIN too.
    let ext = out(&in_pod(
        &client,
        &["dig", "@10.96.0.10", "+time=2", "+tries=1", "example.com"],
    )
    .await);
    assert!(ext.contains("status: NXDOMAIN"), "{ext}");
    // A name that exists has no AAAA: NOERROR and no answer, so glibc's AAAA query does not fail.
    let aaaa = out(&in_pod(
        &client,
        &[
            "dig",
            "@10.96.0.10",
            "+time=2",
            "+tries=1",
            "AAAA",
            "mysql-read.default.svc.cluster.local",
        ],
    )
    .await);
    assert!(
        aaaa.contains("status: NOERROR") && aaaa.contains("ANSWER: 0"),
        "{aaaa}"
    );

    // mysql-read:3306 from the client pod: each connection goes to one ready endpoint, chosen at
    // random as kube-proxy's iptables rules do; both serve over a few connections.
    let read =
        || async { out(&in_pod(&client, &["ncat", "--recv-only", "10.96.200.7", "3306"]).await) };
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..30 {
        seen.insert(read().await);
        if seen.len() == 2 {
            break;
        }
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["mysql-0\n", "mysql-1\n"]
    );

    // mysql-0 stops being ready: DNS and the proxy follow the Endpoints.
    store
        .modify(ep, Some("default"), "mysql", |e| {
            *e = endpoints("mysql", &two[1..], &two[..1])
        })
        .unwrap();
    store
        .modify(ep, Some("default"), "mysql-read", |e| {
            *e = endpoints("mysql-read", &two[1..], &two[..1])
        })
        .unwrap();
    until("mysql-0 leaves DNS", || async {
        (dig_short(&client, &["mysql.default.svc.cluster.local"]).await == ["10.244.1.2"])
            .then_some(())
    })
    .await;
    for _ in 0..8 {
        assert_eq!(read().await, "mysql-1\n");
    }
    // No ready endpoint: the ClusterIP refuses (kube-proxy's REJECT for a Service without
    // endpoints), the headless name is NXDOMAIN.
    store
        .modify(ep, Some("default"), "mysql-read", |e| {
            *e = endpoints("mysql-read", &[], &two)
        })
        .unwrap();
    store
        .modify(ep, Some("default"), "mysql", |e| {
            *e = endpoints("mysql", &[], &two)
        })
        .unwrap();
    let refused = until("mysql-read refuses", || async {
        let o = in_pod(&client, &["ncat", "--recv-only", "10.96.200.7", "3306"]).await;
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        err.contains("Connection refused").then_some(err)
    })
    .await;
    assert!(!refused.is_empty());
    assert!(dig_short(&client, &["mysql.default.svc.cluster.local"])
        .await
        .is_empty());

    drop(servers);
    drop((m0, m1, client));
    lab.stop().await.unwrap();
}

/// A child process killed (SIGKILL) and reaped when the test ends, passed or failed.
struct Reap(std::process::Child);

impl std::ops::Deref for Reap {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Reap {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `readlink /proc/PID/ns/KIND`, e.g. `net:[4026532305]`.
fn ns_id(pid: u32, kind: &str) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
        .ok()
        .map(|p| p.display().to_string())
}

/// Every process whose namespace of `kind` is `id`.
fn holders_of(kind: &str, id: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| ns_id(*pid, kind).as_deref() == Some(id))
        .collect()
}

fn wait_file(path: &std::path::Path, secs: u64) -> String {
    let start = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            if !s.trim().is_empty() {
                return s;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "{} never came",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_sigkilled_labsim_leaves_no_namespace_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut labsim = Reap(
        Command::new(LABSIM)
            .args(["run", "--state-dir"])
            .arg(dir.path())
            .env("LABSIM_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_file(&dir.path().join("endpoint"), 60);
    let holder: u32 = wait_file(&dir.path().join("network.pid"), 5)
        .trim()
        .parse()
        .unwrap();
    let (user, net) = (
        ns_id(holder, "user").unwrap(),
        ns_id(holder, "net").unwrap(),
    );
    assert_eq!(holders_of("net", &net), [holder]);
    labsim.kill().unwrap(); // SIGKILL
    labsim.wait().unwrap();
    let start = Instant::now();
    while !holders_of("net", &net).is_empty() || !holders_of("user", &user).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{net} outlived labsim"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A directory `nobody` may use, with a copy of the labsim binary it may run (/root is closed).
fn nobody_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("labsim-nobody")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let bin = dir.path().join("labsim");
    std::fs::copy(LABSIM, &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, bin)
}

fn as_nobody() -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
    c
}

#[test]
fn an_unprivileged_labsim_has_the_network_and_dns() {
    if unsafe { libc::geteuid() } != 0 {
        // Already unprivileged: the other tests of this file are this test.
        return;
    }
    let (dir, bin) = nobody_dir();
    let state = dir.path().join("state");
    let mut labsim = Reap(
        as_nobody()
            .arg(&bin)
            .args(["run", "--state-dir"])
            .arg(&state)
            .env("LABSIM_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let ready = Instant::now();
    while !state.join("endpoint").exists() {
        if let Some(st) = labsim.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(labsim.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("labsim as nobody exited ({st}): {err}");
        }
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "labsim as nobody did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let holder = wait_file(&state.join("network.pid"), 5).trim().to_string();
    // The holder is nobody's, and nobody (the namespace's owner) can enter it and ask the DNS.
    let status = std::fs::read_to_string(format!("/proc/{holder}/status")).unwrap();
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.contains("65534")),
        "{status}"
    );
    let dig = as_nobody()
        .args(["timeout", "10", "nsenter", "--preserve-credentials"])
        .arg(format!("--user=/proc/{holder}/ns/user"))
        .arg(format!("--net=/proc/{holder}/ns/net"))
        .args([
            "dig",
            "@10.96.0.10",
            "+short",
            "+time=2",
            "+tries=1",
            "kubernetes.default.svc.cluster.local",
        ])
        .output()
        .unwrap();
    assert_eq!(out(&dig), "10.96.0.1\n", "{dig:?}");
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(labsim.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = labsim.wait();
}

#[test]
fn without_user_namespaces_labsim_up_fails_with_one_korean_error() {
    // A user namespace whose limit of nested user namespaces is 0 stands for a machine that
    // refuses them (user.max_user_namespaces=0); labsim up must say so and stop.
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new("unshare")
        .args([
            "-Ur",
            "sh",
            "-c",
            "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"",
            "sh",
        ])
        .arg(LABSIM)
        .args(["up", "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("파드 네트워크를 만들 수 없습니다")
            && err.contains("user.max_user_namespaces")
            && err.contains("sudo sysctl -w user.max_user_namespaces="),
        "{err}"
    );
    assert!(!dir.path().join("endpoint").exists());
}

/// Pod sandboxes as an unprivileged user: as root, this test runs itself again as `nobody`
/// (a copy of this test binary, since /root is closed to nobody); as nobody, two pods talk over
/// their IPs and each keeps its hostname, all in namespaces nobody owns.
#[test]
fn pod_sandboxes_work_for_an_unprivileged_user() {
    const NAME: &str = "pod_sandboxes_work_for_an_unprivileged_user";
    if unsafe { libc::geteuid() } == 0 {
        let (dir, _) = nobody_dir();
        let me = dir.path().join("network-tests");
        std::fs::copy(std::env::current_exe().unwrap(), &me).unwrap();
        let o = as_nobody()
            .arg(&me)
            .args(["--exact", NAME, "--nocapture"])
            .env("TMPDIR", dir.path())
            .output()
            .unwrap();
        let all = format!("{}{}", out(&o), String::from_utf8_lossy(&o.stderr));
        assert!(o.status.success() && all.contains("1 passed"), "{all}");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let net = labsim::network::ClusterNet::create(dir.path()).unwrap();
        let a = net.pod_sandbox("web-0", ip("10.244.0.4"), 24).unwrap();
        let b = net.pod_sandbox("web-1", ip("10.244.1.4"), 24).unwrap();
        assert_eq!(out(&in_pod(&b, &["hostname"]).await), "web-1\n");
        let server = serve_hostname(&a, 8080);
        let got = until("web-1 → web-0", || async {
            let o = in_pod(&b, &["ncat", "--recv-only", "10.244.0.4", "8080"]).await;
            let s = out(&o);
            (!s.is_empty()).then_some(s)
        })
        .await;
        assert_eq!(got, "web-0\n");
        let mut s = a.dial_local(8080, Duration::from_secs(2)).await.unwrap();
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut s, &mut text)
            .await
            .unwrap();
        assert_eq!(text, "web-0\n");
        drop(server);
    });
}

/// The pods' namespaces too die with a SIGKILLed owner: this test runs itself again as a child
/// that makes the cluster network and two pods, then waits; SIGKILLed, it leaves no process in
/// any of their namespaces.
#[test]
fn a_sigkilled_owner_leaves_no_pod_namespace_behind() {
    const NAME: &str = "a_sigkilled_owner_leaves_no_pod_namespace_behind";
    if let Ok(report) = std::env::var("LABSIM_TEST_HOLD_PODS") {
        let dir = tempfile::tempdir().unwrap();
        let net = labsim::network::ClusterNet::create(dir.path()).unwrap();
        let a = net.pod_sandbox("mysql-0", ip("10.244.0.2"), 24).unwrap();
        let b = net.pod_sandbox("mysql-1", ip("10.244.1.2"), 24).unwrap();
        let pids = format!("{} {} {}\n", net.holder_pid(), a.pid(), b.pid());
        std::fs::write(report, pids).unwrap();
        std::thread::sleep(Duration::from_secs(60));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("pids");
    let mut child = Reap(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", NAME, "--nocapture"])
            .env("LABSIM_TEST_HOLD_PODS", &report)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pids: Vec<u32> = wait_file(&report, 30)
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let ids: Vec<(&str, String)> = pids
        .iter()
        .flat_map(|p| ["user", "net", "uts", "ipc"].map(|k| (k, ns_id(*p, k).unwrap())))
        .filter(|(k, id)| {
            *k == "user"
                || *k == "net"
                || ns_id(std::process::id(), k).is_none_or(|mine| &mine != id)
        })
        .collect();
    assert_eq!(holders_of("net", &ids[1].1), [pids[0]]);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let start = Instant::now();
    for (kind, id) in &ids {
        while !holders_of(kind, id).is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{kind} {id} outlived its owner"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
