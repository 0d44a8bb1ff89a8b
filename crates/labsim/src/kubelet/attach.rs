//! Attachable containers (`kubectl attach`, `kubectl run -i`): every container's stdout and
//! stderr come to the kubelet through pipes; one reader thread per container appends them to the
//! container's log (what `kubectl logs` reads) and hands each chunk to the attach sessions of
//! that moment, on its own channel. A container with `stdin: true` reads from a pipe whose write
//! end the kubelet holds ([`Attachable::write_stdin`]); without it, `/dev/null` as before.
//!
//! Semantics follow containerd's CRI (`internal/cri/io/container_io.go` `Attach`) and Docker's
//! (`container/stream/attach.go`, minikube's default runtime), which agree, and `k8s.io/api`
//! core/v1 `Container.stdinOnce`: with `stdinOnce` and no TTY the first session whose stdin ends
//! closes the container's stdin (EOF), output keeps flowing until the container exits, and no
//! later session writes to it; otherwise a session whose stdin ends just stops. A `tty: true`
//! container gets a pty instead of pipes (its controlling terminal, one output stream). A session without stdin, or a container without it, only
//! watches. One labsim choice beyond that: a `stdin: true` container's output is also kept
//! (up to [`HELD_MAX`]) until its first session, which gets it first, so `kubectl run -i` never
//! misses the lines a client printed before kubectl attached (on a real node they are in the
//! log only).
//!
//! Entries live in one registry keyed by (pod UID, container name): the UID names this pod and
//! no namesake, and in-process test clusters never share one.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use tokio::sync::mpsc;

/// Output channels, numbered as the remote-command WebSocket channels are.
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;

/// How much output of a `stdin: true` container is kept for its first session.
pub const HELD_MAX: usize = 1 << 20;

/// Why a container's pipes could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("컨테이너의 입출력 파이프를 만들 수 없습니다: {0}")]
    Pipe(std::io::Error),
    #[error("컨테이너 로그 {0}를 열 수 없습니다: {1}")]
    Log(std::path::PathBuf, std::io::Error),
}

/// The container's ends of its pipes (or its pty), given to `bwrap` as fds 0, 1 and 2.
#[derive(Debug)]
pub struct ChildFds {
    stdin: Option<OwnedFd>,
    stdout: OwnedFd,
    stderr: OwnedFd,
    /// fds 0-2 are a pty slave (`tty: true`).
    tty: bool,
}

impl ChildFds {
    /// Stdin (`/dev/null` when the container has none), stdout, stderr for a `Command`.
    pub fn stdio(&self) -> std::io::Result<(Stdio, Stdio, Stdio)> {
        let stdin = match &self.stdin {
            Some(fd) => Stdio::from(fd.try_clone()?),
            None => Stdio::null(),
        };
        Ok((
            stdin,
            Stdio::from(self.stdout.try_clone()?),
            Stdio::from(self.stderr.try_clone()?),
        ))
    }

    /// For a `tty: true` container: the child becomes a session leader with its pty as the
    /// controlling terminal (as runc's console; bwrap without `--new-session` keeps the
    /// session). Returns whether it does: then it must not get a process group of its own first
    /// (`setsid` fails for a group leader); the new session keeps labsim's Ctrl-C away anyway.
    pub fn tty_session(&self, cmd: &mut std::process::Command) -> bool {
        use std::os::unix::process::CommandExt;
        if !self.tty {
            return false;
        }
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
        true
    }
}

/// The container's stdin as the kubelet holds it.
enum StdinEnd {
    /// `stdin: false`: the container reads /dev/null.
    None,
    Open(File),
    /// Closed by a `stdinOnce` session (or broken: the container is gone).
    Closed,
}

#[derive(Default)]
struct Output {
    sessions: Vec<mpsc::Sender<(u8, Vec<u8>)>>,
    /// Output kept for the first session (`stdin: true` containers until one attaches).
    held: Option<Vec<(u8, Vec<u8>)>>,
    held_bytes: usize,
    ended: bool,
}

/// One running container that sessions may attach to.
pub struct Attachable {
    pub stdin_once: bool,
    pub tty: bool,
    /// The pty master of a `tty: true` container (the target of resizes).
    master: Option<OwnedFd>,
    stdin: Mutex<StdinEnd>,
    output: Mutex<Output>,
}

impl std::fmt::Debug for Attachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachable")
            .field("stdin_once", &self.stdin_once)
            .field("tty", &self.tty)
            .finish_non_exhaustive()
    }
}

/// A session's view of the container's output: what was kept for it, then the live stream
/// (ends when the container has exited).
pub struct Session {
    pub replay: Vec<(u8, Vec<u8>)>,
    pub output: mpsc::Receiver<(u8, Vec<u8>)>,
}

