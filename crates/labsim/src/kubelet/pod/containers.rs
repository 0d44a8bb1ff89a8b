//! A container from its spec to its end: what it needs before it can start (image, volumes,
//! environment), its sandbox (see [`super::super::sandbox`]), and its supervision while it runs
//! (probes, readiness, stop on request).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::super::probes::Probes;
use super::super::sandbox::{self, image, rootfs, Running};
use super::super::status::State;
use super::super::{mariadb, mounts, PodRuntime};
use super::{append, hex64, image_id, log_file, End, Step, Worker};
use crate::store::now;

/// A container ready to start.
pub(super) struct Prepared {
    pub spec: Value,
    pub image: String,
    pub kind: image::Kind,
    pub mounts: Vec<rootfs::Mount>,
    pub env: Vec<(String, String)>,
}

/// A started container process with what exec needs to enter it.
pub(super) struct Started {
    pub process: Running,
    pub exec_env: Vec<(String, String)>,
    pub workdir: String,
    pub runs_server: bool,
}

/// How long a started server may take to answer before it counts as not ready yet (the
/// readiness check keeps trying; this bounds one look).
const ANSWER_CHECK: Duration = Duration::from_millis(500);

impl Worker {
    /// What a container needs before it can start: a known image, its volumes and its
    /// environment. While one is missing the pod waits (and says why), then the caller tries
    /// again.
    pub(super) async fn prepare(
        &mut self,
        pod: &Value,
        spec: &Value,
        init: Option<usize>,
        pull_backoff: &mut Duration,
    ) -> Step<Prepared> {
        let img = spec["image"].as_str().unwrap_or("").to_string();
        let Some(kind) = image::kind(&img) else {
            return match self.pull_failed(init, &img, pull_backoff).await {
                true => Step::Stop,
                false => Step::Retry,
            };
        };
        let set = |w: &mut Self, reason: &str, msg: Option<String>| match init {
            Some(i) => w.init_state(i, reason, msg),
            None => w.wait_state(reason, msg),
        };
        let mounts =
            match mounts::resolve(&self.k.store, &self.k.state_dir, &self.run_dir, pod, spec) {
                Ok(m) => m,
                Err(why) => {
                    tracing::debug!(pod = %self.name, "waiting for volume: {why}");
                    let reason = if init.is_some() {
                        "PodInitializing"
                    } else {
                        "ContainerCreating"
                    };
                    set(self, reason, None);
                    return self.retry_after(Duration::from_millis(500)).await;
                }
            };
        let env = match super::super::env::resolve(&self.k.store, pod, spec) {
            Ok(e) => e,
            Err(e) => {
                self.event("Warning", "Failed", &format!("Error: {e}"));
                set(self, "CreateContainerConfigError", Some(e.to_string()));
                return self.retry_after(Duration::from_secs(2)).await;
            }
        };
        Step::Ready(Prepared {
            spec: spec.clone(),
            image: img,
            kind,
            mounts,
            env,
        })
    }

    /// This worker's container of the pod, prepared.
    pub(super) async fn prepare_container(
        &mut self,
        pod: &Value,
        pull_backoff: &mut Duration,
    ) -> Step<Prepared> {
        let spec = pod["spec"]["containers"][self.ci.unwrap_or(0)].clone();
        self.prepare(pod, &spec, None, pull_backoff).await
    }

    pub(super) async fn retry_after<T>(&mut self, d: Duration) -> Step<T> {
        match self.sleep_or_stop(d).await {
            true => Step::Stop,
            false => Step::Retry,
        }
    }

    /// A new container of `image`: its events, restart count and ID. Returns its start time and
    /// ID.
    pub(super) fn create_container(&mut self, image: &str) -> (String, String) {
        if self.c().last.is_some() {
            self.cm().restart_count += 1;
        }
        let field = format!("spec.containers{{{}}}", self.c().name);
        self.pulled(&field, image);
        // With a colon since 1.32 (kuberuntime_container.go `startContainer`).
        let created = format!("Created container: {}", self.c().name);
        self.event("Normal", "Created", &created);
        let container_id = new_container_id(&self.uid);
        self.cm().container_id = Some(container_id.clone());
        self.cm().image = image.to_string();
        self.cm().image_id = image_id(image);
        (now(), container_id)
    }

