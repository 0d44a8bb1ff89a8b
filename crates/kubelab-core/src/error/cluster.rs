//! `cluster::Error`: the kube context, the kubeconfig, and reaching or starting the cluster.

/// Errors about the kube context and reaching or starting the cluster.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kubeconfig could not be read or used.
    #[error("kubeconfig를 읽을 수 없습니다 ({location}): {detail}\n→ start_cluster() 로 실습 클러스터를 시작하면 kubeconfig가 만들어집니다.")]
    NoKubeconfig {
        /// Where it was looked for.
        location: String,
        /// The underlying error.
        detail: String,
    },
    /// The kubeconfig has no current context.
    #[error("kubeconfig({location})에 현재 컨텍스트(current-context)가 없습니다.\n→ start_cluster() 로 클러스터를 시작하거나 `kubectl config use-context minikube` 로 선택하세요.")]
    NoContext {
        /// Where the kubeconfig is.
        location: String,
    },
    /// The current context is not a lab cluster and was not allowed.
    #[error("현재 kube 컨텍스트 '{context}' (서버 {server})는 실습용 클러스터(minikube, labsim)가 아니어서 작업하지 않습니다.\n→ 실습 클러스터로 바꾸려면 start_cluster() 또는 `kubectl config use-context minikube`.\n→ 이 컨텍스트에서 정말 실습하려면 allow_context(\"{context}\") 를 먼저 실행하거나 환경 변수 KUBELAB_ALLOW_CONTEXT={context} 를 설정하세요.")]
    ContextRefused {
        /// The context seen.
        context: String,
        /// Its API server.
        server: String,
    },
    /// The API server did not answer.
    #[error("클러스터에 연결할 수 없습니다: 컨텍스트 '{context}', 서버 {server}\n원인: {detail}\n→ 클러스터가 꺼져 있다면 start_cluster() 로 시작하세요.")]
    Unreachable {
        /// Context name.
        context: String,
        /// API server URL.
        server: String,
        /// What failed.
        detail: String,
    },
    /// Neither minikube+docker nor labsim is available.
    #[error("실습 클러스터를 시작할 방법이 없습니다.\n{missing}")]
    NothingToStart {
        /// What is missing and how to get it (one line each).
        missing: String,
    },
    /// A start command failed or timed out.
    #[error("`{command}` 실행에 실패했습니다: {detail}\n→ 위에 출력된 메시지를 확인하고 다시 start_cluster() 를 실행하세요.")]
    StartFailed {
        /// The command run.
        command: String,
        /// Exit status or timeout.
        detail: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_korean_and_name_the_next_step() {
        let e = crate::error::Error::from(Error::Unreachable {
            context: "minikube".into(),
            server: "https://192.168.49.2:8443".into(),
            detail: "connection refused".into(),
        });
        let m = e.to_string();
        assert!(m.contains("연결할 수 없습니다") && m.contains("https://192.168.49.2:8443"));
        assert!(m.contains("start_cluster()"));
        assert_eq!(format!("{e:?}"), m, "Debug prints the same Korean text");

        // each message names its cause and the next step
        let cases = [
            (
                Error::NothingToStart {
                    missing: "- minikube 가 PATH에 없습니다".into(),
                },
                &["시작할 방법이 없습니다", "minikube"][..],
            ),
            (
                Error::StartFailed {
                    command: "labsim up".into(),
                    detail: "종료 코드 1".into(),
                },
                &["labsim up", "다시 start_cluster()"],
            ),
            (
                Error::NoKubeconfig {
                    location: "/x/kubeconfig".into(),
                    detail: "No such file".into(),
                },
                &["/x/kubeconfig", "start_cluster()"],
            ),
            (
                Error::NoContext {
                    location: "~/.kube/config".into(),
                },
                &["current-context", "use-context"],
            ),
        ];
        for (e, parts) in cases {
            crate::error::assert_says(&e.to_string(), parts);
        }
    }
}
