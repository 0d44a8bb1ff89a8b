//! Starting and stopping a sandboxed container process.
//!
//! Every `bwrap` is forked by one long-lived thread (`labsim-sandbox-spawner`): the parent-death
//! signal (`--die-with-parent`, and the `PR_SET_PDEATHSIG` set here before exec) fires when the
//! *thread* that forked exits, so forking from a tokio blocking-pool thread (which exits after
//! 10 s idle) would kill a healthy container, while this thread lives as long as labsim. When
//! labsim dies, even by SIGKILL, the kernel kills every bwrap, and with the PID namespace's
//! init every process of the container: no process, mount or namespace is left behind.
//!
//! bwrap reports the host PID of the container's PID 1 on `--info-fd` (`child-pid`): signals
//! go there (SIGTERM, SIGKILL after the grace period), and exec enters its namespaces.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::SandboxError;

/// Everything one container process needs.
#[derive(Debug, Clone)]
pub struct Spec {
    /// bwrap's arguments before the command (namespaces, hostname, filesystem).
    pub bwrap: Vec<OsString>,
    pub argv: Vec<String>,
    /// The process's whole environment.
    pub env: Vec<(String, String)>,
    /// Where stdout and stderr go (appended).
    pub log: PathBuf,
    /// `nsenter` options that put `bwrap` into the pod's namespaces (user, network, UTS, IPC
    /// of the pod's holder; see `network::PodNet::nsenter_args`); empty: the host's.
    pub enter: Vec<String>,
    /// The container's stdin/stdout/stderr pipes or pty (`kubectl attach`, `kubelet/attach.rs`);
    /// `None`: stdin `/dev/null`, output straight to `log`.
    pub io: Option<std::sync::Arc<crate::kubelet::attach::ChildFds>>,
}

struct Job {
    cmd: std::process::Command,
    reply: mpsc::Sender<std::io::Result<std::process::Child>>,
}

fn spawner() -> &'static std::sync::Mutex<mpsc::Sender<Job>> {
    static TX: OnceLock<std::sync::Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    TX.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("labsim-sandbox-spawner".into())
            .spawn(move || {
                for mut job in rx {
                    let _ = job.reply.send(job.cmd.spawn());
                }
            })
            .expect("spawn the sandbox spawner thread");
        std::sync::Mutex::new(tx)
    })
}

/// Forks `cmd` on the spawner thread.
fn spawn_on_spawner(cmd: std::process::Command) -> std::io::Result<std::process::Child> {
    let (reply, rx) = mpsc::channel();
    spawner()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(Job { cmd, reply })
        .map_err(|_| std::io::Error::other("sandbox spawner thread is gone"))?;
    rx.recv()
        .map_err(|_| std::io::Error::other("sandbox spawner thread is gone"))?
}

/// A running container process.
pub struct Running {
    /// Host PID of the container's PID 1.
    pub pid: i32,
    /// bwrap's own PID (the parent of `pid`).
    pub bwrap_pid: u32,
    exit: watch::Receiver<Option<i32>>,
}

/// The fd number bwrap writes its info JSON to.
const INFO_FD: i32 = 3;

