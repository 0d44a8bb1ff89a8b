//! `node_stop`/`node_start` and `addon_enable`/`addon_disable` against an in-process labsim:
//! the command lines printed, the Korean refusals (unknown node, the control plane, an unknown
//! addon), and the real effect seen through the API (the node's Ready condition goes `Unknown`
//! after the node monitor grace period and back to `True`; the `local-path` class appears).

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::Api;
use kubelab_core::Lab;
use labsim::cluster::start_in_thread;
use testkit::Sim;

/// The status of `node`'s Ready condition.
async fn ready(lab: &Lab, node: &str) -> String {
    let api: Api<Node> = Api::all(lab.client().clone());
    let n = api.get(node).await.unwrap();
    n.status
        .and_then(|s| s.conditions)
        .unwrap_or_default()
        .into_iter()
        .find(|c| c.type_ == "Ready")
        .map(|c| c.status)
        .unwrap_or_default()
}

/// Polls until `node`'s Ready condition is `want` (at most `secs`).
async fn until_ready_is(lab: &Lab, node: &str, want: &str, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let now = ready(lab, node).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{node} Ready stayed {now}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn says(r: kubelab_core::Result<kubelab_core::ChangeReport>, parts: &[&str]) {
    let e = r.expect_err("expected a refusal");
    assert_eq!(e.title(), "노드 작업 실패", "{e}");
    let msg = e.to_string();
    for p in parts {
        assert!(msg.contains(p), "{p:?} missing in: {msg}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_stop_and_start_and_the_addon_turns_on_on_labsim() {
    let sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());
    let lab = Lab::connect().await.unwrap();

    // refusals, each naming the cause and the next step; nothing is sent for them
    says(
        lab.node_stop("minikube-m09").await,
        &[
            "노드 \"minikube-m09\"이(가) 없습니다 (있는 노드: minikube, minikube-m02, minikube-m03)",
            "nodes()?",
        ],
    );
    says(
        lab.node_stop("minikube").await,
        &["컨트롤 플레인 노드라서 멈추지 않습니다", "minikube-m02"],
    );
    says(
        lab.addon_enable("ingress").await,
        &[
            "애드온 \"ingress\"은(는) 이 실습에서 다루지 않습니다",
            "addon_enable(\"storage-provisioner-rancher\")?",
        ],
    );

    // a stop: the command the learner can type, minikube's beside it, and what changed
    let r = lab.node_stop("minikube-m02").await.unwrap();
    let state = sim.state().display().to_string();
    assert_eq!(
        r.lines,
        vec![
            "(minikube에서는 $ minikube node stop minikube-m02)".to_string(),
            "노드 minikube-m02을(를) 멈췄습니다. 그 노드의 kubelet과 컨테이너도 함께 멈췄습니다."
                .to_string(),
        ],
        "state dir {state}"
    );
    let again = lab.node_stop("minikube-m02").await.unwrap();
    assert_eq!(
        again.lines.last().unwrap(),
        "노드 minikube-m02은(는) 이미 멈춰 있습니다."
    );
    // kube-controller-manager's --node-monitor-grace-period (50 s since 1.32,
    // pkg/controller/nodelifecycle/node_lifecycle_controller.go): Ready becomes Unknown
    until_ready_is(&lab, "minikube-m02", "Unknown", 120).await;
    assert_eq!(ready(&lab, "minikube-m03").await, "True");

    let r = lab.node_start("minikube-m02").await.unwrap();
    assert!(
        r.lines.last().unwrap().contains("다시 시작했습니다"),
        "{:?}",
        r.lines
    );
    until_ready_is(&lab, "minikube-m02", "True", 90).await;
    let again = lab.node_start("minikube-m02").await.unwrap();
    assert_eq!(
        again.lines.last().unwrap(),
        "노드 minikube-m02은(는) 이미 실행 중입니다."
    );

    // the addon: minikube's storage-provisioner-rancher gives the local-path class
    let classes: Api<StorageClass> = Api::all(lab.client().clone());
    assert!(classes.get_opt("local-path").await.unwrap().is_none());
    let r = lab
        .addon_enable("storage-provisioner-rancher")
        .await
        .unwrap();
    assert_eq!(
        r.lines[0],
        "(minikube에서는 $ minikube addons enable storage-provisioner-rancher)"
    );
    let sc = classes.get("local-path").await.unwrap();
    assert_eq!(sc.provisioner, "rancher.io/local-path");
    assert_eq!(
        sc.volume_binding_mode.as_deref(),
        Some("WaitForFirstConsumer")
    );
    let again = lab
        .addon_enable("storage-provisioner-rancher")
        .await
        .unwrap();
    assert!(again.lines.last().unwrap().contains("이미 켜져 있습니다"));
    lab.addon_disable("storage-provisioner-rancher")
        .await
        .unwrap();
    assert!(classes.get_opt("local-path").await.unwrap().is_none());
}
