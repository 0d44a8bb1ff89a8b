//! Real-process tests of the kubelet: pods placed directly in a tempdir store (as if the
//! StatefulSet controller and scheduler had made them), each served by a real `mariadbd`.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde_json::{json, Value};

use super::Kubelet;
use crate::resources::get;
use crate::shutdown;
use crate::store::Store;

fn secret(store: &Store, password: &str) {
    let rt = get("Secret");
    let _ = store.remove(rt, Some("default"), "mysql-secret");
    store
        .create(
            rt,
            Some("default"),
            json!({"metadata": {"name": "mysql-secret"}, "stringData": {"password": password}}),
        )
        .unwrap();
}

/// A bound PVC `data-<pod>` with its PV under `<state>/volumes/`.
fn volume(store: &Store, state: &Path, pod: &str) {
    let pv = format!("pvc-{pod}");
    store
        .create(get("PersistentVolume"), None, json!({"metadata": {"name": pv}, "spec": {"hostPath": {"path": state.join("volumes").join(&pv)}}}))
        .unwrap();
    store
        .create(
            get("PersistentVolumeClaim"),
            Some("default"),
            json!({"metadata": {"name": format!("data-{pod}")}, "spec": {"volumeName": pv}, "status": {"phase": "Bound"}}),
        )
        .unwrap();
}

