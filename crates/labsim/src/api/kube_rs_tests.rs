//! exec and port-forward driven by kube-rs (one of labsim's judges) against a real kubelet
//! and a real `mariadbd`, through a tiny in-process axum server that routes only these
//! subresources to the real handlers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::App;
use crate::kubelet::fixtures::{alive, mysql_pod, pid_of, ready, sql, until, Node};
use crate::resources::get;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_and_portforward_with_kube_rs() {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, AttachParams};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let node = Node::new();
    let (state, store) = (node.state(), node.store.clone());
    let (k, kubelet) = node.run_kubelet();
    let mut p = mysql_pod(
        "mysql-0",
        "minikube",
        "mysql:8.4.3",
        json!([{"name": "MYSQL_ROOT_PASSWORD", "value": "pw"}]),
        json!({}),
    );
    p["spec"]["volumes"][0] = json!({"name": "data", "emptyDir": {}});
    store.create(get("Pod"), Some("default"), p).unwrap();
    until(&store, "mysql-0", 90, "Ready", ready).await;

    let app = App {
        store: store.clone(),
        kubelet: k.clone(),
        token: "t".into(),
        state_dir: Arc::new(state.clone()),
    };
    let router = axum::Router::new()
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}/exec",
            axum::routing::any(crate::api::exec::exec),
        )
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}/portforward",
            axum::routing::any(crate::api::portforward::portforward),
        )
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client =
        kube::Client::try_from(kube::Config::new(format!("http://{addr}").parse().unwrap()))
            .unwrap();
    let pods: Api<Pod> = Api::namespaced(client, "default");

    async fn run(pods: &Api<Pod>, cmd: &[&str]) -> (String, String, Option<String>) {
        let mut ap = pods
            .exec("mysql-0", cmd.to_vec(), &AttachParams::default())
            .await
            .unwrap();
        let (mut o, mut e) = (String::new(), String::new());
        let mut so = ap.stdout().unwrap();
        let mut se = ap.stderr().unwrap();
        let status = ap.take_status().unwrap();
        let (_, _, st) = tokio::join!(so.read_to_string(&mut o), se.read_to_string(&mut e), status);
        let code = st.and_then(|s| s.details?.causes?.first()?.message.clone());
        (o, e, code)
    }
    assert_eq!(
        run(&pods, &["hostname"]).await,
        ("mysql-0\n".into(), String::new(), None)
    );
    let (o, _, code) = run(
        &pods,
        &["mysql", "-uroot", "-ppw", "-N", "-e", "SHOW DATABASES"],
    )
    .await;
    assert_eq!(
        (o.as_str(), code),
        ("information_schema\nmysql\nperformance_schema\nsys\n", None)
    );
    let (_, e, code) = run(&pods, &["sh", "-c", "mysql -uroot -pwrong -e 'SELECT 1'"]).await;
    assert!(e.contains("Access denied"), "{e}");
    assert_eq!(code.as_deref(), Some("1"));
    // A real shell in the container: arithmetic, command substitution, exit codes.
    let (o, _, code) = run(&pods, &["bash", "-c", "echo $((6*7)) `hostname`; exit 3"]).await;
    assert_eq!((o.as_str(), code.as_deref()), ("42 mysql-0\n", Some("3")));
    let (o, _, _) = run(&pods, &["ls", "/var/lib/mysql"]).await;
    assert!(o.lines().any(|l| l == "mysql"), "{o}");
    assert!(pods
        .exec("nope", vec!["hostname"], &AttachParams::default())
        .await
        .is_err());

    // The seed's `kubectl exec -it mysql-0 -- mysql -u root -p` on a real pty.
    let mut ap = pods
        .exec(
            "mysql-0",
            vec!["mysql", "-u", "root", "-p"],
            &AttachParams::interactive_tty(),
        )
        .await
        .unwrap();
    let mut stdin = ap.stdin().unwrap();
    let mut stdout = ap.stdout().unwrap();
    let status = ap.take_status().unwrap();
    let mut seen = String::new();
    async fn read_until(out: &mut (impl AsyncReadExt + Unpin), seen: &mut String, want: &str) {
        let mut buf = [0u8; 4096];
        let fut = async {
            while !seen.contains(want) {
                let n = out.read(&mut buf).await.unwrap();
                assert!(n > 0, "eof before {want:?}: {seen}");
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        };
        tokio::time::timeout(Duration::from_secs(20), fut)
            .await
            .unwrap_or_else(|_| panic!("no {want:?} in {seen:?}"));
    }
    read_until(&mut stdout, &mut seen, "Enter password:").await;
    stdin.write_all(b"pw\n").await.unwrap();
    // A mysql:* image: MySQL's prompt, not MariaDB's `MariaDB [(none)]>`.
    read_until(&mut stdout, &mut seen, "mysql> ").await;
    assert!(!seen.contains("]>"), "{seen}");
    stdin.write_all(b"SHOW DATABASES;\n").await.unwrap();
    read_until(&mut stdout, &mut seen, "| performance_schema |").await;
    stdin.write_all(b"exit\n").await.unwrap();
    let st = tokio::time::timeout(Duration::from_secs(20), status)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st.status.as_deref(), Some("Success"));
    assert!(!seen.contains("pw\r\n"), "the password must not echo");

    // port-forward 3306 → the pod's server, used by a real MySQL client.
    let mut fwd = pods.portforward("mysql-0", &[3306]).await.unwrap();
    let mut stream = fwd.take_stream(3306).unwrap();
    let local = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lport = local.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = local.accept().await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut s, &mut stream).await;
    });
    assert_eq!(
        sql(lport, "pw", "SELECT @@hostname IS NOT NULL")
            .await
            .unwrap(),
        ["1"]
    );

    // A pod removed from the store outright (force delete) has its server stopped.
    let pid = pid_of(&k, "mysql-0");
    store
        .remove(get("Pod"), Some("default"), "mysql-0")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while alive(pid) || k.runtime("default", "mysql-0").is_some() {
        assert!(
            Instant::now() < deadline,
            "server of a removed pod still running"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    kubelet.stop(40).await;
}
