//! Events the kubelet records about a pod (`Pulling`, `Pulled`, `Created`, `Started`, `Killing`,
//! `BackOff`, `Unhealthy`, `Failed`), aggregated like client-go's recorder: a repeat bumps
//! `count`. [`pull`] is the image manager: the first use of an image on a node pulls it (and
//! lists it in the node's `status.images`), later ones find it present.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::objects::events::{EventRecorder, Source};
use crate::resources;
use crate::store::Store;

/// Records one event about `pod` (source: kubelet on the pod's node), through the recorder
/// every component shares, so repeats aggregate the same way everywhere.
pub fn record(store: &Store, pod: &Value, kind: &str, reason: &str, message: &str) {
    let container = pod["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap_or("mysql");
    let field_path = format!("spec.containers{{{container}}}");
    record_at(store, pod, &field_path, kind, reason, message);
}

/// Records one event about the part of `pod` at `field_path` (`spec.containers{xtrabackup}`,
/// `spec.initContainers{init-mysql}`), as the kubelet's recorder names a container.
pub fn record_at(
    store: &Store,
    pod: &Value,
    field_path: &str,
    kind: &str,
    reason: &str,
    message: &str,
) {
    let source = Source {
        component: "kubelet",
        host: pod["spec"]["nodeName"].as_str(),
        field_path: Some(field_path),
    };
    if let Err(e) = EventRecorder::record_from(store, pod, kind, reason, message, &source) {
        tracing::debug!("event not recorded: {e}");
    }
}

/// The image manager's events for a container of `pod` about to start with `image`
/// (pkg/kubelet/images/image_manager.go): with `imagePullPolicy: IfNotPresent` (the default for
/// a tagged image) and the image already on the pod's node, `Container image "..." already
/// present on machine`; otherwise `Pulling image "..."`, then `Successfully pulled image "..." in
/// 12ms (12ms including waiting). Image size: N bytes.` and the image is listed in the node's
/// `status.images`. labsim's images are the host programs they map to, so the pull takes as long
/// as resolving them and the size is theirs.
pub fn pull(store: &Store, pod: &Value, field: &str, image: &str, size_bytes: u64) {
    let node = pod["spec"]["nodeName"].as_str().unwrap_or("");
    let policy = ["initContainers", "containers"]
        .iter()
        .flat_map(|l| pod["spec"][*l].as_array().into_iter().flatten())
        .find(|c| c["image"] == image)
        .and_then(|c| c["imagePullPolicy"].as_str())
        .unwrap_or("IfNotPresent");
    let present = store
        .get(resources::get("Node"), None, node)
        .is_ok_and(|n| node_has_image(&n, image));
    if present && policy != "Always" {
        record_at(
            store,
            pod,
            field,
            "Normal",
            "Pulled",
            &format!("Container image \"{image}\" already present on machine"),
        );
        return;
    }
    let started = Instant::now();
    record_at(
        store,
        pod,
        field,
        "Normal",
        "Pulling",
        &format!("Pulling image \"{image}\""),
    );
    let names = json!([
        super::pod::image_id(image).trim_start_matches("docker-pullable://"),
        image
    ]);
    let r = store.modify(resources::get("Node"), None, node, |n| {
        if !node_has_image(n, image) {
            if !n["status"]["images"].is_array() {
                n["status"]["images"] = json!([]);
            }
            if let Some(list) = n["status"]["images"].as_array_mut() {
                list.push(json!({"names": names, "sizeBytes": size_bytes}));
            }
        }
    });
    if let Err(e) = r {
        tracing::debug!("node {node}: image list not updated: {e}");
    }
    let took = super::status::go_duration(truncate_ms(started.elapsed()));
    record_at(
        store,
        pod,
        field,
        "Normal",
        "Pulled",
        &format!(
            "Successfully pulled image \"{image}\" in {took} ({took} including waiting). Image size: {size_bytes} bytes."
        ),
    );
}

/// The size of what labsim runs for `image` (its sandboxes use the host's userland): the
/// `mariadbd` binary for MySQL/MariaDB images, `mariabackup` for xtrabackup, the image's shell
/// for the rest.
pub fn image_size(image: &str) -> u64 {
    use super::sandbox::image::{kind, Kind};
    let program = match kind(image) {
        Some(Kind::Mysql | Kind::Mariadb) => "mariadbd",
        Some(Kind::Xtrabackup) => "mariabackup",
        Some(Kind::General(shell)) => shell,
        None => "bash",
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/bin"].map(std::path::PathBuf::from))
        .map(|d| d.join(program))
        .find_map(|p| std::fs::metadata(p).ok().filter(|m| m.is_file()))
        .map(|m| m.len())
        .unwrap_or(0)
}

fn truncate_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}

fn node_has_image(node: &Value, image: &str) -> bool {
    node["status"]["images"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|i| {
            i["names"]
                .as_array()
                .is_some_and(|n| n.iter().any(|n| n == image))
        })
}

/// FNV-1a, for stable short names.
pub fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources;
    use serde_json::json;

    #[test]
    fn repeats_are_counted() {
        let s = Store::in_memory();
        let pod = json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "p", "namespace": "default", "uid": "u1"}, "spec": {"nodeName": "minikube"}});
        record(&s, &pod, "Warning", "BackOff", "back-off");
        record(&s, &pod, "Warning", "BackOff", "back-off");
        record(&s, &pod, "Normal", "Started", "Started container mysql");
        let (evs, _) = s.list(resources::get("Event"), Some("default"));
        assert_eq!(evs.len(), 2);
        let b = evs.iter().find(|e| e["reason"] == "BackOff").unwrap();
        assert_eq!(b["count"], 2);
        assert_eq!(b["source"]["host"], "minikube");
    }

    /// The image manager's wording (pkg/kubelet/images/image_manager.go): a pull on the first
    /// use per node, "already present" afterwards, a pull every time with `Always`.
    #[test]
    fn first_use_on_a_node_pulls_then_the_image_is_present() {
        let s = Store::in_memory();
        for n in ["minikube", "minikube-m02"] {
            s.create(
                resources::get("Node"),
                None,
                json!({"metadata": {"name": n}}),
            )
            .unwrap();
        }
        let pod = |name: &str, node: &str, policy: &str| {
            s.create(resources::get("Pod"), Some("default"), json!({"metadata": {"name": name},
                "spec": {"nodeName": node, "containers": [{"name": "mysql", "image": "mysql:8.4", "imagePullPolicy": policy}]}}))
                .unwrap()
        };
        let messages = |s: &Store, pod: &str| -> Vec<String> {
            let (evs, _) = s.list(resources::get("Event"), Some("default"));
            evs.iter()
                .filter(|e| e["involvedObject"]["name"] == pod)
                .map(|e| {
                    format!(
                        "{} {}",
                        e["reason"].as_str().unwrap(),
                        e["message"].as_str().unwrap()
                    )
                })
                .collect()
        };
        let a = pod("a", "minikube", "IfNotPresent");
        pull(&s, &a, "spec.containers{mysql}", "mysql:8.4", 1234);
        let got = messages(&s, "a");
        assert_eq!(got[0], "Pulling Pulling image \"mysql:8.4\"");
        assert!(
            got[1].starts_with("Pulled Successfully pulled image \"mysql:8.4\" in ")
                && got[1].ends_with("including waiting). Image size: 1234 bytes."),
            "{got:?}"
        );
        let n = s.get(resources::get("Node"), None, "minikube").unwrap();
        assert_eq!(n["status"]["images"][0]["names"][1], "mysql:8.4");
        assert_eq!(n["status"]["images"][0]["sizeBytes"], 1234);
        let b = pod("b", "minikube", "IfNotPresent");
        pull(&s, &b, "spec.containers{mysql}", "mysql:8.4", 1234);
        assert_eq!(
            messages(&s, "b"),
            vec!["Pulled Container image \"mysql:8.4\" already present on machine"]
        );
        // Another node has its own images.
        let c = pod("c", "minikube-m02", "IfNotPresent");
        pull(&s, &c, "spec.containers{mysql}", "mysql:8.4", 1234);
        assert_eq!(messages(&s, "c")[0], "Pulling Pulling image \"mysql:8.4\"");
        let d = pod("d", "minikube", "Always");
        pull(&s, &d, "spec.containers{mysql}", "mysql:8.4", 1234);
        assert_eq!(messages(&s, "d")[0], "Pulling Pulling image \"mysql:8.4\"");
        let n = s.get(resources::get("Node"), None, "minikube").unwrap();
        assert_eq!(n["status"]["images"].as_array().unwrap().len(), 1);
    }
}
