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

/// The container kubectl's exec picks when none is named and the pod has several (the API
/// server refuses to guess): the `kubectl.kubernetes.io/default-container` annotation's, else the
/// first; with the note kubectl prints (kubectl's `podcmd.FindOrDefaultContainerByName`).
pub fn default_container(pod: &Pod) -> Option<(String, String)> {
    let spec = pod.spec.as_ref()?;
    if spec.containers.len() < 2 {
        return None;
    }
    let annotated = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("kubectl.kubernetes.io/default-container"))
        .filter(|n| spec.containers.iter().any(|c| &c.name == *n));
    let name = annotated
        .cloned()
        .unwrap_or_else(|| spec.containers[0].name.clone());
    if annotated.is_some() {
        return Some((name, String::new()));
    }
    let all: Vec<String> = spec
        .containers
        .iter()
        .map(|c| c.name.clone())
        .chain(
            spec.init_containers
                .iter()
                .flatten()
                .map(|c| format!("{} (init)", c.name)),
        )
        .collect();
    let note = format!("Defaulted container \"{name}\" out of: {}", all.join(", "));
    Some((name, note))
}

impl Lab {
    /// `kubectl exec POD -- CMD...` (no stdin, no TTY); in a pod with several containers, the
    /// one kubectl defaults to ([`default_container`]).
    pub async fn exec(&self, pod: &str, command: &[&str]) -> Result<ExecOutput> {
        let shown: Vec<String> = command.iter().map(|a| shell_quote(a)).collect();
        crate::out::cmd(&format!("kubectl exec {pod} -- {}", shown.join(" ")));
        let Some(p) = self.call("get pod", self.api::<Pod>().get_opt(pod)).await? else {
            return Err(self.not_found::<Pod>("pod", "pods", pod).await);
        };
        let failed = |d: String| Error::Failed {
            pod: pod.to_string(),
            detail: d,
        };
        let mut ap = AttachParams::default()
            .stdin(false)
            .stdout(true)
            .stderr(true)
            .tty(false);
        if let Some((name, note)) = default_container(&p) {
            if !note.is_empty() {
                crate::out::line(note);
            }
            ap = ap.container(name);
        }
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
    fn several_containers_default_to_the_annotated_or_first_as_kubectl() {
        let pod = |ann: serde_json::Value| -> Pod {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "mysql-0", "annotations": ann},
                "spec": {"initContainers": [{"name": "init-mysql"}, {"name": "clone-mysql"}],
                         "containers": [{"name": "mysql"}, {"name": "xtrabackup"}]}}))
            .unwrap()
        };
        // kubectl 1.31 and 1.33 (pkg/cmd/util/podcmd/podcmd.go): `Defaulted container "mysql" out of: mysql, xtrabackup, init-mysql (init), clone-mysql (init)`
        assert_eq!(
            default_container(&pod(serde_json::json!({}))),
            Some(("mysql".into(), "Defaulted container \"mysql\" out of: mysql, xtrabackup, init-mysql (init), clone-mysql (init)".into()))
        );
        let annotated =
            serde_json::json!({"kubectl.kubernetes.io/default-container": "xtrabackup"});
        assert_eq!(
            default_container(&pod(annotated)),
            Some(("xtrabackup".into(), String::new()))
        );
        let one: Pod = serde_json::from_value(serde_json::json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "mysql"}]}})).unwrap();
        assert_eq!(default_container(&one), None);
    }

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
