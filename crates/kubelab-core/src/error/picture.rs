//! `picture::Error`: a picture of the cluster that could not be drawn.

/// Why a picture could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the cluster failed.
    #[error("그림을 그리려고 {what}을(를) 읽지 못했습니다: {detail}\n→ cluster()? 로 클러스터가 응답하는지 확인한 뒤 다시 실행하세요.")]
    Api {
        /// What was being read (a kubectl-like command).
        what: String,
        /// The error.
        detail: String,
    },
    /// No pod matches the selector of a timeline.
    #[error("'{selector}'에 맞는 파드가 없어 타임라인을 그릴 수 없습니다.\n→ apply(\"../manifests/1-sts-mysql.yaml\")? 와 watch_pods(\"app=mysql\")? 를 먼저 실행하세요 (실습의 셀렉터는 \"app=mysql\").")]
    NoPods {
        /// The label selector.
        selector: String,
    },
}
