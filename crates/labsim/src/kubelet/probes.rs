//! Probes as the real kubelet runs them: spec parsing with Kubernetes defaults, one probe run
//! (tcpSocket and httpGet to the pod's IP as the pod network routes it, exec inside the
//! container, see [`PodRuntime::run_captured`]), and the threshold counter that turns results
//! into ready / live / started.
//!
//! httpGet speaks real HTTP/1.1 to whatever listens: in the images labsim runs only the
//! database server listens (port 3306), which answers with its handshake, so such a probe fails
//! as the kubelet's would (`malformed HTTP response`); any other port refuses the connection.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::dns::Route;
use super::env::expand_refs;
use super::PodRuntime;

/// What a probe does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Connect to the container's port (3306 → the pod's loopback port; others fail).
    Tcp(u16),
    /// A command (already `$(VAR)`-expanded when run).
    Exec(Vec<String>),
    /// An HTTP GET (`kube-probe`); success is a status in 200..400.
    Http(HttpGet),
    /// grpc: nothing in a MySQL pod serves it, so it fails honestly.
    Unsupported(String),
}

/// `httpGet` with defaults: scheme HTTP, path `/`, host the pod IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpGet {
    pub https: bool,
    pub host: Option<String>,
    pub port: u16,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

/// A probe's `port`: a number or the name of a container port (0 when unknown).
fn port_of(p: &Value, ports: &Value) -> u16 {
    p.as_u64()
        .map(|n| n as u16)
        .or_else(|| {
            let name = p.as_str()?;
            ports.as_array()?.iter().find(|x| x["name"] == name)?["containerPort"]
                .as_u64()
                .map(|n| n as u16)
        })
        .unwrap_or(0)
}

/// One probe with Kubernetes defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub action: Action,
    pub initial_delay: Duration,
    pub period: Duration,
    pub timeout: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Probe {
    /// Parses `readinessProbe` etc.; `None` when absent.
    pub fn parse(v: &Value, ports: &Value) -> Option<Probe> {
        if !v.is_object() {
            return None;
        }
        let secs = |k: &str, d: u64| Duration::from_secs(v[k].as_u64().unwrap_or(d));
        let action = if let Some(cmd) = v["exec"]["command"].as_array() {
            Action::Exec(
                cmd.iter()
                    .map(|c| c.as_str().unwrap_or("").to_string())
                    .collect(),
            )
        } else if v["tcpSocket"].is_object() {
            Action::Tcp(port_of(&v["tcpSocket"]["port"], ports))
        } else if v["httpGet"].is_object() {
            let h = &v["httpGet"];
            let path = h["path"].as_str().unwrap_or("/");
            Action::Http(HttpGet {
                https: h["scheme"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("https")),
                host: h["host"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                port: port_of(&h["port"], ports),
                path: if path.starts_with('/') {
                    path.to_string()
                } else {
                    format!("/{path}")
                },
                headers: name_values(&h["httpHeaders"]),
            })
        } else if v["grpc"].is_object() {
            Action::Unsupported("grpc".into())
        } else {
            Action::Unsupported("(no handler)".into())
        };
        Some(Probe {
            action,
            initial_delay: secs("initialDelaySeconds", 0),
            period: secs("periodSeconds", 10).max(Duration::from_secs(1)),
            timeout: secs("timeoutSeconds", 1).max(Duration::from_secs(1)),
            success_threshold: v["successThreshold"].as_u64().unwrap_or(1).max(1) as u32,
            failure_threshold: v["failureThreshold"].as_u64().unwrap_or(3).max(1) as u32,
        })
    }
}

/// Counts consecutive results against the thresholds.
#[derive(Debug, Clone, Default)]
pub struct Counter {
    successes: u32,
    failures: u32,
}

/// The probe's verdict after a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// successThreshold consecutive successes reached.
    Pass,
    /// failureThreshold consecutive failures reached.
    Fail,
    /// Not decided yet: keep the previous state.
    Hold,
}

