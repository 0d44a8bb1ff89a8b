//! Non-interactive `kubectl exec POD -- CMD...` over kube's WebSocket exec: stdout, stderr and the
//! exit code from the status channel.

use std::fmt;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::AttachParams;
use tokio::io::AsyncReadExt;

pub use crate::error::exec::Error;
use crate::error::Result;
use crate::lab::Lab;
use crate::table::{escape, pre};

/// Time an exec may take.
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(60);

pub use kubelab::ExecData;

/// What a command printed and how it ended ([`ExecData`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ExecOutput(pub ExecData);
crate::report::report!(ExecOutput: ExecData = 0);

impl fmt::Display for ExecOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.stdout.trim_end_matches('\n'))?;
        if !self.stderr.is_empty() {
            write!(f, "\n{}", self.stderr.trim_end_matches('\n'))?;
        }
        if self.code != 0 {
            write!(f, "\ncommand terminated with exit code {}", self.code)?;
        }
        Ok(())
    }
}

impl ExecOutput {
    /// HTML for Jupyter (stderr in red).
    pub fn to_html(&self) -> String {
        let mut h = pre(self.stdout.trim_end_matches('\n'));
        if !self.stderr.is_empty() {
            h.push_str(&format!(
                "<pre style=\"color:#cf222e;margin:2px 0\">{}</pre>",
                escape(self.stderr.trim_end())
            ));
        }
        if self.code != 0 {
            h.push_str(&pre(&format!(
                "command terminated with exit code {}",
                self.code
            )));
        }
        h
    }
}

/// `arg` as a POSIX shell word: unchanged when it has no special characters, else in single
/// quotes, so a printed `kubectl exec` line can be pasted into a shell with the same effect.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// The exit code carried by an exec status (`NonZeroExitCode` cause `ExitCode`).
pub fn exit_code(status: Option<&Status>) -> i32 {
    let Some(s) = status else { return 0 };
    if s.status.as_deref() == Some("Success") {
        return 0;
    }
    s.details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.reason.as_deref() == Some("ExitCode")))
        .and_then(|c| c.message.as_ref())
        .and_then(|m| m.parse().ok())
        .unwrap_or(1)
}

impl Lab {
    /// `kubectl exec POD -- CMD...` (no stdin, no TTY).
    pub async fn exec(&self, pod: &str, command: &[&str]) -> Result<ExecOutput> {
        let shown: Vec<String> = command.iter().map(|a| shell_quote(a)).collect();
        crate::out::cmd(&format!("kubectl exec {pod} -- {}", shown.join(" ")));
        if self
            .call("get pod", self.api::<Pod>().get_opt(pod))
            .await?
            .is_none()
        {
            return Err(self.not_found::<Pod>("pod", "pods", pod).await);
        }
        let failed = |d: String| Error::Failed {
            pod: pod.to_string(),
            detail: d,
        };
        let ap = AttachParams::default()
            .stdin(false)
            .stdout(true)
            .stderr(true)
            .tty(false);
        let cmd: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        let run = async {
            let mut proc = self
                .api::<Pod>()
                .exec(pod, cmd, &ap)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let mut out = proc.stdout().ok_or_else(|| failed("stdout 없음".into()))?;
            let mut err = proc.stderr().ok_or_else(|| failed("stderr 없음".into()))?;
            let status = proc
                .take_status()
                .ok_or_else(|| failed("status 없음".into()))?;
            let (mut so, mut se) = (Vec::new(), Vec::new());
            let (a, b, st) =
                tokio::join!(out.read_to_end(&mut so), err.read_to_end(&mut se), status);
            a.map_err(|e| failed(e.to_string()))?;
            b.map_err(|e| failed(e.to_string()))?;
            let _ = proc.join().await;
            Ok::<_, Error>(ExecOutput(ExecData {
                stdout: String::from_utf8_lossy(&so).into_owned(),
                stderr: String::from_utf8_lossy(&se).into_owned(),
                code: exit_code(st.as_ref()),
            }))
        };
        match tokio::time::timeout(EXEC_TIMEOUT, run).await {
            // returned, not printed: the value shows as the cell's result (docs/kubelab-api.md)
            Ok(r) => Ok(r?),
            Err(_) => Err(Error::TimedOut {
                pod: pod.to_string(),
                secs: EXEC_TIMEOUT.as_secs(),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_arguments_are_shell_words() {
        assert_eq!(shell_quote("getent"), "getent");
        assert_eq!(shell_quote("mysql-0.mysql"), "mysql-0.mysql");
        assert_eq!(shell_quote("SELECT * FROM t"), "'SELECT * FROM t'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn exit_codes_from_status() {
        let s: Status =
            serde_json::from_value(serde_json::json!({"status":"Success","metadata":{}})).unwrap();
        assert_eq!(exit_code(Some(&s)), 0);
        let s: Status = serde_json::from_value(
            serde_json::json!({"status":"Failure","reason":"NonZeroExitCode",
            "details":{"causes":[{"reason":"ExitCode","message":"42"}]},"metadata":{}}),
        )
        .unwrap();
        assert_eq!(exit_code(Some(&s)), 42);
        assert_eq!(exit_code(None), 0);
    }

    #[test]
    fn display_like_kubectl() {
        let o = ExecOutput(ExecData {
            stdout: "mysql-0\n".into(),
            stderr: "warn\n".into(),
            code: 2,
        });
        assert_eq!(
            o.to_string(),
            "mysql-0\nwarn\ncommand terminated with exit code 2"
        );
        assert!(o.to_html().contains("#cf222e"));
        let m = Error::TimedOut {
            pod: "mysql-0".into(),
            secs: 60,
        }
        .to_string();
        assert!(
            m.contains("60초") && m.contains("mysql(\"mysql-0\")"),
            "{m}"
        );
        assert!(Error::Failed {
            pod: "p".into(),
            detail: "d".into()
        }
        .to_string()
        .contains("pods()"));
    }
}
