//! A local TCP listener on 127.0.0.1:0 bridged to a pod port through kube's port-forward; each
//! accepted connection opens a new port-forward, so a re-created pod is reached automatically.

use std::net::SocketAddr;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use crate::error::portforward::Error;

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
                    let fwd = crate::deadline::in_time(api.portforward(&pod, &[port])).await;
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
