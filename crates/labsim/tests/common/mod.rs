//! Shared fixtures for labsim's integration tests: a labsim process on a free loopback port with
//! its own state dir, the real `kubectl` pointed at it (with a private discovery cache), and
//! polling helpers that always time out.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The labsim binary cargo built for these tests.
pub fn labsim_bin() -> &'static str {
    env!("CARGO_BIN_EXE_labsim")
}

/// A labsim started with `labsim up` in a temp state dir; `down` on drop.
pub struct Sim {
    pub dir: tempfile::TempDir,
    pub home: tempfile::TempDir,
}

impl Sim {
    pub fn up() -> Sim {
        let dir = tempfile::Builder::new()
            .prefix("labsim-test")
            .tempdir()
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let sim = Sim { dir, home };
        let out = sim.labsim(&["up", "--port", "0"]);
        assert!(out.status.success(), "labsim up failed:\n{}", text(&out));
        sim
    }

    pub fn state(&self) -> &Path {
        self.dir.path()
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.state().join("kubeconfig")
    }

    /// Runs `labsim <args> --state-dir <dir>`.
    pub fn labsim(&self, args: &[&str]) -> Output {
        Command::new(labsim_bin())
            .args(args)
            .arg("--state-dir")
            .arg(self.state())
            .output()
            .expect("run labsim")
    }

    /// The real kubectl against this labsim (private HOME so the discovery cache is fresh).
    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("kubectl");
        c.arg("--kubeconfig")
            .arg(self.kubeconfig())
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("KUBECONFIG");
        c
    }

    /// Runs kubectl to completion (killed after 60 s).
    pub fn kubectl(&self, args: &[&str]) -> Output {
        run_with_timeout(self.kubectl_cmd(args), Duration::from_secs(60))
    }

    /// kubectl that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}",
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl get pods -o json` as a JSON value.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("kubectl -o json")
    }

    /// SQL in a pod through `kubectl exec ... mysql` (the lab's root password); stdout.
    pub fn sql(&self, pod: &str, query: &str) -> String {
        self.ok(&[
            "exec",
            pod,
            "--",
            "mysql",
            "-uroot",
            "-ppassword",
            "-e",
            query,
        ])
    }

    /// UIDs of the pods matching `selector`, in pod-name order.
    pub fn pod_uids(&self, selector: &str) -> Vec<String> {
        let pods = self.json(&["get", "pods", "-l", selector]);
        let mut v: Vec<(String, String)> = pods["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| {
                let m = &p["metadata"];
                (
                    m["name"].as_str().unwrap_or("").to_string(),
                    m["uid"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, u)| u).collect()
    }

    /// Pids of the `mariadbd` processes running on this labsim's volumes.
    pub fn mariadbd_pids(&self) -> Vec<String> {
        let pattern = format!("mariadbd.*{}", self.state().display());
        let out = Command::new("pgrep")
            .args(["-f", &pattern])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Polls `f` until it returns Some, failing after `secs`.
    pub fn wait_for<T>(&self, what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = f() {
                return v;
            }
            if Instant::now() > deadline {
                let pods = self.kubectl(&["get", "pods", "-o", "wide"]);
                let events = self.kubectl(&["get", "events"]);
                panic!(
                    "timed out after {secs}s waiting for {what}\n{}\n{}",
                    text(&pods),
                    text(&events)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `n` pods with `app=mysql` are Ready.
    pub fn wait_ready(&self, n: usize, secs: u64) {
        self.wait_for(&format!("{n} ready mysql pods"), secs, || {
            let pods = self.json(&["get", "pods", "-l", "app=mysql"]);
            let ready = pods["items"]
                .as_array()?
                .iter()
                .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
                .filter(|p| {
                    p["status"]["conditions"].as_array().is_some_and(|cs| {
                        cs.iter()
                            .any(|c| c["type"] == "Ready" && c["status"] == "True")
                    })
                })
                .count();
            (ready == n).then_some(())
        })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.labsim(&["down"]);
    }
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
    use std::process::Stdio;
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

/// The repository's manifests dir.
pub fn manifest(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("manifests")
        .join(name)
        .to_string_lossy()
        .into_owned()
}
