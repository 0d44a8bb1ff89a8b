//! One pod's worker: prepares its data dir, runs `mariadbd` (initialising the data dir on its
//! first start), probes it, restarts it with back-off, and stops it on deletion or shutdown.
//! Every state change is published to the pod's `status` through `store.modify`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::sync::watch;

use super::mariadb::{self, EntrypointError, Flavor, RootPassword};
use super::probes::{self, Probes, Scheduled, Verdict};
use super::process::exit_code;
use super::status::{self, InitView, PodView, State, Terminated};
use super::volumes::{self, DataDir};
use super::{events, Kubelet, PodRuntime};
use crate::resources;
use crate::store::now;

/// A request to stop the pod's container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    /// SIGTERM, then SIGKILL after this long.
    pub grace: Duration,
    /// Remove the pod object afterwards (graceful deletion); else just stop (shutdown, pod gone).
    pub remove: bool,
}

pub type Control = watch::Receiver<Option<Stop>>;

/// Crash back-off. Real kubelets start at 10 s and double up to 5 min; labsim starts at 1 s and
/// doubles up to 10 s so a lab session never waits minutes. The first restart is immediate.
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// A container that ran this long resets the back-off (10 min in real kubelets).
const BACKOFF_RESET: Duration = Duration::from_secs(60);
/// How long a first start (install + init) may take before it counts as failed.
const INIT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a started server may take to answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

