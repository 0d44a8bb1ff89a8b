//! The kubelet: runs a real `mariadbd` for every MySQL pod bound to a node and reports pod status.
//!
//! One worker task per pod uid ([`pod`]) owns that pod's process; [`Kubelet::run`] starts and
//! stops workers as pods appear, get a `deletionTimestamp` or vanish, and on startup kills
//! `mariadbd` processes orphaned by an earlier labsim that died (their pid files are in
//! `<state>/pods/*/`).

pub mod builtins;
pub mod command;
pub mod env;
pub mod events;
pub mod mariadb;
pub mod pod;
pub mod probes;
pub mod status;
pub mod volumes;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::resources;
use crate::store::Store;

/// What exec, port-forward and logs need to reach a running pod.
#[derive(Debug, Clone)]
pub struct PodRuntime {
    /// Loopback port where this pod's port 3306 is served.
    pub mysql_port: u16,
    /// The server's log (what `kubectl logs` prints).
    pub log_path: PathBuf,
    /// The container's environment as the pod spec resolves it (Secrets included).
    pub env: Vec<(String, String)>,
    /// Directory that stands for the container's filesystem: the pod's run dir (`cat`/`ls`
    /// see only `/var/lib/mysql`, mapped to `data_dir`).
    pub root_dir: PathBuf,
    /// The pod's hostname (its name).
    pub hostname: String,
    /// The host directory mounted at `/var/lib/mysql`.
    pub data_dir: PathBuf,
}

struct WorkerHandle {
    ns: String,
    name: String,
    ctl: watch::Sender<Option<pod::Stop>>,
    task: JoinHandle<()>,
}

/// Owns the pod processes.
pub struct Kubelet {
    store: Arc<Store>,
    pub(crate) state_dir: PathBuf,
    workers: Mutex<HashMap<String, WorkerHandle>>,
    runtimes: Mutex<HashMap<(String, String), PodRuntime>>,
    ips: Mutex<HashMap<String, String>>,
    ports: Mutex<std::collections::HashSet<u16>>,
}

/// How long `labsim down` gives each server to shut down cleanly before SIGKILL.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

impl Kubelet {
    pub fn new(store: Arc<Store>, state_dir: PathBuf) -> Arc<Kubelet> {
        Arc::new(Kubelet {
            store,
            state_dir,
            workers: Mutex::new(HashMap::new()),
            runtimes: Mutex::new(HashMap::new()),
            ips: Mutex::new(HashMap::new()),
            ports: Mutex::new(Default::default()),
        })
    }

    /// The runtime of a running pod, if it has one.
    pub fn runtime(&self, namespace: &str, pod: &str) -> Option<PodRuntime> {
        lock(&self.runtimes)
            .get(&(namespace.to_string(), pod.to_string()))
            .cloned()
    }

    /// The pod's per-instance directory: logs, pid file, socket, emptyDir data.
    pub fn run_dir(&self, namespace: &str, pod: &str, uid: &str) -> PathBuf {
        self.state_dir
            .join("pods")
            .join(format!("{namespace}_{pod}_{uid}"))
    }

    /// The current and previous container logs of a pod object (they exist once a container
    /// started, running or not).
    pub fn log_paths(&self, pod: &Value) -> (PathBuf, PathBuf) {
        let m = &pod["metadata"];
        let dir = self.run_dir(
            m["namespace"].as_str().unwrap_or("default"),
            m["name"].as_str().unwrap_or(""),
            m["uid"].as_str().unwrap_or(""),
        );
        (dir.join("mysqld.log"), dir.join("mysqld.previous.log"))
    }

    fn set_runtime(&self, ns: &str, name: &str, rt: Option<PodRuntime>) {
        let key = (ns.to_string(), name.to_string());
        let mut m = lock(&self.runtimes);
        match rt {
            Some(r) => {
                m.insert(key, r);
            }
            None => {
                m.remove(&key);
            }
        }
    }

