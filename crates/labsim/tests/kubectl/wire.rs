//! The wire features kubectl and kube-rs use beyond CRUD, judged by the real clients against a
//! cluster started in-process: `kubectl port-forward` (SPDY over WebSocket and the SPDY upgrade
//! fallback) with the host `mysql` client, EndpointSlices (`get`, `describe svc`), `auth can-i`,
//! `/version/`, list paging (`--chunk-size`, kube-rs `limit`/`continue`) and single-object watches.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use testkit::Out;

use crate::lab::Lab;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// Polls `f` every 200 ms until it gives Some, panicking with `what` after `secs`.
async fn wait_for<T, F, Fut>(what: &str, secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The lab's manifest with one replica (one real mariadbd is enough here).
fn one_replica_manifest() -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../manifests/1-sts-mysql.yaml"),
    )
    .unwrap();
    assert!(text.contains("replicas: 3"));
    text.replace("replicas: 3", "replicas: 1")
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `kubectl port-forward`, its stdout read until it announced the local port.
struct Forward {
    child: Child,
    port: u16,
    first_line: String,
}

impl Forward {
    async fn start(lab: &Lab, args: &[&str], websockets: bool) -> Forward {
        let mut a = vec!["port-forward"];
        a.extend(args);
        let mut cmd = lab.command(&a);
        if !websockets {
            // kubectl's switch for the old transport: the SPDY upgrade without WebSocket.
            cmd.env("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false");
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("kubectl port-forward {args:?} announced nothing"))
            .unwrap();
        let Some(first) = first else {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .await
                .unwrap();
            panic!("kubectl port-forward {args:?} ended: {err}");
        };
        // "Forwarding from 127.0.0.1:PORT -> 3306"
        let port = first
            .strip_prefix("Forwarding from 127.0.0.1:")
            .and_then(|r| r.split(' ').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"));
        // Keep draining stdout ("Handling connection for ...") so kubectl never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Forward {
            child,
            port,
            first_line: first,
        }
    }

    /// Sends SIGINT (Ctrl-C) and returns kubectl's exit code and stderr.
    async fn interrupt(self) -> (Option<i32>, String) {
        let pid = self.child.id().expect("kubectl still running") as i32;
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        self.finish(10).await
    }

    /// Waits (at most `secs`) for kubectl to exit on its own.
    async fn finish(mut self, secs: u64) -> (Option<i32>, String) {
        let status = tokio::time::timeout(Duration::from_secs(secs), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("kubectl port-forward still running after {secs}s"))
            .unwrap();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), e.read_to_string(&mut err)).await;
        }
        (status.code(), err)
    }
}