impl Counter {
    pub fn observe(&mut self, p: &Probe, ok: bool) -> Verdict {
        if ok {
            self.failures = 0;
            self.successes += 1;
            if self.successes >= p.success_threshold {
                return Verdict::Pass;
            }
        } else {
            self.successes = 0;
            self.failures += 1;
            if self.failures >= p.failure_threshold {
                return Verdict::Fail;
            }
        }
        Verdict::Hold
    }
}

/// A probe of a running container with when it is due next and its run of results.
#[derive(Debug)]
pub struct Scheduled {
    pub probe: Probe,
    pub next: Instant,
    pub counter: Counter,
}

impl Scheduled {
    fn new(probe: Probe, from: Instant) -> Scheduled {
        Scheduled {
            next: from + probe.initial_delay,
            probe,
            counter: Counter::default(),
        }
    }

    /// Starts the schedule again at `from` (liveness and readiness once startup has passed).
    pub fn restart(&mut self, from: Instant) {
        self.next = from + self.probe.initial_delay;
    }

    /// Whether the probe is due at `now`; if so its next run is one period later.
    pub fn due(&mut self, now: Instant) -> bool {
        if now < self.next {
            return false;
        }
        self.next = now + self.probe.period;
        true
    }
}

/// A container's probes, as its spec declares them, from the moment it started.
#[derive(Debug)]
pub struct Probes {
    pub startup: Option<Scheduled>,
    pub liveness: Option<Scheduled>,
    pub readiness: Option<Scheduled>,
    /// What the probes' `$(VAR)` may name ([`static_env`]).
    pub static_env: Vec<(String, String)>,
}

impl Probes {
    pub fn of(container: &Value, started: Instant) -> Probes {
        let ports = &container["ports"];
        let scheduled = |field: &str| {
            Probe::parse(&container[field], ports).map(|p| Scheduled::new(p, started))
        };
        Probes {
            startup: scheduled("startupProbe"),
            liveness: scheduled("livenessProbe"),
            readiness: scheduled("readinessProbe"),
            static_env: static_env(container),
        }
    }

    /// When the supervisor should look again: the next due probe, and at the latest after a
    /// second (200 ms while readiness is judged by the server answering). The startup probe
    /// counts only until the container has started.
    pub fn wake(&self, started: bool, ready: bool) -> Instant {
        let poll = if self.readiness.is_none() && !ready {
            200
        } else {
            1000
        };
        let startup = self.startup.as_ref().filter(|_| !started);
        [startup, self.liveness.as_ref(), self.readiness.as_ref()]
            .into_iter()
            .flatten()
            .map(|p| p.next)
            .fold(Instant::now() + Duration::from_millis(poll), Instant::min)
    }
}

/// The variables a probe command's `$(VAR)` may name: like the real kubelet
/// (`ExpandContainerCommandOnlyStatic`), only those with a literal `value`, not `valueFrom`.
pub fn static_env(container: &Value) -> Vec<(String, String)> {
    name_values(&container["env"])
}

/// `[{name, value}]` as pairs; entries without a literal `value` are left out.
fn name_values(list: &Value) -> Vec<(String, String)> {
    let pair = |e: &Value| {
        Some((
            e["name"].as_str()?.to_string(),
            e["value"].as_str()?.to_string(),
        ))
    };
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(pair)
        .collect()
}

/// Runs a probe once against the pod `rt`. `$(VAR)` is expanded from `static_env`, `sh -c`
/// variables from the container's full environment. `Err` carries the failure output (what the
/// `Unhealthy` event shows). The password never reaches a log: the command's output is
/// reported, never its arguments.
pub async fn run(
    p: &Probe,
    rt: &PodRuntime,
    static_env: &[(String, String)],
) -> Result<(), String> {
    match &p.action {
        Action::Tcp(port) => {
            let ip = rt.net().me.ip;
            dial(rt, &ip, *port, p.timeout).await.map(drop)
        }
        Action::Http(h) => http_get(h, rt, p.timeout).await,
        Action::Unsupported(kind) => Err(format!(
            "labsim은 {kind} 프로브를 지원하지 않습니다 ({kind} probes are not supported)"
        )),
        Action::Exec(argv) => {
            let argv: Vec<String> = argv.iter().map(|a| expand_refs(a, static_env)).collect();
            match rt.run_captured(&argv, p.timeout).await {
                Ok((0, _)) => Ok(()),
                Ok((_, text)) => Err(text.trim().to_string()),
                Err(e) => Err(e),
            }
        }
    }
}

