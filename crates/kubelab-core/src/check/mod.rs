//! `check(step)`: the learner's checks, as a Killercoda scenario's verify script. Each step reads
//! the cluster (and for the SQL steps the database) and lists its conditions with ✅ or ❌; a ❌
//! carries a Korean hint naming the cell to run next. Any ❌ makes the call fail (so the cell fails
//! and Run All stops there, exactly like a failing verify.sh); all ✅ returns a [`CheckReport`].

mod course;
mod inside;
mod replication;
mod steps;

use std::fmt;
use std::sync::{Arc, Mutex};

pub use crate::error::check::Error;
use crate::table::escape;
use crate::Lab;

/// The steps `check` knows, with what each one verifies (shown in the error for an unknown step).
pub const STEPS: &[(&str, &str)] = &[
    ("cluster", "노드 3개가 모두 Ready"),
    (
        "deploy",
        "StatefulSet mysql 3/3, 헤드리스 Service mysql, PVC 3개 Bound",
    ),
    (
        "order",
        "각 파드가 앞 번호 파드가 Ready가 된 뒤에 만들어졌다",
    ),
    ("data", "mysql-0의 testdb.users에 Alice와 Bob이 있다"),
    ("dns", "다른 파드에서 mysql-0.mysql이 mysql-0의 IP로 풀린다"),
    (
        "survive",
        "mysql-0이 다시 만들어졌고 Alice와 Bob이 남아 있다",
    ),
    (
        "scale",
        "레플리카 수만큼 파드가 Ready이고 그 PVC가 Bound, 축소해도 PVC는 남는다",
    ),
    (
        "restart",
        "mysql-0의 컨테이너가 같은 파드 안에서 재시작되었고 Alice와 Bob이 남아 있다",
    ),
    (
        "crash",
        "03 연습 C를 고쳤다: mysql-c-0이 고친 템플릿으로 Ready",
    ),
    (
        "local-path",
        "03 연습 G를 고쳤다: PVC가 local-path이고 파드마다 볼륨이 묶인 노드에서 Ready",
    ),
    ("rollout", "모든 파드가 새 리비전이고 업데이트가 끝났다"),
    ("partition", "partition 이상 번호의 파드만 새 리비전이다"),
    ("ondelete", "OnDelete에서 지운 mysql-1만 새 리비전이다"),
    (
        "retention",
        "whenScaled: Delete로 1개로 줄였더니 data-mysql-0만 남았다",
    ),
    (
        "repl-deploy",
        "05: ConfigMap mysql, Service mysql(헤드리스)과 mysql-read, StatefulSet mysql의 파드가 모두 Ready",
    ),
    (
        "repl-config",
        "05: 서버마다 server_id = 100 + 서수, mysql-0은 주 서버, 나머지는 read_only로 mysql-0에서 복제",
    ),
    (
        "repl-data",
        "05: mysql-0에 쓴 test.messages의 'hello'가 모든 보조 서버에 복제되었다",
    ),
    (
        "repl-scale",
        "05: 레플리카 5개, 새 파드도 앞 파드에서 복제(clone)해 와서 복제 중",
    ),
    (
        "repl-drain",
        "05: 드레인한 노드가 다시 스케줄 가능하고, 파드가 모두 Ready이며 복제가 이어진다",
    ),
];

/// One condition of a step: ✅ with what holds, or ❌ with what is missing and what to run next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// True when the condition holds.
    pub ok: bool,
    /// What holds (✅) or what is missing (❌), in Korean.
    pub what: String,
    /// The next step for a ❌ (empty for ✅).
    pub hint: String,
}

impl Condition {
    /// A condition that holds.
    pub fn pass(what: impl Into<String>) -> Condition {
        Condition {
            ok: true,
            what: what.into(),
            hint: String::new(),
        }
    }

    /// A condition that does not hold, with the next step.
    pub fn fail(what: impl Into<String>, hint: impl Into<String>) -> Condition {
        Condition {
            ok: false,
            what: what.into(),
            hint: hint.into(),
        }
    }

    /// `pass` or `fail` by `ok`.
    pub fn either(ok: bool, pass: String, fail: String, hint: &str) -> Condition {
        if ok {
            Condition::pass(pass)
        } else {
            Condition::fail(fail, hint)
        }
    }

    /// `✅ what` or `❌ what → hint`.
    pub fn line(&self) -> String {
        if self.ok {
            format!("✅ {}", self.what)
        } else {
            format!("❌ {} → {}", self.what, self.hint)
        }
    }
}

pub use kubelab::CheckData;

/// A step whose conditions all hold: [`CheckData`] (the step, its ✅ lines) and how it shows.
#[derive(Debug, Clone)]
pub struct CheckReport {
    data: CheckData,
    /// What the step verifies.
    pub title: String,
    /// Its conditions, all ✅.
    pub conditions: Vec<Condition>,
}
crate::report::report!(CheckReport: CheckData = data);

impl CheckReport {
    fn summary(&self) -> String {
        let n = self.conditions.len();
        format!("확인 '{}' 통과 ({n}/{n})", self.step)
    }