/// The host's MariaDB client through a forwarded port: `mysql -h 127.0.0.1 -P PORT`.
async fn host_mysql(port: u16, sql: &str) -> Out {
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new("mysql")
            .args(["-h", "127.0.0.1", "-P", &port.to_string()])
            .args(["-u", "root", "-ppassword", "-N", "-B", "-e", sql])
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("mysql client timed out")
    .unwrap();
    Out(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_endpoint_slices_and_describe_with_a_real_pod() {
    let lab = Lab::start().await;
    let applied = lab.apply(&one_replica_manifest()).await;
    assert!(
        applied.contains("statefulset.apps/mysql created"),
        "{applied}"
    );
    let pods: Api<Pod> = Api::default_namespaced(lab.client().await);
    wait_for("mysql-0 Ready", 180, || async {
        let p = pods.get_opt("mysql-0").await.ok()??;
        let ready = p
            .status?
            .conditions?
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True");
        ready.then_some(())
    })
    .await;

    // kubectl port-forward pod/mysql-0 LOCAL:3306, then the host's mysql client through it:
    // what it creates is in mysql-0's server.
    let local = free_port();
    let spec = format!("{local}:3306");
    let fwd = Forward::start(&lab, &["pod/mysql-0", &spec], true).await;
    assert_eq!(fwd.port, local, "{}", fwd.first_line);
    let out = host_mysql(local, "CREATE DATABASE through_forward; SELECT 40 + 2").await;
    assert_eq!(out.ok().trim(), "42");
    let dbs = lab
        .kubectl(&[
            "exec",
            "mysql-0",
            "--",
            "mysql",
            "-uroot",
            "-ppassword",
            "-N",
            "-e",
            "SHOW DATABASES",
        ])
        .await
        .ok();
    assert!(dbs.lines().any(|l| l.trim() == "through_forward"), "{dbs}");
    // A second connection on the same forward, then Ctrl-C: kubectl exits 0.
    assert_eq!(host_mysql(local, "SELECT 1").await.ok().trim(), "1");
    let (code, err) = fwd.interrupt().await;
    assert_eq!(code, Some(0), "{err}");

    // svc/NAME with :REMOTE (a random local port; the service port maps to the pod's).
    let fwd = Forward::start(&lab, &["svc/mysql", ":3306"], true).await;
    assert_ne!(fwd.port, 3306);
    assert_eq!(
        host_mysql(fwd.port, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'through_forward'")
            .await
            .ok()
            .trim(),
        "1"
    );
    let (code, err) = fwd.interrupt().await;
    assert_eq!(code, Some(0), "{err}");

    // sts/NAME over the SPDY upgrade (kubectl's fallback transport).
    let fwd = Forward::start(&lab, &["sts/mysql", ":3306"], false).await;
    assert_eq!(host_mysql(fwd.port, "SELECT 7 * 6").await.ok().trim(), "42");
    let (code, err) = fwd.interrupt().await;
    assert_eq!(code, Some(0), "{err}");

    // A port nothing listens on in the pod: the kubelet's error, then kubectl gives up.
    let fwd = Forward::start(&lab, &["pod/mysql-0", ":8080"], true).await;
    let _ = tokio::net::TcpStream::connect(("127.0.0.1", fwd.port)).await;
    let (code, err) = fwd.finish(30).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("an error occurred forwarding")
            && err.contains("connection refused")
            && err.contains("lost connection to pod"),
        "{err}"
    );

    // A pod that is not running: kubectl's own check, before any upgrade.
    lab.apply(
        r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stuck"},
            "spec": {"nodeSelector": {"no-such-node": "x"},
                     "containers": [{"name": "mysql", "image": "mysql:8.4"}]}}"#,
    )
    .await;
    let out = lab.kubectl(&["port-forward", "pod/stuck", ":3306"]).await;
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr()
            .contains("unable to forward port because pod is not running. Current status=Pending"),
        "{}",
        out.stderr()
    );
    let out = lab.kubectl(&["port-forward", "pod/nope", ":3306"]).await;
    assert!(
        out.stderr().contains("pods \"nope\" not found"),
        "{}",
        out.stderr()
    );

    // EndpointSlices beside Endpoints: kubectl get (server-side columns) and describe svc.
    let slices = lab.kubectl(&["get", "endpointslices"]).await.ok();
    let rows = testkit::columns(&slices);
    assert_eq!(
        rows[0],
        ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
        "{slices}"
    );
    let pod_ip = pods
        .get("mysql-0")
        .await
        .unwrap()
        .status
        .unwrap()
        .pod_ip
        .unwrap();
    let mysql = rows
        .iter()
        .find(|r| r[0].starts_with("mysql-"))
        .unwrap_or_else(|| panic!("{slices}"));
    assert_eq!(mysql[1..4], ["IPv4", "3306", pod_ip.as_str()], "{slices}");
    let kubernetes = rows.iter().find(|r| r[0] == "kubernetes").unwrap();
    assert_eq!(
        kubernetes[1..4],
        ["IPv4", "8443", "192.168.49.2"],
        "{slices}"
    );
    let described = lab.kubectl(&["describe", "svc", "mysql"]).await.ok();
    let line = described
        .lines()
        .find(|l| l.starts_with("Endpoints:"))
        .unwrap_or_else(|| panic!("{described}"));
    assert!(line.ends_with(&format!("{pod_ip}:3306")), "{described}");
    let labelled = lab
        .kubectl(&[
            "get",
            "endpointslices",
            "-l",
            "kubernetes.io/service-name=mysql",
            "-o",
            "json",
        ])
        .await
        .ok();
    let v: Value = serde_json::from_str(&labelled).unwrap();
    let ep = &v["items"][0]["endpoints"][0];
    assert_eq!(ep["targetRef"]["name"], "mysql-0");
    assert_eq!(ep["hostname"], "mysql-0");
    assert_eq!(ep["conditions"]["ready"], true);
    // kube-rs reads them with k8s-openapi's types (required fields present, shapes right).
    let typed: Api<EndpointSlice> = Api::default_namespaced(lab.client().await);
    let listed = typed
        .list(&ListParams::default().labels("kubernetes.io/service-name=mysql"))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let slice = &listed.items[0];
    assert_eq!(slice.address_type, "IPv4");
    assert_eq!(
        slice.endpoints.as_ref().unwrap()[0].addresses,
        std::slice::from_ref(&pod_ip)
    );
    let port = &slice.ports.as_ref().unwrap()[0];
    assert_eq!(
        (port.name.as_deref(), port.port),
        (Some("mysql"), Some(3306))
    );

    // The forwarded pod goes away: the session ends and kubectl says so.
    let fwd = Forward::start(&lab, &["pod/mysql-0", ":3306"], true).await;
    assert_eq!(host_mysql(fwd.port, "SELECT 5").await.ok().trim(), "5");
    lab.kubectl(&["delete", "pod", "mysql-0", "--wait=false"])
        .await
        .ok();
    let (code, err) = fwd.finish(60).await;
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("lost connection to pod"), "{err}");

    lab.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_auth_paging_and_single_object_watch() {
    let lab = Lab::start().await;

    // /version/ answers like /version.
    let slash: Value =
        serde_json::from_str(&lab.kubectl(&["get", "--raw", "/version/"]).await.ok()).unwrap();
    let plain: Value =
        serde_json::from_str(&lab.kubectl(&["get", "--raw", "/version"]).await.ok()).unwrap();
    assert_eq!(slash, plain);
    assert_eq!(slash["major"], "1");

    // kubectl auth can-i: the lab user may do everything.
    assert_eq!(
        lab.kubectl(&["auth", "can-i", "create", "pods"])
            .await
            .ok()
            .trim(),
        "yes"
    );
    assert_eq!(
        lab.kubectl(&["auth", "can-i", "delete", "statefulsets.apps", "-A"])
            .await
            .ok()
            .trim(),
        "yes"
    );
    let list = lab.kubectl(&["auth", "can-i", "--list"]).await.ok();
    let first: Vec<&str> = list.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(first, ["*.*", "[]", "[]", "[*]"], "{list}");
    assert!(
        list.lines().next().unwrap().starts_with("Resources"),
        "{list}"
    );

    // Paging: kubectl --chunk-size=1 fetches one object per request and prints them all.
    let client = lab.client().await;
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    for i in 0..5 {
        let cm: ConfigMap = serde_json::from_value(
            json!({"metadata": {"name": format!("page-{i}")}, "data": {"i": i.to_string()}}),
        )
        .unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    let out = lab.kubectl(&["get", "cm", "--chunk-size=1", "-v=6"]).await;
    let names: Vec<String> = out
        .ok()
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(
        ["page-0", "page-1", "page-2", "page-3", "page-4"]
            .iter()
            .all(|n| names.iter().any(|p| p == n)),
        "{names:?}"
    );
    let stderr = out.stderr();
    let requests = stderr.matches("configmaps?").count();
    let continued = stderr.matches("configmaps?continue=").count();
    assert!(
        requests >= 5 && continued == requests - 1,
        "one request per object, all but the first continuing:\n{stderr}"
    );

    // kube-rs: limit(2) pages with continue tokens read one snapshot, whatever happens between.
    let first = cms.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let token = first.metadata.continue_.clone().expect("a continue token");
    assert!(first.metadata.remaining_item_count.unwrap() >= 3);
    let late: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "page-9-late"}})).unwrap();
    cms.create(&PostParams::default(), &late).await.unwrap();
    cms.delete("page-4", &Default::default()).await.unwrap();
    let mut seen: Vec<String> = first
        .items
        .iter()
        .map(|c| c.metadata.name.clone().unwrap())
        .collect();
    let mut next = Some(token);
    while let Some(t) = next {
        let page = cms
            .list(&ListParams::default().limit(2).continue_token(&t))
            .await
            .unwrap();
        assert_eq!(
            page.metadata.resource_version,
            first.metadata.resource_version
        );
        seen.extend(page.items.iter().map(|c| c.metadata.name.clone().unwrap()));
        next = page.metadata.continue_.filter(|c| !c.is_empty());
    }
    assert!(
        seen.iter().any(|n| n == "page-4"),
        "deleted after the first page: {seen:?}"
    );
    assert!(
        !seen.iter().any(|n| n == "page-9-late"),
        "created after the first page: {seen:?}"
    );
    let fresh = cms.list(&ListParams::default()).await.unwrap();
    assert!(fresh
        .items
        .iter()
        .any(|c| c.metadata.name.as_deref() == Some("page-9-late")));

    // A malformed token is 400; a well-formed one whose list is not kept is 410 Expired.
    let err = cms
        .list(&ListParams::default().limit(1).continue_token("not-a-token"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 400),
        "{err:?}"
    );
    let stale = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(r#"{"v":"meta.k8s.io/v1","rv":1,"start":"default/page-0\u0000"}"#)
    };
    let err = cms
        .list(&ListParams::default().limit(1).continue_token(&stale))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 410 && s.reason == "Expired"),
        "{err:?}"
    );

    // A watch on one object (GET .../configmaps/NAME?watch=1): only that object's events.
    let watching = {
        let cmd = lab.command(&[
            "get",
            "--raw",
            "/api/v1/namespaces/default/configmaps/page-1?watch=1&timeoutSeconds=4",
        ]);
        tokio::spawn(async move {
            let mut cmd = cmd;
            tokio::time::timeout(testkit::kubectl_async::KUBECTL_TIMEOUT, cmd.output())
                .await
                .unwrap()
                .unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pp = PatchParams::default();
    for name in ["page-1", "page-2"] {
        cms.patch(
            name,
            &pp,
            &Patch::Merge(json!({"data": {"touched": "yes"}})),
        )
        .await
        .unwrap();
    }
    let out = Out(watching.await.unwrap());
    let events: Vec<(String, String)> = out
        .ok()
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("ADDED".to_string(), "page-1".to_string()),
            ("MODIFIED".to_string(), "page-1".to_string())
        ],
        "{}",
        out.stdout()
    );
    // The deprecated /api/v1/watch/... form of the same.
    let out = lab
        .kubectl(&[
            "get",
            "--raw",
            "/api/v1/watch/namespaces/default/configmaps/page-2?timeoutSeconds=1",
        ])
        .await
        .ok();
    let e: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(
        (e["type"].as_str(), e["object"]["data"]["touched"].as_str()),
        (Some("ADDED"), Some("yes"))
    );

    lab.running.stop().await.unwrap();
}
