//! `kubectl(args)`: the real `kubectl` on the lab's context, for the commands the course shows
//! as they are. Its arguments are split as a shell splits them; commands that would wait for a
//! terminal or never end (`edit`, `-it`, `port-forward`, `proxy`, `-w`; `run -i` is allowed with a
//! command and no `-t`) and overrides of the cluster (`--context`, `--kubeconfig`, ...) are
//! refused with the call to use instead.

use std::process::Stdio;
use std::time::Duration;

pub use kubelab::KubectlData;

pub use crate::error::kubectl::Error;
use crate::error::Result;
use crate::lab::Lab;

/// What the real kubectl printed ([`KubectlData`]). The call already printed kubectl's output
/// as it came (as in a terminal), so the value itself shows nothing: a cell ending in
/// `kubectl("get pods")?` with or without `;` shows the output once. The data stays readable
/// (`.stdout`, `.stderr`, `.code`).
#[derive(Debug, Clone, PartialEq)]
pub struct KubectlOutput(pub KubectlData);
crate::report::report!(KubectlOutput: KubectlData = 0);

impl std::fmt::Display for KubectlOutput {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

impl KubectlOutput {
    /// HTML for Jupyter: nothing (see the type's doc).
    pub fn to_html(&self) -> String {
        String::new()
    }
}

/// `s` split into words as a POSIX shell does: blanks separate words, `'...'` keeps everything,
/// `"..."` keeps everything but `\"`, `\\`, `\$` and `` \` ``, and `\` outside quotes escapes the
/// next character. `Err` names an unclosed quote.
pub fn split_args(s: &str) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("작은따옴표(')가 닫히지 않았습니다".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some('\n') => {}
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("큰따옴표(\")가 닫히지 않았습니다".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("큰따옴표(\")가 닫히지 않았습니다".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(c) => word.push(c),
                    None => word.push('\\'),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// Why the lab does not run these arguments, and the call to use instead; `None` to run them.
pub fn refusal(args: &[String]) -> Option<(String, String)> {
    let command_given = args
        .iter()
        .position(|a| a == "--")
        .is_some_and(|i| i + 1 < args.len());
    // after `--` come the words of the command run in the pod, not kubectl's flags
    let args = match args.iter().position(|a| a == "--") {
        Some(i) => &args[..i],
        None => args,
    };
    let command = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str);
    let flag = |names: &[&str]| {
        args.iter().any(|a| {
            let name = a.split_once('=').map_or(a.as_str(), |(n, _)| n);
            names.contains(&name)
        })
    };
    // short flags combine: -it, -ti, -itc ...
    let short = |c: char| {
        args.iter()
            .any(|a| a.starts_with('-') && !a.starts_with("--") && a[1..].contains(c))
    };
    let refuse = |why: &str, instead: &str| Some((why.to_string(), instead.to_string()));
    if flag(&[
        "--kubeconfig",
        "--context",
        "--server",
        "-s",
        "--token",
        "--cluster",
        "--user",
    ]) {
        return refuse(
            "kubelab 은 실습 클러스터의 컨텍스트로만 kubectl 을 실행합니다 (다른 클러스터나 사용자로 바꾸는 옵션은 받지 않습니다)",
            "옵션 없이 kubectl(\"get pods\")? 처럼 쓰고, 다른 컨텍스트가 꼭 필요하면 allow_context(\"이름\")? 후 그 컨텍스트를 kubectl config use-context 로 고르세요",
        );
    }
    match command {
        Some("edit") => {
            return refuse(
                "kubectl edit 는 편집기를 열고 기다립니다",
                "YAML 을 셀에 적고 apply_yaml(r#\"...\"#)? (또는 파일을 고친 뒤 apply(\"파일\")?)",
            )
        }
        Some("port-forward") => {
            return refuse(
                "kubectl port-forward 는 멈출 때까지 끝나지 않습니다",
                "mysql(\"mysql-0\")? (포트 포워딩과 MySQL 접속을 함께 합니다)",
            )
        }
        Some("proxy") => {
            return refuse(
                "kubectl proxy 는 멈출 때까지 끝나지 않습니다",
                "kubectl(\"get --raw /api/v1/namespaces/default/pods\")? 처럼 API 를 직접 읽거나 describe(\"pod\", \"mysql-0\")?",
            )
        }
        // `run -i --rm ... -- CMD` without -t is not interactive: kubectl attaches an empty stdin,
        // CMD runs to its end and kubectl prints its output (the tutorials' throwaway client pod)
        Some("run") if command_given && !short('t') && !flag(&["--tty"]) => {}
        Some("exec" | "run" | "attach")
            if short('i') || short('t') || flag(&["--stdin", "--tty"]) =>
        {
            return refuse(
                "대화형(-i, -t, --stdin, --tty) 명령은 셀에서 입력을 받을 수 없습니다",
                "exec(\"mysql-0\", &[\"hostname\"])? 처럼 한 번에 끝나는 명령, SQL 은 mysql(\"mysql-0\")? 의 db.sql(\"...\")?",
            )
        }
        Some("logs") if short('f') || flag(&["--follow"]) => {
            return refuse(
                "kubectl logs -f 는 멈출 때까지 끝나지 않습니다",
                "logs(\"mysql-0\")? (지금까지의 로그)",
            )
        }
        _ => {}
    }
    if short('w') || flag(&["--watch", "--watch-only"]) {
        return refuse(
            "-w(--watch) 는 멈출 때까지 끝나지 않습니다",
            "watch_pods(\"app=mysql\")? (모두 Ready 가 될 때까지) 또는 watch_rollout(\"mysql\")? (업데이트가 끝날 때까지)",
        );
    }
    None
}

/// `args` with `--context=NAME` added where kubectl reads it as its own flag: before `--` (after
/// it come the words of a command run in a pod), and after the command (kubectl refuses flags
/// before a plugin's name, and an unknown command must get kubectl's own `unknown command`).
pub fn with_context(args: &[String], context: &str) -> Vec<String> {
    let flag = format!("--context={context}");
    let at = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let mut out = args[..at].to_vec();
    out.push(flag);
    out.extend_from_slice(&args[at..]);
    out
}

impl Lab {
    /// The real `kubectl ARGS` with this lab's context (`--context`), at most `timeout`: prints
    /// `$ kubectl ARGS` and kubectl's output; a non-zero exit is an error with kubectl's message.
    pub async fn kubectl(&self, args: &str, timeout: Duration) -> Result<KubectlOutput> {
        let shown = args.trim();
        crate::out::cmd(&format!("kubectl {shown}"));
        let words = split_args(shown).map_err(|detail| Error::Quotes { detail })?;
        if let Some((why, instead)) = refusal(&words) {
            return Err(Error::Refused {
                args: shown.to_string(),
                why,
                instead,
            }
            .into());
        }
        let mut cmd = tokio::process::Command::new("kubectl");
        cmd.args(with_context(&words, &self.ctx.name))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| Error::Missing {
            detail: e.to_string(),
        })?;
        let out = match tokio::time::timeout(timeout, child.wait_with_output()).await {
            Ok(r) => r.map_err(|e| Error::Missing {
                detail: e.to_string(),
            })?,
            // dropping the future kills kubectl (kill_on_drop)
            Err(_) => {
                return Err(Error::TimedOut {
                    args: shown.to_string(),
                    secs: timeout.as_secs(),
                }
                .into())
            }
        };
        let data = KubectlData {
            args: words.clone(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        };
        if data.code != 0 {
            // what kubectl printed on stdout before it failed, as a terminal shows it (kubectl
            // run -i falls back to the pod's log there when the container ended before attach)
            let stdout = data.stdout.trim_end_matches('\n');
            if !stdout.is_empty() {
                crate::out::line(stdout.to_string());
            }
            return Err(Error::Failed {
                args: shown.to_string(),
                first: words.first().cloned().unwrap_or_default(),
                stderr: data.stderr.trim_end().to_string(),
                code: data.code,
            }
            .into());
        }
        let stdout = data.stdout.trim_end_matches('\n');
        if !stdout.is_empty() {
            crate::out::line(stdout.to_string());
        }
        Ok(KubectlOutput(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_args(s).unwrap()
    }

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            words("  get   pods -o wide "),
            ["get", "pods", "-o", "wide"]
        );
        assert_eq!(
            words("get pods -o 'jsonpath={.items[*].metadata.name}'"),
            ["get", "pods", "-o", "jsonpath={.items[*].metadata.name}"]
        );
        assert_eq!(
            words(r#"exec mysql-0 -- sh -c "echo \"a b\" \$HOME""#),
            ["exec", "mysql-0", "--", "sh", "-c", "echo \"a b\" $HOME"]
        );
        assert_eq!(words(r"label pod a x=a\ b"), ["label", "pod", "a", "x=a b"]);
        assert_eq!(words("''"), [""]);
        assert!(words("").is_empty());
        assert!(split_args("get 'pods").is_err());
        assert!(split_args("get \"pods").is_err());
    }

    #[test]
    fn the_lab_context_goes_before_the_pods_command() {
        assert_eq!(
            with_context(&words("exec mysql-0 -- ls --context"), "labsim"),
            [
                "exec",
                "mysql-0",
                "--context=labsim",
                "--",
                "ls",
                "--context"
            ]
        );
        assert_eq!(with_context(&[], "labsim"), ["--context=labsim"]);
    }

    fn refused(s: &str) -> Option<String> {
        refusal(&words(s)).map(|(_, instead)| instead)
    }

    #[test]
    fn refuses_what_waits_or_leaves_the_lab_naming_the_call_to_use() {
        assert!(refused("edit sts mysql").unwrap().contains("apply_yaml"));
        for it in [
            "exec -it mysql-0 -- bash",
            "exec mysql-0 -ti -- bash",
            "exec --stdin mysql-0 -- sh",
            "exec --tty=true mysql-0 -- sh",
            "run -it --rm t --image=busybox -- sh",
            "run -i -t --rm t --image=busybox -- sh",
            "run -i --tty --rm t --image=busybox -- sh",
            "run -i --rm t --image=busybox",
            "run -i --rm t --image=busybox --",
            "attach -i mysql-0",
        ] {
            let i = refused(it).unwrap_or_else(|| panic!("{it}"));
            assert!(i.contains("exec(") && i.contains("mysql("), "{it}: {i}");
        }
        assert!(refused("port-forward pod/mysql-0 3306")
            .unwrap()
            .contains("mysql(\"mysql-0\")"));
        assert!(refused("proxy").is_some());
        for w in [
            "get pods -w",
            "get pods --watch",
            "get pods -l app=mysql -w",
            "get sts --watch-only",
        ] {
            let i = refused(w).unwrap_or_else(|| panic!("{w}"));
            assert!(
                i.contains("watch_pods") && i.contains("watch_rollout"),
                "{w}"
            );
        }
        assert!(refused("logs -f mysql-0")
            .unwrap()
            .contains("logs(\"mysql-0\")"));
        for o in [
            "get pods --context other",
            "--kubeconfig=/tmp/k get pods",
            "get pods --server https://10.0.0.1",
            "get pods -s https://10.0.0.1",
            "get pods --token abc",
        ] {
            assert!(refused(o).unwrap().contains("allow_context"), "{o}");
        }
        // what the lab runs
        for ok in [
            "get pods -o wide",
            "exec mysql-0 -- hostname",
            "exec mysql-0 -- ls -ltw /tmp",
            "describe pod mysql-0",
            "logs mysql-0 --previous",
            "run t --image=busybox --restart=Never -- true",
            // the replicated-MySQL tutorial's client pod, as notebook 05 runs it
            "run mysql-client --image=mysql:5.7 -i --rm --restart=Never -- mysql -h mysql-0.mysql -e \"SELECT 1\"",
            "run mysql-client --image=mysql:5.7 --stdin --rm --restart=Never -- mysql -h mysql-read -e \"SELECT 1\"",
            "get pods -o jsonpath={.items[*].metadata.name}",
            "rollout status statefulset/mysql",
            "",
        ] {
            assert_eq!(refused(ok), None, "{ok}");
        }
    }
}
