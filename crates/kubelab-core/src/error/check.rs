//! `check::Error`: a learner check that did not pass, or an unknown step.

/// Why a check could not pass.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The step name is not one of `check::STEPS`.
    #[error("알 수 없는 확인 단계 '{step}'입니다.\n→ 다음 중 하나를 쓰세요:\n{valid}")]
    UnknownStep {
        /// What the cell asked for.
        step: String,
        /// The valid steps, one per line.
        valid: String,
    },
    /// A condition is ❌: every condition's line, then the first failed one and its hint.
    #[error("{lines}\n\n확인 '{step}' 실패: {what}\n→ {hint}")]
    Failed {
        /// The step.
        step: String,
        /// All ✅/❌ lines.
        lines: String,
        /// The first failed condition.
        what: String,
        /// What to run next.
        hint: String,
    },
    /// Reading the cluster failed.
    #[error("확인 중 {what}을(를) 읽지 못했습니다: {detail}\n→ cluster()? 로 클러스터가 응답하는지 확인한 뒤 다시 실행하세요.")]
    Api {
        /// What was being read (a kubectl-like command).
        what: String,
        /// The error.
        detail: String,
    },
}
