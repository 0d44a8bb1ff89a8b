//! A command inside a running container (`kubectl exec`, exec probes): `nsenter` joins the
//! container's namespaces from the host side. labsim created the container's user namespace,
//! and the owner of a user namespace holds every capability in it, so an unprivileged labsim
//! may enter its mount, UTS, IPC and PID namespaces (`--preserve-credentials`: the command runs
//! as the container's user, the only one its user namespace maps).

use std::path::Path;

/// `argv` in the container whose PID 1 has host PID `pid`, with the container's environment
/// and working directory. Killed (its whole process group) when dropped.
pub fn command(
    pid: i32,
    env: &[(String, String)],
    workdir: &str,
    argv: &[String],
    net: bool,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new("/usr/bin/nsenter");
    cmd.arg(format!("--target={pid}"))
        .args(["--user", "--mount", "--uts", "--ipc", "--pid"]);
    if net {
        cmd.arg("--net");
    }
    // `--root`/`--wd` without a value take the target's root and cwd (a value would be a host
    // path); `env --chdir` then moves to the container's working directory, as exec starts
    // there whatever directory PID 1 is in now.
    cmd.args(["--root", "--wd", "--preserve-credentials", "--"])
        .args(["/usr/bin/env", &format!("--chdir={workdir}"), "--"])
        .args(argv)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(Path::new("/"))
        .kill_on_drop(true);
    cmd
}

/// Kills what an entered command started: `nsenter` forks the command into the container's
/// PID namespace, so killing `nsenter` alone would leave it running.
pub fn kill_group(pgid: u32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(-(pgid as i32)),
        nix::sys::signal::Signal::SIGKILL,
    );
}
