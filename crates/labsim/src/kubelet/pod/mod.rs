//! One pod's worker: makes its sandbox (IP, kubelet-managed files), runs its init containers in
//! order, then all of `spec.containers` at once, each in its own worker (its process, log,
//! restarts with back-off as `restartPolicy` says, probes), until the pod is deleted or labsim
//! stops. Every state change is published to the pod's `status` through
//! `store.modify`. The steps live by concern: [`init`] (init containers), [`containers`]
//! (preparing and running a container in its sandbox), [`probes`] (startup, liveness,
//! readiness), [`restarts`] (back-off, image pull failures, completion).

mod containers;
mod init;
mod probes;
mod restarts;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use super::status::{self, ContainerView, InitView, PodView, State};
use super::{events, lock, Kubelet};
use crate::resources;
use crate::store::now;

pub use containers::free_port;

/// A request to stop the pod's container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    /// SIGTERM, then SIGKILL after this long.
    pub grace: Duration,
    /// Remove the pod object afterwards (graceful deletion); else just stop (shutdown, pod gone).
    pub remove: bool,
}

pub type Control = watch::Receiver<Option<Stop>>;

/// What the pod's workers share: the view every one of them updates (each container its own
/// entry) and what was last written to the store.
struct Shared {
    view: PodView,
    published: Option<PodView>,
}

/// The pod's worker (`ci: None`: sandbox, init containers, completion), cloned once per
/// container (`ci: Some(i)`) for `spec.containers[i]`'s own life: every container runs at once,
/// each with its process, restarts, back-off and probes (pkg/kubelet/kuberuntime
/// `computePodActions` starts each container that is not running).
struct Worker {
    k: Arc<Kubelet>,
    ns: String,
    name: String,
    uid: String,
    run_dir: PathBuf,
    ctl: Control,
    /// This worker's copy of the pod's view; a container's worker owns only its entry.
    view: PodView,
    shared: Arc<std::sync::Mutex<Shared>>,
    ci: Option<usize>,
    /// The port of the pod's database server: 3306 in the pod's own network, else a loopback
    /// port of the host (a kubelet without the cluster network: unit tests).
    port: u16,
    /// The pod's namespaces in the cluster network (its IP, `eth0`, hostname).
    pod_net: Option<Arc<crate::network::PodNet>>,
}

/// How a running container ended.
enum End {
    Exited { code: i32 },
    Stopped,
}

/// The outcome of a step that may have to wait: go on, try again, or the pod is stopping.
enum Step<T> {
    Ready(T),
    Retry,
    Stop,
}

/// Runs the pod until stopped. The pod object is the one the kubelet first saw.
pub async fn run(k: Arc<Kubelet>, pod: Value, ctl: Control) {
    let ns = pod["metadata"]["namespace"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let name = pod["metadata"]["name"].as_str().unwrap_or("").to_string();
    let uid = pod["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let run_dir = k.run_dir(&ns, &name, &uid);
    let node = pod["spec"]["nodeName"]
        .as_str()
        .unwrap_or("minikube")
        .to_string();
    let node_obj = k
        .store
        .get(resources::get("Node"), None, &node)
        .unwrap_or(Value::Null);
    let init: Vec<InitView> = pod["spec"]["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            let mut v = InitView::new(
                c["name"].as_str().unwrap_or(""),
                c["image"].as_str().unwrap_or(""),
            );
            v.restart_count = pod["status"]["initContainerStatuses"][i]["restartCount"]
                .as_u64()
                .unwrap_or(0) as u32;
            v
        })
        .collect();
    let first_state = State::Waiting {
        reason: if init.is_empty() {
            "ContainerCreating"
        } else {
            "PodInitializing"
        }
        .into(),
        message: None,
    };
    let containers = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            let cname = c["name"].as_str().unwrap_or("");
            let image = c["image"].as_str().unwrap_or("");
            let mut v = ContainerView::new(cname, image, first_state.clone());
            v.image_id = image_id(image);
            // A labsim restart brings pods back with their restart counts (new container IDs);
            // statuses are sorted by name, so find each by its name.
            v.restart_count = pod["status"]["containerStatuses"]
                .as_array()
                .and_then(|a| a.iter().find(|s| s["name"] == cname))
                .and_then(|s| s["restartCount"].as_u64())
                .unwrap_or(0) as u32;
            v
        })
        .collect();
    let view = PodView {
        containers,
        host_ip: status::host_ip(&node_obj, &node),
        pod_ip: None,
        start_time: pod["status"]["startTime"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(now),
        init,
        final_phase: None,
    };
    let mut w = Worker {
        k,
        ns,
        name,
        uid,
        run_dir,
        ctl,
        shared: Arc::new(std::sync::Mutex::new(Shared {
            view: view.clone(),
            published: None,
        })),
        view,
        ci: None,
        port: 0,
        pod_net: None,
    };
    let done = matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    );
    if done {
        // A pod that completed (restartPolicy Never / OnFailure) is not run again after a
        // labsim restart: it waits for its deletion.
        while !w.sleep_or_stop(Duration::from_secs(3600)).await {}
    } else if w.stop_request().is_none() {
        w.live().await;
    }
    w.finish().await;
}

