//! A local TCP listener on 127.0.0.1:0 bridged to a pod port through kube's port-forward; each
//! accepted connection opens a new port-forward, so a re-created pod is reached automatically.

use std::net::SocketAddr;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

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

/// A running bridge; dropping it stops the listener.
pub struct PortForward {
    /// Local address (127.0.0.1:PORT).
    pub local: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for PortForward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl PortForward {
    /// Listens on 127.0.0.1:0 and forwards each connection to `pod:port`. Must run in the runtime
    /// that owns `api`'s client.
    pub async fn start(api: Api<Pod>, pod: &str, port: u16) -> Result<PortForward, Error> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::Bind {
                detail: e.to_string(),
            })?;
        let local = listener.local_addr().map_err(|e| Error::Bind {
            detail: e.to_string(),
        })?;
        let pod = pod.to_string();
        let task = tokio::spawn(async move {
            while let Ok((mut tcp, _)) = listener.accept().await {
                let api = api.clone();
                let pod = pod.clone();
                tokio::spawn(async move {
                    let fwd = tokio::time::timeout(
                        crate::lab::API_TIMEOUT,
                        api.portforward(&pod, &[port]),
                    )
                    .await;
                    let mut pf = match fwd {
                        Ok(Ok(pf)) => pf,
                        // dropping `tcp` closes it: the client sees a connection error and may retry
                        _ => return,
                    };
                    let Some(mut upstream) = pf.take_stream(port) else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
                    drop(upstream);
                    let _ = pf.join().await;
                });
            }
        });
        Ok(PortForward { local, task })
    }
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