type Key = (String, String);

fn registry() -> &'static Mutex<HashMap<Key, Arc<Attachable>>> {
    static REG: OnceLock<Mutex<HashMap<Key, Arc<Attachable>>>> = OnceLock::new();
    REG.get_or_init(Default::default)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The running container `container` of the pod with UID `uid`, if it can be attached to.
pub fn lookup(uid: &str, container: &str) -> Option<Arc<Attachable>> {
    let a = lock(registry())
        .get(&(uid.to_string(), container.to_string()))
        .cloned()?;
    let ended = lock(&a.output).ended;
    (!ended).then_some(a)
}

fn pipe() -> Result<(OwnedFd, OwnedFd), AttachError> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| AttachError::Pipe(std::io::Error::from(e)))
}

/// Makes the pipes of a container about to start (its spec: `stdin`, `stdinOnce`, `tty`),
/// registers it under (pod UID, name) and starts the thread that copies its output to `log`
/// and to sessions. The thread (and the entry) end when every holder of the output pipes has
/// closed them: the container has exited, or the returned fds were dropped without a start.
pub fn open(uid: &str, spec: &Value, log: &Path) -> Result<Arc<ChildFds>, AttachError> {
    let name = spec["name"].as_str().unwrap_or("").to_string();
    let wants_stdin = spec["stdin"].as_bool().unwrap_or(false);
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| AttachError::Log(log.to_path_buf(), e))?;
    let tty = spec["tty"].as_bool().unwrap_or(false);
    let (fds, readers, stdin, master) = if tty {
        pty(wants_stdin)?
    } else {
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        let (child_stdin, stdin) = if wants_stdin {
            let (r, w) = pipe()?;
            (Some(r), StdinEnd::Open(File::from(w)))
        } else {
            (None, StdinEnd::None)
        };
        let fds = ChildFds {
            stdin: child_stdin,
            stdout: out_w,
            stderr: err_w,
            tty: false,
        };
        (fds, vec![(STDOUT, out_r), (STDERR, err_r)], stdin, None)
    };
    let att = Arc::new(Attachable {
        stdin_once: spec["stdinOnce"].as_bool().unwrap_or(false),
        tty,
        master,
        stdin: Mutex::new(stdin),
        output: Mutex::new(Output {
            held: wants_stdin.then(Vec::new),
            ..Output::default()
        }),
    });
    let key = (uid.to_string(), name);
    lock(registry()).insert(key.clone(), att.clone());
    let reader = att.clone();
    let spawned = std::thread::Builder::new()
        .name("labsim-container-output".into())
        .stack_size(128 * 1024)
        .spawn(move || {
            copy_output(&reader, readers, log_file);
            let mut reg = lock(registry());
            if reg.get(&key).is_some_and(|a| Arc::ptr_eq(a, &reader)) {
                reg.remove(&key);
            }
        });
    if let Err(e) = spawned {
        return Err(AttachError::Pipe(e));
    }
    Ok(Arc::new(fds))
}

type Ends = (ChildFds, Vec<(u8, OwnedFd)>, StdinEnd, Option<OwnedFd>);

/// A pty for a `tty: true` container: the slave is its stdin, stdout and stderr; everything
/// it prints comes from the master on stdout (a terminal has one stream); stdin goes to the
/// master when the container has `stdin: true`.
fn pty(wants_stdin: bool) -> Result<Ends, AttachError> {
    let io = |e: nix::Error| AttachError::Pipe(std::io::Error::from(e));
    let pty = nix::pty::openpty(None, None).map_err(io)?;
    for fd in [&pty.master, &pty.slave] {
        // Not inherited by other children: a stray slave would keep the master from ending.
        nix::fcntl::fcntl(
            fd.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        )
        .map_err(io)?;
    }
    let dup = |fd: &OwnedFd| fd.try_clone().map_err(AttachError::Pipe);
    let fds = ChildFds {
        stdin: Some(dup(&pty.slave)?),
        stdout: dup(&pty.slave)?,
        stderr: pty.slave,
        tty: true,
    };
    let stdin = if wants_stdin {
        StdinEnd::Open(File::from(dup(&pty.master)?))
    } else {
        StdinEnd::None
    };
    let reader = dup(&pty.master)?;
    Ok((fds, vec![(STDOUT, reader)], stdin, Some(pty.master)))
}

