//! Probes as the real kubelet runs them: spec parsing with Kubernetes defaults, one probe run
//! (tcpSocket to the pod's port, exec through [`super::command`] with the local MariaDB clients),
//! and the threshold counter that turns results into ready / live / started.

use std::time::Duration;

use serde_json::Value;

use super::command::{self, Mapped};
use super::env::expand_refs;

/// What a probe does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Connect to the container's port (3306 → the pod's loopback port; others fail).
    Tcp(u16),
    /// A command (already `$(VAR)`-expanded when run).
    Exec(Vec<String>),
    /// httpGet / grpc: nothing in a MySQL pod serves them, so they fail honestly.
    Unsupported(String),
}

/// One probe with Kubernetes defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub action: Action,
    pub initial_delay: Duration,
    pub period: Duration,
    pub timeout: Duration,
    pub success_threshold: u32,
    pub failure_threshold: u32,
}

impl Probe {
    /// Parses `readinessProbe` etc.; `None` when absent.
    pub fn parse(v: &Value, ports: &Value) -> Option<Probe> {
        if !v.is_object() {
            return None;
        }
        let secs = |k: &str, d: u64| Duration::from_secs(v[k].as_u64().unwrap_or(d));
        let action = if let Some(cmd) = v["exec"]["command"].as_array() {
            Action::Exec(
                cmd.iter()
                    .map(|c| c.as_str().unwrap_or("").to_string())
                    .collect(),
            )
        } else if v["tcpSocket"].is_object() {
            let p = &v["tcpSocket"]["port"];
            let port = p.as_u64().map(|n| n as u16).or_else(|| {
                let name = p.as_str()?;
                ports.as_array()?.iter().find(|x| x["name"] == name)?["containerPort"]
                    .as_u64()
                    .map(|n| n as u16)
            });
            Action::Tcp(port.unwrap_or(0))
        } else if v["httpGet"].is_object() {
            Action::Unsupported("httpGet".into())
        } else if v["grpc"].is_object() {
            Action::Unsupported("grpc".into())
        } else {
            Action::Unsupported("(no handler)".into())
        };
        Some(Probe {
            action,
            initial_delay: secs("initialDelaySeconds", 0),
            period: secs("periodSeconds", 10).max(Duration::from_secs(1)),
            timeout: secs("timeoutSeconds", 1).max(Duration::from_secs(1)),
            success_threshold: v["successThreshold"].as_u64().unwrap_or(1).max(1) as u32,
            failure_threshold: v["failureThreshold"].as_u64().unwrap_or(3).max(1) as u32,
        })
    }
}

/// Counts consecutive results against the thresholds.
#[derive(Debug, Clone, Default)]
pub struct Counter {
    successes: u32,
    failures: u32,
}

/// The probe's verdict after a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// successThreshold consecutive successes reached.
    Pass,
    /// failureThreshold consecutive failures reached.
    Fail,
    /// Not decided yet: keep the previous state.
    Hold,
}

impl Counter {
    pub fn observe(&mut self, p: &Probe, ok: bool) -> Verdict {
        if ok {
            self.failures = 0;
            self.successes += 1;
            if self.successes >= p.success_threshold {
                return Verdict::Pass;
            }
        } else {
            self.successes = 0;
            self.failures += 1;
            if self.failures >= p.failure_threshold {
                return Verdict::Fail;
            }
        }
        Verdict::Hold
    }
}

