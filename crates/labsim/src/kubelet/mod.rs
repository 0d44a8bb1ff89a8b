//! The kubelet: runs every pod bound to a node as real sandboxed processes and reports pod
//! status.
//!
//! One worker task per pod uid ([`pod`]) owns that pod's containers; each container process
//! runs under bubblewrap in its own namespaces ([`sandbox`]), with the pod's volumes
//! ([`mounts`], [`volumes`]) and environment ([`env`]). [`Kubelet::run`] starts and stops
//! workers as pods appear, get a `deletionTimestamp` or vanish. Container processes die with
//! labsim (parent-death signal); at startup any sandbox an earlier labsim left is killed
//! anyway (their pid files are in `<state>/pods/*/containers/*/bwrap.pid`).

pub mod attach;
pub mod dns;
pub mod env;
pub mod events;
pub mod exec;
pub mod mariadb;
pub mod mounts;
pub mod netfiles;
pub mod node_power;
pub mod pod;
pub mod probes;
pub mod process;
pub mod route;
pub mod sandbox;
pub mod status;
pub mod volumes;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod multi_tests;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::resources;
use crate::store::Store;

/// What exec, port-forward and logs need to reach a running container of a pod (one per
/// running container; the pod's network, port and files are the same in each).
#[derive(Debug, Clone)]
pub struct PodRuntime {
    /// The container (`spec.containers[].name`) this process is.
    pub container: String,
    /// Loopback port where this pod's port 3306 is served.
    pub mysql_port: u16,
    /// The container's log (what `kubectl logs` prints).
    pub log_path: PathBuf,
    /// The container's environment (image, Kubernetes and spec variables): exec'd commands
    /// get it, as in a container.
    pub env: Vec<(String, String)>,
    /// The container's working directory.
    pub workdir: String,
    /// Host PID of the container's PID 1: exec enters its namespaces.
    pub pid: i32,
    /// The pod's run dir on the host.
    pub root_dir: PathBuf,
    /// The pod's hostname (its name).
    pub hostname: String,
    /// The pod's IP.
    pub pod_ip: String,
    /// The pod's namespace and name.
    pub namespace: String,
    pub name: String,
    /// The kubelet that runs the pod (the pod network as it sees it).
    pub kubelet: Weak<Kubelet>,
    /// The pod's own namespaces in the cluster network, once the pod runs in them: port-forward
    /// dials its 127.0.0.1, probes dial its IP from the node network. `None`: the pod's server
    /// is reached on `mysql_port` (loopback of the host).
    pub pod_net: Option<Arc<crate::network::PodNet>>,
}

impl PodRuntime {
    /// The pod network as this pod sees it now (names, addresses, where connections land).
    pub fn net(&self) -> dns::Net {
        let me = dns::Pod {
            ns: self.namespace.clone(),
            name: self.name.clone(),
            ip: self.pod_ip.clone(),
            hostname: self.hostname.clone(),
            subdomain: None,
            port: Some(self.mysql_port),
        };
        match self.kubelet.upgrade() {
            Some(k) => k.net(me),
            None => dns::Net {
                me,
                services: vec![],
                pods: vec![],
            },
        }
    }
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
    /// Running containers by (namespace, pod, container).
    runtimes: Mutex<std::collections::BTreeMap<(String, String, String), PodRuntime>>,
    ips: Mutex<HashMap<String, String>>,
    /// Per node, the offset in its pod CIDR handed out last: addresses go round-robin, so a
    /// re-created pod gets a new IP (as Calico's and host-local's IPAM do).
    ip_cursor: Mutex<HashMap<String, u32>>,
    ports: Mutex<std::collections::HashSet<u16>>,
    /// The cluster network (`labsim up` makes it; unit tests run without).
    network: std::sync::OnceLock<crate::network::ClusterNet>,
}

/// How long `labsim down` gives each server to shut down cleanly before SIGKILL.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

impl Kubelet {
    pub fn new(store: Arc<Store>, state_dir: PathBuf) -> Arc<Kubelet> {
        Arc::new(Kubelet {
            store,
            state_dir,
            workers: Mutex::new(HashMap::new()),
            runtimes: Mutex::new(Default::default()),
            ips: Mutex::new(HashMap::new()),
            ip_cursor: Mutex::new(HashMap::new()),
            ports: Mutex::new(Default::default()),
            network: std::sync::OnceLock::new(),
        })
    }

    /// Gives the kubelet the cluster network its pods are wired into (once).
    pub fn set_network(&self, net: crate::network::ClusterNet) {
        let _ = self.network.set(net);
    }

    /// The cluster network, if this kubelet has one.
    pub fn network(&self) -> Option<&crate::network::ClusterNet> {
        self.network.get()
    }