/// Copies stdout and stderr (in the order they become readable; stdout first when both are)
/// to the log and the sessions until both reach EOF.
fn copy_output(att: &Attachable, pipes: Vec<(u8, OwnedFd)>, mut log: File) {
    let channels: Vec<u8> = pipes.iter().map(|(ch, _)| *ch).collect();
    let mut files: Vec<Option<File>> = pipes
        .into_iter()
        .map(|(_, p)| Some(File::from(p)))
        .collect();
    let mut buf = vec![0u8; 16 * 1024];
    while files.iter().any(Option::is_some) {
        let mut fds: Vec<nix::libc::pollfd> = files
            .iter()
            .map(|f| nix::libc::pollfd {
                fd: f.as_ref().map_or(-1, |f| f.as_raw_fd()),
                events: nix::libc::POLLIN,
                revents: 0,
            })
            .collect();
        // SAFETY: `fds` is a valid array of pollfd for its length; negative fds are ignored.
        let n = unsafe { nix::libc::poll(fds.as_mut_ptr(), fds.len() as _, -1) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        for (i, pfd) in fds.iter().enumerate() {
            if pfd.revents == 0 {
                continue;
            }
            let Some(f) = files[i].as_mut() else { continue };
            match f.read(&mut buf) {
                Ok(0) | Err(_) => files[i] = None,
                Ok(n) => {
                    let _ = log.write_all(&buf[..n]);
                    att.publish(channels[i], &buf[..n]);
                }
            }
        }
    }
    let mut out = lock(&att.output);
    out.ended = true;
    out.sessions.clear();
    out.held = None;
}

impl Attachable {
    /// Gives a chunk of output to every session (and keeps it while nobody attached yet).
    fn publish(&self, ch: u8, data: &[u8]) {
        let sessions = {
            let mut out = lock(&self.output);
            let mut over = false;
            let size = out.held_bytes + data.len();
            if let Some(held) = out.held.as_mut() {
                held.push((ch, data.to_vec()));
                over = size > HELD_MAX;
            }
            out.held_bytes = size;
            if over {
                out.held = None;
            }
            out.sessions.retain(|s| !s.is_closed());
            out.sessions.clone()
        };
        // Outside the lock: a slow session slows the container's output, as an attached
        // writer does in containerd, but never blocks a new session from joining.
        for s in sessions {
            let _ = s.blocking_send((ch, data.to_vec()));
        }
    }

    /// Joins the output from now on (`None`: the container has exited).
    pub fn attach(&self) -> Option<Session> {
        let mut out = lock(&self.output);
        if out.ended {
            return None;
        }
        let (tx, rx) = mpsc::channel(256);
        out.sessions.push(tx);
        let replay = out.held.take().unwrap_or_default();
        Some(Session { replay, output: rx })
    }

    /// The terminal's new size (TIOCSWINSZ on the pty master); nothing without a TTY.
    pub fn resize(&self, width: u16, height: u16) {
        if let Some(m) = &self.master {
            let ws = nix::libc::winsize {
                ws_row: height,
                ws_col: width,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            // SAFETY: TIOCSWINSZ reads a winsize from a valid pointer; the fd is open as long
            // as `self` is.
            unsafe {
                nix::libc::ioctl(m.as_raw_fd(), nix::libc::TIOCSWINSZ, &ws);
            }
        }
    }

    /// Whether the container has a stdin a session can still write to.
    pub fn stdin_open(&self) -> bool {
        matches!(*lock(&self.stdin), StdinEnd::Open(_))
    }

    /// Whether the container was started with `stdin: true`.
    pub fn has_stdin(&self) -> bool {
        !matches!(*lock(&self.stdin), StdinEnd::None)
    }

    /// Writes to the container's stdin (blocking while the pipe is full; call it from a
    /// blocking thread). Nothing happens when it is closed or absent.
    pub fn write_stdin(&self, data: &[u8]) {
        let mut end = lock(&self.stdin);
        if let StdinEnd::Open(f) = &mut *end {
            if f.write_all(data).is_err() {
                *end = StdinEnd::Closed;
            }
        }
    }

    /// A session's stdin ended: with `stdinOnce` the container's stdin is closed (EOF) for
    /// good. Returns whether it was.
    pub fn stdin_ended(&self) -> bool {
        if !self.stdin_once {
            return false;
        }
        let mut end = lock(&self.stdin);
        if matches!(*end, StdinEnd::Open(_)) {
            *end = StdinEnd::Closed;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    /// A real process on the pipes `open` makes (as bwrap gets them).
    fn start(
        spec: Value,
        script: &str,
    ) -> (Arc<Attachable>, std::process::Child, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let uid = uuid::Uuid::new_v4().to_string();
        let fds = open(&uid, &spec, &dir.path().join("0.log")).unwrap();
        let (i, o, e) = fds.stdio().unwrap();
        let mut cmd = std::process::Command::new("/bin/sh");
        fds.tty_session(&mut cmd);
        let child = cmd
            .args(["-c", script])
            .stdin(i)
            .stdout(o)
            .stderr(e)
            .spawn()
            .unwrap();
        drop(fds);
        let att = lookup(&uid, spec["name"].as_str().unwrap()).expect("registered");
        (att, child, dir)
    }

    /// Everything a session receives until the container's output ends, per channel.
    async fn drain(s: Session) -> (String, String) {
        let Session { replay, mut output } = s;
        let (mut out, mut err) = (String::new(), String::new());
        let mut take = |(ch, d): (u8, Vec<u8>)| {
            let t = String::from_utf8_lossy(&d).into_owned();
            if ch == STDOUT {
                out.push_str(&t)
            } else {
                err.push_str(&t)
            }
        };
        replay.into_iter().for_each(&mut take);
        let rest = async {
            while let Some(c) = output.recv().await {
                take(c);
            }
        };
        tokio::time::timeout(Duration::from_secs(10), rest)
            .await
            .expect("output ends with the process");
        (out, err)
    }

    #[tokio::test]
    async fn stdin_once_closes_stdin_and_output_comes_on_its_channel() {
        let spec = json!({"name": "c", "stdin": true, "stdinOnce": true});
        let (att, mut child, dir) = start(spec, "echo before; cat; echo done; echo oops >&2");
        // Nothing attached yet: `cat` waits on the open pipe, output so far is kept.
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            child.try_wait().unwrap().is_none(),
            "cat must wait for input"
        );
        let s = att.attach().unwrap();
        let a = att.clone();
        tokio::task::spawn_blocking(move || a.write_stdin(b"hello\n"))
            .await
            .unwrap();
        assert!(att.stdin_ended(), "stdinOnce: the first end closes stdin");
        assert!(!att.stdin_open() && att.has_stdin());
        assert!(!att.stdin_ended(), "closed once for good");
        let (out, err) = drain(s).await;
        assert_eq!(out, "before\nhello\ndone\n");
        assert_eq!(err, "oops\n");
        assert!(child.wait().unwrap().success());
        // The log has everything too; the entry is gone with the process.
        let log = std::fs::read_to_string(dir.path().join("0.log")).unwrap();
        assert!(
            log.contains("before\nhello\ndone\n") && log.contains("oops\n"),
            "{log}"
        );
        assert!(att.attach().is_none());
    }

    #[tokio::test]
    async fn without_stdin_once_a_session_end_leaves_stdin_open() {
        let spec = json!({"name": "c", "stdin": true});
        let (att, mut child, _dir) = start(spec, "read a; echo got $a; read b; echo got $b");
        let mut s = att.attach().unwrap();
        att.write_stdin(b"one\n");
        assert!(!att.stdin_ended() && att.stdin_open());
        let first = tokio::time::timeout(Duration::from_secs(10), s.output.recv()).await;
        assert_eq!(first.unwrap().unwrap(), (STDOUT, b"got one\n".to_vec()));
        // A later session still writes.
        let s2 = att.attach().unwrap();
        assert!(
            s2.replay.is_empty(),
            "only the first session gets the kept output"
        );
        att.write_stdin(b"two\n");
        let (out, _) = drain(s).await;
        assert_eq!(out, "got two\n");
        assert_eq!(drain(s2).await.0, "got two\n");
        child.wait().unwrap();
    }

    #[tokio::test]
    async fn a_tty_container_has_a_terminal_with_one_stream_and_its_size() {
        let spec = json!({"name": "c", "stdin": true, "stdinOnce": true, "tty": true});
        let script = "[ -t 0 ] && [ -t 2 ] && echo tty; read l; stty size; echo got $l >&2";
        let (att, mut child, _dir) = start(spec, script);
        let s = att.attach().unwrap();
        att.resize(100, 40);
        att.write_stdin(b"x\n");
        let (out, err) = drain(s).await;
        // The terminal echoes the input and turns \n into \r\n; stderr is the terminal too.
        assert!(out.contains("tty\r\n"), "{out:?}");
        assert!(out.contains("x\r\n40 100\r\ngot x\r\n"), "{out:?}");
        assert_eq!(err, "");
        assert!(child.wait().unwrap().success());
    }

    #[tokio::test]
    async fn a_container_without_stdin_reads_dev_null_and_streams_live() {
        let spec = json!({"name": "c"});
        let (att, mut child, _dir) = start(spec, "cat; echo early; sleep 0.5; echo late");
        assert!(!att.has_stdin());
        std::thread::sleep(Duration::from_millis(250));
        // Attached after `early`: no kept output for containers without stdin.
        let s = att.attach().unwrap();
        att.write_stdin(b"ignored\n");
        assert_eq!(drain(s).await.0, "late\n");
        child.wait().unwrap();
    }
}