/// The kubelet's TCP dial to `host:port` for a probe, or Go's error text (`dial tcp ...`). A pod
/// in the cluster network is dialled from the node network; otherwise the connection goes to
/// the loopback server `Net::route` names for the address.
async fn dial(
    rt: &PodRuntime,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<tokio::net::TcpStream, String> {
    let addr = format!("{host}:{port}");
    let cluster = rt.kubelet.upgrade().and_then(|k| k.network().cloned());
    let conn = match (&rt.pod_net, cluster) {
        (Some(_), Some(net)) => {
            // The node's resolver knows no cluster names: a name fails as Go's lookup does.
            let Ok(ip) = host.parse::<std::net::Ipv4Addr>() else {
                return Err(format!("dial tcp: lookup {host}: no such host"));
            };
            net.dial(std::net::SocketAddr::from((ip, port)), timeout)
                .await
        }
        _ => {
            let local = match rt.net().route(Some(host), port) {
                Route::Port(p) => p,
                Route::Unreachable => return Err(format!("dial tcp {addr}: i/o timeout")),
                Route::UnknownHost => return Err(format!("dial tcp: lookup {host}: no such host")),
                Route::Refused => {
                    return Err(format!("dial tcp {addr}: connect: connection refused"))
                }
            };
            let connect = tokio::net::TcpStream::connect(("127.0.0.1", local));
            match tokio::time::timeout(timeout, connect).await {
                Ok(r) => r,
                Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
            }
        }
    };
    conn.map_err(|e| match e.kind() {
        std::io::ErrorKind::TimedOut => format!("dial tcp {addr}: i/o timeout"),
        std::io::ErrorKind::ConnectionRefused => {
            format!("dial tcp {addr}: connect: connection refused")
        }
        _ => format!("dial tcp {addr}: connect: {}", go_errno(&e)),
    })
}

/// An OS error as Go prints it (`no route to host`): strerror in lower case.
fn go_errno(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s);
    s.to_lowercase()
}

