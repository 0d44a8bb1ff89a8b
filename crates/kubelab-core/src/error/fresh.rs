//! `fresh::Error`: starting the lab over, when something is still there.

/// Starting over failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something was still there when the wait ended.
    #[error("{waited}초를 기다렸지만 아직 남아 있습니다: {left}\n→ pods()? 와 pvcs()? 로 상태를 보고, events()? 에서 원인을 찾은 뒤 start_fresh()를 다시 실행하세요.")]
    StillThere {
        /// What is left, e.g. `pod mysql-0, pvc data-mysql-0`.
        left: String,
        /// Seconds waited.
        waited: u64,
    },
}