impl Worker {
    fn stop_request(&self) -> Option<Stop> {
        *self.ctl.borrow()
    }

    /// Sleeps `d` unless a stop arrives first; true when stopping.
    async fn sleep_or_stop(&mut self, d: Duration) -> bool {
        if self.stop_request().is_some() {
            return true;
        }
        let _ = tokio::time::timeout(d, self.ctl.changed()).await;
        self.stop_request().is_some()
    }

    /// Resolves when a stop is requested.
    fn stopping(&self) -> impl std::future::Future<Output = ()> + 'static {
        let mut ctl = self.ctl.clone();
        async move {
            loop {
                if ctl.borrow().is_some() || ctl.changed().await.is_err() {
                    return;
                }
            }
        }
    }

    /// The pod as stored now, if it is still this pod.
    fn pod(&self) -> Option<Value> {
        let p = self
            .k
            .store
            .get(resources::get("Pod"), Some(&self.ns), &self.name)
            .ok()?;
        (p["metadata"]["uid"] == self.uid.as_str()).then_some(p)
    }

    /// This worker's container (the first one for the pod's worker).
    fn c(&self) -> &ContainerView {
        &self.view.containers[self.ci.unwrap_or(0)]
    }

    fn cm(&mut self) -> &mut ContainerView {
        let i = self.ci.unwrap_or(0);
        &mut self.view.containers[i]
    }

    /// The worker of container `ci`, sharing the pod's view.
    fn for_container(&self, ci: usize) -> Worker {
        Worker {
            k: self.k.clone(),
            ns: self.ns.clone(),
            name: self.name.clone(),
            uid: self.uid.clone(),
            run_dir: self.run_dir.clone(),
            ctl: self.ctl.clone(),
            view: self.view.clone(),
            shared: self.shared.clone(),
            ci: Some(ci),
            port: self.port,
            pod_net: self.pod_net.clone(),
        }
    }

    /// Writes the pod's status: a container's worker brings in its own entry, the pod's worker
    /// the whole view; the status is rendered from what all of them put there.
    fn publish(&mut self) {
        if self.node_down() {
            return;
        }
        let mut sh = lock(&self.shared);
        match self.ci {
            Some(i) => sh.view.containers[i] = self.view.containers[i].clone(),
            None => sh.view = self.view.clone(),
        }
        if sh.published.as_ref() == Some(&sh.view) {
            return;
        }
        let (view, uid) = (sh.view.clone(), self.uid.clone());
        let r = self
            .k
            .store
            .modify(resources::get("Pod"), Some(&self.ns), &self.name, |p| {
                if p["metadata"]["uid"] == uid.as_str() {
                    let s = status::render(&view, &p["status"], &now());
                    p["status"] = s;
                }
            });
        if r.is_ok() {
            sh.published = Some(view);
        }
    }

    /// The image manager's `Pulling`/`Pulled` events (`events::pull`).
    fn pulled(&self, field: &str, image: &str) {
        if let Some(p) = self.pod().filter(|p| !self.k.silenced(p)) {
            events::pull(&self.k.store, &p, field, image, events::image_size(image));
        }
    }

    /// An event about this worker's container (`spec.containers{NAME}`).
    fn event(&self, kind: &str, reason: &str, message: &str) {
        let field = format!("spec.containers{{{}}}", self.c().name);
        self.event_at(&field, kind, reason, message);
    }

    /// An event about the part of the pod at `field` (its `involvedObject.fieldPath`).
    fn event_at(&self, field: &str, kind: &str, reason: &str, message: &str) {
        if let Some(p) = self.pod().filter(|p| !self.k.silenced(p)) {
            events::record_at(&self.k.store, &p, field, kind, reason, message);
        }
    }

    /// Publishes a waiting state. Callers record their events first, so whoever sees the state
    /// also finds the events that explain it.
    /// The pod's worker sets every container's state (the sandbox is not there yet), a
    /// container's worker its own.
    fn wait_state(&mut self, reason: &str, message: Option<String>) {
        let state = State::Waiting {
            reason: reason.into(),
            message,
        };
        let range = match self.ci {
            Some(i) => i..i + 1,
            None => 0..self.view.containers.len(),
        };
        for c in &mut self.view.containers[range] {
            c.state = state.clone();
            c.ready = false;
            c.started = false;
        }
        self.publish();
    }

    /// The pod's life until a stop request: its sandbox, the init containers, then the
    /// container, restarted with back-off as `restartPolicy` says.
    async fn live(&mut self) {
        loop {
            match self.create_sandbox().await {
                Step::Ready(()) => break,
                Step::Retry => continue,
                Step::Stop => return,
            }
        }
        if !self.run_init_containers().await {
            return;
        }
        // Every container at once, each in its own worker.
        let runs = (0..self.view.containers.len()).map(|ci| {
            let mut w = self.for_container(ci);
            async move { w.live_container().await }
        });
        let ends = futures::future::join_all(runs).await;
        // restartPolicy Never / OnFailure: once every container ended for good the pod is
        // done, Succeeded only if all exited 0 (kubelet_pods.go `getPhase`).
        if !ends.is_empty() && ends.iter().all(Option::is_some) {
            let code = ends
                .iter()
                .flatten()
                .copied()
                .find(|c| *c != 0)
                .unwrap_or(0);
            self.view = lock(&self.shared).view.clone();
            self.complete(code).await;
        }
    }

    /// One container's life until a stop request: prepared, started, restarted with back-off
    /// as `restartPolicy` says. `Some(exit code)` when it ended for good (Never, or OnFailure
    /// after exit 0), `None` when the pod stops.
    async fn live_container(&mut self) -> Option<i32> {
        let mut backoff = Duration::ZERO;
        let mut pull_backoff = restarts::BACKOFF_START;
        loop {
            let pod = self.pod()?;
            let c = match self.prepare_container(&pod, &mut pull_backoff).await {
                Step::Ready(c) => c,
                Step::Retry => continue,
                Step::Stop => return None,
            };
            if backoff > Duration::ZERO && self.back_off(backoff).await {
                return None;
            }
            let (started_at, container_id) = self.create_container(&c.image);
            let began = std::time::Instant::now();
            let end = self.run_container(&pod, c, &started_at).await;
            let cname = self.c().name.clone();
            self.k.set_runtime(&self.ns, &self.name, &cname, None);
            let End::Exited { code } = end else {
                return None;
            };
            self.record_exit(code, started_at, container_id);
            self.publish();
            let policy = pod["spec"]["restartPolicy"].as_str().unwrap_or("Always");
            if policy == "Never" || (policy == "OnFailure" && code == 0) {
                return Some(code);
            }
            backoff = restarts::next_backoff(backoff, began.elapsed(), self.c().restart_count);
        }
    }

    /// The pod's run dir, IP, network namespaces (with the cluster network), server port and
    /// kubelet-managed files (`/etc/hosts`, `/etc/resolv.conf`, `/etc/hostname`).
    async fn create_sandbox(&mut self) -> Step<()> {
        if std::fs::create_dir_all(&self.run_dir).is_err() {
            self.wait_state(
                "CreateContainerError",
                Some(format!("cannot create {}", self.run_dir.display())),
            );
        }
        let pod = self.pod();
        let known_ip = pod
            .as_ref()
            .and_then(|p| p["status"]["podIP"].as_str().map(str::to_string));
        let node = self.node_name();
        let ip = self.k.allocate_ip(&self.uid, &node, known_ip);
        self.view.pod_ip = Some(ip.clone());
        let hostname = self.hostname();
        let resolv = match self.k.network().cloned() {
            Some(net) => {
                let prefix = self.k.pod_prefix(&node);
                let addr: std::net::Ipv4Addr =
                    ip.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
                let host = hostname.clone();
                let made =
                    tokio::task::spawn_blocking(move || net.pod_sandbox(&host, addr, prefix)).await;
                match made {
                    Ok(Ok(p)) => self.pod_net = Some(Arc::new(p)),
                    Ok(Err(e)) => return self.sandbox_failed(e.to_string()).await,
                    Err(e) => return self.sandbox_failed(e.to_string()).await,
                }
                self.port = 3306;
                Some(crate::network::resolv_conf(&self.ns))
            }
            None => {
                self.port = self.k.allocate_port();
                None
            }
        };
        // The FQDN line needs hostname + subdomain (kubelet's GetPodFQDN).
        let fqdn = pod.as_ref().and_then(|p| {
            let sub = p["spec"]["subdomain"].as_str().filter(|s| !s.is_empty())?;
            Some(format!("{hostname}.{sub}.{}.svc.cluster.local", self.ns))
        });
        let _ = super::sandbox::rootfs::write_pod_files(
            &self.pod_files(),
            &hostname,
            fqdn.as_deref(),
            &ip,
            &self.ns,
            resolv.as_deref(),
        );
        self.publish();
        Step::Ready(())
    }

    /// The pod's network namespaces could not be made: `FailedCreatePodSandBox`, then again.
    async fn sandbox_failed(&mut self, why: String) -> Step<()> {
        self.event(
            "Warning",
            "FailedCreatePodSandBox",
            &format!("Failed to create pod sandbox: {why}"),
        );
        self.wait_state("ContainerCreating", None);
        self.retry_after(std::time::Duration::from_secs(2)).await
    }

    /// Where the kubelet-managed files of the pod are.
    fn pod_files(&self) -> PathBuf {
        self.run_dir.join("etc")
    }

    /// The pod's hostname: `spec.hostname`, else its name.
    fn hostname(&self) -> String {
        self.pod()
            .and_then(|p| p["spec"]["hostname"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.name.clone())
    }

    /// Whether this pod's node is stopped (its kubelet posts nothing: `node_power`).
    fn node_down(&self) -> bool {
        self.pod().is_some_and(|p| self.k.silenced(&p))
    }

    fn node_name(&self) -> String {
        self.pod()
            .and_then(|p| p["spec"]["nodeName"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// After the stop: remove the pod object (graceful deletion) and its run dir, free its IP.
    async fn finish(&mut self) {
        self.k.clear_runtimes(&self.ns, &self.name);
        self.k.release_port(self.port);
        let stop = self.stop_request();
        let gone = self.pod().is_none();
        let remove = stop.is_some_and(|s| s.remove);
        // The containers are stopped: the pod's namespaces go with their holder.
        self.pod_net = None;
        // Clean up first: once the object is gone, nothing of the pod may remain.
        if remove || gone {
            let _ = std::fs::remove_dir_all(&self.run_dir);
            self.k.release_ip(&self.uid);
        }
        if remove {
            self.k
                .store
                .remove_uid(resources::get("Pod"), Some(&self.ns), &self.name, &self.uid);
        }
    }
}

/// The file a container's output goes to, as CRI keeps it: per container and restart
/// (`<run dir>/logs/<container>/<restart>.log`).
pub fn log_file(run_dir: &Path, container: &str, restart: u32) -> PathBuf {
    run_dir
        .join("logs")
        .join(container)
        .join(format!("{restart}.log"))
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(text.as_bytes());
    }
}

/// 64 hex chars derived from `seed`.
pub fn hex64(seed: &str) -> String {
    (0..4)
        .map(|i| format!("{:016x}", events::fnv(&format!("{i}:{seed}"))))
        .collect()
}

/// `docker-pullable://mysql@sha256:...` (stable per image name; labsim pulls nothing).
pub fn image_id(image: &str) -> String {
    let repo = super::sandbox::image::repository(image);
    format!("docker-pullable://{repo}@sha256:{}", hex64(image))
}

#[cfg(test)]
mod tests {
    #[test]
    fn image_ids_are_stable_and_shaped() {
        let a = super::image_id("mysql:8.4.3");
        assert!(a.starts_with("docker-pullable://mysql@sha256:"));
        assert_eq!(a.len(), "docker-pullable://mysql@sha256:".len() + 64);
        assert_eq!(a, super::image_id("mysql:8.4.3"));
        assert!(super::image_id("localhost:5000/mariadb:11")
            .starts_with("docker-pullable://localhost:5000/mariadb@"));
    }

    #[test]
    fn logs_are_kept_per_container_and_restart() {
        assert_eq!(
            super::log_file(std::path::Path::new("/s/pods/p"), "mysql", 2),
            std::path::PathBuf::from("/s/pods/p/logs/mysql/2.log")
        );
    }
}