/// The variables a probe command's `$(VAR)` may name: like the real kubelet
/// (`ExpandContainerCommandOnlyStatic`), only those with a literal `value`, not `valueFrom`.
pub fn static_env(container: &Value) -> Vec<(String, String)> {
    container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_string(),
                e["value"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// Runs a probe once against the pod's port `mysql_port`. `$(VAR)` is expanded from
/// `static_env`, `sh -c` variables from the full `env`. `Err` carries the failure output
/// (what the `Unhealthy` event shows). The password never reaches a log: the command's output
/// is reported, never its arguments.
pub async fn run(
    p: &Probe,
    mysql_port: u16,
    static_env: &[(String, String)],
    env: &[(String, String)],
) -> Result<(), String> {
    match &p.action {
        Action::Tcp(port) => {
            if *port != 3306 {
                return Err(format!(
                    "dial tcp 127.0.0.1:{port}: connect: connection refused"
                ));
            }
            match tokio::time::timeout(
                p.timeout,
                tokio::net::TcpStream::connect(("127.0.0.1", mysql_port)),
            )
            .await
            {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("dial tcp :3306: {e}")),
                Err(_) => Err("dial tcp :3306: i/o timeout".into()),
            }
        }
        Action::Unsupported(kind) => Err(format!(
            "labsim은 {kind} 프로브를 지원하지 않습니다 ({kind} probes are not supported)"
        )),
        Action::Exec(argv) => {
            let argv: Vec<String> = argv.iter().map(|a| expand_refs(a, static_env)).collect();
            match command::map(&argv, env, mysql_port) {
                Mapped::Client {
                    program,
                    args,
                    password,
                } => {
                    let mut cmd = tokio::process::Command::new(&program);
                    cmd.args(&args)
                        .env_clear()
                        .env("PATH", "/usr/bin:/bin:/usr/sbin:/sbin")
                        .stdin(std::process::Stdio::null())
                        .kill_on_drop(true);
                    // The probe runs "in the container": it sees the container's environment
                    // (e.g. MYSQL_PWD), except what would point the client away from this pod.
                    for (k, v) in env {
                        if !command::REDIRECTING_ENV.contains(&k.as_str()) {
                            cmd.env(k, v);
                        }
                    }
                    if let Some(pw) = &password {
                        cmd.env("MYSQL_PWD", pw);
                    }
                    let out = tokio::time::timeout(p.timeout, cmd.output()).await;
                    match out {
                        Ok(Ok(o)) if o.status.success() => Ok(()),
                        Ok(Ok(o)) => {
                            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
                            text.push_str(&String::from_utf8_lossy(&o.stderr));
                            Err(text.trim().to_string())
                        }
                        Ok(Err(e)) => Err(format!("{program}: {e}")),
                        Err(_) => Err(format!("command timed out after {}s", p.timeout.as_secs())),
                    }
                }
                Mapped::Hostname | Mapped::Env => Ok(()),
                Mapped::Cat(_) | Mapped::Ls(_) => Err(
                    "labsim: cat/ls 프로브는 지원하지 않습니다 (not supported in probes)".into(),
                ),
                Mapped::Refused(why) => Err(why),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parse_applies_defaults_and_named_ports() {
        let p = Probe::parse(
            &json!({"tcpSocket": {"port": "mysql"}}),
            &json!([{"name": "mysql", "containerPort": 3306}]),
        )
        .unwrap();
        assert_eq!(p.action, Action::Tcp(3306));
        assert_eq!(
            (
                p.period,
                p.timeout,
                p.failure_threshold,
                p.success_threshold
            ),
            (Duration::from_secs(10), Duration::from_secs(1), 3, 1)
        );
        let p = Probe::parse(
            &json!({"exec": {"command": ["sh", "-c", "mysqladmin ping"]}, "initialDelaySeconds": 2, "periodSeconds": 3, "timeoutSeconds": 5, "failureThreshold": 30}),
            &Value::Null,
        )
        .unwrap();
        assert_eq!(p.initial_delay, Duration::from_secs(2));
        assert_eq!(p.failure_threshold, 30);
        assert!(Probe::parse(&Value::Null, &Value::Null).is_none());
    }

    #[test]
    fn counter_honours_thresholds() {
        let mut p = Probe::parse(
            &json!({"tcpSocket": {"port": 3306}, "failureThreshold": 2, "successThreshold": 2}),
            &Value::Null,
        )
        .unwrap();
        let mut c = Counter::default();
        assert_eq!(c.observe(&p, false), Verdict::Hold);
        assert_eq!(c.observe(&p, true), Verdict::Hold);
        assert_eq!(c.observe(&p, false), Verdict::Hold);
        assert_eq!(c.observe(&p, false), Verdict::Fail);
        assert_eq!(c.observe(&p, true), Verdict::Hold);
        assert_eq!(c.observe(&p, true), Verdict::Pass);
        p.success_threshold = 1;
        assert_eq!(c.observe(&p, true), Verdict::Pass);
    }

    #[test]
    fn only_literal_env_values_expand_in_probe_commands() {
        let c = json!({"env": [{"name": "A", "value": "1"}, {"name": "P", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]});
        assert_eq!(static_env(&c), [("A".to_string(), "1".to_string())]);
    }

    #[tokio::test]
    async fn refused_and_unsupported_fail_with_reason() {
        let p = Probe::parse(
            &json!({"exec": {"command": ["cat", "/etc/passwd"]}}),
            &Value::Null,
        )
        .unwrap();
        assert!(run(&p, 1, &[], &[]).await.is_err());
        let p = Probe::parse(
            &json!({"exec": {"command": ["rm", "-rf", "/"]}}),
            &Value::Null,
        )
        .unwrap();
        assert!(run(&p, 1, &[], &[]).await.unwrap_err().contains("허용"));
        let p = Probe::parse(&json!({"httpGet": {"port": 80}}), &Value::Null).unwrap();
        assert!(run(&p, 1, &[], &[]).await.is_err());
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let p = Probe::parse(&json!({"tcpSocket": {"port": 3306}}), &Value::Null).unwrap();
        assert!(run(&p, port, &[], &[]).await.is_ok());
        drop(l);
        assert!(run(&p, port, &[], &[]).await.is_err());
    }
}
