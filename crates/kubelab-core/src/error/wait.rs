//! `wait::Error`: waits that end without their condition (with a diagnosis), selectors that match nothing, failed watches.

/// Errors while waiting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The condition did not hold in time; the diagnosis says why.
    #[error("{what}: {secs}초 안에 끝나지 않았습니다.\n진단:\n{diagnosis}\n→ events() 와 pods() 로 상태를 확인하고, 원인을 고친 뒤 다시 실행하세요.")]
    TimedOut {
        /// What was awaited.
        what: String,
        /// The timeout.
        secs: u64,
        /// One finding per line.
        diagnosis: String,
    },
    /// No pod matches the selector, and no StatefulSet would ever create one.
    #[error("'{selector}' 에 맞는 파드가 없고, 그런 파드를 만들 StatefulSet도 없습니다.\n지금 있는 파드의 레이블: {existing}\n→ 레이블 셀렉터의 철자를 확인하세요 (실습에서는 \"app=mysql\"). 아직 apply 하지 않았다면 apply(...) 를 먼저 실행하세요.")]
    NoMatch {
        /// The label selector given.
        selector: String,
        /// `name: k=v,...` of the pods that exist, or `(없음)`.
        existing: String,
    },
    /// The watch stream failed.
    #[error("파드 감시(watch)가 실패했습니다: {detail}\n→ 클러스터가 살아 있는지 cluster() 로 확인하세요.")]
    Watch {
        /// The watcher error.
        detail: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_message() {
        let e = crate::error::Error::from(Error::TimedOut {
            what: "파드(app=mysql)가 모두 Ready가 되기를 기다렸지만".into(),
            secs: 300,
            diagnosis: "- mysql-1: STATUS Pending".into(),
        });
        let m = format!("{e:?}");
        crate::error::assert_says(&m, &["300초", "진단", "mysql-1", "events()"]);
        assert!(Error::Watch { detail: "x".into() }
            .to_string()
            .contains("cluster()"));
    }
}
