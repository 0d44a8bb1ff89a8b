//! The real kubectl from async tests (a cluster in the test's own runtime): a clean
//! environment, a private HOME and discovery cache, and a time limit on every run.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

/// Where the tests expect kubectl (the CI image installs it there).
pub const KUBECTL: &str = "/usr/bin/kubectl";
/// No kubectl call may take longer.
pub const KUBECTL_TIMEOUT: Duration = Duration::from_secs(60);

/// kubectl against one cluster, with a HOME of its own.
pub struct AsyncKubectl {
    pub home: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl AsyncKubectl {
    pub fn new(kubeconfig: &Path) -> AsyncKubectl {
        AsyncKubectl {
            home: tempfile::tempdir().unwrap(),
            kubeconfig: kubeconfig.to_path_buf(),
        }
    }

    /// `kubectl <args>` ready to run (killed when dropped).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(KUBECTL);
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("PATH", "/usr/bin:/bin")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.home.path().join("cache"))
            .args(args)
            .kill_on_drop(true);
        cmd
    }

    /// Runs kubectl to completion.
    pub async fn run(&self, args: &[&str]) -> Out {
        let out = tokio::time::timeout(KUBECTL_TIMEOUT, self.command(args).output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .unwrap();
        Out(out)
    }

    /// Runs kubectl with `input` on its stdin.
    pub async fn run_stdin(&self, args: &[&str], input: &str) -> Out {
        use std::process::Stdio;
        use tokio::io::AsyncWriteExt;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).await.unwrap();
        drop(stdin);
        let out = tokio::time::timeout(KUBECTL_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("kubectl {args:?} timed out"))
            .unwrap();
        Out(out)
    }

    /// `kubectl apply` of YAML text (written to a file in HOME); must succeed.
    pub async fn apply(&self, yaml: &str) -> String {
        let file = self.home.path().join("apply.yaml");
        std::fs::write(&file, yaml).unwrap();
        self.run(&["apply", "-f", file.to_str().unwrap()])
            .await
            .ok()
    }
}

/// A finished command's output.
pub struct Out(pub Output);

impl Out {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    pub fn code(&self) -> Option<i32> {
        self.0.status.code()
    }

    /// Asserts exit 0 and returns stdout.
    pub fn ok(&self) -> String {
        assert_eq!(
            self.code(),
            Some(0),
            "stdout: {}\nstderr: {}",
            self.stdout(),
            self.stderr()
        );
        self.stdout()
    }
}
