//! The three minikube nodes as data (`minikube`, `minikube-m02`, `minikube-m03`), the Node
//! objects built from them, and the heartbeat that keeps their conditions fresh.

use serde_json::{json, Value};

use super::ControllerError;
use crate::resources::get;
use crate::store::{now, Store};

/// What differs between the nodes of `minikube start --nodes=3`.
#[derive(Debug, Clone, Copy)]
pub struct NodeDef {
    pub name: &'static str,
    pub internal_ip: &'static str,
    pub pod_cidr: &'static str,
    pub control_plane: bool,
}

/// The nodes, in the order minikube creates them.
pub const NODES: &[NodeDef] = &[
    NodeDef {
        name: "minikube",
        internal_ip: "192.168.49.2",
        pod_cidr: "10.244.0.0/24",
        control_plane: true,
    },
    NodeDef {
        name: "minikube-m02",
        internal_ip: "192.168.49.3",
        pod_cidr: "10.244.1.0/24",
        control_plane: false,
    },
    NodeDef {
        name: "minikube-m03",
        internal_ip: "192.168.49.4",
        pod_cidr: "10.244.2.0/24",
        control_plane: false,
    },
];

pub const KUBELET_VERSION: &str = crate::objects::version::KUBERNETES;
const MINIKUBE_VERSION: &str = crate::objects::version::MINIKUBE;
const MINIKUBE_COMMIT: &str = crate::objects::version::MINIKUBE_COMMIT;

/// The four node conditions a healthy kubelet posts: (type, status, reason, message).
const CONDITIONS: &[(&str, &str, &str, &str)] = &[
    (
        "MemoryPressure",
        "False",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
    ),
    (
        "DiskPressure",
        "False",
        "KubeletHasNoDiskPressure",
        "kubelet has no disk pressure",
    ),
    (
        "PIDPressure",
        "False",
        "KubeletHasSufficientPID",
        "kubelet has sufficient PID available",
    ),
    (
        "Ready",
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    ),
];

/// `amd64`/`arm64` as Kubernetes names the host architecture.
fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The host kernel release (what `uname -r` prints); minikube's docker nodes share it.
fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Host memory in KiB (`/proc/meminfo` MemTotal), as the kubelet reports capacity.
fn memory_kib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(8 * 1024 * 1024)
}

/// A stable 32-hex-digit id derived from a name (machineID/systemUUID look like this).
fn stable_id(seed: &str) -> String {
    // FNV-1a, twice with different offsets: stable across runs, no extra dependency.
    let hash = |offset: u64| {
        seed.bytes()
            .fold(offset, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3))
    };
    format!(
        "{:016x}{:016x}",
        hash(0xcbf29ce484222325),
        hash(0x84222325cbf29ce4)
    )
}

/// The conditions a healthy kubelet posts, all changed at `at`.
pub fn healthy_conditions(at: &str) -> Value {
    Value::Array(
        CONDITIONS
            .iter()
            .map(|(t, s, r, m)| {
                json!({"type": t, "status": s, "reason": r, "message": m,
                       "lastHeartbeatTime": at, "lastTransitionTime": at})
            })
            .collect(),
    )
}