    /// Starts a prepared container in its sandbox with its output going to `log`.
    pub(super) async fn start_process(
        &mut self,
        c: &Prepared,
        log: PathBuf,
    ) -> Result<Started, String> {
        let expand = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|a| super::super::env::expand_refs(a.as_str().unwrap_or(""), &c.env))
                .collect()
        };
        let argv = image::argv(c.kind, expand(&c.spec["command"]), expand(&c.spec["args"]));
        let runs_server = c.kind.runs_server(&argv);
        let cname = c.spec["name"].as_str().unwrap_or("container");
        let cdir = self.run_dir.join("containers").join(cname);
        let etc = cdir.join("etc");
        // In its own network the server listens on every address of the pod, as the mysql
        // image's does; on the host only on loopback.
        let bind = if self.pod_net.is_some() {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        };
        let prompt = c.kind == image::Kind::Mysql;
        rootfs::write_etc(&etc, self.port, bind, prompt).map_err(|e| format!("{e}"))?;
        let image_bin = self.k.image_files(c.kind).map_err(|e| format!("{e}"))?;
        let mut image_dirs = Vec::new();
        if runs_server {
            // `mysqld --initialize-insecure` copies this fresh data directory.
            let template = mariadb::pristine_datadir(&self.k.state_dir, Duration::from_secs(120))
                .await
                .map_err(|e| format!("mariadb-install-db: {e}"))?;
            image_dirs.push(rootfs::Mount {
                host: template,
                target: "/opt/labsim/mariadb-datadir".into(),
                read_only: true,
            });
        }
        let mut scratch = vec![rootfs::Mount {
            host: dir(cdir.join("run-mysqld"))?,
            target: "/run/mysqld".into(),
            read_only: false,
        }];
        let data_mounted = c.mounts.iter().any(|m| m.target == "/var/lib/mysql");
        if matches!(c.kind, image::Kind::Mysql | image::Kind::Mariadb) && !data_mounted {
            // The images declare `VOLUME /var/lib/mysql`: without a volume there, the runtime
            // gives each new container an anonymous one (a restart starts empty again).
            let anon = cdir.join("anonymous-var-lib-mysql");
            let _ = std::fs::remove_dir_all(&anon);
            scratch.push(rootfs::Mount {
                host: dir(anon)?,
                target: "/var/lib/mysql".into(),
                read_only: false,
            });
        }
        let layout = rootfs::Layout {
            etc,
            pod_files: self.pod_files(),
            image_bin,
            image_dirs,
            empty_dirs: c.kind.empty_dirs().iter().map(|d| d.to_string()).collect(),
            volumes: c.mounts.clone(),
            scratch,
        };
        // Every container runs as root inside, as the images' USER is: exec'd commands and
        // probes are root (the MariaDB clients' default user is the login name). One uid is
        // mapped per sandbox, so the entrypoint's switch to `mysql` cannot happen: the server
        // runs as root with `--user=root` (see the image's `mysqld`).
        let uid = "0";
        let hostname = self.hostname();
        let workdir = c.spec["workingDir"]
            .as_str()
            .filter(|w| w.starts_with('/'))
            .unwrap_or("/")
            .to_string();
        let mut bwrap: Vec<OsString> = [
            "--unshare-user",
            "--uid",
            uid,
            "--gid",
            uid,
            "--unshare-pid",
            "--die-with-parent",
            "--as-pid-1",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let enter = match &self.pod_net {
            // The pod's holder has the pod's network, UTS (its hostname) and IPC namespaces,
            // which all its containers share, as in a pod.
            Some(net) => net.nsenter_args(),
            None => {
                bwrap.extend(
                    ["--unshare-uts", "--unshare-ipc", "--hostname", &hostname]
                        .iter()
                        .map(OsString::from),
                );
                vec![]
            }
        };
        bwrap.extend(layout.bwrap_args());
        bwrap.extend(["--chdir".into(), OsString::from(&workdir)]);
        let home = if runs_server {
            "/var/lib/mysql"
        } else {
            "/root"
        };
        let mut env: Vec<(String, String)> = vec![
            (
                "PATH".into(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
            ),
            ("HOSTNAME".into(), hostname),
            ("HOME".into(), home.into()),
        ];
        env.extend(c.kind.env(&c.image));
        for (k, v) in &c.env {
            env.retain(|(n, _)| n != k);
            env.push((k.clone(), v.clone()));
        }
        // Output through the kubelet (log + attach sessions); stdin a pipe when `stdin: true`.
        let io = super::super::attach::open(&self.uid, &c.spec, &log).map_err(|e| e.to_string())?;
        let process = sandbox::spawn::start(sandbox::Spec {
            bwrap,
            argv,
            env: env.clone(),
            log: log.clone(),
            enter,
            io: Some(io),
        })
        .await
        .map_err(|e| e.to_string())?;
        let _ = std::fs::write(
            cdir.join("bwrap.pid"),
            format!("{} {}\n", process.bwrap_pid, process.pid),
        );
        Ok(Started {
            process,
            exec_env: env,
            workdir,
            runs_server,
        })
    }

    /// Runs the pod's container until it exits or the pod stops: its probes, its readiness
    /// (without a readiness probe, a database server is ready once it answers; any other
    /// process once it runs), exec reaching it meanwhile.
    pub(super) async fn run_container(
        &mut self,
        _pod: &Value,
        c: Prepared,
        started_at: &str,
    ) -> End {
        let log = log_file(&self.run_dir, &self.c().name, self.c().restart_count);
        if let Some(parent) = log.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::remove_file(&log);
        let started = match self.start_process(&c, log.clone()).await {
            Ok(s) => s,
            Err(why) => {
                append(&log, &format!("labsim: {why}\n"));
                self.event("Warning", "Failed", &format!("Error: {why}"));
                self.wait_state("CreateContainerError", Some(why));
                return match self.sleep_or_stop(Duration::from_secs(2)).await {
                    true => End::Stopped,
                    false => End::Exited { code: 128 },
                };
            }
        };
        let Started {
            mut process,
            exec_env,
            workdir,
            runs_server,
        } = started;
        let mut probes = Probes::of(&c.spec, Instant::now());
        self.cm().state = State::Running {
            started_at: started_at.into(),
        };
        self.cm().ready = false;
        self.cm().started = probes.startup.is_none();
        self.publish();
        self.event(
            "Normal",
            "Started",
            &format!("Started container {}", self.c().name),
        );
        let rt = self.runtime(log, exec_env, workdir, process.pid);
        let cname = self.c().name.clone();
        self.k
            .set_runtime(&self.ns, &self.name, &cname, Some(rt.clone()));
        loop {
            self.judge_readiness(&probes, runs_server).await;
            let wake = probes.wake(self.c().started, self.c().ready);
            tokio::select! {
                code = process.wait() => return End::Exited { code },
                _ = self.ctl.changed() => {}
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
            if let Some(stop) = self.stop_request() {
                self.event(
                    "Normal",
                    "Killing",
                    &format!("Stopping container {}", self.c().name),
                );
                process.stop(stop.grace).await;
                return End::Stopped;
            }
            if let Some(failed) = self.run_due_probes(&mut probes, &rt).await {
                self.event(
                    "Normal",
                    "Killing",
                    &format!(
                        "Container {} failed {failed} probe, will be restarted",
                        self.c().name
                    ),
                );
                return End::Exited {
                    code: process.stop(Duration::from_secs(30)).await,
                };
            }
        }
    }

    /// Without a readiness probe: a database server is ready once it answers, anything else
    /// once it started.
    async fn judge_readiness(&mut self, probes: &Probes, runs_server: bool) {
        if probes.readiness.is_some() || !self.c().started || self.c().ready {
            return;
        }
        if !runs_server || self.server_answers().await {
            self.cm().ready = true;
            self.publish();
        }
    }

    /// Whether the pod's database server greets on its port (in the pod's network, or on the
    /// host's loopback).
    async fn server_answers(&self) -> bool {
        match &self.pod_net {
            Some(net) => match net.dial_local(self.port, ANSWER_CHECK).await {
                Ok(s) => mariadb::greets(s, ANSWER_CHECK).await,
                Err(_) => false,
            },
            None => mariadb::server_answers(self.port, ANSWER_CHECK).await,
        }
    }

    /// What exec, port-forward and probes need of the running container.
    pub(super) fn runtime(
        &self,
        log: PathBuf,
        env: Vec<(String, String)>,
        workdir: String,
        pid: i32,
    ) -> PodRuntime {
        PodRuntime {
            container: self.c().name.clone(),
            mysql_port: self.port,
            log_path: log,
            env,
            workdir,
            pid,
            root_dir: self.run_dir.clone(),
            hostname: self.hostname(),
            pod_ip: self.view.pod_ip.clone().unwrap_or_default(),
            namespace: self.ns.clone(),
            name: self.name.clone(),
            kubelet: Arc::downgrade(&self.k),
            pod_net: self.pod_net.clone(),
        }
    }
}

fn dir(p: PathBuf) -> Result<PathBuf, String> {
    std::fs::create_dir_all(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(p)
}

/// `docker://<64 hex>`, new for every container run.
pub(super) fn new_container_id(uid: &str) -> String {
    format!(
        "docker://{}",
        hex64(&format!("{uid}{}", uuid::Uuid::new_v4()))
    )
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
