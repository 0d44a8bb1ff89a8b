//! A node's machine stopped (`labsim node stop`): its kubelet is gone with it. The pods' processes
//! are killed as the minikube node container stops, and nothing more is posted about them
//! (no status, no events) until the node starts again, when its kubelet brings the pods back
//! as after a reboot. The pod workers ask [`Kubelet::silenced`] before they post.

use std::time::Duration;

use serde_json::Value;

use super::Kubelet;
use crate::objects::machines;

/// How long a pod's processes get between SIGTERM and SIGKILL when their node stops (what
/// `docker stop` gives a container).
pub const NODE_STOP_GRACE: Duration = Duration::from_secs(10);

impl Kubelet {
    /// Whether `node`'s machine is stopped.
    pub fn node_down(&self, node: &str) -> bool {
        !node.is_empty() && machines::is_stopped(&self.state_dir, node)
    }

    /// Whether the kubelet of `pod`'s node is down, so nothing may be posted about the pod.
    pub fn silenced(&self, pod: &Value) -> bool {
        self.node_down(pod["spec"]["nodeName"].as_str().unwrap_or(""))
    }
}
