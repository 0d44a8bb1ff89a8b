//! The top-level `kubelab_core::Error`: wraps each module's error; Display and Debug both print the
//! Korean message (evcxr shows a `?` error through Debug).

use std::fmt;

/// Any kubelab failure. Each variant wraps the error enum of the module that failed.
#[derive(thiserror::Error)]
pub enum Error {
    /// Kube context, kubeconfig, reaching or starting the cluster.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::Error),
    /// Reading or applying a manifest.
    #[error(transparent)]
    Apply(#[from] crate::apply::Error),
    /// Reading, deleting or scaling objects.
    #[error(transparent)]
    Objects(#[from] crate::objects::Error),
    /// Waiting for pods.
    #[error(transparent)]
    Wait(#[from] crate::wait::Error),
    /// MySQL sessions and statements.
    #[error(transparent)]
    Sql(#[from] crate::sql::Error),
    /// Port-forwarding to a pod.
    #[error(transparent)]
    PortForward(#[from] crate::portforward::Error),
    /// Running a command in a pod.
    #[error(transparent)]
    Exec(#[from] crate::exec::Error),
    /// Starting the lab over.
    #[error(transparent)]
    Fresh(#[from] crate::fresh::Error),
    /// A learner check with a ❌ (or an unknown step).
    #[error(transparent)]
    Check(#[from] crate::check::Error),
    /// Drawing a picture of the cluster.
    #[error(transparent)]
    Picture(#[from] crate::picture::Error),
}

impl Error {
    /// A short Korean title of what failed (shown as the error's name in Jupyter).
    pub fn title(&self) -> &'static str {
        match self {
            Error::Cluster(_) => "클러스터 연결 실패",
            Error::Apply(_) => "매니페스트 적용 실패",
            Error::Objects(_) => "리소스 작업 실패",
            Error::Wait(_) => "대기 실패",
            Error::Sql(_) => "SQL 실패",
            Error::PortForward(_) => "포트 포워딩 실패",
            Error::Exec(_) => "파드 명령 실패",
            Error::Fresh(_) => "초기화 실패",
            Error::Check(_) => "확인 실패",
            Error::Picture(_) => "그림 실패",
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `Result` with `kubelab_core::Error`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
