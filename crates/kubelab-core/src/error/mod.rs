//! Every failure's Korean message: the top-level `kubelab_core::Error` and, one file per area, the
//! error enum it wraps (re-exported where the area lives: `cluster::Error`, `apply::Error`, ...).
//! The bottom layer of the crate: every other module may fail, so none of these imports them.
//! Display and Debug both print the Korean message (evcxr shows a `?` error through Debug).

pub mod apply;
pub mod check;
pub mod cluster;
pub mod exec;
pub mod fresh;
pub mod kubectl;
pub mod machine;
pub mod objects;
pub mod picture;
pub mod portforward;
pub mod sql;
pub mod wait;

use std::fmt;

/// The top-level `Error` from one table: each variant, the module whose error enum it wraps, and
/// its Korean title.
macro_rules! areas {
    ($($(#[$doc:meta])* $variant:ident($module:ident) => $title:literal;)*) => {
        /// Any kubelab failure. Each variant wraps the error enum of the module that failed.
        #[derive(thiserror::Error)]
        pub enum Error {
            $($(#[$doc])* #[error(transparent)] $variant(#[from] $module::Error),)*
        }

        impl Error {
            /// A short Korean title of what failed (shown as the error's name in Jupyter).
            pub fn title(&self) -> &'static str {
                match self {
                    $(Error::$variant(_) => $title,)*
                }
            }
        }
    };
}

areas! {
    /// Kube context, kubeconfig, reaching or starting the cluster.
    Cluster(cluster) => "클러스터 연결 실패";
    /// Reading or applying a manifest.
    Apply(apply) => "매니페스트 적용 실패";
    /// Reading, deleting or scaling objects.
    Objects(objects) => "리소스 작업 실패";
    /// Waiting for pods.
    Wait(wait) => "대기 실패";
    /// MySQL sessions and statements.
    Sql(sql) => "SQL 실패";
    /// Port-forwarding to a pod.
    PortForward(portforward) => "포트 포워딩 실패";
    /// Running a command in a pod.
    Exec(exec) => "파드 명령 실패";
    /// Starting the lab over.
    Fresh(fresh) => "초기화 실패";
    /// A learner check with a ❌ (or an unknown step).
    Check(check) => "확인 실패";
    /// Drawing a picture of the cluster.
    Picture(picture) => "그림 실패";
    /// The real kubectl (`kubectl(args)`) or a pod's log (`logs`).
    Kubectl(kubectl) => "kubectl 실패";
    /// Stopping or starting a node, an addon (`node_stop`, `addon_enable`, ...).
    Machine(machine) => "노드 작업 실패";
}

/// The failure a cell gets: the one mapping from the engine's errors to the wire's.
impl From<Error> for kubelab::Error {
    fn from(e: Error) -> kubelab::Error {
        kubelab::Error::new(e.title(), e.to_string())
    }
}

/// Asserts that a message says each of `parts` (tests of the Korean messages).
#[cfg(test)]
pub(crate) fn assert_says(message: &str, parts: &[&str]) {
    for p in parts {
        assert!(message.contains(p), "{p:?} missing in: {message}");
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `Result` with `kubelab_core::Error`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
