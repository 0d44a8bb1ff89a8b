//! A labsim to test against, in its own state dir: the `labsim` binary (`labsim up`, what a
//! student runs) or a cluster this test process runs on a thread of its own. Either way the real
//! `kubectl` talks to it with a private HOME, and every wait has a limit.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{kubectl_cmd, run_with_timeout, text};

/// Stops a labsim this process runs and waits until its pod processes are gone; `Err` says why
/// it could not (its thread panicked).
pub type Stop = Box<dyn FnOnce() -> Result<(), String> + Send>;

/// A running labsim; stopped on drop.
pub struct Sim {
    pub state: tempfile::TempDir,
    /// HOME of every kubectl run (its discovery cache starts empty).
    pub home: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    runs: Runs,
}

enum Runs {
    /// `labsim up` of this binary; `labsim down` stops it.
    Binary(PathBuf),
    /// In this process; `None` once stopped.
    InProcess(Option<Stop>),
}

/// How long a kubectl run may take.
const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);

impl Sim {
    fn dirs() -> (tempfile::TempDir, tempfile::TempDir) {
        let state = tempfile::Builder::new()
            .prefix("labsim-test")
            .tempdir()
            .unwrap();
        (state, tempfile::tempdir().unwrap())
    }

    /// `labsim up --port 0` of the binary `bin` (labsim's tests pass
    /// `env!("CARGO_BIN_EXE_labsim")`); `labsim down` on drop.
    pub fn up(bin: &str) -> Sim {
        let (state, home) = Sim::dirs();
        let kubeconfig = state.path().join("kubeconfig");
        let sim = Sim {
            state,
            home,
            kubeconfig,
            runs: Runs::Binary(bin.into()),
        };
        let out = sim.labsim(&["up", "--port", "0"]);
        assert!(out.status.success(), "labsim up failed:\n{}", text(&out));
        sim
    }

    /// A labsim this process runs: `start(state_dir)` starts it and returns its kubeconfig and
    /// how to stop it (kubelab's tests pass `labsim::cluster::start_in_thread`).
    pub fn in_process(start: impl FnOnce(&Path) -> (PathBuf, Stop)) -> Sim {
        let (state, home) = Sim::dirs();
        let (kubeconfig, stop) = start(state.path());
        Sim {
            state,
            home,
            kubeconfig,
            runs: Runs::InProcess(Some(stop)),
        }
    }

    /// Points this process's `KUBECONFIG` at this labsim (before any kubelab call).
    pub fn exported(self) -> Sim {
        std::env::set_var("KUBECONFIG", &self.kubeconfig);
        self
    }

    /// The state dir.
    pub fn state(&self) -> &Path {
        self.state.path()
    }

    /// Runs `labsim <args> --state-dir <dir>` (a labsim started with [`Sim::up`]).
    pub fn labsim(&self, args: &[&str]) -> Output {
        let Runs::Binary(bin) = &self.runs else {
            panic!("labsim {args:?}: this labsim runs in the test process, not as the binary");
        };
        Command::new(bin)
            .args(args)
            .arg("--state-dir")
            .arg(self.state())
            .output()
            .expect("run labsim")
    }

    /// Stops labsim; it is gone with every pod process when this returns.
    pub fn stop(&mut self) {
        let result = match &mut self.runs {
            // `down` of a labsim that is down already is no failure.
            Runs::Binary(_) => {
                let _ = self.labsim(&["down"]);
                Ok(())
            }
            Runs::InProcess(stop) => stop.take().map_or(Ok(()), |stop| stop()),
        };
        // A test that failed already must not panic again here (that would abort).
        if let Err(e) = result {
            if !std::thread::panicking() {
                panic!("stopping labsim: {e}");
            }
        }
    }

    /// The real kubectl against this labsim.
    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        kubectl_cmd(&self.kubeconfig, self.home.path(), args)
    }

    /// kubectl running in the background (e.g. `get pods -w`); see [`Background::stop`].
    pub fn background(&self, args: &[&str]) -> Background {
        let child = self
            .kubectl_cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubectl");
        Background(child)
    }

    /// Runs kubectl to completion (killed after 60 s).
    pub fn kubectl(&self, args: &[&str]) -> Output {
        run_with_timeout(self.kubectl_cmd(args), KUBECTL_TIMEOUT)
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

    /// `kubectl <args> -o json` as JSON.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&a)).expect("kubectl -o json")
    }

    /// (name, UID) of the pods matching `selector`, in name order.
    pub fn pod_uids(&self, selector: &str) -> Vec<(String, String)> {
        let pods = self.json(&["get", "pods", "-l", selector]);
        let mut v: Vec<(String, String)> = pods["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| {
                let m = &p["metadata"];
                let field = |k: &str| m[k].as_str().unwrap_or("").to_string();
                (field("name"), field("uid"))
            })
            .collect();
        v.sort();
        v
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

    /// Pids of the processes that have a mount of this labsim's state dir: labsim's pod
    /// sandboxes (bwrap and every process in a container), found through
    /// `/proc/PID/mountinfo`.
    pub fn sandboxed_pids(&self) -> Vec<String> {
        let state = self.state().to_string_lossy().into_owned();
        let Ok(rd) = std::fs::read_dir("/proc") else {
            return vec![];
        };
        rd.flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|pid| pid.chars().all(|c| c.is_ascii_digit()))
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/mountinfo"))
                    .is_ok_and(|m| m.contains(&state))
                    && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                        .unwrap_or_default()
                        .contains(") Z")
            })
            .collect()
    }

    /// Pids of the `mariadbd` processes running in this labsim's pods.
    pub fn mariadbd_pids(&self) -> Vec<String> {
        self.sandboxed_pids()
            .into_iter()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "mariadbd")
            })
            .collect()
    }

    /// Polls `f` until it returns Some, failing after `secs` with the pods and events.
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

/// A kubectl started by [`Sim::background`].
pub struct Background(Child);

impl Background {
    /// Kills it and returns what it printed on stdout.
    pub fn stop(mut self) -> String {
        let _ = self.0.kill();
        let mut out = String::new();
        if let Some(mut stdout) = self.0.stdout.take() {
            let _ = stdout.read_to_string(&mut out);
        }
        let _ = self.0.wait();
        out
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop();
    }
}
