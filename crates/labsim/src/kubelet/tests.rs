//! Real-process tests of the kubelet: pods placed directly in a tempdir store (as if the
//! StatefulSet controller and scheduler had made them), each container a real sandboxed
//! process (a `mysql:*` pod's a real `mariadbd` behind the image's entrypoint).

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::fixtures::*;
use super::Kubelet;
use crate::resources::get;
use crate::shutdown;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statefulset_pod_lifecycle_with_real_mariadbd() {
    let node = Node::with_volume_of("mysql-0", "password");
    let (state, store) = (node.state(), node.store.clone());
    let (k, kubelet) = node.run_kubelet();
    create_pod(
        &store,
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
    if cs(&p)["restartCount"] != 0 {
        let (_, prev) = k.log_paths(&p);
        eprintln!("{}", std::fs::read_to_string(prev).unwrap_or_default());
    }
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
    // The entrypoint's lines as docker-library/mysql's 8.4/docker-entrypoint.sh prints them
    // (its mysql_note calls, in that order), no invented ones, and no host path.
    let (log, _) = k.log_paths(&p);
    let log = std::fs::read_to_string(log).unwrap();
    let mut at = 0;
    for line in [
        "[Note] [Entrypoint]: Entrypoint script for MySQL Server 8.4.3 started.",
        "[Note] [Entrypoint]: Switching to dedicated user 'mysql'",
        "[Note] [Entrypoint]: Entrypoint script for MySQL Server 8.4.3 started.",
        "[Note] [Entrypoint]: Initializing database files",
        "[Note] [Entrypoint]: Database files initialized",
        "[Note] [Entrypoint]: Starting temporary server",
        "[Note] [Entrypoint]: Temporary server started.",
        "[Note] [Entrypoint]: Stopping temporary server",
        "[Note] [Entrypoint]: Temporary server stopped",
        "[Note] [Entrypoint]: MySQL init process done. Ready for start up.",
    ] {
        let found = log[at..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing after byte {at}:\n{log}"));
        at += found + line.len();
    }
    assert!(!log.contains("Database files found"), "{log}");
    assert!(
        !log.contains(&*state.to_string_lossy()),
        "host path in the pod log:\n{log}"
    );
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
    let events = store.list(get("Event"), Some("default")).0;
    let reasons: Vec<String> = events
        .iter()
        .map(|e| e["reason"].as_str().unwrap().to_string())
        .collect();
    for r in ["Pulled", "Created", "Started", "Killing"] {
        assert!(
            reasons.iter().any(|x| x == r),
            "event {r} missing: {reasons:?}"
        );
    }
    // `Created container: NAME` with a colon since 1.32 (pkg/kubelet/kuberuntime/
    // kuberuntime_container.go `startContainer`); `Started container NAME` has none.
    let messages: Vec<&str> = events
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    for m in ["Created container: mysql", "Started container mysql"] {
        assert!(messages.contains(&m), "event {m:?} missing: {messages:?}");
    }

    // The re-created namesake finds the data and the ORIGINAL password (a Secret change does not
    // re-initialise the data dir, as in reality).
    secret(&store, "changed");
    create_pod(
        &store,
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
    kubelet.stop(40).await;
    assert!(!alive(pid));
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("Shutdown complete"), "{log}");
    // An initialised data directory starts without the init steps.
    assert!(!log.contains("Initializing database files"), "{log}");
    assert!(!log.contains("password'"), "log must not hold the password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_password_crash_loops_and_other_images_fail_to_pull() {
    let node = Node::new();
    let store = node.store.clone();
    let (k, kubelet) = node.run_kubelet();
    let mut p = mysql_pod("nopw", "minikube", "mariadb:11", json!([]), json!({}));
    p["spec"]["volumes"][0] = json!({"name": "data", "emptyDir": {}});
    create_pod(&store, p).unwrap();
    create_pod(
        &store,
        mysql_pod("web", "minikube-m03", "nginx:1.27", json!([]), json!({})),
    )
    .unwrap();
    let mut p = mysql_pod("nosecret", "minikube", "mysql:8.4", secret_env(), json!({}));
    p["spec"]["volumes"][0] = json!({"name": "data", "emptyDir": {}});
    create_pod(&store, p).unwrap();
    let unbound = mysql_pod("unbound", "minikube", "mysql:8.4", secret_env(), json!({}));
    create_pod(&store, unbound).unwrap();

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
    // The waiting message carries the last pull error (kubelet pkg/kubelet/images/
    // image_manager.go `pullImage` from 1.32, CHANGELOG-1.32 #127918).
    assert_eq!(
        cs(&p)["state"]["waiting"]["message"],
        format!(
            "Back-off pulling image \"nginx:1.27\": ErrImagePull: {}",
            crate::kubelet::sandbox::image::unsupported_message("nginx:1.27")
        )
    );
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
    kubelet.stop(30).await;
}

/// Init containers whose image labsim cannot run, or that run the database server, never
/// complete; the container waits (PodInitializing) and the pod stays Pending. `sh -c` init
/// commands see the container's own env (`$(VAR)` and `$VAR`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_containers_block_the_container_until_they_complete() {
    let node = Node::new();
    let store = node.store.clone();
    let (k, kubelet) = node.run_kubelet();
    let pod_with = |name: &str, init: Value| {
        let mut p = mysql_pod(
            name,
            "minikube",
            "mysql:8.4",
            json!([{"name": "MYSQL_ROOT_PASSWORD", "value": "pw"}]),
            json!({}),
        );
        p["spec"]["volumes"][0] = json!({"name": "data", "emptyDir": {}});
        p["spec"]["initContainers"] = init;
        p
    };
    for p in [
        pod_with(
            "nginx-init",
            json!([{"name": "fetch", "image": "nginx:1.27", "command": ["true"]}]),
        ),
        pod_with(
            "server-init",
            json!([{"name": "db", "image": "mysql:8.4", "args": ["--skip-log-bin"]}]),
        ),
        {
            let mut p = pod_with(
                "never-init",
                json!([{"name": "fail", "image": "mysql:8.4", "command": ["sh", "-c", "exit 3"]}]),
            );
            p["spec"]["restartPolicy"] = json!("Never");
            p
        },
        pod_with(
            "env-init",
            json!([{"name": "greet", "image": "mysql:8.4", "env": [{"name": "WHO", "value": "init"}],
                "command": ["sh", "-c", "echo \"$(WHO) $WHO\" && exit 0"]}]),
        ),
    ] {
        create_pod(&store, p).unwrap();
    }
    let ic = |p: &Value| p["status"]["initContainerStatuses"][0].clone();
    let p = until(&store, "nginx-init", 15, "Init ImagePullBackOff", |p| {
        ic(p)["state"]["waiting"]["reason"] == "ImagePullBackOff"
    })
    .await;
    assert_eq!(p["status"]["phase"], "Pending");
    assert_eq!(cs(&p)["state"]["waiting"]["reason"], "PodInitializing");
    // The pull events name the init container, not the pod's first container.
    let evs = store.list(get("Event"), Some("default")).0;
    let pulls: Vec<&Value> = evs
        .iter()
        .filter(|e| {
            e["involvedObject"]["name"] == "nginx-init"
                && ["Pulling", "Failed", "BackOff"].contains(&e["reason"].as_str().unwrap_or(""))
        })
        .collect();
    assert!(!pulls.is_empty());
    for e in pulls {
        assert_eq!(
            e["involvedObject"]["fieldPath"], "spec.initContainers{fetch}",
            "{e}"
        );
    }
    assert_eq!(p["status"]["conditions"][1]["type"], "Initialized");
    assert_eq!(p["status"]["conditions"][1]["status"], "False");

    // The server as an init container runs (and never completes), as on a real node.
    let p = until(&store, "server-init", 60, "Init running", |p| {
        ic(p)["state"]["running"].is_object()
    })
    .await;
    assert_eq!(p["status"]["phase"], "Pending");
    let (_, log, _, _) = k.container_logs(&p, Some("db")).unwrap();
    until(&store, "server-init", 60, "the init server's log", |_| {
        std::fs::read_to_string(&log)
            .is_ok_and(|l| l.contains("Entrypoint script for MySQL Server"))
    })
    .await;
    assert!(k.container_logs(&p, Some("nope")).is_none());

    let p = until(&store, "never-init", 15, "Failed", |p| {
        p["status"]["phase"] == "Failed"
    })
    .await;
    assert_eq!(ic(&p)["state"]["terminated"]["exitCode"], 3);
    assert_eq!(ic(&p)["restartCount"], 0);
    assert_eq!(cs(&p)["state"]["waiting"]["reason"], "PodInitializing");

    let p = until(&store, "env-init", 60, "container ready after init", ready).await;
    assert_eq!(ic(&p)["state"]["terminated"]["reason"], "Completed");
    assert_eq!(p["status"]["phase"], "Running");
    let (_, log, _, _) = k.container_logs(&p, Some("greet")).unwrap();
    assert_eq!(std::fs::read_to_string(log).unwrap(), "init init\n");

    kubelet.stop(30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_failure_restarts_the_container() {
    let node = Node::new();
    let store = node.store.clone();
    // tcpSocket on a port the pod does not serve: liveness fails, the kubelet restarts it. The
    // delay lets the entrypoint finish first: during the first start its bash is PID 1 and,
    // as in the real image, ignores SIGTERM (the kill would then be SIGKILL, 137).
    let probes = json!({"livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 1, "failureThreshold": 2}});
    let mut p = mysql_pod(
        "live",
        "minikube",
        "mysql:8.4",
        json!([{"name": "MYSQL_ALLOW_EMPTY_PASSWORD", "value": "yes"}]),
        probes,
    );
    p["spec"]["volumes"][0] = json!({"name": "data", "emptyDir": {}});
    create_pod(&store, p).unwrap();
    let (_, kubelet) = node.run_kubelet();
    let p = until(&store, "live", 90, "restart after liveness failure", |p| {
        cs(p)["restartCount"].as_u64() >= Some(1) && cs(p)["state"]["running"].is_object()
    })
    .await;
    // SIGTERM on a liveness kill: mariadbd shuts down cleanly and exits 0.
    assert_eq!(
        cs(&p)["lastState"]["terminated"]["exitCode"],
        0,
        "{:#}",
        p["status"]
    );
    let evs = store.list(get("Event"), Some("default")).0;
    let has = |reason: &str, text: &str| {
        evs.iter()
            .any(|e| e["reason"] == reason && e["message"].as_str().unwrap().contains(text))
    };
    assert!(has("Unhealthy", "Liveness probe failed"));
    assert!(has("Killing", "failed liveness probe, will be restarted"));
    kubelet.stop(40).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_are_reaped_after_a_crash_and_pods_come_back() {
    let node = Node::with_volume_of("orph", "pw");
    let (state, store) = (node.state(), node.store.clone());
    create_pod(
        &store,
        mysql_pod("orph", "minikube", "mysql:8.4", secret_env(), json!({})),
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
    let p = until(&store, "orph", 90, "Ready", ready).await;
    let orphan = pid_of(&k1, "orph");
    let old_id = cs(&p)["containerID"].clone();
    rt.shutdown_background();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        alive(orphan),
        "the orphan must survive its labsim for this test"
    );

    // The next labsim stops the orphan and brings the pod back with a new container.
    let (k2, kubelet) = node.run_kubelet();
    let p = until(&store, "orph", 60, "back after crash", |p| {
        ready(p) && k2.runtime("default", "orph").is_some()
    })
    .await;
    assert!(!alive(orphan), "orphaned sandbox still alive");
    assert_ne!(cs(&p)["containerID"], old_id);
    assert_eq!(cs(&p)["restartCount"], 0);
    let port = k2.runtime("default", "orph").unwrap().mysql_port;
    assert_eq!(sql(port, "pw", "SELECT 1").await.unwrap(), ["1"]);
    kubelet.stop(40).await;
}

/// The seed's manifest (manifests/1-sts-mysql.yaml): its Secret and pod template, as the
/// StatefulSet controller would stamp out mysql-0, become Ready with the manifest's own probe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_manifest_pod_template_becomes_ready() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../manifests/1-sts-mysql.yaml"
    ))
    .unwrap();
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let secret_doc = docs.iter().find(|d| d["kind"] == "Secret").unwrap().clone();
    let sts = docs.iter().find(|d| d["kind"] == "StatefulSet").unwrap();
    let node = Node::new();
    let (state, store) = (node.state(), node.store.clone());
    store
        .create(get("Secret"), Some("default"), secret_doc)
        .unwrap();
    volume(&store, &state, "mysql-0");
    let mut pod = sts["spec"]["template"].clone();
    pod["metadata"]["name"] = json!("mysql-0");
    pod["spec"]["nodeName"] = json!("minikube");
    pod["spec"]["volumes"] =
        json!([{"name": "data", "persistentVolumeClaim": {"claimName": "data-mysql-0"}}]);
    create_pod(&store, pod).unwrap();
    let (k, kubelet) = node.run_kubelet();
    let started = Instant::now();
    let p = until(
        &store,
        "mysql-0",
        60,
        "Ready by the manifest's readiness probe",
        ready,
    )
    .await;
    eprintln!("seed pod Ready after {:?}", started.elapsed());
    assert_eq!(cs(&p)["image"], "mysql:8.4.3");
    let port = k.runtime("default", "mysql-0").unwrap().mysql_port;
    assert_eq!(
        sql(port, "password", "SHOW DATABASES").await.unwrap().len(),
        4
    );
    assert_eq!(p["status"]["conditions"][2]["status"], "True");
    kubelet.stop(40).await;
}
