//! `exec::Error`: a command in a pod that could not run or did not end.

/// Errors running a command in a pod.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The exec session could not be opened or broke.
    #[error("파드 {pod} 에서 명령을 실행하지 못했습니다: {detail}\n→ 파드가 Running 인지 pods() 로 확인하세요.")]
    Failed {
        /// Pod name.
        pod: String,
        /// What failed.
        detail: String,
    },
    /// The command did not finish in time.
    #[error("파드 {pod} 의 명령이 {secs}초 안에 끝나지 않았습니다.\n→ 입력을 기다리는 명령(예: mysql -p)은 쓸 수 없습니다: 비밀번호는 mysql(\"{pod}\") 이 Secret에서 읽습니다.")]
    TimedOut {
        /// Pod name.
        pod: String,
        /// Timeout.
        secs: u64,
    },
}
