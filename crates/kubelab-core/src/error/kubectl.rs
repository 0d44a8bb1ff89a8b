//! `kubectl::Error`: a `kubectl(args)` the lab refuses, or a real kubectl that failed; and
//! `logs(pod)` that the API server refused.

/// Errors of `kubectl(args)` and `logs(pod)`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument the lab does not pass to kubectl (interactive, never-ending, or another
    /// cluster), with the call to use instead.
    #[error("kubectl {args} 은(는) 이 실습 셀에서 실행하지 않습니다: {why}\n→ 대신 {instead} 를 쓰세요.")]
    Refused {
        /// The arguments as written.
        args: String,
        /// Why (Korean).
        why: String,
        /// The kubelab call to use instead.
        instead: String,
    },
    /// The arguments could not be split like a shell splits them.
    #[error("kubectl 인자를 나누지 못했습니다: {detail}\n→ 따옴표(' 또는 \")를 짝지어 닫으세요: kubectl(\"get pods -o 'jsonpath={{.items[*].metadata.name}}'\")")]
    Quotes {
        /// What was wrong.
        detail: String,
    },
    /// kubectl is not installed.
    #[error("kubectl 을 실행하지 못했습니다: {detail}\n→ kubectl 을 설치하고 PATH 에 두세요 (make setup 이 확인합니다).")]
    Missing {
        /// The OS error.
        detail: String,
    },
    /// kubectl ended with a non-zero exit code.
    #[error("$ kubectl {args}\n{stderr}\n(kubectl 종료 코드 {code})\n→ kubectl 의 메시지를 읽고 인자를 고치세요: kubectl(\"help\")? 또는 kubectl(\"{first} --help\")? 로 사용법을 볼 수 있습니다.")]
    Failed {
        /// The arguments.
        args: String,
        /// The first word (the kubectl command), for the help hint.
        first: String,
        /// kubectl's standard error.
        stderr: String,
        /// Its exit code.
        code: i32,
    },
    /// kubectl did not finish in time (and was stopped).
    #[error("kubectl {args} 이(가) {secs}초 안에 끝나지 않아 멈췄습니다.\n→ 끝나지 않는 명령(-w, logs -f)은 쓸 수 없습니다; 더 오래 걸리는 명령이면 kubectl_for(\"{args}\", Duration::from_secs(120))? 처럼 시간을 늘리세요.")]
    TimedOut {
        /// The arguments.
        args: String,
        /// The timeout.
        secs: u64,
    },
    /// The API server refused the log request (no such pod, no previous container, ...).
    #[error("$ kubectl logs {pod}{previous}\nError from server ({reason}): {message}\n→ {hint}")]
    Logs {
        /// The pod.
        pod: String,
        /// ` --previous` or empty.
        previous: String,
        /// The API status reason (`BadRequest`, `NotFound`).
        reason: String,
        /// The API server's message, as kubectl prints it.
        message: String,
        /// What to do next (Korean).
        hint: String,
    },
}
