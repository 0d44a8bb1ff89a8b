//! Fixtures for tests that run pods on a real kubelet: pods placed directly in a tempdir store
//! (as if the StatefulSet controller and scheduler had made them), waiting on their status, and
//! a reaper so a failing test leaves no `mariadbd` behind. Used by the kubelet's tests and by
//! the API's exec/port-forward tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use serde_json::{json, Value};

use super::Kubelet;
use crate::resources::get;
use crate::shutdown::{self, Trigger};
use crate::store::Store;

/// Kills every sandbox of a test's state dir when the test ends, passed or panicked, so a
/// failing test leaves no process behind.
pub(crate) struct Reaper(pub(crate) std::path::PathBuf);

impl Drop for Reaper {
    fn drop(&mut self) {
        let Ok(rd) = std::fs::read_dir(self.0.join("pods")) else {
            return;
        };
        for e in rd.flatten() {
            for pid in super::sandbox_pids(&e.path()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

pub(crate) fn secret(store: &Store, password: &str) {
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
pub(crate) fn volume(store: &Store, state: &Path, pod: &str) {
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

pub(crate) fn mysql_pod(name: &str, node: &str, image: &str, env: Value, probes: Value) -> Value {
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

pub(crate) fn secret_env() -> Value {
    json!([{"name": "MYSQL_ROOT_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mysql-secret", "key": "password"}}}])
}

pub(crate) fn readiness() -> Value {
    json!({"readinessProbe": {"exec": {"command": ["sh", "-c", "mysqladmin ping -h 127.0.0.1 -uroot -p\"${MYSQL_ROOT_PASSWORD}\""]},
        "periodSeconds": 1, "timeoutSeconds": 5, "failureThreshold": 30}})
}

pub(crate) fn pod(store: &Store, name: &str) -> Option<Value> {
    store.get(get("Pod"), Some("default"), name).ok()
}

/// Creates `pod` in `default`.
pub(crate) fn create_pod(store: &Store, pod: Value) -> Result<Value, crate::api_error::ApiError> {
    store.create(get("Pod"), Some("default"), pod)
}

/// Polls until `f` holds on the pod (or panics after `secs`, showing the status).
pub(crate) async fn until(
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

pub(crate) fn ready(p: &Value) -> bool {
    p["status"]["containerStatuses"][0]["ready"] == true
}

pub(crate) fn cs(p: &Value) -> &Value {
    &p["status"]["containerStatuses"][0]
}

pub(crate) async fn sql(
    port: u16,
    password: &str,
    q: &str,
) -> Result<Vec<String>, mysql_async::Error> {
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

pub(crate) fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z")
}

/// Host PID of the running container's PID 1 (the database server in a `mysql:*` pod).
pub(crate) fn pid_of(k: &Kubelet, name: &str) -> i32 {
    k.runtime("default", name).expect("running").pid
}

/// The runtime of a pod `mysql-0` in `default` whose server listens on loopback `port`, with no
/// container and no kubelet behind it (tcpSocket and httpGet probes in isolation).
pub(crate) fn runtime(port: u16) -> super::PodRuntime {
    super::PodRuntime {
        container: "mysql".into(),
        mysql_port: port,
        log_path: "/nonexistent/log".into(),
        env: vec![],
        workdir: "/".into(),
        pid: 0,
        root_dir: "/nonexistent".into(),
        hostname: "mysql-0".into(),
        pod_ip: "10.244.0.2".into(),
        namespace: "default".into(),
        name: "mysql-0".into(),
        kubelet: std::sync::Weak::new(),
        pod_net: None,
    }
}

/// A pod of the StatefulSet `mysql` (subdomain `mysql`) as the pod network sees it.
pub(crate) fn set_member(name: &str, ip: &str, port: Option<u16>) -> super::dns::Pod {
    super::dns::Pod {
        ns: "default".into(),
        name: name.into(),
        ip: ip.into(),
        hostname: name.into(),
        subdomain: Some("mysql".into()),
        port,
    }
}

/// A node's state dir with its store; every `mariadbd` of it is killed when it is dropped.
pub(crate) struct Node {
    // Declared first: dropped (servers killed) before the directory goes.
    _reaper: Reaper,
    dir: tempfile::TempDir,
    pub store: Arc<Store>,
}

impl Node {
    pub(crate) fn new() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("store")).unwrap());
        Node {
            _reaper: Reaper(dir.path().to_path_buf()),
            dir,
            store,
        }
    }

    /// A node with the Secret `mysql-secret` (`password`) and a bound volume for `pod`.
    pub(crate) fn with_volume_of(pod: &str, password: &str) -> Node {
        let node = Node::new();
        secret(&node.store, password);
        volume(&node.store, node.dir.path(), pod);
        node
    }

    /// The state dir.
    pub(crate) fn state(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Starts a kubelet on this node's store.
    pub(crate) fn run_kubelet(&self) -> (Arc<Kubelet>, RunningKubelet) {
        let k = Kubelet::new(self.store.clone(), self.state());
        let (trigger, sd) = shutdown::channel();
        let task = tokio::spawn(k.clone().run(sd));
        (k.clone(), RunningKubelet { trigger, task })
    }
}

/// A kubelet started by [`Node::run_kubelet`].
pub(crate) struct RunningKubelet {
    trigger: Trigger,
    task: tokio::task::JoinHandle<()>,
}

impl RunningKubelet {
    /// Shuts it down and waits (at most `secs`) until it has stopped every pod.
    pub(crate) async fn stop(self, secs: u64) {
        self.trigger.fire();
        tokio::time::timeout(Duration::from_secs(secs), self.task)
            .await
            .unwrap()
            .unwrap();
    }
}
