//! Commands a test runs without ever hanging: a time limit on every child process and on any
//! call, and kubectl with a private HOME (a fresh discovery cache per test).

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The real kubectl with an explicit kubeconfig and a private HOME (`KUBECONFIG` unset, so the
/// user's own clusters are never touched).
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

/// kubectl's table output as rows of whitespace-separated cells (header first).
pub fn columns(table: &str) -> Vec<Vec<&str>> {
    table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// Runs a command (no stdin), killing it after `timeout`.
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

/// Runs `f` on another thread and fails if it takes longer than `limit` (nothing hangs).
/// Returns its result and how long it took.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_past_its_time_is_killed() {
        let mut c = Command::new("sleep");
        c.arg("30");
        let t0 = Instant::now();
        let out = run_with_timeout(c, Duration::from_millis(200));
        assert!(!out.status.success());
        assert!(t0.elapsed() < Duration::from_secs(10));
        let mut c = Command::new("echo");
        c.arg("hi");
        let out = run_with_timeout(c, Duration::from_secs(10));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
        assert!(text(&out).contains("stdout:\nhi"));
        assert_eq!(
            columns("NAME  AGE\nx     1s\n"),
            [["NAME", "AGE"], ["x", "1s"]]
        );
    }

    #[test]
    #[should_panic(expected = "slow: did not return within")]
    fn bounded_fails_a_call_that_takes_too_long() {
        bounded("slow", Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(2))
        });
    }
}
