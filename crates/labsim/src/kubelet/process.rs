//! How a program of a pod runs on the host: a MariaDB client started with the pod's environment
//! (never the variables that would point it elsewhere), the password as `MYSQL_PWD`, and the
//! pod's run dir as home and working directory. Exec, exec probes, init containers, client
//! containers and shell scripts all start their clients here.

use std::process::Stdio;

use tokio::process::Command;

use super::command::REDIRECTING_ENV;
use super::PodRuntime;

/// Adds the pod's environment to `cmd` (without [`REDIRECTING_ENV`]: inside the pod a client
/// must reach the pod's own server only) and a password given on the command line as
/// `MYSQL_PWD`, not as a host-visible argument.
pub fn pod_env(cmd: &mut Command, env: &[(String, String)], password: Option<&str>) {
    for (k, v) in env {
        if !REDIRECTING_ENV.contains(&k.as_str()) {
            cmd.env(k, v);
        }
    }
    if let Some(pw) = password {
        cmd.env("MYSQL_PWD", pw);
    }
}

impl PodRuntime {
    /// `program args` as this pod runs it: a clean environment, HOME and the working directory
    /// in the pod's run dir (a client's history file stays inside labsim's state dir), no
    /// stdin, killed when dropped.
    pub fn client_command(
        &self,
        program: &str,
        args: &[String],
        password: Option<&str>,
    ) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.root_dir)
            .env("HOSTNAME", &self.hostname)
            .current_dir(&self.root_dir)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        pod_env(&mut cmd, &self.env, password);
        cmd
    }
}

/// The exit code a shell reports: the process's own, or 128 + the signal that killed it.
pub fn exit_code(st: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(9))
}