    /// A pod IP in the node's range (10.244.<node index>.x), keeping `wanted` if free.
    fn allocate_ip(&self, uid: &str, node: &str, wanted: Option<String>) -> String {
        let mut ips = lock(&self.ips);
        if let Some(ip) = ips.get(uid) {
            return ip.clone();
        }
        let prefix = format!("10.244.{}.", status::node_index(node));
        let taken = |ip: &str, ips: &HashMap<String, String>| ips.values().any(|v| v == ip);
        let ip = match wanted {
            Some(w) if w.starts_with(&prefix) && !taken(&w, &ips) => w,
            _ => (2..255)
                .map(|x| format!("{prefix}{x}"))
                .find(|ip| !taken(ip, &ips))
                .unwrap_or_else(|| format!("{prefix}254")),
        };
        ips.insert(uid.to_string(), ip.clone());
        ip
    }

    /// A free loopback port no other pod of this kubelet holds.
    fn allocate_port(&self) -> u16 {
        let mut ports = lock(&self.ports);
        for _ in 0..50 {
            if let Some(p) = pod::free_port() {
                if ports.insert(p) {
                    return p;
                }
            }
        }
        0
    }

    fn release_port(&self, port: u16) {
        lock(&self.ports).remove(&port);
    }

    fn release_ip(&self, uid: &str) {
        lock(&self.ips).remove(uid);
    }

    /// Called once at start, before the API serves: no pod process survives a labsim stop or
    /// crash, so a status saying Ready would be a lie until the worker restarts the server (as
    /// after a node reboot). Marks every pod on a node as not ready and its container waiting.
    pub fn mark_restarting(&self) {
        let pod_rt = resources::get("Pod");
        let (pods, _) = self.store.list(pod_rt, None);
        for p in pods {
            if p["spec"]["nodeName"].as_str().unwrap_or("").is_empty() {
                continue;
            }
            let (ns, name) = (
                p["metadata"]["namespace"].as_str().unwrap_or("default"),
                p["metadata"]["name"].as_str().unwrap_or(""),
            );
            let _ = self.store.modify(pod_rt, Some(ns), name, |pod| {
                if let Some(conds) = pod["status"]["conditions"].as_array_mut() {
                    for c in conds
                        .iter_mut()
                        .filter(|c| c["type"] == "Ready" || c["type"] == "ContainersReady")
                    {
                        if c["status"] == "True" {
                            c["status"] = serde_json::json!("False");
                            c["lastTransitionTime"] = serde_json::json!(crate::store::now());
                        }
                    }
                }
                if let Some(cs) = pod["status"]["containerStatuses"].as_array_mut() {
                    for c in cs.iter_mut() {
                        c["ready"] = serde_json::json!(false);
                        c["started"] = serde_json::json!(false);
                        c["state"] =
                            serde_json::json!({"waiting": {"reason": "ContainerCreating"}});
                    }
                }
            });
        }
    }

