//! The commands that configure the namespaces: iproute2's `ip -batch` run through util-linux's
//! `nsenter` (one process per namespace and step, bounded by `timeout`), and the pod holder
//! (`unshare` + `hostname` + `cat`).
//!
//! Why `ip` and not an rtnetlink crate: iproute2 is already a system dependency, one batch
//! configures a namespace in one process with messages a developer can repeat by hand
//! (`nsenter ... ip a`), and an rtnetlink client would need a netlink socket made inside every
//! namespace (see `holder.rs`) plus a dozen crates for what five lines of `ip` say.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::NetError;

/// How long one configuration step may take.
const STEP_TIMEOUT_SECS: &str = "10";

/// `nsenter` options entering the user namespace (first) and the `kinds` of `/proc/PID/ns/`.
/// `--preserve-credentials`: the holders' user namespaces deny `setgroups`, so nsenter must not
/// reset groups; labsim's uid is root there anyway.
pub fn nsenter_args(pid: u32, kinds: &[&str]) -> Vec<String> {
    let mut v = vec![
        "--preserve-credentials".to_string(),
        format!("--user=/proc/{pid}/ns/user"),
    ];
    for k in kinds {
        v.push(format!("--{k}=/proc/{pid}/ns/{k}"));
    }
    v
}

/// Runs `ip -batch -` with `script` inside the user and network namespaces of `pid`.
pub fn ip_batch(pid: u32, script: &str, what: &str) -> Result<(), NetError> {
    let mut cmd = Command::new("timeout");
    cmd.arg(STEP_TIMEOUT_SECS)
        .arg("nsenter")
        .args(nsenter_args(pid, &["net"]))
        .args(["--", "ip", "-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| NetError::missing_tool("timeout", e))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(script.as_bytes());
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    // `timeout` exits 127 when it cannot run nsenter; nsenter 127 when it cannot run ip.
    if out.status.code() == Some(127) {
        let tool = if err.contains("'nsenter'") {
            "nsenter"
        } else {
            "ip"
        };
        return Err(NetError::missing_tool(tool, std::io::Error::other(err)));
    }
    Err(NetError::Step {
        what: what.to_string(),
        detail: if err.is_empty() {
            format!("exit status {}", out.status)
        } else {
            err
        },
    })
}

/// Waits until link `dev` in the network namespace of `pid` is operationally up. The kernel
/// turns a new link's carrier on (and gives it a real queue instead of one that drops
/// everything, and a bridge port its forwarding state) from a work queue, which a loaded machine
/// runs late: a pod dialled before that loses its first packets for a second.
pub fn wait_link_up(pid: u32, dev: &str, what: &str) -> Result<(), NetError> {
    let start = std::time::Instant::now();
    loop {
        let out = Command::new("timeout")
            .arg(STEP_TIMEOUT_SECS)
            .arg("nsenter")
            .args(nsenter_args(pid, &["net"]))
            .args(["--", "ip", "-o", "link", "show", "dev", dev])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()?;
        if String::from_utf8_lossy(&out.stdout).contains(" state UP ") {
            return Ok(());
        }
        if start.elapsed() > Duration::from_secs(5) {
            return Err(NetError::Step {
                what: what.to_string(),
                detail: format!("{dev}가 5초 안에 올라오지 않았습니다"),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts a pod holder inside the cluster's user and network namespaces (`cluster`: the holder
/// pid): its own user (root mapped to the cluster's root), network, UTS and IPC namespaces,
/// `hostname` set, then `cat` waiting on a pipe labsim holds, so the holder ends when labsim
/// closes it or dies. Call from the network thread (`PR_SET_PDEATHSIG` follows the spawning
/// thread). Returns once the namespaces exist.
pub fn spawn_pod_holder(cluster: u32, hostname: &str) -> Result<Child, NetError> {
    let mut cmd = Command::new("nsenter");
    cmd.args(nsenter_args(cluster, &["net"]))
        .args([
            "--",
            "unshare",
            "--user",
            "--map-root-user",
            "--net",
            "--uts",
            "--ipc",
            "--",
        ])
        // The name is an argument, never part of the script.
        .args([
            "sh",
            "-c",
            "hostname \"$1\" && echo ready && exec cat",
            "pause",
            hostname,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| NetError::missing_tool("nsenter", e))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let ready = wait_readable(stdout.as_raw_fd(), Duration::from_secs(10)) && {
        let mut buf = [0u8; 6];
        stdout.read_exact(&mut buf).is_ok() && &buf == b"ready\n"
    };
    if ready {
        return Ok(child);
    }
    let _ = child.kill();
    let out = child.wait_with_output();
    let err = out
        .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
        .unwrap_or_default();
    Err(NetError::Step {
        what: format!("파드 네임스페이스 만들기 ({hostname})"),
        detail: if err.is_empty() {
            "10초 안에 준비되지 않았습니다".into()
        } else {
            err
        },
    })
}

/// poll(2) for input on `fd`, at most `timeout`.
fn wait_readable(fd: i32, timeout: Duration) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    loop {
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return r > 0;
    }
}