    /// The runtime of a running container of the pod (any one: its network and port are the
    /// pod's, which is what port-forward needs), if one runs.
    pub fn runtime(&self, namespace: &str, pod: &str) -> Option<PodRuntime> {
        lock(&self.runtimes)
            .iter()
            .find(|((n, p, _), _)| n == namespace && p == pod)
            .map(|(_, rt)| rt.clone())
    }

    /// The runtime of container `container` of the pod, if it runs.
    pub fn runtime_of(&self, namespace: &str, pod: &str, container: &str) -> Option<PodRuntime> {
        lock(&self.runtimes)
            .get(&(
                namespace.to_string(),
                pod.to_string(),
                container.to_string(),
            ))
            .cloned()
    }

    /// The pod's per-instance directory: logs, pid file, socket, emptyDir data.
    pub fn run_dir(&self, namespace: &str, pod: &str, uid: &str) -> PathBuf {
        self.state_dir
            .join("pods")
            .join(format!("{namespace}_{pod}_{uid}"))
    }

    /// The current and previous logs of the pod's first container (CRI's layout: per container and
    /// restart, see [`pod::log_file`]).
    pub fn log_paths(&self, pod: &Value) -> (PathBuf, PathBuf) {
        match self.container_logs(pod, None) {
            Some((_, cur, prev, _)) => (cur, prev),
            None => self.logs_of(pod, "", 0),
        }
    }

    fn logs_of(&self, pod: &Value, container: &str, restarts: u32) -> (PathBuf, PathBuf) {
        let m = &pod["metadata"];
        let dir = self.run_dir(
            m["namespace"].as_str().unwrap_or("default"),
            m["name"].as_str().unwrap_or(""),
            m["uid"].as_str().unwrap_or(""),
        );
        // The previous run's log: the newest one below the current restart count.
        let previous = (0..restarts)
            .rev()
            .map(|r| pod::log_file(&dir, container, r))
            .find(|p| p.exists())
            .unwrap_or_else(|| pod::log_file(&dir, container, restarts.wrapping_sub(1)));
        (pod::log_file(&dir, container, restarts), previous)
    }