/// The Node object for one definition.
pub fn node_object(def: &NodeDef) -> Value {
    let at = now();
    let mut labels = json!({
        "beta.kubernetes.io/arch": arch(),
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch(),
        "kubernetes.io/hostname": def.name,
        "kubernetes.io/os": "linux",
        "minikube.k8s.io/commit": MINIKUBE_COMMIT,
        "minikube.k8s.io/name": "minikube",
        "minikube.k8s.io/primary": if def.control_plane { "true" } else { "false" },
        "minikube.k8s.io/updated_at": chrono::Utc::now().format("%Y_%m_%dT%H_%M_%S_0700").to_string(),
        "minikube.k8s.io/version": MINIKUBE_VERSION,
    });
    if def.control_plane {
        labels["node-role.kubernetes.io/control-plane"] = json!("");
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = json!("");
    }
    let cpu = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let capacity = json!({
        "cpu": cpu.to_string(),
        "ephemeral-storage": "102626232Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": format!("{}Ki", memory_kib()),
        "pods": "110",
    });
    json!({
        "metadata": {
            "name": def.name,
            "labels": labels,
            "annotations": {
                "kubeadm.alpha.kubernetes.io/cri-socket": "unix:///var/run/cri-dockerd.sock",
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": {"podCIDR": def.pod_cidr, "podCIDRs": [def.pod_cidr]},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": healthy_conditions(&at),
            "addresses": [
                {"type": "InternalIP", "address": def.internal_ip},
                {"type": "Hostname", "address": def.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": arch(),
                "bootID": stable_id(&format!("boot-{}", def.name)),
                "containerRuntimeVersion": "docker://27.2.0",
                "kernelVersion": kernel_release(),
                "kubeProxyVersion": "",
                "kubeletVersion": KUBELET_VERSION,
                "machineID": stable_id(&format!("machine-{}", def.name)),
                "operatingSystem": "linux",
                "osImage": "Ubuntu 22.04.4 LTS",
                "systemUUID": stable_id(&format!("system-{}", def.name)),
            },
            "images": [],
        },
    })
}

/// Refreshes `lastHeartbeatTime` of every condition of the known nodes whose machine runs (what
/// a live kubelet posts), leaving transition times alone. A stopped node's kubelet posts
/// nothing.
pub fn heartbeat(store: &Store, stopped: &dyn Fn(&str) -> bool) -> Result<(), ControllerError> {
    let at = now();
    for def in NODES {
        if stopped(def.name) {
            continue;
        }
        match store.modify(get("Node"), None, def.name, |n| {
            for c in n["status"]["conditions"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                c["lastHeartbeatTime"] = json!(at);
            }
            // The kubelet posts its version with every status (an upgraded labsim's nodes).
            n["status"]["nodeInfo"]["kubeletVersion"] = json!(KUBELET_VERSION);
        }) {
            Ok(_) => {}
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_plane_is_labelled_and_workers_are_not() {
        let cp = node_object(&NODES[0]);
        assert_eq!(
            cp["metadata"]["labels"]["node-role.kubernetes.io/control-plane"],
            ""
        );
        assert_eq!(cp["metadata"]["labels"]["minikube.k8s.io/primary"], "true");
        // minikube v1.36.0's default Kubernetes (pkg/minikube/constants/constants.go).
        assert_eq!(cp["status"]["nodeInfo"]["kubeletVersion"], "v1.33.1");
        assert_eq!(
            cp["metadata"]["labels"]["minikube.k8s.io/version"],
            "v1.36.0"
        );
        assert_eq!(
            cp["metadata"]["labels"]["minikube.k8s.io/commit"],
            "f8f52f5de11fc6ad8244afac475e1d0f96841df1"
        );
        assert_eq!(cp["status"]["addresses"][0]["address"], "192.168.49.2");
        let w = node_object(&NODES[2]);
        assert!(w["metadata"]["labels"]
            .get("node-role.kubernetes.io/control-plane")
            .is_none());
        assert_eq!(
            w["metadata"]["labels"]["kubernetes.io/hostname"],
            "minikube-m03"
        );
        assert_eq!(w["status"]["addresses"][0]["address"], "192.168.49.4");
        assert_eq!(
            w["status"]["conditions"][3],
            json!({"type": "Ready", "status": "True", "reason": "KubeletReady",
                   "message": "kubelet is posting ready status",
                   "lastHeartbeatTime": w["status"]["conditions"][3]["lastHeartbeatTime"],
                   "lastTransitionTime": w["status"]["conditions"][3]["lastTransitionTime"]})
        );
        assert_eq!(stable_id("x"), stable_id("x"));
        assert_eq!(stable_id("x").len(), 32);
    }
}
