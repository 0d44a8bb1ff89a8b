//! `objects::Error`: an object that is not there (with the names that are), or a request the API server refused.

/// Errors about objects in the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named object does not exist; lists the ones that do.
    #[error("{kind} '{name}' 이(가) 없습니다 (namespace default).\n지금 있는 {kind}: {existing}\n→ 이름을 확인하세요 (예: `kubectl get {plural}`).")]
    NotFound {
        /// Kind, e.g. `pod`.
        kind: String,
        /// Name asked for.
        name: String,
        /// Plural for the kubectl hint.
        plural: String,
        /// Existing names, comma-separated, or `(없음)`.
        existing: String,
    },
    /// The API server refused a request.
    #[error("{action} 요청이 실패했습니다: {message}\n→ 메시지를 확인하고, 클러스터 상태는 events() 로 볼 수 있습니다.")]
    Api {
        /// What was attempted, e.g. `kubectl delete pod mysql-0`.
        action: String,
        /// The server's message.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = crate::error::Error::from(Error::NotFound {
            kind: "pod".into(),
            name: "mysql-9".into(),
            plural: "pods".into(),
            existing: "mysql-0, mysql-1".into(),
        });
        let m = format!("{e:?}");
        assert!(
            m.contains("pod 'mysql-9'")
                && m.contains("mysql-0, mysql-1")
                && m.contains("kubectl get pods"),
            "{m}"
        );
        let m = Error::Api {
            action: "kubectl scale statefulset mysql".into(),
            message: "forbidden (403)".into(),
        }
        .to_string();
        assert!(m.contains("실패했습니다") && m.contains("forbidden") && m.contains("events()"));
    }
}