fn mysql_pod(name: &str, node: &str, image: &str, env: Value, probes: Value) -> Value {
    let mut c = json!({"name": "mysql", "image": image, "env": env,
        "ports": [{"name": "mysql", "containerPort": 3306}],
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/mysql"}]});
    for (k, v) in probes.as_object().into_iter().flatten() {
        c[k] = v.clone();
    }
    json!({"metadata": {"name": name, "namespace": "default", "labels": {"app": "mysql"}},
        "spec": {"nodeName": node, "containers": [c],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": format!("data-{name}")}}]}})
}

fn secret_env() -> Value {
    json!([{"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "password"}}}])
}

fn readiness() -> Value {
    json!({"readinessProbe": {"exec": {"command": ["sh", "-c", "mysqladmin ping -h 127.0.0.1 -uroot -p\"${MYSQL_ROOT_PASSWORD}\""]},
        "periodSeconds": 1, "timeoutSeconds": 5, "failureThreshold": 30}})
}

fn pod(store: &Store, name: &str) -> Option<Value> {
    store.get(get("Pod"), Some("default"), name).ok()
}

/// Polls until `f` holds on the pod (or panics after `secs`, showing the status).
async fn until(
    store: &Store,
    name: &str,
    secs: u64,
    what: &str,
    f: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(p) = pod(store, name) {
            if f(&p) {
                return p;
            }
            if Instant::now() > deadline {
                panic!("timeout waiting for {what}: {:#}", p["status"]);
            }
        } else if Instant::now() > deadline {
            panic!("timeout waiting for {what}: pod gone");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ready(p: &Value) -> bool {
    p["status"]["containerStatuses"][0]["ready"] == true
}

fn cs(p: &Value) -> &Value {
    &p["status"]["containerStatuses"][0]
}

async fn sql(port: u16, password: &str, q: &str) -> Result<Vec<String>, mysql_async::Error> {
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(port)
        .user(Some("root"))
        .pass(Some(password));
    let mut c = mysql_async::Conn::new(opts).await?;
    let rows: Vec<String> = c.query(q).await?;
    c.disconnect().await?;
    Ok(rows)
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z")
}

fn pid_of(k: &Kubelet, name: &str) -> i32 {
    let rt = k.runtime("default", name).expect("running");
    std::fs::read_to_string(rt.root_dir.join("mysqld.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_pod_lifecycle_with_real_mariadbd() {
    let t = tempfile::tempdir().unwrap();
    let state = t.path().to_path_buf();
    let store = Arc::new(Store::open(&state.join("store")).unwrap());
    secret(&store, "password");
    volume(&store, &state, "mysql-0");
    let k = Kubelet::new(store.clone(), state.clone());
    let (trigger, sd) = shutdown::channel();
    let task = tokio::spawn(k.clone().run(sd));
    store
        .create(
            get("Pod"),
            Some("default"),
            mysql_pod(
                "mysql-0",
                "minikube-m02",
                "mysql:8.4.3",
                secret_env(),
                readiness(),
            ),
        )
        .unwrap();

    let p = until(&store, "mysql-0", 10, "ContainerCreating or Running", |p| {
        !p["status"].is_null()
    })
    .await;
    assert!(["Pending", "Running"].contains(&p["status"]["phase"].as_str().unwrap()));
    let started = Instant::now();
    let p = until(&store, "mysql-0", 90, "Ready", ready).await;
    eprintln!(
        "first start (install + init) ready after {:?}",
        started.elapsed()
    );
    assert_eq!(p["status"]["phase"], "Running");
    assert!(p["status"]["podIP"]
        .as_str()
        .unwrap()
        .starts_with("10.244.1."));
    assert_eq!(p["status"]["hostIP"], "192.168.49.3");
    assert!(cs(&p)["containerID"]
        .as_str()
        .unwrap()
        .starts_with("docker://"));
    assert_eq!(cs(&p)["restartCount"], 0);
    let port = k.runtime("default", "mysql-0").unwrap().mysql_port;
    let dbs = sql(port, "password", "SHOW DATABASES").await.unwrap();
    assert_eq!(
        dbs,
        ["information_schema", "mysql", "performance_schema", "sys"]
    );
    let users = sql(
        port,
        "password",
        "SELECT CONCAT(user,'@',host) FROM mysql.user ORDER BY 1",
    )
    .await
    .unwrap();
    assert_eq!(users, ["mariadb.sys@localhost", "root@%", "root@localhost"]);
    sql(port, "password", "CREATE DATABASE testdb")
        .await
        .unwrap();
    sql(
        port,
        "password",
        "CREATE TABLE testdb.users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255))",
    )
    .await
    .unwrap();
    sql(
        port,
        "password",
        "INSERT INTO testdb.users (name) VALUES ('Alice'), ('Bob')",
    )
    .await
    .unwrap();
    assert!(!state
        .join("pods")
        .read_dir()
        .unwrap()
        .flatten()
        .any(|d| d.path().join("init.sql").exists()));
    let rss: u64 = std::fs::read_to_string(format!("/proc/{}/status", pid_of(&k, "mysql-0")))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("VmRSS:")
                .map(|v| v.trim().trim_end_matches(" kB").parse().unwrap())
        })
        .unwrap();
    eprintln!("mariadbd RSS {} MB", rss / 1024);
    assert!(rss < 120 * 1024, "RSS {rss} kB");

    // kill -9: restarted, counted, lastState recorded, data intact.
    let old_id = cs(&p)["containerID"].clone();
    let pid = pid_of(&k, "mysql-0");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let p = until(&store, "mysql-0", 60, "restart", |p| {
        cs(p)["restartCount"] == 1 && ready(p)
    })
    .await;
    assert_eq!(cs(&p)["lastState"]["terminated"]["exitCode"], 137);
    assert_eq!(cs(&p)["lastState"]["terminated"]["reason"], "Error");
    assert_ne!(cs(&p)["containerID"], old_id);
    let port2 = k.runtime("default", "mysql-0").unwrap().mysql_port;
    assert_eq!(
        sql(
            port2,
            "password",
            "SELECT name FROM testdb.users ORDER BY id"
        )
        .await
        .unwrap(),
        ["Alice", "Bob"]
    );

    // Graceful deletion: SIGTERM, clean stop, the object removed by uid.
    let pid = pid_of(&k, "mysql-0");
    let uid = p["metadata"]["uid"].as_str().unwrap().to_string();
    store
        .delete(get("Pod"), Some("default"), "mysql-0", Some(30))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while pod(&store, "mysql-0").is_some() {
        assert!(Instant::now() < deadline, "pod not removed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive(pid), "mariadbd still running after deletion");
    assert!(!state
        .join("pods")
        .join(format!("default_mysql-0_{uid}"))
        .exists());
    let reasons: Vec<String> = store
        .list(get("Event"), Some("default"))
        .0
        .iter()
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect();
    for r in ["Pulled", "Created", "Started", "Killing"] {
        assert!(
            reasons.iter().any(|x| x == r),
            "event {r} missing: {reasons:?}"
        );
    }

    // The re-created namesake finds the data and the ORIGINAL password (a Secret change does not
    // re-initialise the data dir, as in reality).
    secret(&store, "changed");
    store
        .create(
            get("Pod"),
            Some("default"),
            mysql_pod(
                "mysql-0",
                "minikube",
                "mysql:8.4.3",
                secret_env(),
                json!({}),
            ),
        )
        .unwrap();
    let p = until(&store, "mysql-0", 60, "re-created Ready", ready).await;
    assert!(p["status"]["podIP"]
        .as_str()
        .unwrap()
        .starts_with("10.244.0."));
    let port3 = k.runtime("default", "mysql-0").unwrap().mysql_port;
    assert_eq!(
        sql(
            port3,
            "password",
            "SELECT name FROM testdb.users ORDER BY id"
        )
        .await
        .unwrap(),
        ["Alice", "Bob"]
    );
    assert!(sql(port3, "changed", "SELECT 1").await.is_err());

    // Shutdown stops the server cleanly.
    let pid = pid_of(&k, "mysql-0");
    let log = k.runtime("default", "mysql-0").unwrap().log_path;
    trigger.fire();
    tokio::time::timeout(Duration::from_secs(40), task)
        .await
        .unwrap()
        .unwrap();
    assert!(!alive(pid));
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("Shutdown complete"), "{log}");
    assert!(!log.contains("password'"), "log must not hold the password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_password_crash_loops_and_other_images_fail_to_pull() {
    let t = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&t.path().join("store")).unwrap());
    let k = Kubelet::new(store.clone(), t.path().to_path_buf());
    let (trigger, sd) = shutdown::channel();
    let task = tokio::spawn(k.clone().run(sd));
    let mut p = mysql_pod("nopw", "minikube", "mariadb:11", json!([]), json!({}));
    p["spec"]["volumes"][0] = json!({"name": "data", "emptyDir": {}});
    store.create(get("Pod"), Some("default"), p).unwrap();
    store
        .create(
            get("Pod"),
            Some("default"),
            mysql_pod("web", "minikube-m03", "nginx:1.27", json!([]), json!({})),
        )
        .unwrap();
    let mut p = mysql_pod("nosecret", "minikube", "mysql:8.4", secret_env(), json!({}));
    p["spec"]["volumes"][0] = json!({"name": "data", "emptyDir": {}});
    store.create(get("Pod"), Some("default"), p).unwrap();
    let unbound = mysql_pod("unbound", "minikube", "mysql:8.4", secret_env(), json!({}));
    store.create(get("Pod"), Some("default"), unbound).unwrap();

    let p = until(&store, "nopw", 30, "CrashLoopBackOff", |p| {
        cs(p)["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    })
    .await;
    assert!(cs(&p)["restartCount"].as_u64().unwrap() >= 1);
    assert_eq!(p["status"]["phase"], "Running");
    assert_eq!(cs(&p)["lastState"]["terminated"]["exitCode"], 1);
    let (log, _) = k.log_paths(&p);
    assert!(std::fs::read_to_string(log)
        .unwrap()
        .contains("password option is not specified"));

    until(&store, "web", 10, "ErrImagePull", |p| {
        cs(p)["state"]["waiting"]["reason"] == "ErrImagePull"
    })
    .await;
    let p = until(&store, "web", 10, "ImagePullBackOff", |p| {
        cs(p)["state"]["waiting"]["reason"] == "ImagePullBackOff"
    })
    .await;
    assert!(cs(&p)["state"]["waiting"]["message"]
        .as_str()
        .unwrap()
        .contains("nginx:1.27"));
    assert_eq!(p["status"]["phase"], "Pending");
    assert!(p["status"]["podIP"]
        .as_str()
        .unwrap()
        .starts_with("10.244.2."));

    let p = until(&store, "nosecret", 10, "CreateContainerConfigError", |p| {
        cs(p)["state"]["waiting"]["reason"] == "CreateContainerConfigError"
    })
    .await;
    assert_eq!(
        cs(&p)["state"]["waiting"]["message"],
        "secret \"mysql-secret\" not found"
    );
    let p = until(&store, "unbound", 10, "ContainerCreating", |p| {
        cs(p)["state"]["waiting"]["reason"] == "ContainerCreating"
    })
    .await;
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(p["status"]["conditions"][2]["type"], "Ready");
    assert_eq!(p["status"]["conditions"][2]["status"], "False");

    let evs = store.list(get("Event"), Some("default")).0;
    assert!(evs
        .iter()
        .any(|e| e["reason"] == "BackOff" && e["involvedObject"]["name"] == "web"));
    assert!(evs
        .iter()
        .any(|e| e["reason"] == "Failed" && e["involvedObject"]["name"] == "web"));
    assert!(evs
        .iter()
        .any(|e| e["reason"] == "BackOff" && e["involvedObject"]["name"] == "nopw"));

    // A pod removed from the store at once (force delete) leaves no worker behind.
    store.remove(get("Pod"), Some("default"), "web").unwrap();
    trigger.fire();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_failure_restarts_and_orphans_are_reaped_after_a_crash() {
    let t = tempfile::tempdir().unwrap();
    let state = t.path().to_path_buf();
    let store = Arc::new(Store::open(&state.join("store")).unwrap());
    secret(&store, "pw");
    volume(&store, &state, "live");
    // tcpSocket on a port the pod does not serve: liveness fails, the kubelet restarts it.
    let probes = json!({"livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 1, "periodSeconds": 1, "failureThreshold": 2}});
    store
        .create(
            get("Pod"),
            Some("default"),
            mysql_pod("live", "minikube", "mysql:8.4", secret_env(), probes),
        )
        .unwrap();

    // A labsim that dies abruptly: its runtime is dropped without stopping anything.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let k1 = Kubelet::new(store.clone(), state.clone());
    let (_t1, sd1) = shutdown::channel();
    rt.spawn(k1.clone().run(sd1));
    let p = until(&store, "live", 90, "restart after liveness failure", |p| {
        cs(p)["restartCount"].as_u64() >= Some(1) && cs(p)["state"]["running"].is_object()
    })
    .await;
    let evs = store.list(get("Event"), Some("default")).0;
    assert!(evs.iter().any(|e| e["reason"] == "Unhealthy"
        && e["message"]
            .as_str()
            .unwrap()
            .starts_with("Liveness probe failed")));
    assert!(evs.iter().any(|e| e["reason"] == "Killing"
        && e["message"]
            .as_str()
            .unwrap()
            .contains("failed liveness probe")));
    let orphan = pid_of(&k1, "live");
    let restarts = cs(&p)["restartCount"].as_u64().unwrap();
    rt.shutdown_background();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        alive(orphan),
        "the orphan must survive its labsim for this test"
    );

    // The next labsim stops the orphan and brings the pod back with a new container.
    store
        .modify(get("Pod"), Some("default"), "live", |p| {
            p["spec"]["containers"][0]
                .as_object_mut()
                .unwrap()
                .remove("livenessProbe");
        })
        .unwrap();
    let k2 = Kubelet::new(store.clone(), state.clone());
    let (t2, sd2) = shutdown::channel();
    let task = tokio::spawn(k2.clone().run(sd2));
    let p = until(&store, "live", 60, "back after crash", |p| {
        ready(p) && k2.runtime("default", "live").is_some()
    })
    .await;
    assert!(!alive(orphan), "orphaned mariadbd still alive");
    assert!(cs(&p)["restartCount"].as_u64().unwrap() >= restarts);
    let port = k2.runtime("default", "live").unwrap().mysql_port;
    assert_eq!(sql(port, "pw", "SELECT 1").await.unwrap(), ["1"]);
    t2.fire();
    tokio::time::timeout(Duration::from_secs(40), task)
        .await
        .unwrap()
        .unwrap();
}