/// Starts the container; returns once bwrap has told the PID of its PID 1.
pub async fn start(spec: Spec) -> Result<Running, SandboxError> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&spec.log)
        .map_err(|e| SandboxError::Log(spec.log.clone(), e))?;
    let (stdin, stdout, stderr) = match &spec.io {
        Some(io) => io.stdio().map_err(SandboxError::Spawn)?,
        None => (
            Stdio::null(),
            Stdio::from(
                log.try_clone()
                    .map_err(|e| SandboxError::Log(spec.log.clone(), e))?,
            ),
            Stdio::from(log),
        ),
    };
    let (info_r, info_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| SandboxError::Spawn(std::io::Error::from(e)))?;
    // nsenter without --pid or --fork execs bwrap itself: the parent-death signal set below
    // stays with it.
    let mut cmd = if spec.enter.is_empty() {
        std::process::Command::new(super::BWRAP)
    } else {
        let mut c = std::process::Command::new("/usr/bin/nsenter");
        c.args(&spec.enter).arg("--").arg(super::BWRAP);
        c
    };
    cmd.args(&spec.bwrap)
        .arg("--info-fd")
        .arg(INFO_FD.to_string())
        .arg("--")
        .args(&spec.argv)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir("/")
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr);
    // Its own process group: a Ctrl-C at labsim's terminal must not reach the containers,
    // which labsim stops itself (a TTY container gets its own session instead).
    if !spec.io.as_ref().is_some_and(|io| io.tty_session(&mut cmd)) {
        cmd.process_group(0);
    }
    let w = info_w.as_raw_fd();
    // SAFETY: between fork and exec only async-signal-safe calls (prctl, dup2, fcntl).
    unsafe {
        cmd.pre_exec(move || {
            if nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if w == INFO_FD {
                if nix::libc::fcntl(w, nix::libc::F_SETFD, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            } else if nix::libc::dup2(w, INFO_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = tokio::task::spawn_blocking(move || spawn_on_spawner(cmd))
        .await
        .map_err(|e| SandboxError::Spawn(std::io::Error::other(e)))?
        .map_err(SandboxError::Spawn)?;
    drop(info_w);
    let bwrap_pid = child.id();
    let (exit_tx, exit) = watch::channel(None);
    let (pid_tx, pid_rx) = oneshot::channel();
    // One thread per container: it reads bwrap's info, then waits for bwrap's exit (bwrap
    // exits with its PID 1's status, 128 + signal when killed).
    std::thread::Builder::new()
        .name("labsim-sandbox-wait".into())
        .spawn(move || {
            let _ = pid_tx.send(read_child_pid(info_r));
            let mut child = child;
            let code = child
                .wait()
                .map(super::super::process::exit_code)
                .unwrap_or(255);
            let _ = exit_tx.send(Some(code));
        })
        .map_err(SandboxError::Spawn)?;
    let pid = tokio::time::timeout(Duration::from_secs(30), pid_rx)
        .await
        .ok()
        .and_then(Result::ok)
        .flatten();
    let mut running = Running {
        pid: pid.unwrap_or(0),
        bwrap_pid,
        exit,
    };
    if pid.is_none() {
        // bwrap failed before the container started; its error is in the log.
        let code = running.wait().await;
        return Err(SandboxError::NotStarted(code));
    }
    Ok(running)
}

/// bwrap's info JSON (`{"child-pid": N, ...}`), read until bwrap closes the pipe.
fn read_child_pid(r: OwnedFd) -> Option<i32> {
    use std::io::Read;
    let mut text = String::new();
    let _ = std::fs::File::from(r).read_to_string(&mut text);
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["child-pid"].as_i64().map(|p| p as i32)
}

impl Running {
    /// Waits for the container's exit code.
    pub async fn wait(&mut self) -> i32 {
        loop {
            if let Some(code) = *self.exit.borrow() {
                return code;
            }
            if self.exit.changed().await.is_err() {
                return (*self.exit.borrow()).unwrap_or(255);
            }
        }
    }

    /// The exit code if the container has ended.
    pub fn exited(&self) -> Option<i32> {
        *self.exit.borrow()
    }

    /// Sends `sig` to the container's PID 1. As in a container, PID 1 gets only signals it
    /// handles (bash without a `trap` ignores SIGTERM); SIGKILL always ends it, and with it
    /// every process of the container.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        if self.pid > 0 && self.exited().is_none() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), sig);
        }
    }

    /// SIGTERM, SIGKILL after `grace`; returns the exit code.
    pub async fn stop(&mut self, grace: Duration) -> i32 {
        use nix::sys::signal::Signal;
        self.signal(Signal::SIGTERM);
        if let Ok(code) = tokio::time::timeout(grace, self.wait()).await {
            return code;
        }
        self.signal(Signal::SIGKILL);
        if let Ok(code) = tokio::time::timeout(Duration::from_secs(10), self.wait()).await {
            return code;
        }
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.bwrap_pid as i32),
            Signal::SIGKILL,
        );
        tokio::time::timeout(Duration::from_secs(5), self.wait())
            .await
            .unwrap_or(137)
    }
}
