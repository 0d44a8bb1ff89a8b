//! The pod end of a port-forward session: dialing a port inside the pod, and noticing when the
//! pod (this UID) is gone.

use std::time::Duration;

use tokio::net::TcpStream;

use crate::api::App;
use crate::resources;
use crate::store::ChangeType;

/// How long dialling the pod's port may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);

/// The pod a session forwards to. Every forwarded connection dials anew, so a restarted
/// server is reached and a pod replaced by a namesake (another UID) is not.
#[derive(Clone)]
pub(super) struct PodTarget {
    pub(super) app: App,
    pub(super) namespace: String,
    pub(super) name: String,
    pub(super) uid: String,
}

impl PodTarget {
    /// A connection to `port` inside the pod, or the message the kubelet writes on the error
    /// stream.
    pub(super) async fn connect(&self, port: u16) -> Result<TcpStream, String> {
        let fail = |why: String| {
            format!(
                "error forwarding port {port} to pod {}, uid {}: {why}",
                self.name, self.uid
            )
        };
        let refused = || {
            fail(format!(
                "failed to connect to localhost:{port} inside the pod: dial tcp4 127.0.0.1:{port}: connect: connection refused"
            ))
        };
        if !self.alive() {
            return Err(fail(format!("pod \"{}\" not found", self.name)));
        }
        match dial_pod(&self.app, &self.namespace, &self.name, port).await {
            Ok(s) => Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(refused()),
            Err(e) => Err(fail(format!(
                "failed to connect to localhost:{port} inside the pod: {e}"
            ))),
        }
    }

    /// The pod still exists with this UID.
    fn alive(&self) -> bool {
        self.app
            .store
            .get(resources::get("Pod"), Some(&self.namespace), &self.name)
            .is_ok_and(|p| p["metadata"]["uid"].as_str() == Some(self.uid.as_str()))
    }

    /// Resolves when the pod is deleted or replaced.
    pub(super) async fn gone(&self) {
        let mut changes = self.app.store.subscribe();
        let key = resources::get("Pod").key();
        loop {
            match changes.recv().await {
                Ok(c) => {
                    if c.key.resource == key
                        && c.key.namespace == self.namespace
                        && c.key.name == self.name
                        && (c.kind == ChangeType::Deleted
                            || c.object["metadata"]["uid"].as_str() != Some(self.uid.as_str()))
                    {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if !self.alive() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return std::future::pending().await
                }
            }
        }
    }
}

/// Dials `port` inside pod `namespace/name`: the one place that knows how a pod's port is
/// reached. Nothing listening there is `ConnectionRefused`.
async fn dial_pod(app: &App, namespace: &str, name: &str, port: u16) -> std::io::Result<TcpStream> {
    let Some(rt) = app.kubelet.runtime(namespace, name) else {
        return Err(std::io::ErrorKind::ConnectionRefused.into());
    };
    let s = match &rt.pod_net {
        // The pod's own loopback, in its network namespace (as the kubelet's port-forward).
        Some(pod) => pod.dial_local(port, DIAL_TIMEOUT).await?,
        // Not wired into the pod network: only the MySQL port is served, on the host.
        None if port == 3306 => TcpStream::connect(("127.0.0.1", rt.mysql_port)).await?,
        None => return Err(std::io::ErrorKind::ConnectionRefused.into()),
    };
    let _ = s.set_nodelay(true);
    Ok(s)
}

#[cfg(test)]
#[path = "net_tests.rs"]
mod net_tests;
