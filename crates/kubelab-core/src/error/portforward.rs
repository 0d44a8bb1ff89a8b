//! `portforward::Error`: the local listener and the port-forward to a pod.

/// Errors setting up or using a port-forward.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local listener could not be opened.
    #[error("로컬 포트를 열 수 없습니다: {detail}\n→ 잠시 후 다시 시도하세요.")]
    Bind {
        /// The OS error.
        detail: String,
    },
    /// The port-forward to the pod failed.
    #[error("파드 {pod}:{port} 로 포트 포워딩하지 못했습니다: {detail}\n→ 파드가 Running/Ready 인지 pods() 로 확인하고, 재시작 중이면 wait_ready(\"{pod}\") 후 다시 시도하세요.")]
    Forward {
        /// Pod name.
        pod: String,
        /// Pod port.
        port: u16,
        /// What failed.
        detail: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let m = Error::Forward {
            pod: "mysql-0".into(),
            port: 3306,
            detail: "404".into(),
        }
        .to_string();
        assert!(
            m.contains("mysql-0:3306") && m.contains("wait_ready(\"mysql-0\")"),
            "{m}"
        );
        assert!(Error::Bind { detail: "x".into() }
            .to_string()
            .contains("로컬 포트"));
    }
}
