//! Whether a cell failed, and how it is shown: a cell that wrote to stderr has failed; when that
//! text is the echo of a kubelab call's failure, the error is that failure (its Korean name, the
//! message once). Pure functions, tested without evcxr (see cells.rs for why the rule).

use kubelab::Error;

/// A failed cell as it is shown: the failure (a Korean name and the message: a kubelab call's
/// own, or the cell's panic, compile or run error) and the lines to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub error: Error,
    pub lines: Vec<String>,
}

impl CellError {
    /// A failure of the cell itself (not a kubelab call's), shown as `lines`.
    pub fn new(name: &str, message: impl Into<String>, lines: Vec<String>) -> CellError {
        CellError {
            error: Error::new(name, message),
            lines,
        }
    }
}

/// What a cell produced besides its live output.
#[derive(Debug, Default)]
pub struct CellOutput {
    /// The final value's renderings by MIME type (`text/html`, `text/plain`).
    pub data: Vec<(String, String)>,
    /// Set when the cell failed.
    pub error: Option<CellError>,
}

/// A cell that evcxr ran: failed when it wrote to stderr. A kubelab failure's message echoed by
/// `?` is shown as that failure (its Korean name); a panic or other text as it is.
pub fn judge(stderr: &[String], failures: &[Error]) -> Option<CellError> {
    if stderr.iter().all(|l| l.trim().is_empty()) {
        return None;
    }
    let text = stderr.join("\n");
    for f in failures.iter().rev() {
        let first = f.message().lines().next().unwrap_or_default();
        if !first.is_empty() && text.contains(first) {
            let rest: Vec<String> = remove_block(stderr, f.message());
            let mut lines: Vec<String> = rest.into_iter().filter(|l| !is_noise(l)).collect();
            lines.extend(f.message().lines().map(str::to_string));
            return Some(CellError {
                error: f.clone(),
                lines,
            });
        }
    }
    let panicked = stderr.iter().any(|l| l.contains("panicked at"));
    let lines: Vec<String> = stderr.iter().filter(|l| !is_noise(l)).cloned().collect();
    Some(CellError::new(
        if panicked { "패닉" } else { "오류" },
        lines.join("\n"),
        lines,
    ))
}

/// Lines of a panic report that only point at a Rust backtrace setting.
fn is_noise(line: &str) -> bool {
    line.starts_with("note: run with `RUST_BACKTRACE=1`")
}

/// `stderr` without the lines of `message` (the echo of a `?` error), other lines kept in order.
fn remove_block(stderr: &[String], message: &str) -> Vec<String> {
    let block: Vec<&str> = message.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < stderr.len() {
        if stderr[i..].len() >= block.len()
            && stderr[i..i + block.len()]
                .iter()
                .zip(&block)
                .all(|(a, b)| a == b)
        {
            i += block.len();
            continue;
        }
        out.push(stderr[i].clone());
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str, message: &str) -> Error {
        Error::new(name, message)
    }

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn a_cell_without_stderr_did_not_fail_even_if_a_call_failed_and_was_handled() {
        assert_eq!(judge(&[], &[f("파드 없음", "파드가 없습니다.")]), None);
    }

    #[test]
    fn a_question_mark_echo_becomes_the_kubelab_failure() {
        let msg = "파드 'mysql-9'가 없습니다.\n→ pods()? 로 이름을 확인하세요.";
        let e = judge(&lines(msg), &[f("리소스 작업 실패", msg)]).unwrap();
        assert_eq!(e.error.name(), "리소스 작업 실패");
        assert_eq!(e.error.message(), msg);
        assert_eq!(e.lines, lines(msg), "shown once, not twice");
    }

    #[test]
    fn an_unwrap_panic_on_a_kubelab_failure_is_named_after_it_with_the_panic_text() {
        let msg = "YAML 오류: 3:1";
        let stderr = lines(
            "thread '<unnamed>' panicked at src/lib.rs:1:1:\ncalled `Result::unwrap()` on an `Err` value: YAML 오류: 3:1\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        );
        let e = judge(&stderr, &[f("매니페스트 적용 실패", msg)]).unwrap();
        assert_eq!(e.error.name(), "매니페스트 적용 실패");
        assert!(e.lines.iter().any(|l| l.contains("panicked at")));
        assert!(!e.lines.iter().any(|l| l.contains("RUST_BACKTRACE")));
    }

    #[test]
    fn other_stderr_fails_the_cell_as_it_is() {
        let e = judge(&lines("No such file or directory (os error 2)"), &[]).unwrap();
        assert_eq!(e.error.name(), "오류");
        assert_eq!(e.error.message(), "No such file or directory (os error 2)");
        let p = judge(&lines("thread 'x' panicked at a.rs:1:1:\nboom"), &[]).unwrap();
        assert_eq!(p.error.name(), "패닉");
    }
}