    /// Syncs pods with processes until `shutdown` resolves, then stops every process cleanly.
    pub async fn run(self: Arc<Self>, shutdown: crate::shutdown::Shutdown) {
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.kill_orphans()).await;
        let mut changes = self.store.subscribe();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            self.sync();
            tokio::select! {
                _ = shutdown.wait() => break,
                r = changes.recv() => {
                    if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                        break;
                    }
                    // Coalesce bursts of changes into one sync.
                    while changes.try_recv().is_ok() {}
                }
                _ = tick.tick() => {}
            }
        }
        self.stop_all(SHUTDOWN_GRACE).await;
    }

    /// Starts workers for new pods on a node, stops those of deleted or vanished pods.
    pub fn sync(self: &Arc<Self>) {
        let (pods, _) = self.store.list(resources::get("Pod"), None);
        let mut workers = lock(&self.workers);
        workers.retain(|_, w| !w.task.is_finished());
        let mut seen = std::collections::HashSet::new();
        for p in pods {
            if p["spec"]["nodeName"].as_str().unwrap_or("").is_empty() {
                continue;
            }
            let Some(uid) = p["metadata"]["uid"].as_str().map(str::to_string) else {
                continue;
            };
            seen.insert(uid.clone());
            let deleting = (!p["metadata"]["deletionTimestamp"].is_null()).then(|| pod::Stop {
                grace: Duration::from_secs(
                    p["metadata"]["deletionGracePeriodSeconds"]
                        .as_u64()
                        .or_else(|| p["spec"]["terminationGracePeriodSeconds"].as_u64())
                        .unwrap_or(30),
                ),
                remove: true,
            });
            match workers.get(&uid) {
                Some(w) => {
                    if deleting.is_some() && w.ctl.borrow().is_none_or(|s| !s.remove) {
                        let _ = w.ctl.send(deleting);
                    }
                }
                None => {
                    let (tx, rx) = watch::channel(deleting);
                    let ns = p["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("default")
                        .to_string();
                    let name = p["metadata"]["name"].as_str().unwrap_or("").to_string();
                    let task = tokio::spawn(pod::run(self.clone(), p, rx));
                    workers.insert(
                        uid,
                        WorkerHandle {
                            ns,
                            name,
                            ctl: tx,
                            task,
                        },
                    );
                }
            }
        }
        for (uid, w) in workers.iter() {
            if !seen.contains(uid) && w.ctl.borrow().is_none() {
                tracing::info!(pod = %w.name, namespace = %w.ns, "pod removed from the store: stopping its server");
                let _ = w.ctl.send(Some(pod::Stop {
                    grace: Duration::from_secs(10),
                    remove: false,
                }));
            }
        }
    }

    /// Stops every pod process (SIGTERM, SIGKILL after `grace`) and waits for the workers.
    pub async fn stop_all(&self, grace: Duration) {
        let handles: Vec<WorkerHandle> = lock(&self.workers).drain().map(|(_, w)| w).collect();
        for w in &handles {
            let already = *w.ctl.borrow();
            let _ = w.ctl.send(Some(already.unwrap_or(pod::Stop {
                grace,
                remove: false,
            })));
        }
        for w in handles {
            if tokio::time::timeout(grace + Duration::from_secs(15), w.task)
                .await
                .is_err()
            {
                tracing::warn!(pod = %w.name, "pod worker did not stop in time");
            }
        }
    }

    /// Kills `mariadbd` processes left by an earlier labsim of this state dir (found through
    /// `<state>/pods/*/mysqld.pid`), drops leftover init files, and removes run dirs of pods that
    /// no longer exist.
    fn kill_orphans(&self) {
        let Ok(rd) = std::fs::read_dir(self.state_dir.join("pods")) else {
            return;
        };
        let (pods, _) = self.store.list(resources::get("Pod"), None);
        for e in rd.flatten() {
            let dir = e.path();
            let _ = std::fs::remove_file(dir.join("init.sql"));
            if let Some(pid) = std::fs::read_to_string(dir.join("mysqld.pid"))
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
            {
                if is_our_mariadbd(pid, &dir) {
                    tracing::warn!(pid, dir = %dir.display(), "stopping a mariadbd left by an earlier labsim");
                    kill_and_wait(pid);
                }
            }
            let fname = e.file_name().to_string_lossy().into_owned();
            let live = pods.iter().any(|p| {
                let m = &p["metadata"];
                fname
                    == format!(
                        "{}_{}_{}",
                        m["namespace"].as_str().unwrap_or(""),
                        m["name"].as_str().unwrap_or(""),
                        m["uid"].as_str().unwrap_or("")
                    )
            });
            if !live {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }
}

/// Whether `pid` is a live mariadbd whose pid file is in `run_dir` (so it belongs to us).
fn is_our_mariadbd(pid: i32, run_dir: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let cmdline = String::from_utf8_lossy(&cmdline);
    cmdline.contains("mariadbd")
        && cmdline.contains(&format!(
            "--pid-file={}",
            run_dir.join("mysqld.pid").display()
        ))
        && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// SIGTERM, then SIGKILL after 15 s (blocking; used at startup only).
fn kill_and_wait(pid: i32) {
    use nix::sys::signal::{kill, Signal};
    let p = nix::unistd::Pid::from_raw(pid);
    let _ = kill(p, Signal::SIGTERM);
    let gone = |pid: i32| !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid);
    for _ in 0..150 {
        if gone(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = kill(p, Signal::SIGKILL);
    for _ in 0..50 {
        if gone(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
