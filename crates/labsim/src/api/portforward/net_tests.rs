//! Port-forward into a pod of the real network: the pod's own 127.0.0.1, any port, as the
//! kubelet's port-forward dials inside the pod's network namespace (kubernetes/kubernetes
//! pkg/kubelet/cri/streaming/portforward; containerd's `PortForward` enters the netns).

use std::sync::Arc;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::PodTarget;
use crate::api::App;
use crate::resources;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn port_forward_dials_the_pods_own_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(crate::store::Store::in_memory());
    let pod = store
        .create(
            resources::get("Pod"),
            Some("default"),
            json!({"metadata": {"name": "mysql-0"}, "spec": {"nodeName": "minikube",
                "containers": [{"name": "mysql", "image": "mysql:8.4"}]}}),
        )
        .unwrap();
    let uid = pod["metadata"]["uid"].as_str().unwrap().to_string();
    let app = App {
        kubelet: crate::kubelet::Kubelet::new(store.clone(), dir.path().to_path_buf()),
        store,
        token: "t".into(),
        state_dir: Arc::new(dir.path().to_path_buf()),
    };
    let net = crate::network::ClusterNet::create(dir.path()).unwrap();
    let pod_net = Arc::new(
        net.pod_sandbox("mysql-0", "10.244.0.7".parse().unwrap(), 24)
            .unwrap(),
    );
    // A server on the pod's loopback only, on a port other than 3306.
    let l = pod_net
        .listen_tcp("127.0.0.1:8080".parse().unwrap())
        .unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.write_all(b"hello from the pod").await;
        }
    });
    let mut rt = crate::kubelet::fixtures::runtime(1);
    rt.pod_net = Some(pod_net);
    app.kubelet
        .set_runtime("default", "mysql-0", "mysql", Some(rt));
    let target = PodTarget {
        app,
        namespace: "default".into(),
        name: "mysql-0".into(),
        uid: uid.clone(),
    };
    let mut s = target.connect(8080).await.unwrap();
    let mut got = String::new();
    s.read_to_string(&mut got).await.unwrap();
    assert_eq!(got, "hello from the pod");
    // Nothing on that port inside the pod: the kubelet's message.
    assert_eq!(
        target.connect(8081).await.unwrap_err(),
        format!("error forwarding port 8081 to pod mysql-0, uid {uid}: failed to connect to localhost:8081 inside the pod: dial tcp4 127.0.0.1:8081: connect: connection refused")
    );
}
