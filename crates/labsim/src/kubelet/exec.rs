//! The process behind `kubectl exec` and exec probes: the command run inside the pod's
//! container (its namespaces entered with `nsenter`, see [`super::sandbox::enter`]) with pipes,
//! or on a real pty when the client asked for a TTY (so `mysql -p` can ask `Enter password:`).
//! The API's exec handler carries its bytes over the WebSocket; the process itself is the
//! kubelet's, as in a real node.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;
use tokio::sync::mpsc;

use super::PodRuntime;

/// Output channels, numbered as exec's WebSocket channels are.
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;

/// A started exec process. Its parts are separate so a caller can wait on the child, read the
/// output and write stdin at the same time.
pub struct ExecProcess {
    pub child: Child,
    /// `(channel, bytes)`: [`STDOUT`] and [`STDERR`] (everything is [`STDOUT`] on a pty); ends
    /// when the process and everything holding its output are gone.
    pub output: mpsc::Receiver<(u8, Vec<u8>)>,
    pub stdin: ExecStdin,
}

/// Where the client's input goes.
pub enum ExecStdin {
    /// A pipe (`None` once closed or broken).
    Pipe(Option<tokio::process::ChildStdin>),
    /// The pty master (also the target of resizes).
    Tty { master: tokio::fs::File, fd: RawFd },
}

impl ExecStdin {
    pub async fn write(&mut self, data: &[u8]) {
        match self {
            ExecStdin::Pipe(pipe) => {
                if let Some(p) = pipe.as_mut() {
                    if p.write_all(data).await.is_err() {
                        *pipe = None;
                    }
                }
            }
            ExecStdin::Tty { master, .. } => {
                let _ = master.write_all(data).await;
                let _ = master.flush().await;
            }
        }
    }

    /// The client's input ended: EOF on a pipe; on a pty, what Ctrl-D at a terminal sends.
    pub async fn close(&mut self) {
        match self {
            ExecStdin::Pipe(pipe) => *pipe = None,
            ExecStdin::Tty { .. } => self.write(&[0x04]).await,
        }
    }

    /// The terminal's new size (TIOCSWINSZ); nothing for pipes.
    pub fn resize(&self, width: u16, height: u16) {
        if let ExecStdin::Tty { fd, .. } = self {
            let ws = nix::libc::winsize {
                ws_row: height,
                ws_col: width,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            // SAFETY: TIOCSWINSZ reads a winsize from a valid pointer; fd is the pty master,
            // alive as long as `master` (this value) is.
            unsafe {
                nix::libc::ioctl(*fd, nix::libc::TIOCSWINSZ, &ws);
            }
        }
    }
}

impl PodRuntime {
    /// `argv` in this pod's container, as `kubectl exec` runs it: on a pty when `tty`, else
    /// with pipes (stdin only when `stdin`).
    pub fn spawn_exec(
        &self,
        argv: &[String],
        stdin: bool,
        tty: bool,
    ) -> std::io::Result<ExecProcess> {
        let mut cmd = self.enter(argv);
        if tty {
            spawn_tty(cmd)
        } else {
            cmd.process_group(0);
            spawn_pipes(cmd, stdin)
        }
    }

    /// `argv` entered into the container (not started).
    fn enter(&self, argv: &[String]) -> tokio::process::Command {
        let net = self.pod_net.is_some();
        super::sandbox::enter::command(self.pid, &self.env, &self.workdir, argv, net)
    }

    /// Runs `argv` in the container without input (an exec probe): (exit code, stdout +
    /// stderr). After `timeout` the command and what it started are killed.
    pub async fn run_captured(
        &self,
        argv: &[String],
        timeout: std::time::Duration,
    ) -> Result<(i32, String), String> {
        let mut cmd = self.enter(argv);
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|e| format!("nsenter: {e}"))?;
        let pgid = child.id();
        match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Ok(Ok(o)) => {
                let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&o.stderr));
                Ok((super::process::exit_code(o.status), text))
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => {
                if let Some(pgid) = pgid {
                    super::sandbox::enter::kill_group(pgid);
                }
                Err(format!("command timed out after {}s", timeout.as_secs()))
            }
        }
    }
}

/// Ends an exec process and everything it started in the container.
pub async fn kill(child: &mut Child) {
    if let Some(pid) = child.id() {
        super::sandbox::enter::kill_group(pid);
    }
    let _ = child.kill().await;
}

fn spawn_pipes(mut cmd: tokio::process::Command, stdin: bool) -> std::io::Result<ExecProcess> {
    cmd.stdin(if stdin { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    drop(cmd);
    let (tx, output) = mpsc::channel::<(u8, Vec<u8>)>(16);
    let stdout = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn AsyncRead + Unpin + Send>);
    let stderr = child.stderr.take().map(|p| Box::new(p) as _);
    for (ch, pipe) in [(STDOUT, stdout), (STDERR, stderr)] {
        let Some(mut pipe) = pipe else { continue };
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 || tx.send((ch, buf[..n].to_vec())).await.is_err() {
                    break;
                }
            }
        });
    }
    let stdin = ExecStdin::Pipe(child.stdin.take());
    Ok(ExecProcess {
        child,
        output,
        stdin,
    })
}

/// A real pty: the child gets it as its controlling terminal in a new session.
fn spawn_tty(mut cmd: tokio::process::Command) -> std::io::Result<ExecProcess> {
    let pty = nix::pty::openpty(None, None).map_err(std::io::Error::from)?;
    let master: OwnedFd = pty.master;
    let slave: OwnedFd = pty.slave;
    cmd.stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave.try_clone()?))
        .env("TERM", "xterm")
        .env("LANG", "C.UTF-8");
    // SAFETY: only async-signal-safe calls (setsid, ioctl) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    // The Command holds copies of the slave: drop them so reads end with EIO at exit.
    drop(cmd);
    drop(slave);
    let fd = master.as_raw_fd();
    let reader = std::fs::File::from(master.try_clone()?);
    let master = tokio::fs::File::from_std(std::fs::File::from(master));
    let (tx, output) = mpsc::channel::<(u8, Vec<u8>)>(16);
    // Blocking reads of the pty master end with EIO once the child and its terminal are gone.
    std::thread::spawn(move || {
        use std::io::Read;
        let mut reader = reader;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send((STDOUT, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    });
    Ok(ExecProcess {
        child,
        output,
        stdin: ExecStdin::Tty { master, fd },
    })
}
