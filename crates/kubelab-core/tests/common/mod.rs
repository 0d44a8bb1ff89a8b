//! Shared fixtures for kubelab's integration tests: a whole labsim started in-process on its own
//! tokio runtime (dedicated thread), `KUBECONFIG` pointed at it for kubelab, and the real
//! `kubectl` against the same server (private HOME for a fresh discovery cache).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use labsim::cluster::Cluster;

/// A labsim running in this test process; [`Lab::stop`] stops it and every mariadbd.
pub struct Sim {
    pub state: tempfile::TempDir,
    pub home: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    stop_tx: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sim {
    /// Starts labsim on 127.0.0.1:0 in a dedicated runtime thread and waits for its kubeconfig.
    pub fn start() -> Sim {
        let state = tempfile::Builder::new()
            .prefix("kubelab-it")
            .tempdir()
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let dir = state.path().to_path_buf();
        let (ready_tx, ready_rx) = mpsc::channel::<PathBuf>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("labsim".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let running = Cluster::start(&dir).await.expect("labsim start");
                    ready_tx.send(running.kubeconfig.clone()).unwrap();
                    // wait for stop (or the test dropping the sender) without blocking a worker
                    let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                    tokio::time::timeout(Duration::from_secs(60), running.stop())
                        .await
                        .expect("labsim stop within 60 s")
                        .expect("labsim stop");
                });
            })
            .unwrap();
        let kubeconfig = ready_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("labsim did not start in 60 s");
        Sim {
            state,
            home,
            kubeconfig,
            stop_tx: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Starts labsim and points this process's `KUBECONFIG` at it (before any kubelab call).
    pub fn start_for_kubelab() -> Sim {
        let sim = Sim::start();
        std::env::set_var("KUBECONFIG", &sim.kubeconfig);
        sim
    }

    /// Stops labsim and waits until every pod process is gone.
    pub fn stop(&mut self) {
        if let Some(tx) = self.stop_tx.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().expect("labsim thread panicked");
        }
    }

    /// The real kubectl against this labsim.
    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        kubectl_cmd(&self.kubeconfig, self.home.path(), args)
    }

    /// kubectl that must succeed; returns stdout.
    pub fn kubectl(&self, args: &[&str]) -> String {
        let out = run_with_timeout(self.kubectl_cmd(args), Duration::from_secs(60));
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}",
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl <args> -o json` as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.kubectl(&a)).expect("kubectl -o json")
    }

    /// Pod name -> UID, via kubectl.
    pub fn pod_uids(&self, selector: &str) -> Vec<(String, String)> {
        let v = self.json(&["get", "pods", "-l", selector]);
        let mut out: Vec<(String, String)> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["metadata"]["name"].as_str().unwrap().to_string(),
                    p["metadata"]["uid"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.stop();
        } else if let Some(tx) = self.stop_tx.take() {
            // a failed test: still stop every mariadbd, but do not risk a second panic
            let _ = tx.send(());
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// The real kubectl with an explicit kubeconfig and a private HOME.
pub fn kubectl_cmd(kubeconfig: &Path, home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("kubectl");
    c.arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env("HOME", home)
        .env_remove("KUBECONFIG");
    c
}

/// stdout + stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a command, killing it after `timeout`.
pub fn run_with_timeout(mut cmd: Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + timeout;
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Absolute path of a file in the repository's `manifests/`.
pub fn manifest(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../manifests")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Writes `text` to `<dir>/<name>` and returns its path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

/// Runs `f` on another thread and fails if it takes longer than `limit` (nothing hangs).
pub fn bounded<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => (v, t0.elapsed()),
        Err(_) => panic!("{what}: did not return within {limit:?}"),
    }
}