struct Worker {
    k: Arc<Kubelet>,
    ns: String,
    name: String,
    uid: String,
    run_dir: PathBuf,
    ctl: Control,
    view: PodView,
    published: Option<PodView>,
    port: u16,
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

/// A container ready to start.
struct Prepared {
    container: Value,
    image: String,
    flavor: Flavor,
    data_dir: PathBuf,
    env: Vec<(String, String)>,
}

/// The back-off before the next restart: none after a long run or before the first restart
/// (as in a real kubelet), else doubled within [`BACKOFF_START`]..=[`BACKOFF_MAX`].
fn next_backoff(last: Duration, ran: Duration, restart_count: u32) -> Duration {
    if ran >= BACKOFF_RESET || (last.is_zero() && restart_count == 0) {
        Duration::ZERO
    } else {
        (last * 2).clamp(BACKOFF_START, BACKOFF_MAX)
    }
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
    let container = &pod["spec"]["containers"][0];
    let old = &pod["status"]["containerStatuses"][0];
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
    let view = PodView {
        container: container["name"].as_str().unwrap_or("mysql").to_string(),
        image: container["image"].as_str().unwrap_or("").to_string(),
        image_id: image_id(container["image"].as_str().unwrap_or("")),
        container_id: None,
        host_ip: status::host_ip(&node_obj, &node),
        pod_ip: None,
        start_time: pod["status"]["startTime"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(now),
        state: State::Waiting {
            reason: if init.is_empty() {
                "ContainerCreating"
            } else {
                "PodInitializing"
            }
            .into(),
            message: None,
        },
        ready: false,
        started: false,
        // A labsim restart brings pods back with their restart count (new container IDs).
        restart_count: old["restartCount"].as_u64().unwrap_or(0) as u32,
        last: None,
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
        view,
        published: None,
        port: 0,
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

    /// The pod as stored now, if it is still this pod.
    fn pod(&self) -> Option<Value> {
        let p = self
            .k
            .store
            .get(resources::get("Pod"), Some(&self.ns), &self.name)
            .ok()?;
        (p["metadata"]["uid"] == self.uid.as_str()).then_some(p)
    }

    fn publish(&mut self) {
        if self.published.as_ref() == Some(&self.view) {
            return;
        }
        let (view, uid) = (self.view.clone(), self.uid.clone());
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
            self.published = Some(self.view.clone());
        }
    }

    fn event(&self, kind: &str, reason: &str, message: &str) {
        if let Some(p) = self.pod() {
            events::record(&self.k.store, &p, kind, reason, message);
        }
    }

    /// Publishes a waiting state. Callers record their events first, so whoever sees the state
    /// also finds the events that explain it.
    fn wait_state(&mut self, reason: &str, message: Option<String>) {
        self.view.state = State::Waiting {
            reason: reason.into(),
            message,
        };
        self.view.ready = false;
        self.view.started = false;
        self.publish();
    }

    /// The pod's life until a stop request: its sandbox, the init containers, then the
    /// container, restarted with back-off as `restartPolicy` says.
    async fn live(&mut self) {
        self.create_sandbox();
        if !self.run_init_containers().await {
            return;
        }
        let mut backoff = Duration::ZERO;
        let mut pull_backoff = BACKOFF_START;
        loop {
            let Some(pod) = self.pod() else { return };
            let c = match self.prepare_container(&pod, &mut pull_backoff).await {
                Step::Ready(c) => c,
                Step::Retry => continue,
                Step::Stop => return,
            };
            if backoff > Duration::ZERO && self.back_off(backoff).await {
                return;
            }
            let (started_at, container_id) = self.create_container(&c.image);
            let began = Instant::now();
            let end = if runs_server(&c.container) {
                self.run_container(c.flavor, &c.container, &c.data_dir, c.env, &started_at)
                    .await
            } else {
                self.run_command_container(&pod, &c.container, c.flavor, c.env, &started_at)
                    .await
            };
            self.k.set_runtime(&self.ns, &self.name, None);
            let End::Exited { code } = end else { return };
            self.record_exit(code, started_at, container_id);
            let policy = pod["spec"]["restartPolicy"].as_str().unwrap_or("Always");
            if policy == "Never" || (policy == "OnFailure" && code == 0) {
                return self.complete(code).await;
            }
            self.publish();
            backoff = next_backoff(backoff, began.elapsed(), self.view.restart_count);
        }
    }

    /// The pod's run dir, IP and server port.
    fn create_sandbox(&mut self) {
        if std::fs::create_dir_all(&self.run_dir).is_err() {
            self.wait_state(
                "CreateContainerError",
                Some(format!("cannot create {}", self.run_dir.display())),
            );
        }
        let known_ip = self
            .pod()
            .and_then(|p| p["status"]["podIP"].as_str().map(str::to_string));
        self.view.pod_ip = Some(self.k.allocate_ip(&self.uid, &self.node_name(), known_ip));
        self.port = self.k.allocate_port();
        self.publish();
    }

    /// What the container needs before it can start: its image, volume and environment. While
    /// one is missing the pod waits (and says why), then the caller tries again.
    async fn prepare_container(
        &mut self,
        pod: &Value,
        pull_backoff: &mut Duration,
    ) -> Step<Prepared> {
        let container = pod["spec"]["containers"][0].clone();
        let image = container["image"].as_str().unwrap_or("").to_string();
        let Some(flavor) = mariadb::flavor(&image) else {
            return match self.pull_failed(None, &image, pull_backoff).await {
                true => Step::Stop,
                false => Step::Retry,
            };
        };
        let volume = volumes::data_dir(
            &self.k.store,
            &self.k.state_dir,
            &self.run_dir,
            pod,
            &container,
        );
        let data_dir = match volume {
            DataDir::Ready { path, .. } => path,
            DataDir::Waiting(why) => {
                tracing::debug!(pod = %self.name, "waiting for volume: {why}");
                self.wait_state("ContainerCreating", None);
                return self.retry_after(Duration::from_millis(500)).await;
            }
        };
        let env = match super::env::resolve(&self.k.store, pod, &container) {
            Ok(e) => e,
            Err(e) => {
                self.event("Warning", "Failed", &format!("Error: {e}"));
                self.wait_state("CreateContainerConfigError", Some(e.to_string()));
                return self.retry_after(Duration::from_secs(2)).await;
            }
        };
        if let Err(e) = std::fs::create_dir_all(&data_dir) {
            let message = format!("{}: {e}", data_dir.display());
            self.wait_state("CreateContainerError", Some(message));
            return self.retry_after(Duration::from_secs(2)).await;
        }
        Step::Ready(Prepared {
            container,
            image,
            flavor,
            data_dir,
            env,
        })
    }

    async fn retry_after<T>(&mut self, d: Duration) -> Step<T> {
        match self.sleep_or_stop(d).await {
            true => Step::Stop,
            false => Step::Retry,
        }
    }

    /// `CrashLoopBackOff` for `backoff`; true when the pod is stopping meanwhile.
    async fn back_off(&mut self, backoff: Duration) -> bool {
        let cname = self.view.container.clone();
        let pod_ref = format!("{}_{}({})", self.name, self.ns, self.uid);
        self.event(
            "Warning",
            "BackOff",
            &format!("Back-off restarting failed container {cname} in pod {pod_ref}"),
        );
        self.wait_state(
            "CrashLoopBackOff",
            Some(format!(
                "back-off {}s restarting failed container={cname} pod={pod_ref}",
                backoff.as_secs()
            )),
        );
        self.sleep_or_stop(backoff).await
    }

    /// A new container of `image`: its events, restart count and ID. Returns its start time and
    /// ID.
    fn create_container(&mut self, image: &str) -> (String, String) {
        if self.view.last.is_some() {
            self.view.restart_count += 1;
        }
        self.event(
            "Normal",
            "Pulled",
            &format!("Container image \"{image}\" already present on machine"),
        );
        let created = format!("Created container {}", self.view.container);
        self.event("Normal", "Created", &created);
        let container_id = format!(
            "docker://{}",
            hex64(&format!("{}{}", self.uid, uuid::Uuid::new_v4()))
        );
        self.view.container_id = Some(container_id.clone());
        self.view.image = image.to_string();
        self.view.image_id = image_id(image);
        (now(), container_id)
    }

    /// The container's end: terminated, `Completed` or `Error` by its exit code.
    fn record_exit(&mut self, code: i32, started_at: String, container_id: String) {
        let last = Terminated::exited(code, started_at, container_id);
        self.view.state = State::Terminated(last.clone());
        self.view.last = Some(last);
        self.view.ready = false;
        self.view.started = false;
    }

    /// Not restarted: the pod is done, its object and IP stay until it is deleted.
    async fn complete(&mut self, code: i32) {
        self.view.final_phase = Some(if code == 0 { "Succeeded" } else { "Failed" });
        self.publish();
        // Its sandbox is gone: the address goes back to the node's pool (the status keeps
        // showing it, as in Kubernetes).
        self.k.release_ip(&self.uid);
        while !self.sleep_or_stop(Duration::from_secs(3600)).await {}
    }

    /// What exec, probes and init containers need of this pod.
    fn runtime(
        &self,
        log: PathBuf,
        env: Vec<(String, String)>,
        data_dir: &Path,
        mysql_image: bool,
    ) -> PodRuntime {
        let pod = self.pod();
        PodRuntime {
            mysql_port: self.port,
            log_path: log,
            env,
            root_dir: self.run_dir.clone(),
            hostname: pod
                .as_ref()
                .and_then(|p| p["spec"]["hostname"].as_str().map(str::to_string))
                .unwrap_or_else(|| self.name.clone()),
            data_dir: data_dir.to_path_buf(),
            pod_ip: self.view.pod_ip.clone().unwrap_or_default(),
            namespace: self.ns.clone(),
            name: self.name.clone(),
            mysql_image,
            kubelet: Arc::downgrade(&self.k),
            pod_net: None,
        }
    }

    /// Runs the init containers in order, each to completion, restarting a failed one with
    /// back-off (`restartPolicy: Always`/`OnFailure`). True when all completed, false when the
    /// pod is stopping.
    async fn run_init_containers(&mut self) -> bool {
        let mut idx = 0;
        let mut backoff = Duration::ZERO;
        let mut pull_backoff = BACKOFF_START;
        while idx < self.view.init.len() {
            if self.stop_request().is_some() {
                return false;
            }
            let Some(pod) = self.pod() else { return false };
            let spec = pod["spec"]["initContainers"][idx].clone();
            let cname = self.view.init[idx].name.clone();
            let image = spec["image"].as_str().unwrap_or("").to_string();
            let Some(flavor) = mariadb::flavor(&image) else {
                if self.pull_failed(Some(idx), &image, &mut pull_backoff).await {
                    return false;
                }
                continue;
            };
            let env = match super::env::resolve(&self.k.store, &pod, &spec) {
                Ok(e) => e,
                Err(e) => {
                    self.event("Warning", "Failed", &format!("Error: {e}"));
                    self.init_state(idx, "CreateContainerConfigError", Some(e.to_string()));
                    if self.sleep_or_stop(Duration::from_secs(2)).await {
                        return false;
                    }
                    continue;
                }
            };
            if backoff > Duration::ZERO {
                let pod_ref = format!("{}_{}({})", self.name, self.ns, self.uid);
                self.event(
                    "Warning",
                    "BackOff",
                    &format!("Back-off restarting failed container {cname} in pod {pod_ref}"),
                );
                self.init_state(
                    idx,
                    "CrashLoopBackOff",
                    Some(format!(
                        "back-off {}s restarting failed container={cname} pod={pod_ref}",
                        backoff.as_secs()
                    )),
                );
                if self.sleep_or_stop(backoff).await {
                    return false;
                }
            }
            if self.view.init[idx].last.is_some() {
                self.view.init[idx].restart_count += 1;
            }
            self.event(
                "Normal",
                "Pulled",
                &format!("Container image \"{image}\" already present on machine"),
            );
            self.event("Normal", "Created", &format!("Created container {cname}"));
            let started_at = now();
            let container_id = format!(
                "docker://{}",
                hex64(&format!("{}{}", self.uid, uuid::Uuid::new_v4()))
            );
            {
                let v = &mut self.view.init[idx];
                v.container_id = Some(container_id.clone());
                v.image = image.clone();
                v.image_id = image_id(&image);
                v.state = State::Running {
                    started_at: started_at.clone(),
                };
            }
            self.publish();
            self.event("Normal", "Started", &format!("Started container {cname}"));
            let began = Instant::now();
            let Some(code) = self.run_init_container(&pod, &spec, flavor, env).await else {
                return false;
            };
            let t = Terminated::exited(code, started_at, container_id);
            let v = &mut self.view.init[idx];
            v.state = State::Terminated(t.clone());
            v.last = Some(t);
            if code != 0 && pod["spec"]["restartPolicy"] == "Never" {
                // A failed init container of a Never pod fails the pod.
                self.view.final_phase = Some("Failed");
                self.publish();
                self.k.release_ip(&self.uid);
                while !self.sleep_or_stop(Duration::from_secs(3600)).await {}
                return false;
            }
            self.publish();
            if code == 0 {
                idx += 1;
                backoff = Duration::ZERO;
            } else {
                backoff = if began.elapsed() >= BACKOFF_RESET
                    || (backoff.is_zero() && self.view.init[idx].restart_count == 0)
                {
                    Duration::ZERO
                } else {
                    (backoff * 2).clamp(BACKOFF_START, BACKOFF_MAX)
                };
            }
        }
        // The containers start next; the Initialized condition turns True with this publish.
        self.view.state = State::Waiting {
            reason: "PodInitializing".into(),
            message: None,
        };
        self.publish();
        true
    }

    /// An image labsim cannot run: ErrImagePull, then ImagePullBackOff for `backoff` (doubled
    /// for next time), on the container (`None`) or init container `Some(idx)`. True when
    /// stopping.
    async fn pull_failed(
        &mut self,
        init: Option<usize>,
        image: &str,
        backoff: &mut Duration,
    ) -> bool {
        let msg = mariadb::unsupported_image_message(image);
        let set = |w: &mut Self, reason: &str, message: String| match init {
            Some(i) => w.init_state(i, reason, Some(message)),
            None => w.wait_state(reason, Some(message)),
        };
        self.event("Normal", "Pulling", &format!("Pulling image \"{image}\""));
        self.event(
            "Warning",
            "Failed",
            &format!("Failed to pull image \"{image}\": {msg}"),
        );
        self.event("Warning", "Failed", "Error: ErrImagePull");
        set(self, "ErrImagePull", msg.clone());
        if self.sleep_or_stop(Duration::from_secs(1)).await {
            return true;
        }
        self.event(
            "Normal",
            "BackOff",
            &format!("Back-off pulling image \"{image}\""),
        );
        self.event("Warning", "Failed", "Error: ImagePullBackOff");
        set(
            self,
            "ImagePullBackOff",
            format!("Back-off pulling image \"{image}\": {msg}"),
        );
        if self.sleep_or_stop(*backoff).await {
            return true;
        }
        *backoff = (*backoff * 2).min(BACKOFF_MAX);
        false
    }

    /// Publishes a waiting state of init container `idx`.
    fn init_state(&mut self, idx: usize, reason: &str, message: Option<String>) {
        self.view.init[idx].state = State::Waiting {
            reason: reason.into(),
            message,
        };
        self.publish();
    }

    /// One run of an init container (output to `init-<name>.log`); the exit code, or None when
    /// the pod is stopping.
    async fn run_init_container(
        &mut self,
        pod: &Value,
        spec: &Value,
        flavor: Flavor,
        env: Vec<(String, String)>,
    ) -> Option<i32> {
        let name = spec["name"].as_str().unwrap_or("init");
        let log = self.run_dir.join(format!("init-{name}.log"));
        if log.exists() {
            let _ = std::fs::rename(&log, self.run_dir.join(format!("init-{name}.previous.log")));
        }
        if runs_server(spec) {
            append(&log, "labsim: 이 init 컨테이너는 데이터베이스 서버를 실행합니다(끝나지 않음). labsim은 init 컨테이너에서 명령(command/args)만 실행합니다 (an init container that runs the database server never completes; labsim runs init containers' commands only)\n");
            return Some(1);
        }
        self.run_command(pod, spec, flavor, env, log, false).await
    }

    /// A container that runs a command instead of the server (`kubectl run ... -- mysql -h
    /// ...`): its output is the container's log; it is ready while it runs. `End::Exited` with
    /// its exit code.
    async fn run_command_container(
        &mut self,
        pod: &Value,
        spec: &Value,
        flavor: Flavor,
        env: Vec<(String, String)>,
        started_at: &str,
    ) -> End {
        let log = self.run_dir.join("mysqld.log");
        if log.exists() {
            let _ = std::fs::rename(&log, self.run_dir.join("mysqld.previous.log"));
        }
        let _ = std::fs::write(&log, b"");
        self.view.state = State::Running {
            started_at: started_at.into(),
        };
        self.view.started = true;
        self.view.ready = true;
        self.publish();
        self.event(
            "Normal",
            "Started",
            &format!("Started container {}", self.view.container),
        );
        match self.run_command(pod, spec, flavor, env, log, true).await {
            Some(code) => End::Exited { code },
            None => End::Stopped,
        }
    }

    /// Runs a container's `command`/`args` (`$(VAR)` expanded from its env) through the same
    /// mapping as exec (MariaDB clients as host processes, builtins, scripts) with its output
    /// appended to `log`. With `exec_ok`, `kubectl exec` reaches the pod while it runs. The exit
    /// code, or None when the pod is stopping.
    async fn run_command(
        &mut self,
        pod: &Value,
        spec: &Value,
        flavor: Flavor,
        env: Vec<(String, String)>,
        log: PathBuf,
        exec_ok: bool,
    ) -> Option<i32> {
        let strs = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|a| super::env::expand_refs(a.as_str().unwrap_or(""), &env))
                .collect()
        };
        let argv: Vec<String> = strs(&spec["command"])
            .into_iter()
            .chain(strs(&spec["args"]))
            .collect();
        let data_dir =
            match volumes::data_dir(&self.k.store, &self.k.state_dir, &self.run_dir, pod, spec) {
                DataDir::Ready { path, .. } => path,
                DataDir::Waiting(_) => self.run_dir.join("emptydir-data"),
            };
        let _ = std::fs::create_dir_all(&data_dir);
        let rt = self.runtime(log.clone(), env, &data_dir, flavor == Flavor::Mysql);
        if exec_ok {
            self.k.set_runtime(&self.ns, &self.name, Some(rt.clone()));
        }
        let mapped = rt.map_command(&argv);
        let mut ctl = self.ctl.clone();
        let stopping = async move {
            loop {
                if ctl.borrow().is_some() || ctl.changed().await.is_err() {
                    return;
                }
            }
        };
        if let super::command::Mapped::Script(script) = &mapped {
            // Output goes to the log as the script produces it (a wait loop's lines show up in
            // `kubectl logs -c` while it waits).
            let to_log = log.clone();
            let mut sink = move |_: bool, d: &[u8]| append_bytes(&to_log, d);
            return tokio::select! {
                c = super::shell::run(script, &rt, &mut sink) => Some(c),
                _ = stopping => None,
            };
        }
        if !matches!(
            mapped,
            super::command::Mapped::Client { .. } | super::command::Mapped::Refused(_)
        ) {
            let r = tokio::select! {
                r = super::builtins::run_async(&mapped, &rt) => r,
                _ = stopping => return None,
            };
            let (out, err, code) = r.unwrap_or((Vec::new(), Vec::new(), 0));
            append_bytes(&log, &out);
            append_bytes(&log, &err);
            return Some(code);
        }
        let (program, args, password) = match mapped {
            super::command::Mapped::Client {
                program,
                args,
                password,
            } => (program, args, password),
            super::command::Mapped::Refused(why) => {
                append(&log, &format!("{why}\n"));
                return Some(126);
            }
            _ => return Some(126),
        };
        let mut cmd = rt.client_command(&program, &args, password.as_deref());
        output_to_log(&mut cmd, &log);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                append(&log, &format!("labsim: cannot run {program}: {e}\n"));
                return Some(127);
            }
        };
        tokio::select! {
            st = child.wait() => Some(st.map(exit_code).unwrap_or(255)),
            _ = stopping => {
                terminate(&mut child, Duration::from_secs(5)).await;
                None
            }
        }
    }

    fn node_name(&self) -> String {
        self.pod()
            .and_then(|p| p["spec"]["nodeName"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// Starts the server (entrypoint included), supervises it with probes, stops it on request.
    async fn run_container(
        &mut self,
        flavor: Flavor,
        container: &Value,
        data_dir: &Path,
        env: Vec<(String, String)>,
        started_at: &str,
    ) -> End {
        let log = self.fresh_server_log();
        let mut child = match self.entrypoint(flavor, data_dir, &env, &log).await {
            Ok(c) => c,
            Err(code) => return self.ended_before_server(started_at, code),
        };
        let mut probes = Probes::of(container, Instant::now());
        self.view.state = State::Running {
            started_at: started_at.into(),
        };
        self.view.ready = false;
        self.view.started = probes.startup.is_none();
        self.publish();
        self.started_event();
        let mysql_image = mariadb::flavor(&self.view.image) == Some(Flavor::Mysql);
        let rt = self.runtime(log, env, data_dir, mysql_image);
        self.k.set_runtime(&self.ns, &self.name, Some(rt.clone()));
        loop {
            self.ready_when_server_answers(&probes).await;
            let wake = probes.wake(self.view.started, self.view.ready);
            tokio::select! {
                st = child.wait() => {
                    let code = st.map(exit_code).unwrap_or(255);
                    return End::Exited { code };
                }
                _ = self.ctl.changed() => {}
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
            if let Some(stop) = self.stop_request() {
                self.event(
                    "Normal",
                    "Killing",
                    &format!("Stopping container {}", self.view.container),
                );
                terminate(&mut child, stop.grace).await;
                return End::Stopped;
            }
            if let Some(failed) = self.run_due_probes(&mut probes, &rt).await {
                self.event(
                    "Normal",
                    "Killing",
                    &format!(
                        "Container {} failed {failed} probe, will be restarted",
                        self.view.container
                    ),
                );
                return End::Exited {
                    code: terminate(&mut child, Duration::from_secs(30)).await,
                };
            }
        }
    }

    /// `mysqld.log` for a new server, the last one's kept as `mysqld.previous.log`.
    fn fresh_server_log(&self) -> PathBuf {
        let log = self.run_dir.join("mysqld.log");
        let _ = std::fs::create_dir_all(self.run_dir.join("tmp"));
        if log.exists() {
            let _ = std::fs::rename(&log, self.run_dir.join("mysqld.previous.log"));
        }
        log
    }

    fn started_event(&self) {
        let message = format!("Started container {}", self.view.container);
        self.event("Normal", "Started", &message);
    }

    /// The container started but ended in its entrypoint, before a server ran.
    fn ended_before_server(&mut self, started_at: &str, code: i32) -> End {
        self.view.state = State::Running {
            started_at: started_at.into(),
        };
        self.publish();
        self.started_event();
        match self.stop_request() {
            Some(_) => End::Stopped,
            None => End::Exited { code },
        }
    }

    /// Without a readiness probe the container is ready once the server answers.
    async fn ready_when_server_answers(&mut self, probes: &Probes) {
        if probes.readiness.is_none()
            && self.view.started
            && !self.view.ready
            && mariadb::server_answers(self.port, Duration::from_millis(500)).await
        {
            self.view.ready = true;
            self.publish();
        }
    }

    /// Runs the probes that are due: the startup probe until it passes, then liveness and
    /// readiness. Returns the kind of a probe whose failure restarts the container.
    async fn run_due_probes(
        &mut self,
        probes: &mut Probes,
        rt: &PodRuntime,
    ) -> Option<&'static str> {
        let now_i = Instant::now();
        let env = &probes.static_env;
        if !self.view.started {
            let startup = probes
                .startup
                .as_mut()
                .and_then(|p| p.due(now_i).then_some(p))?;
            match self.probe("Startup", startup, rt, env).await {
                Verdict::Pass => {
                    self.view.started = true;
                    self.publish();
                    let t = Instant::now();
                    for p in [&mut probes.liveness, &mut probes.readiness]
                        .into_iter()
                        .flatten()
                    {
                        p.restart(t);
                    }
                }
                Verdict::Fail => return Some("startup"),
                Verdict::Hold => {}
            }
            return None;
        }
        if let Some(liveness) = probes
            .liveness
            .as_mut()
            .and_then(|p| p.due(now_i).then_some(p))
        {
            if self.probe("Liveness", liveness, rt, env).await == Verdict::Fail {
                return Some("liveness");
            }
        }
        if let Some(readiness) = probes
            .readiness
            .as_mut()
            .and_then(|p| p.due(now_i).then_some(p))
        {
            match self.probe("Readiness", readiness, rt, env).await {
                Verdict::Pass => self.view.ready = true,
                Verdict::Fail => self.view.ready = false,
                Verdict::Hold => {}
            }
            self.publish();
        }
        None
    }

    /// Runs one probe; a failure is recorded as an `Unhealthy` event.
    async fn probe(
        &self,
        kind: &str,
        p: &mut Scheduled,
        rt: &PodRuntime,
        env: &[(String, String)],
    ) -> Verdict {
        let r = probes::run(&p.probe, rt, env).await;
        if let Err(out) = &r {
            self.event(
                "Warning",
                "Unhealthy",
                &format!("{kind} probe failed: {out}"),
            );
        }
        p.counter.observe(&p.probe, r.is_ok())
    }

    /// What the official images' entrypoint does, then `mariadbd`. `Err(exit code)` when the
    /// container ends before the server runs (its log says why).
    async fn entrypoint(
        &mut self,
        flavor: Flavor,
        data_dir: &Path,
        env: &[(String, String)],
        log: &Path,
    ) -> Result<Child, i32> {
        if mariadb::initialised(data_dir) {
            append(log, "[Note] [Entrypoint]: Database files found; skipping initialization (password env ignored)\n");
            return self.spawn_server(data_dir, log, None).await.map_err(|_| 1);
        }
        let first = match mariadb::first_start(flavor, env) {
            Ok(f) => f,
            Err(EntrypointError::MissingPassword(t) | EntrypointError::RootUser(t)) => {
                append(log, &format!("{} [Note] [Entrypoint]: Entrypoint script for MySQL Server started.\n{} {t}\n", now(), now()));
                return Err(1);
            }
        };
        append(log, "[Note] [Entrypoint]: Initializing database files\n");
        // A half-done earlier init (marker present) is redone from scratch.
        if data_dir.join(mariadb::INIT_MARKER).exists() {
            if let Ok(rd) = std::fs::read_dir(data_dir) {
                for e in rd.flatten() {
                    let p = e.path();
                    let _ = if p.is_dir() {
                        std::fs::remove_dir_all(&p)
                    } else {
                        std::fs::remove_file(&p)
                    };
                }
            }
        }
        let _ = std::fs::write(data_dir.join(mariadb::INIT_MARKER), b"");
        let template = match mariadb::pristine_datadir(&self.k.state_dir, log, INIT_TIMEOUT).await {
            Ok(t) => t,
            Err(e) => {
                append(
                    log,
                    &format!("[ERROR] [Entrypoint]: mariadb-install-db failed: {e}\n"),
                );
                return Err(1);
            }
        };
        if let Err(e) = mariadb::copy_dir(&template, data_dir) {
            append(
                log,
                &format!(
                    "[ERROR] [Entrypoint]: could not initialise {}: {e}\n",
                    data_dir.display()
                ),
            );
            return Err(1);
        }
        for n in &first.notes {
            append(log, &format!("{n}\n"));
        }
        let init_file = self.run_dir.join("init.sql");
        if crate::files::write_private(&init_file, mariadb::init_sql(&first).as_bytes()).is_err() {
            return Err(1);
        }
        let child = self.spawn_server(data_dir, log, Some(&init_file)).await;
        let _ = std::fs::remove_file(&init_file);
        match child {
            Ok(c) => {
                let _ = std::fs::remove_file(data_dir.join(mariadb::INIT_MARKER));
                if let RootPassword::Random(p) = &first.root {
                    // The official images print the generated password once to the container log.
                    append(
                        log,
                        &format!("[Note] [Entrypoint]: GENERATED ROOT PASSWORD: {p}\n"),
                    );
                }
                append(
                    log,
                    "[Note] [Entrypoint]: MySQL init process done. Ready for start up.\n",
                );
                Ok(c)
            }
            Err(code) => Err(code),
        }
    }

    /// Spawns `mariadbd` and waits until it answers (or exits: `Err(exit code)`).
    async fn spawn_server(
        &mut self,
        data_dir: &Path,
        log: &Path,
        init_file: Option<&Path>,
    ) -> Result<Child, i32> {
        let bin = if Path::new("/usr/sbin/mariadbd").exists() {
            "/usr/sbin/mariadbd"
        } else {
            "mariadbd"
        };
        let mut cmd = Command::new(bin);
        cmd.args(mariadb::server_args(
            data_dir,
            &self.run_dir,
            self.port,
            init_file,
        ))
        .current_dir(&self.run_dir)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(Stdio::null())
        // Its own process group: a Ctrl-C at labsim's terminal must not hit the servers,
        // which labsim shuts down cleanly itself.
        .process_group(0)
        .kill_on_drop(false);
        output_to_log(&mut cmd, log);
        let mut child = cmd.spawn().map_err(|e| {
            append(
                log,
                &format!("[ERROR] labsim: cannot start mariadbd: {e}\n"),
            );
            127
        })?;
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(exit_code(st));
            }
            if self.stop_request().is_some() {
                terminate(&mut child, Duration::from_secs(10)).await;
                return Err(0);
            }
            if mariadb::server_answers(self.port, Duration::from_millis(500)).await {
                return Ok(child);
            }
            if Instant::now() > deadline {
                append(log, "[ERROR] labsim: mariadbd did not answer in time\n");
                return Err(terminate(&mut child, Duration::from_secs(10)).await);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// After the stop: remove the pod object (graceful deletion) and its run dir, free its IP.
    async fn finish(&mut self) {
        self.k.set_runtime(&self.ns, &self.name, None);
        self.k.release_port(self.port);
        let stop = self.stop_request();
        let gone = self.pod().is_none();
        let remove = stop.is_some_and(|s| s.remove);
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

/// Whether a container runs the image's database server: no `command` (or `mysqld` /
/// `docker-entrypoint.sh` as the command) and `args` that are empty, options, or `mysqld`;
/// otherwise the image's entrypoint execs the command it is given.
pub fn runs_server(spec: &Value) -> bool {
    let first = |k: &str| {
        spec[k]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(|s| s.rsplit('/').next().unwrap_or(s).to_string())
    };
    let server = |a: &str| matches!(a, "mysqld" | "mariadbd");
    match first("command") {
        Some(c) if c == "docker-entrypoint.sh" || server(&c) => true,
        Some(_) => false,
        None => first("args").is_none_or(|a| a.starts_with('-') || server(&a)),
    }
}

/// SIGTERM (clean InnoDB shutdown), SIGKILL after `grace`; returns the exit code.
pub async fn terminate(child: &mut Child, grace: Duration) -> i32 {
    if let Some(pid) = child.id() {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
    match tokio::time::timeout(grace, child.wait()).await {
        Ok(Ok(st)) => exit_code(st),
        _ => {
            let _ = child.start_kill();
            match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
                Ok(Ok(st)) => exit_code(st),
                _ => 137,
            }
        }
    }
}

/// A container's stdout and stderr both go to its log (appended), or nowhere if it cannot be
/// opened.
fn output_to_log(cmd: &mut Command, log: &Path) {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log);
    match file {
        Ok(f) => {
            let f2 = f.try_clone().ok();
            cmd.stdout(Stdio::from(f));
            cmd.stderr(f2.map(Stdio::from).unwrap_or_else(Stdio::null));
        }
        Err(_) => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
}

fn append_bytes(path: &Path, bytes: &[u8]) {
    use std::io::Write;
    if bytes.is_empty() {
        return;
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(bytes);
    }
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

/// A free loopback port below Linux's ephemeral range (32768-60999): a port picked by
/// `bind(0)` is an ephemeral one that an outgoing connection (a probe, a client) may grab before
/// mariadbd binds it, which made a first start fail now and then.
pub fn free_port() -> Option<u16> {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    for _ in 0..100 {
        let p = rng.gen_range(20000..32000);
        if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return Some(p);
        }
    }
    let l = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
    l.local_addr().ok().map(|a| a.port())
}

/// 64 hex chars derived from `seed`.
pub fn hex64(seed: &str) -> String {
    (0..4)
        .map(|i| format!("{:016x}", events::fnv(&format!("{i}:{seed}"))))
        .collect()
}

/// `docker-pullable://mysql@sha256:...` (stable per image name; labsim pulls nothing).
pub fn image_id(image: &str) -> String {
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    format!("docker-pullable://{repo}@sha256:{}", hex64(image))
}

#[cfg(test)]
mod tests {
    #[test]
    fn server_or_command() {
        use serde_json::json;
        assert!(super::runs_server(&json!({})));
        assert!(super::runs_server(&json!({"args": ["--skip-log-bin"]})));
        assert!(super::runs_server(&json!({"args": ["mysqld"]})));
        assert!(super::runs_server(
            &json!({"command": ["docker-entrypoint.sh"], "args": ["mysqld"]})
        ));
        assert!(!super::runs_server(
            &json!({"args": ["mysql", "-h", "mysql-0.mysql"]})
        ));
        assert!(!super::runs_server(
            &json!({"command": ["sh", "-c", "sleep 1"]})
        ));
    }

    #[test]
    fn image_ids_are_stable_and_shaped() {
        let a = super::image_id("mysql:8.4.3");
        assert!(a.starts_with("docker-pullable://mysql@sha256:"));
        assert_eq!(a.len(), "docker-pullable://mysql@sha256:".len() + 64);
        assert_eq!(a, super::image_id("mysql:8.4.3"));
        assert!(super::image_id("localhost:5000/mariadb:11")
            .starts_with("docker-pullable://localhost:5000/mariadb@"));
    }
}
