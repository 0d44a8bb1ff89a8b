//! `pods/eviction` (pkg/registry/core/pod/storage/eviction.go, and kubectl drain's discovery
//! check in k8s.io/kubectl/pkg/drain) and labsim's admin calls, through the router.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::api::App;
use crate::kubelet::Kubelet;
use crate::objects::{condition, is_terminating, machines};
use crate::resources::get;
use crate::store::Store;

fn app() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::in_memory());
    crate::controllers::bootstrap(&store);
    let app = App {
        kubelet: Kubelet::new(store.clone(), dir.path().to_path_buf()),
        store,
        token: "t".into(),
        state_dir: Arc::new(dir.path().to_path_buf()),
    };
    (app, dir)
}

async fn call(app: &App, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = super::router(app.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn eviction(name: &str) -> String {
    json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}})
        .to_string()
}

#[tokio::test]
async fn eviction_deletes_the_pod_gracefully_and_is_discoverable() {
    let (app, _d) = app();
    // kubectl drain uses evictions only when /api/v1 lists pods/eviction as policy/v1 Eviction.
    let (_, v1) = call(&app, "GET", "/api/v1", "").await;
    let sub = v1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods/eviction")
        .cloned()
        .unwrap();
    assert_eq!(
        (&sub["group"], &sub["version"], &sub["kind"]),
        (&json!("policy"), &json!("v1"), &json!("Eviction"))
    );
    assert_eq!(sub["verbs"], json!(["create"]));

    for (name, node) in [("bound", "minikube"), ("pending", "")] {
        let mut spec = json!({"containers": [{"name": "c", "image": "mysql:8.4"}]});
        if !node.is_empty() {
            spec["nodeName"] = json!(node);
        }
        app.store
            .create(
                get("Pod"),
                Some("default"),
                json!({"metadata": {"name": name}, "spec": spec}),
            )
            .unwrap();
    }
    const URL: &str = "/api/v1/namespaces/default/pods/bound/eviction";
    let (s, _) = call(&app, "POST", URL, &eviction("other")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&app, "POST", URL, r#"{"kind":"Pod"}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, body) = call(&app, "POST", URL, &eviction("bound")).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(body["status"], "Success");
    let p = app.store.get(get("Pod"), Some("default"), "bound").unwrap();
    assert!(is_terminating(&p), "a pod on a node waits for its kubelet");
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 30);
    assert_eq!(
        condition(&p, "DisruptionTarget").unwrap()["reason"],
        "EvictionByEvictionAPI"
    );
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/namespaces/default/pods/pending/eviction",
        &eviction("pending"),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(app
        .store
        .get(get("Pod"), Some("default"), "pending")
        .is_err());
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/namespaces/default/pods/nope/eviction",
        &eviction("nope"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn admin_calls_stop_and_start_workers_and_enable_the_addon() {
    let (app, d) = app();
    let (s, v) = call(&app, "POST", "/labsim/v1/nodes/minikube-m02/stop", "").await;
    assert_eq!((s, &v["changed"]), (StatusCode::OK, &json!(true)));
    assert!(machines::is_stopped(d.path(), "minikube-m02"));
    let (_, v) = call(&app, "POST", "/labsim/v1/nodes/minikube-m02/stop", "").await;
    assert_eq!(v["changed"], false);
    let (s, v) = call(&app, "POST", "/labsim/v1/nodes/minikube/stop", "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap().contains("컨트롤 플레인"));
    let (s, _) = call(&app, "POST", "/labsim/v1/nodes/minikube-m09/stop", "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&app, "POST", "/labsim/v1/nodes/minikube-m02/reboot", "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(&app, "GET", "/labsim/v1/nodes/minikube-m02/start", "").await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (_, v) = call(&app, "POST", "/labsim/v1/nodes/minikube-m02/start", "").await;
    assert_eq!(v["changed"], true);
    assert!(!machines::is_stopped(d.path(), "minikube-m02"));

    let (s, v) = call(&app, "POST", "/labsim/v1/addons/ingress/enable", "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("storage-provisioner-rancher"));
    let (s, _) = call(
        &app,
        "POST",
        "/labsim/v1/addons/storage-provisioner-rancher/enable",
        "",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(app
        .store
        .get(get("StorageClass"), None, "local-path")
        .is_ok());
}