/// An httpGet probe: a real HTTP/1.1 request to where the pod IP and port lead, judged and
/// reported with the Go HTTP client's wording the kubelet's events show.
async fn http_get(h: &HttpGet, rt: &PodRuntime, timeout: Duration) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let net = rt.net();
    let host = h.host.clone().unwrap_or_else(|| net.me.ip.clone());
    let scheme = if h.https { "https" } else { "http" };
    let url = format!("{scheme}://{host}:{}{}", h.port, h.path);
    let fail = |what: String| Err(format!("Get \"{url}\": {what}"));
    let mut s = match dial(rt, &host, h.port, timeout).await {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let exchange = async {
        if h.https {
            // Whatever speaks first here is not TLS: the database server greets.
            let mut b = [0u8; 5];
            let _ = s.read(&mut b).await;
            return Err("tls: first record does not look like a TLS handshake".to_string());
        }
        let mut req = format!(
            "GET {} HTTP/1.1\r\nHost: {host}:{}\r\nUser-Agent: kube-probe/{}.{}\r\nAccept: */*\r\n",
            h.path,
            h.port,
            crate::objects::version::MAJOR,
            crate::objects::version::MINOR
        );
        for (k, v) in &h.headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("Connection: close\r\n\r\n");
        let _ = s.write_all(req.as_bytes()).await;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.contains(&b'\n') && buf.len() < 4096 {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        if buf.is_empty() {
            return Err("EOF".to_string());
        }
        let line = buf.split(|b| *b == b'\n').next().unwrap_or(&[]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let status = std::str::from_utf8(line)
            .ok()
            .filter(|l| l.starts_with("HTTP/"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse::<u16>().ok());
        match status {
            Some(c) if (200..400).contains(&c) => Ok(()),
            Some(c) => Err(format!("HTTP probe failed with statuscode: {c}")),
            None => Err(format!(
                "net/http: HTTP/1.x transport connection broken: malformed HTTP response {}",
                go_quote(line)
            )),
        }
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if e.starts_with("HTTP probe failed") => Err(e),
        Ok(Err(e)) => fail(e),
        Err(_) => fail(
            "context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into(),
        ),
    }
}

/// Go's `%q` of a byte string (strconv.Quote): printable ASCII as is, the usual escapes, `\xNN`.
pub fn go_quote(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x0c => s.push_str("\\f"),
            0x0b => s.push_str("\\v"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kubelet::fixtures::runtime;
    use serde_json::json;

    #[test]
    fn parse_applies_defaults_and_named_ports() {
        let p = Probe::parse(
            &json!({"tcpSocket": {"port": "mysql"}}),
            &json!([{"name": "mysql", "containerPort": 3306}]),
        )
        .unwrap();
        assert_eq!(p.action, Action::Tcp(3306));
        assert_eq!(
            (
                p.period,
                p.timeout,
                p.failure_threshold,
                p.success_threshold
            ),
            (Duration::from_secs(10), Duration::from_secs(1), 3, 1)
        );
        let p = Probe::parse(
            &json!({"exec": {"command": ["sh", "-c", "mysqladmin ping"]}, "initialDelaySeconds": 2, "periodSeconds": 3, "timeoutSeconds": 5, "failureThreshold": 30}),
            &Value::Null,
        )
        .unwrap();
        assert_eq!(p.initial_delay, Duration::from_secs(2));
        assert_eq!(p.failure_threshold, 30);
        assert!(Probe::parse(&Value::Null, &Value::Null).is_none());
    }

    #[test]
    fn counter_honours_thresholds() {
        let mut p = Probe::parse(
            &json!({"tcpSocket": {"port": 3306}, "failureThreshold": 2, "successThreshold": 2}),
            &Value::Null,
        )
        .unwrap();
        let mut c = Counter::default();
        assert_eq!(c.observe(&p, false), Verdict::Hold);
        assert_eq!(c.observe(&p, true), Verdict::Hold);
        assert_eq!(c.observe(&p, false), Verdict::Hold);
        assert_eq!(c.observe(&p, false), Verdict::Fail);
        assert_eq!(c.observe(&p, true), Verdict::Hold);
        assert_eq!(c.observe(&p, true), Verdict::Pass);
        p.success_threshold = 1;
        assert_eq!(c.observe(&p, true), Verdict::Pass);
    }

    #[test]
    fn only_literal_env_values_expand_in_probe_commands() {
        let c = json!({"env": [{"name": "A", "value": "1"}, {"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]});
        assert_eq!(static_env(&c), [("A".to_string(), "1".to_string())]);
    }

    #[tokio::test]
    async fn tcp_probes_reach_the_pod_port_only() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let p = Probe::parse(&json!({"tcpSocket": {"port": 3306}}), &Value::Null).unwrap();
        assert!(run(&p, &runtime(port), &[]).await.is_ok());
        let p = Probe::parse(&json!({"tcpSocket": {"port": 3307}}), &Value::Null).unwrap();
        assert_eq!(
            run(&p, &runtime(port), &[]).await.unwrap_err(),
            "dial tcp 10.244.0.2:3307: connect: connection refused"
        );
        drop(l);
        let p = Probe::parse(&json!({"tcpSocket": {"port": 3306}}), &Value::Null).unwrap();
        assert!(run(&p, &runtime(port), &[]).await.is_err());
    }

    /// A server that greets first (as mariadbd does) on the pod's 3306, and nothing elsewhere.
    #[tokio::test]
    async fn http_get_speaks_http_to_what_listens() {
        use tokio::io::AsyncWriteExt;
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let _ = s.write_all(b"[\x00\x00\x00\n11.4.2-MariaDB\x00").await;
            }
        });
        let ports = json!([{"name": "mysql", "containerPort": 3306}]);
        let p = Probe::parse(
            &json!({"httpGet": {"port": 8080, "path": "healthz"}}),
            &ports,
        )
        .unwrap();
        assert_eq!(
            p.action,
            Action::Http(HttpGet {
                https: false,
                host: None,
                port: 8080,
                path: "/healthz".into(),
                headers: vec![]
            })
        );
        assert_eq!(
            run(&p, &runtime(port), &[]).await.unwrap_err(),
            "Get \"http://10.244.0.2:8080/healthz\": dial tcp 10.244.0.2:8080: connect: connection refused"
        );
        let p = Probe::parse(&json!({"httpGet": {"port": "mysql"}}), &ports).unwrap();
        assert_eq!(
            run(&p, &runtime(port), &[]).await.unwrap_err(),
            "Get \"http://10.244.0.2:3306/\": net/http: HTTP/1.x transport connection broken: malformed HTTP response \"[\\x00\\x00\\x00\""
        );
        // A real HTTP server on that port passes (status < 400) or fails with its status.
        for (status, ok) in [("200 OK", true), ("503 Service Unavailable", false)] {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let hp = l.local_addr().unwrap().port();
            let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
            tokio::spawn(async move {
                if let Ok((mut s, _)) = l.accept().await {
                    let mut b = [0u8; 512];
                    let _ = tokio::io::AsyncReadExt::read(&mut s, &mut b).await;
                    let _ = s.write_all(reply.as_bytes()).await;
                }
            });
            let p = Probe::parse(&json!({"httpGet": {"port": 3306}}), &ports).unwrap();
            let r = run(&p, &runtime(hp), &[]).await;
            assert_eq!(r.is_ok(), ok, "{r:?}");
            if !ok {
                assert_eq!(r.unwrap_err(), "HTTP probe failed with statuscode: 503");
            }
        }
    }

    /// A pod in the real network: the kubelet dials its IP from the node network, as a real
    /// kubelet's prober does (kubernetes/kubernetes pkg/probe/tcp and pkg/probe/http).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn probes_dial_the_pod_ip_from_the_node_network() {
        use std::sync::Arc;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(crate::store::Store::in_memory());
        let kubelet = crate::kubelet::Kubelet::new(store, dir.path().to_path_buf());
        let net = crate::network::ClusterNet::create(dir.path()).unwrap();
        kubelet.set_network(net.clone());
        let pod = Arc::new(
            net.pod_sandbox("mysql-0", "10.244.0.2".parse().unwrap(), 24)
                .unwrap(),
        );
        // An HTTP server on every address of the pod, port 8080; another on its loopback only.
        let l = pod.listen_tcp("0.0.0.0:8080".parse().unwrap()).unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let mut b = [0u8; 1024];
                let _ = s.read(&mut b).await;
                let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
            }
        });
        let _lo = pod.listen_tcp("127.0.0.1:9000".parse().unwrap()).unwrap();
        let mut rt = runtime(1);
        rt.kubelet = Arc::downgrade(&kubelet);
        rt.pod_net = Some(pod);
        let probe = |v: Value| Probe::parse(&v, &Value::Null).unwrap();
        run(&probe(json!({"tcpSocket": {"port": 8080}})), &rt, &[])
            .await
            .unwrap();
        run(
            &probe(json!({"httpGet": {"port": 8080, "path": "/"}})),
            &rt,
            &[],
        )
        .await
        .unwrap();
        assert_eq!(
            run(&probe(json!({"tcpSocket": {"port": 8081}})), &rt, &[])
                .await
                .unwrap_err(),
            "dial tcp 10.244.0.2:8081: connect: connection refused"
        );
        // The pod's loopback is not the pod IP: a server bound to 127.0.0.1 fails the probe.
        assert_eq!(
            run(&probe(json!({"tcpSocket": {"port": 9000}})), &rt, &[])
                .await
                .unwrap_err(),
            "dial tcp 10.244.0.2:9000: connect: connection refused"
        );
    }
}