    /// HTML for Jupyter: a small table of the conditions.
    pub fn to_html(&self) -> String {
        let mut h = format!(
            "<div style=\"font-family:sans-serif;font-size:13px\"><b>확인 '{}'</b>: {}\n<table style=\"border-collapse:collapse;margin:4px 0\">\n",
            escape(&self.step),
            escape(&self.title)
        );
        for c in &self.conditions {
            let mark = if c.ok { "✅" } else { "❌" };
            h.push_str(&format!(
                "<tr><td style=\"padding:1px 6px\">{mark}</td><td style=\"padding:1px 6px;text-align:left\">{}</td></tr>\n",
                escape(&c.what)
            ));
        }
        h.push_str(&format!(
            "</table><span style=\"color:#1a7f37;font-weight:600\">{}</span></div>",
            escape(&self.summary())
        ));
        h
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "확인 '{}': {}", self.step, self.title)?;
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        f.write_str(&self.summary())
    }
}

/// Turns the conditions of `step` into the report, or the error naming the first ❌.
pub fn verdict(step: &str, conditions: Vec<Condition>) -> Result<CheckReport, Error> {
    let title = STEPS
        .iter()
        .find(|(s, _)| *s == step)
        .map(|(_, t)| t.to_string())
        .unwrap_or_default();
    match conditions.iter().find(|c| !c.ok) {
        Some(first) => Err(Error::Failed {
            step: step.to_string(),
            lines: conditions
                .iter()
                .map(Condition::line)
                .collect::<Vec<_>>()
                .join("\n"),
            what: first.what.clone(),
            hint: first.hint.clone(),
        }),
        None => Ok(CheckReport {
            data: CheckData {
                step: step.to_string(),
                lines: conditions.iter().map(Condition::line).collect(),
            },
            title,
            conditions,
        }),
    }
}

/// The error for a step `check` does not know.
pub fn unknown_step(step: &str) -> Error {
    Error::UnknownStep {
        step: step.to_string(),
        valid: STEPS
            .iter()
            .map(|(s, t)| format!("  \"{s}\": {t}"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The UID mysql-0 had when an earlier check saw it, so that `survive` can tell a re-created pod.
static SEEN_UID: Mutex<Option<String>> = Mutex::new(None);

fn remember_uid(uid: &str) {
    *SEEN_UID.lock().unwrap_or_else(|e| e.into_inner()) = Some(uid.to_string());
}

fn seen_uid() -> Option<String> {
    SEEN_UID.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

impl Lab {
    /// Checks one step of the lab (see [`STEPS`]): prints the kubectl commands it reads with,
    /// returns the ✅ report, or fails with every line and the first ❌'s hint.
    pub async fn check(self: &Arc<Self>, step: &str) -> crate::Result<CheckReport> {
        // Each step's future is boxed: inline, the match's future is as large as the largest
        // step's, and a test thread's 2 MiB stack overflowed on it in a debug build.
        let conditions = match step.trim() {
            "cluster" => Box::pin(steps::cluster(self)).await?,
            "deploy" => Box::pin(steps::deploy(self)).await?,
            "order" => Box::pin(steps::order(self)).await?,
            "data" => Box::pin(inside::data(self)).await?,
            "dns" => Box::pin(inside::dns(self)).await?,
            "survive" => Box::pin(inside::survive(self)).await?,
            "scale" => Box::pin(steps::scale(self)).await?,
            "restart" => Box::pin(course::restart(self)).await?,
            "crash" => Box::pin(course::crash(self)).await?,
            "local-path" => Box::pin(course::local_path(self)).await?,
            "rollout" => Box::pin(course::rollout(self)).await?,
            "partition" => Box::pin(course::partition(self)).await?,
            "ondelete" => Box::pin(course::ondelete(self)).await?,
            "retention" => Box::pin(course::retention(self)).await?,
            "repl-deploy" => Box::pin(replication::deploy(self)).await?,
            "repl-config" => Box::pin(replication::config(self)).await?,
            "repl-data" => Box::pin(replication::data(self)).await?,
            "repl-scale" => Box::pin(replication::scale(self)).await?,
            "repl-drain" => Box::pin(replication::drain(self)).await?,
            other => return Err(unknown_step(other).into()),
        };
        Ok(verdict(step.trim(), conditions)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_pass_is_a_report_one_fail_is_an_error_with_its_hint() {
        let ok = verdict(
            "deploy",
            vec![Condition::pass("StatefulSet mysql READY 3/3")],
        )
        .unwrap();
        assert_eq!(
            ok.to_string(),
            "확인 'deploy': StatefulSet mysql 3/3, 헤드리스 Service mysql, PVC 3개 Bound\n✅ StatefulSet mysql READY 3/3\n확인 'deploy' 통과 (1/1)"
        );
        assert!(ok
            .to_html()
            .contains("<td style=\"padding:1px 6px\">✅</td>"));
        let e = verdict(
            "deploy",
            vec![
                Condition::pass("Service mysql은 헤드리스입니다"),
                Condition::fail(
                    "mysql-2 파드가 아직 Ready가 아닙니다",
                    "watch_pods(\"app=mysql\")? 셀을 실행하세요",
                ),
            ],
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("✅ Service mysql은 헤드리스입니다\n❌ mysql-2 파드가 아직 Ready가 아닙니다 → watch_pods(\"app=mysql\")? 셀을 실행하세요"), "{msg}");
        assert!(msg.ends_with("확인 'deploy' 실패: mysql-2 파드가 아직 Ready가 아닙니다\n→ watch_pods(\"app=mysql\")? 셀을 실행하세요"), "{msg}");
    }

    #[test]
    fn an_unknown_step_lists_the_valid_ones() {
        let msg = unknown_step("deplyo").to_string();
        assert!(msg.contains("'deplyo'"), "{msg}");
        for (s, _) in STEPS {
            assert!(msg.contains(&format!("\"{s}\"")), "{msg}");
        }
    }
}
