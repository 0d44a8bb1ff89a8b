//! Every failure's Korean message: the top-level `kubelab_core::Error` and, one file per area, the
//! error enum it wraps (re-exported where the area lives: `cluster::Error`, `apply::Error`, ...).
//! The bottom layer of the crate: every other module may fail, so none of these imports them.
//! Display and Debug both print the Korean message (evcxr shows a `?` error through Debug).

pub mod apply;
pub mod cluster;
pub mod exec;
pub mod fresh;
pub mod objects;
pub mod portforward;
pub mod sql;
pub mod wait;

use std::fmt;

/// Any kubelab failure. Each variant wraps the error enum of the module that failed.
#[derive(thiserror::Error)]
pub enum Error {
    /// Kube context, kubeconfig, reaching or starting the cluster.
    #[error(transparent)]
    Cluster(#[from] cluster::Error),
    /// Reading or applying a manifest.
    #[error(transparent)]
    Apply(#[from] apply::Error),
    /// Reading, deleting or scaling objects.
    #[error(transparent)]
    Objects(#[from] objects::Error),
    /// Waiting for pods.
    #[error(transparent)]
    Wait(#[from] wait::Error),
    /// MySQL sessions and statements.
    #[error(transparent)]
    Sql(#[from] sql::Error),
    /// Port-forwarding to a pod.
    #[error(transparent)]
    PortForward(#[from] portforward::Error),
    /// Running a command in a pod.
    #[error(transparent)]
    Exec(#[from] exec::Error),
    /// Starting the lab over.
    #[error(transparent)]
    Fresh(#[from] fresh::Error),
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