    /// The logs of container `name` of a pod object (a container or an init container; none
    /// given: the pod's only container): (container name, current, previous, its waiting
    /// reason). `None` when the pod has no such container.
    pub fn container_logs(
        &self,
        pod: &Value,
        name: Option<&str>,
    ) -> Option<(String, PathBuf, PathBuf, Option<String>)> {
        let name = match name {
            Some(n) => n.to_string(),
            None => pod["spec"]["containers"][0]["name"].as_str()?.to_string(),
        };
        let waiting = |s: &Value| s["state"]["waiting"]["reason"].as_str().map(str::to_string);
        let statuses = if spec_names(pod, "containers").contains(&name) {
            "containerStatuses"
        } else if spec_names(pod, "initContainers").contains(&name) {
            "initContainerStatuses"
        } else {
            return None;
        };
        // Statuses are found by name: containerStatuses are sorted by name, not spec order.
        let st = pod["status"][statuses]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name.as_str()))
            .cloned()
            .unwrap_or(Value::Null);
        let restarts = st["restartCount"].as_u64().unwrap_or(0) as u32;
        let (cur, prev) = self.logs_of(pod, &name, restarts);
        Some((name, cur, prev, waiting(&st)))
    }

    /// The files an image adds (`/usr/local/bin`), written under `<state>/images/` once per
    /// labsim run; `None` for images that add nothing.
    pub fn image_files(&self, kind: sandbox::image::Kind) -> std::io::Result<Option<PathBuf>> {
        use std::os::unix::fs::PermissionsExt;
        if kind.bin().is_empty() {
            return Ok(None);
        }
        let dir = self
            .state_dir
            .join("images")
            .join(kind.dir_name())
            .join("bin");
        std::fs::create_dir_all(&dir)?;
        for (name, script) in kind.bin() {
            let path = dir.join(name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(*script) {
                let tmp = dir.join(format!(".{name}.new"));
                std::fs::write(&tmp, script)?;
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
                std::fs::rename(&tmp, &path)?;
            }
        }
        Ok(Some(dir))
    }

    pub(crate) fn set_runtime(
        &self,
        ns: &str,
        name: &str,
        container: &str,
        rt: Option<PodRuntime>,
    ) {
        let key = (ns.to_string(), name.to_string(), container.to_string());
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

    /// Forgets every container of the pod (it stopped).
    pub(crate) fn clear_runtimes(&self, ns: &str, name: &str) {
        lock(&self.runtimes).retain(|(n, p, _), _| !(n == ns && p == name));
    }

    /// The pod network seen from `me` (its IP and subdomain are filled in from the store).
    pub fn net(&self, mut me: dns::Pod) -> dns::Net {
        let ports: HashMap<(String, String), u16> = lock(&self.runtimes)
            .iter()
            .map(|((ns, pod, _), rt)| ((ns.clone(), pod.clone()), rt.mysql_port))
            .collect();
        if let Ok(p) = self
            .store
            .get(resources::get("Pod"), Some(&me.ns), &me.name)
        {
            if let Some(full) = dns::pod_of(&p, &ports) {
                me.ip = full.ip;
                me.hostname = full.hostname;
                me.subdomain = full.subdomain;
            }
        }
        dns::Net::from_store(&self.store, me, &ports)
    }

    /// A pod IP from the node's `spec.podCIDR` (minikube: 10.244.<node index>.0/24), keeping
    /// `wanted` (the pod's IP before a labsim restart) if it is in range and free; otherwise the
    /// next free address after the one handed out last on that node.
    fn allocate_ip(&self, uid: &str, node: &str, wanted: Option<String>) -> String {
        let mut ips = lock(&self.ips);
        if let Some(ip) = ips.get(uid) {
            return ip.clone();
        }
        let cidr = self
            .store
            .get(resources::get("Node"), None, node)
            .ok()
            .and_then(|n| n["spec"]["podCIDR"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("10.244.{}.0/24", status::node_index(node)));
        let (base, size) = parse_cidr(&cidr).unwrap_or((u32::from_be_bytes([10, 244, 0, 0]), 256));
        // Addresses held by pods of the store (a pod whose worker has not started yet after a
        // labsim restart keeps its IP) and by the running workers.
        let (pods, _) = self.store.list(resources::get("Pod"), None);
        let mut taken: std::collections::HashSet<String> = pods
            .iter()
            .filter(|p| p["metadata"]["uid"] != uid)
            .filter_map(|p| p["status"]["podIP"].as_str().map(str::to_string))
            .collect();
        taken.extend(ips.values().cloned());
        let addr = |off: u32| std::net::Ipv4Addr::from(base + off).to_string();
        let mut cursor = lock(&self.ip_cursor);
        let last = cursor.entry(node.to_string()).or_insert(1);
        let in_range = |w: &str| {
            w.parse::<std::net::Ipv4Addr>()
                .ok()
                .map(u32::from)
                .filter(|a| *a > base + 1 && *a < base + size - 1)
                .map(|a| a - base)
        };
        let ip = match wanted.as_deref().and_then(|w| in_range(w).map(|o| (w, o))) {
            Some((w, off)) if !taken.contains(w) => {
                *last = (*last).max(off);
                w.to_string()
            }
            _ => {
                // .0 is the network, .1 the node's gateway, the last one broadcast.
                let usable = size.saturating_sub(3).max(1);
                let pick = (1..=usable)
                    .map(|i| 2 + (*last + i - 2) % usable)
                    .find(|off| !taken.contains(&addr(*off)))
                    .unwrap_or(2);
                *last = pick;
                addr(pick)
            }
        };
        ips.insert(uid.to_string(), ip.clone());
        ip
    }

    /// The prefix length of the node's `spec.podCIDR` (24 for minikube's).
    pub(crate) fn pod_prefix(&self, node: &str) -> u8 {
        self.store
            .get(resources::get("Node"), None, node)
            .ok()
            .and_then(|n| {
                let cidr = n["spec"]["podCIDR"].as_str()?.to_string();
                cidr.split_once('/')?.1.parse().ok()
            })
            .unwrap_or(24)
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
            if p["spec"]["nodeName"].as_str().unwrap_or("").is_empty()
                || matches!(p["status"]["phase"].as_str(), Some("Succeeded" | "Failed"))
            {
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
            if self.silenced(&p) {
                // The node is stopped: its pods' processes die with it, nothing restarts them.
                if let Some(w) = workers.get(&uid).filter(|w| w.ctl.borrow().is_none()) {
                    let _ = w.ctl.send(Some(pod::Stop {
                        grace: node_power::NODE_STOP_GRACE,
                        remove: false,
                    }));
                }
                continue;
            }
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

    /// Kills sandboxes left by an earlier labsim of this state dir (found through
    /// `<state>/pods/*/containers/*/bwrap.pid`; normally the parent-death signal has ended them
    /// already), and removes run dirs of pods that no longer exist.
    fn kill_orphans(&self) {
        let Ok(rd) = std::fs::read_dir(self.state_dir.join("pods")) else {
            return;
        };
        let (pods, _) = self.store.list(resources::get("Pod"), None);
        for e in rd.flatten() {
            let dir = e.path();
            for pid in sandbox_pids(&dir) {
                tracing::warn!(pid, dir = %dir.display(), "killing a sandbox left by an earlier labsim");
                kill_and_wait(pid);
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

/// The names of a pod's `spec.<list>` (`containers`, `initContainers`), in spec order.
pub fn spec_names(pod: &Value, list: &str) -> Vec<String> {
    pod["spec"][list]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_string))
        .collect()
}

/// The container a log, exec or attach request means, as the API server picks it
/// (pkg/registry/core/pod/strategy.go `LogLocation`/`streamLocation`): the named one if the pod
/// has it (a container or an init container), else the only container; with several and none
/// named, the API server's 400 listing them.
pub fn pick_container(pod: &Value, container: Option<&str>) -> Result<String, String> {
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    let containers = spec_names(pod, "containers");
    let init = spec_names(pod, "initContainers");
    match container {
        Some(c) if containers.iter().chain(&init).any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(format!("container {c} is not valid for pod {name}")),
        None if containers.len() == 1 => Ok(containers[0].clone()),
        None if containers.is_empty() => {
            Err(format!("a container name must be specified for pod {name}"))
        }
        None => {
            let mut e = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !init.is_empty() {
                e += &format!(" or one of the init containers: [{}]", init.join(" "));
            }
            Err(e)
        }
    }
}

/// The live bwrap processes of a pod's run dir: pids from `containers/*/bwrap.pid` whose
/// command line is bwrap binding that run dir's files (so a reused pid is never killed).
pub(crate) fn sandbox_pids(run_dir: &Path) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir(run_dir.join("containers")) else {
        return vec![];
    };
    rd.flatten()
        .filter_map(|c| {
            let text = std::fs::read_to_string(c.path().join("bwrap.pid")).ok()?;
            let pid: i32 = text.split_whitespace().next()?.parse().ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let cmdline = String::from_utf8_lossy(&cmdline);
            (cmdline.contains("bwrap")
                && cmdline.contains(&*run_dir.to_string_lossy())
                && !is_zombie(pid))
            .then_some(pid)
        })
        .collect()
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// SIGKILL and wait up to 5 s (blocking; used at startup only). A sandbox's PID 1 dies with
/// bwrap, and every process of the container with it.
fn kill_and_wait(pid: i32) {
    use nix::sys::signal::{kill, Signal};
    let _ = kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
    for _ in 0..50 {
        if !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `10.244.1.0/24` → (network address, number of addresses).
fn parse_cidr(cidr: &str) -> Option<(u32, u32)> {
    let (ip, bits) = cidr.split_once('/')?;
    let bits: u32 = bits.parse().ok().filter(|b| (8..=30).contains(b))?;
    let ip = u32::from(ip.parse::<std::net::Ipv4Addr>().ok()?);
    let size = 1u32 << (32 - bits);
    Some((ip & !(size - 1), size))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod ip_tests {
    use super::*;

    #[test]
    fn pod_ips_come_from_the_node_cidr_round_robin() {
        assert_eq!(
            parse_cidr("10.244.1.0/24"),
            Some((u32::from(std::net::Ipv4Addr::new(10, 244, 1, 0)), 256))
        );
        let store = Arc::new(Store::in_memory());
        store
            .create(
                resources::get("Node"),
                None,
                serde_json::json!({"metadata": {"name": "minikube-m02"}, "spec": {"podCIDR": "10.244.1.0/24"}}),
            )
            .unwrap();
        let k = Kubelet::new(store, std::env::temp_dir());
        assert_eq!(k.allocate_ip("a", "minikube-m02", None), "10.244.1.2");
        assert_eq!(k.allocate_ip("b", "minikube-m02", None), "10.244.1.3");
        assert_eq!(k.allocate_ip("a", "minikube-m02", None), "10.244.1.2");
        // A re-created pod (new uid) gets the next address, not the one just freed.
        k.release_ip("a");
        assert_eq!(k.allocate_ip("a2", "minikube-m02", None), "10.244.1.4");
        // After a labsim restart a pod keeps its address when free and in range.
        assert_eq!(
            k.allocate_ip("c", "minikube-m02", Some("10.244.1.9".into())),
            "10.244.1.9"
        );
        assert_eq!(
            k.allocate_ip("d", "minikube-m02", Some("10.244.1.9".into())),
            "10.244.1.10"
        );
        assert_eq!(
            k.allocate_ip("e", "minikube-m02", Some("10.244.0.5".into())),
            "10.244.1.11"
        );
        // A node without a podCIDR: minikube's layout by node index.
        assert_eq!(k.allocate_ip("f", "minikube-m03", None), "10.244.2.2");
    }
}
