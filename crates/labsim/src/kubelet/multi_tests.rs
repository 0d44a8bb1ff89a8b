//! Pods of several containers through a real kubelet: every container of `spec.containers` runs
//! at once in the pod's sandbox with its own process, mount namespace, log and events, the pod
//! is Ready only when all are, and with `restartPolicy: Never` the pod completes once every
//! container ended (Succeeded only if all exited 0), as pkg/kubelet/kuberuntime
//! (`computePodActions`) and pkg/kubelet/kubelet_pods.go (`getPhase`) do.

use std::time::Duration;

use serde_json::{json, Value};

use super::fixtures::*;

/// A pod on node minikube of `debian` containers `(name, bash script)`.
fn pod_of(name: &str, policy: &str, containers: &[(&str, &str)]) -> Value {
    let cs: Vec<Value> = containers
        .iter()
        .map(|(n, script)| json!({"name": n, "image": "debian:12", "command": ["bash", "-c", script]}))
        .collect();
    json!({"metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": "minikube", "restartPolicy": policy, "containers": cs}})
}

fn phase(p: &Value) -> &str {
    p["status"]["phase"].as_str().unwrap_or("")
}

fn all_ready(p: &Value) -> bool {
    p["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_container_runs_in_the_pod() {
    let node = Node::new();
    let store = node.store.clone();
    let (k, kubelet) = node.run_kubelet();
    create_pod(
        &store,
        pod_of(
            "two",
            "Always",
            &[
                ("web", "echo web-up; exec sleep 3600"),
                ("sidecar", "echo sidecar-up; exec sleep 3600"),
            ],
        ),
    )
    .unwrap();
    let p = until(&store, "two", 60, "both containers ready", all_ready).await;
    let names: Vec<&str> = p["status"]["containerStatuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sidecar", "web"], "sorted by name");
    let web = k.runtime_of("default", "two", "web").expect("web runs");
    let side = k
        .runtime_of("default", "two", "sidecar")
        .expect("sidecar runs");
    assert_ne!(web.pid, side.pid);
    let run = |rt: &super::PodRuntime, script: &str| {
        let rt = rt.clone();
        let argv = vec!["bash".to_string(), "-c".to_string(), script.to_string()];
        async move {
            rt.run_captured(&argv, Duration::from_secs(10))
                .await
                .unwrap()
        }
    };
    // One hostname (the pod's UTS namespace), separate filesystems (mount namespaces).
    assert_eq!(run(&web, "hostname").await, (0, "two\n".into()));
    assert_eq!(run(&side, "hostname").await, (0, "two\n".into()));
    run(&web, "echo mine > /tmp/web-only").await;
    assert_eq!(run(&side, "test -e /tmp/web-only; echo $?").await.1, "1\n");
    // Each container's own log.
    for (c, line) in [("web", "web-up"), ("sidecar", "sidecar-up")] {
        let (_, log, _, _) = k.container_logs(&p, Some(c)).unwrap();
        let text = std::fs::read_to_string(log).unwrap();
        assert_eq!(text, format!("{line}\n"));
    }
    // Events name the container (involvedObject.fieldPath spec.containers{NAME}).
    let (events, _) = store.list(crate::resources::get("Event"), Some("default"));
    assert!(events
        .iter()
        .any(|e| e["message"] == "Started container sidecar"
            && e["involvedObject"]["fieldPath"] == "spec.containers{sidecar}"));
    // A container that dies is restarted on its own; the pod is not Ready meanwhile.
    // (From the host: PID 1 of a PID namespace ignores SIGKILL sent from inside it.)
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(side.pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    let p = until(&store, "two", 30, "sidecar restarted", |p| {
        p["status"]["containerStatuses"][0]["restartCount"] == 1 && all_ready(p)
    })
    .await;
    assert_eq!(p["status"]["containerStatuses"][1]["restartCount"], 0);
    assert_eq!(k.runtime_of("default", "two", "web").unwrap().pid, web.pid);
    kubelet.stop(30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_never_pod_completes_when_all_containers_ended() {
    let node = Node::new();
    let store = node.store.clone();
    let (_k, kubelet) = node.run_kubelet();
    create_pod(
        &store,
        pod_of("ok", "Never", &[("a", "exit 0"), ("b", "sleep 1; exit 0")]),
    )
    .unwrap();
    create_pod(
        &store,
        pod_of("bad", "Never", &[("a", "exit 0"), ("b", "sleep 1; exit 3")]),
    )
    .unwrap();
    // `a` ended, `b` still runs: the pod is Running.
    let p = until(&store, "ok", 30, "a terminated, b running", |p| {
        p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
            && !p["status"]["containerStatuses"][1]["state"]["running"].is_null()
    })
    .await;
    assert_eq!(phase(&p), "Running");
    let p = until(&store, "ok", 30, "ok Succeeded", |p| {
        phase(p) != "Running" && phase(p) != "Pending"
    })
    .await;
    assert_eq!(phase(&p), "Succeeded", "{:#}", p["status"]);
    assert_eq!(p["status"]["containerStatuses"][1]["restartCount"], 0);
    let p = until(&store, "bad", 30, "bad Failed", |p| phase(p) == "Failed").await;
    assert_eq!(
        p["status"]["containerStatuses"][1]["state"]["terminated"]["exitCode"],
        3
    );
    kubelet.stop(30).await;
}
