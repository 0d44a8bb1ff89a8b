//! Router tests without TLS or auth: requests go straight into the axum router.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures::StreamExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::api::App;
use crate::kubelet::Kubelet;
use crate::resources;
use crate::store::Store;

fn app_with(store: Store) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(store);
    let _ = store.create(
        resources::get("Namespace"),
        None,
        json!({"metadata": {"name": "default"}}),
    );
    let app = App {
        kubelet: Kubelet::new(store.clone(), dir.path().to_path_buf()),
        store,
        token: "t".into(),
        state_dir: Arc::new(dir.path().to_path_buf()),
    };
    (app, dir)
}

fn app() -> (App, tempfile::TempDir) {
    app_with(Store::in_memory())
}

async fn call(
    app: &App,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = super::router(app.clone())
        .oneshot(b.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let v =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)));
    (status, v)
}

/// `DELETE uri` with `body` (DeleteOptions).
async fn delete(app: &App, uri: &str, body: &str) -> (StatusCode, Value) {
    call(app, "DELETE", uri, &[], body).await
}

/// `GET uri`: the response as it starts (a watch streams its body).
async fn get(app: &App, uri: impl AsRef<str>) -> axum::response::Response {
    let req = Request::get(uri.as_ref()).body(Body::empty()).unwrap();
    super::router(app.clone()).oneshot(req).await.unwrap()
}

/// `GET uri` with `Accept: accept`.
async fn get_accepting(app: &App, uri: impl AsRef<str>, accept: &str) -> axum::response::Response {
    let req = Request::get(uri.as_ref())
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .unwrap();
    super::router(app.clone()).oneshot(req).await.unwrap()
}

const CM: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str, labels: Value) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}).to_string()
}

#[tokio::test]
async fn version_and_health() {
    let (app, _d) = app();
    let (s, v) = call(&app, "GET", "/version?timeout=5s", &[], "").await;
    assert_eq!(s, StatusCode::OK);
    // A v1.33.1 kube-apiserver's /version: apimachinery pkg/version/types.go at
    // kubernetes-1.33.0 adds the emulation and min-compatibility fields (CHANGELOG-1.33.md
    // #130019); the build values are the v1.33.1 release's (docs/version-1.33.md, 1.4).
    for (key, want) in [
        ("major", "1"),
        ("minor", "33"),
        ("emulationMajor", "1"),
        ("emulationMinor", "33"),
        ("minCompatibilityMajor", "1"),
        ("minCompatibilityMinor", "32"),
        ("gitVersion", "v1.33.1"),
        ("gitCommit", "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828"),
        ("gitTreeState", "clean"),
        ("buildDate", "2025-05-15T08:19:08Z"),
        ("goVersion", "go1.24.2"),
        ("compiler", "gc"),
        ("platform", "linux/amd64"),
    ] {
        assert_eq!(v[key], want, "/version {key}");
    }
    let (s, v) = call(&app, "GET", "/readyz", &[], "").await;
    assert_eq!((s, v), (StatusCode::OK, json!("ok")));
    let (s, v) = call(&app, "POST", "/version", &[], "").await;
    assert_eq!(
        (s, v["code"].as_i64()),
        (StatusCode::METHOD_NOT_ALLOWED, Some(405))
    );
}

/// v1 Endpoints are deprecated in 1.33 (CHANGELOG-1.33 #130098): every request for them carries
/// the apiserver's `Warning: 299 - "..."` header; other resources do not.
#[tokio::test]
async fn v1_endpoints_carry_the_deprecation_warning() {
    let (app, _d) = app();
    let warning =
        "299 - \"v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\"";
    for uri in [
        "/api/v1/endpoints",
        "/api/v1/namespaces/default/endpoints",
        "/api/v1/namespaces/default/endpoints/kubernetes",
    ] {
        let resp = get(&app, uri).await;
        assert_eq!(
            resp.headers()
                .get(header::WARNING)
                .map(|v| v.to_str().unwrap()),
            Some(warning),
            "{uri}"
        );
    }
    for uri in [
        "/api/v1/namespaces/default/configmaps",
        "/apis/discovery.k8s.io/v1/endpointslices",
        "/api/v1/namespaces/endpoints",
    ] {
        let resp = get(&app, uri).await;
        assert!(resp.headers().get(header::WARNING).is_none(), "{uri}");
    }
}

#[tokio::test]
async fn discovery_routes() {
    let (app, _d) = app();
    let (_, v) = call(&app, "GET", "/api", &[], "").await;
    assert_eq!(v["kind"], "APIVersions");
    let accept =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let resp = get_accepting(&app, "/apis", accept).await;
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        super::negotiate::AGGREGATED_DISCOVERY
    );
    let (_, v) = call(&app, "GET", "/apis/apps/v1", &[], "").await;
    assert_eq!(v["kind"], "APIResourceList");
    let (_, v) = call(&app, "GET", "/api/v1", &[], "").await;
    assert_eq!(v["groupVersion"], "v1");
    let (s, _) = call(&app, "GET", "/apis/batch/v1", &[], "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = call(&app, "GET", "/openapi/v3", &[], "").await;
    let url = v["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = call(&app, "GET", &url, &[], "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["openapi"], "3.0.0");
    let (s, v) = call(&app, "GET", "/openapi/v2", &[], "").await;
    assert_eq!(
        (s, v["kind"].as_str()),
        (StatusCode::NOT_FOUND, Some("Status"))
    );
}

#[tokio::test]
async fn create_get_list_delete() {
    let (app, _d) = app();
    let (s, v) = call(&app, "POST", CM, &[], &cm("a", json!({"app": "x"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(v["metadata"]["uid"].is_string());
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels:\n    app: y\n";
    let (s, _) = call(
        &app,
        "POST",
        CM,
        &[("content-type", "application/yaml")],
        yaml,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = call(&app, "POST", CM, &[], &cm("a", json!({}))).await;
    assert_eq!(
        (s, v["reason"].as_str()),
        (StatusCode::CONFLICT, Some("AlreadyExists"))
    );
    let (s, v) = call(&app, "POST", CM, &[], &cm("Bad_Name", json!({}))).await;
    assert_eq!(
        (s, v["code"].as_i64()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(422))
    );
    let (s, v) = call(&app, "POST", CM, &[], "{not json").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("must be of type ConfigMap"));
    let (s, _) = call(
        &app,
        "POST",
        CM,
        &[],
        &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c"}}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/namespaces/nope/configmaps",
        &[],
        &cm("c", json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(
        &app,
        "POST",
        &format!("{CM}?dryRun=All"),
        &[],
        &cm("d", json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = call(&app, "GET", &format!("{CM}/d"), &[], "").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "dry run stored nothing");

    let (_, v) = call(
        &app,
        "GET",
        &format!("{CM}?labelSelector=app%3Dx&limit=500"),
        &[],
        "",
    )
    .await;
    assert_eq!(v["kind"], "ConfigMapList");
    assert!(v["metadata"]["resourceVersion"].is_string());
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    let (_, v) = call(
        &app,
        "GET",
        "/api/v1/configmaps?fieldSelector=metadata.name%3Db",
        &[],
        "",
    )
    .await;
    assert_eq!(v["items"][0]["metadata"]["name"], "b");
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let (_, v) = call(&app, "GET", CM, &[("accept", table)], "").await;
    assert_eq!(v["kind"], "Table");
    let (_, v) = call(&app, "GET", &format!("{CM}/a"), &[("accept", table)], "").await;
    assert_eq!(v["kind"], "Table");

    let (s, v) = call(&app, "GET", &format!("{CM}/nope"), &[], "").await;
    assert_eq!(
        (s, v["reason"].as_str()),
        (StatusCode::NOT_FOUND, Some("NotFound"))
    );
    let (s, _) = call(&app, "GET", "/api/v1/namespaces/default/widgets", &[], "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let mut live = call(&app, "GET", &format!("{CM}/a"), &[], "").await.1;
    live["data"]["k"] = json!("w");
    let (s, v) = call(&app, "PUT", &format!("{CM}/a"), &[], &live.to_string()).await;
    assert_eq!((s, v["data"]["k"].as_str()), (StatusCode::OK, Some("w")));
    let (s, _) = call(&app, "PUT", &format!("{CM}/a"), &[], &live.to_string()).await;
    assert_eq!(s, StatusCode::CONFLICT, "stale resourceVersion");
    let (s, _) = call(
        &app,
        "PATCH",
        &format!("{CM}/a"),
        &[("content-type", "text/plain")],
        "{}",
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (s, v) = delete(
        &app,
        &format!("{CM}/a"),
        r#"{"preconditions":{"uid":"other"}}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = delete(
        &app,
        &format!("{CM}/a"),
        r#"{"propagationPolicy":"Background"}"#,
    )
    .await;
    assert_eq!(
        (s, v["metadata"]["name"].as_str()),
        (StatusCode::OK, Some("a"))
    );
    let (s, _) = call(&app, "GET", &format!("{CM}/a"), &[], "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = delete(&app, &format!("{CM}?labelSelector=app%3Dy"), "").await;
    assert_eq!(
        (s, v["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );

    // Deleting a namespace deletes what is in it.
    let ns = r#"{"metadata":{"name":"gone"}}"#;
    let (s, _) = call(&app, "POST", "/api/v1/namespaces", &[], ns).await;
    assert_eq!(s, StatusCode::CREATED);
    let gone = "/api/v1/namespaces/gone/configmaps";
    let (s, _) = call(&app, "POST", gone, &[], &cm("x", json!({}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = delete(&app, "/api/v1/namespaces/gone", "").await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = call(&app, "GET", "/api/v1/configmaps", &[], "").await;
    let items = v["items"].as_array().unwrap();
    assert!(
        items.iter().all(|c| c["metadata"]["namespace"] != "gone"),
        "{v}"
    );
}

#[tokio::test]
async fn pods_delete_gracefully_only_when_scheduled() {
    let (app, _d) = app();
    let pods = "/api/v1/namespaces/default/pods";
    let pod = |name: &str, node: Option<&str>| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "mysql"}},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]}}).to_string()
    };
    call(&app, "POST", pods, &[], &pod("p0", None)).await;
    call(&app, "POST", pods, &[], &pod("p1", Some("minikube"))).await;
    let (s, _) = delete(&app, &format!("{pods}/p0"), "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        call(&app, "GET", &format!("{pods}/p0"), &[], "").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, v) = delete(&app, &format!("{pods}/p1"), "").await;
    assert!(v["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(v["metadata"]["deletionGracePeriodSeconds"], 30);
    let (_, v) = delete(&app, &format!("{pods}/p1?gracePeriodSeconds=0"), "").await;
    assert_eq!(v["metadata"]["name"], "p1");
    assert_eq!(
        call(&app, "GET", &format!("{pods}/p1"), &[], "").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn status_and_scale_subresources() {
    let (app, _d) = app();
    let sts = "/apis/apps/v1/namespaces/default/statefulsets";
    let body = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "mysql"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "mysql"}}, "template": {}},
        "status": {"replicas": 9}});
    let (_, v) = call(&app, "POST", sts, &[], &body.to_string()).await;
    assert_eq!(v["status"], Value::Null, "create ignores status");
    let (_, v) = call(&app, "GET", &format!("{sts}/mysql/scale"), &[], "").await;
    assert_eq!(
        (v["kind"].as_str(), v["spec"]["replicas"].as_i64()),
        (Some("Scale"), Some(3))
    );
    let (s, v) = call(
        &app,
        "PATCH",
        &format!("{sts}/mysql/scale"),
        &[("content-type", "application/merge-patch+json")],
        r#"{"spec":{"replicas":5}}"#,
    )
    .await;
    assert_eq!(
        (s, v["spec"]["replicas"].as_i64()),
        (StatusCode::OK, Some(5))
    );
    let mut scale = v;
    scale["spec"]["replicas"] = json!(1);
    let (s, _) = call(
        &app,
        "PUT",
        &format!("{sts}/mysql/scale"),
        &[],
        &scale.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, live) = call(&app, "GET", &format!("{sts}/mysql"), &[], "").await;
    assert_eq!(live["spec"]["replicas"], 1);
    assert_eq!(live["metadata"]["generation"], 3);
    let mut st = live.clone();
    st["status"] = json!({"replicas": 1, "readyReplicas": 1});
    st["spec"]["replicas"] = json!(7);
    let (s, v) = call(
        &app,
        "PUT",
        &format!("{sts}/mysql/status"),
        &[],
        &st.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["status"]["readyReplicas"].as_i64(),
            v["spec"]["replicas"].as_i64()
        ),
        (Some(1), Some(1))
    );
}

async fn first_line(body: Body) -> Value {
    let mut stream = body.into_data_stream();
    let chunk = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event within 5 s")
        .unwrap()
        .unwrap();
    let line = std::str::from_utf8(&chunk).unwrap();
    assert!(
        line.ends_with('\n') && !line.trim_end().contains('\n'),
        "one object per line: {line:?}"
    );
    serde_json::from_str(line).unwrap()
}

#[tokio::test]
async fn watch_streams_events() {
    let (app, _d) = app();
    call(&app, "POST", CM, &[], &cm("old", json!({}))).await;
    let rv = app.store.resource_version();
    let resp = get(
        &app,
        format!("{CM}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dnew"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    call(&app, "POST", CM, &[], &cm("other", json!({}))).await;
    call(&app, "POST", CM, &[], &cm("new", json!({}))).await;
    let ev = first_line(resp.into_body()).await;
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["metadata"]["name"], "new");

    // Initial events with the end bookmark.
    let resp = get(&app, format!("{CM}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan")).await;
    let mut stream = resp.into_body().into_data_stream();
    let mut text = String::new();
    while !text.contains("initial-events-end") {
        let c = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&c).unwrap());
    }
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.iter().filter(|e| e["type"] == "ADDED").count(), 3);
    assert_eq!(events.last().unwrap()["type"], "BOOKMARK");
}

#[tokio::test]
async fn watch_from_forgotten_version_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        for n in ["a", "b", "c"] {
            store
                .create(
                    resources::get("ConfigMap"),
                    Some("default"),
                    json!({"metadata": {"name": n}}),
                )
                .unwrap();
        }
    }
    let (app, _d) = app_with(Store::open(dir.path()).unwrap());
    let resp = get(&app, format!("{CM}?watch=1&resourceVersion=1")).await;
    let ev = first_line(resp.into_body()).await;
    assert_eq!(ev["type"], "ERROR");
    assert_eq!(ev["object"]["code"], 410);
}

#[tokio::test]
async fn table_watch_events() {
    let (app, _d) = app();
    let rv = app.store.resource_version();
    let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
    let resp = get_accepting(&app, format!("{CM}?watch=true&resourceVersion={rv}"), table).await;
    call(&app, "POST", CM, &[], &cm("t", json!({}))).await;
    let ev = first_line(resp.into_body()).await;
    assert_eq!(ev["type"], "ADDED");
    assert_eq!(ev["object"]["kind"], "Table");
    assert!(ev["object"]["columnDefinitions"].is_array());
}

#[tokio::test]
async fn watch_ends_at_timeout_and_on_shutdown() {
    let (app, _d) = app();
    let started = std::time::Instant::now();
    let resp = get(&app, format!("{CM}?watch=true&timeoutSeconds=1")).await;
    let body = tokio::time::timeout(
        Duration::from_secs(5),
        axum::body::to_bytes(resp.into_body(), usize::MAX),
    )
    .await
    .expect("stream closed at its timeout")
    .unwrap();
    assert!(body.is_empty(), "no objects, no events");
    assert!(started.elapsed() >= Duration::from_millis(900));

    let (trigger, shutdown) = crate::shutdown::channel();
    let mut req = Request::get(format!("{CM}?watch=true"))
        .body(Body::empty())
        .unwrap();
    req.extensions_mut().insert(shutdown);
    let resp = super::router(app.clone()).oneshot(req).await.unwrap();
    trigger.fire();
    tokio::time::timeout(
        Duration::from_secs(5),
        axum::body::to_bytes(resp.into_body(), usize::MAX),
    )
    .await
    .expect("stream closed on shutdown")
    .unwrap();
}

#[tokio::test]
async fn watch_with_selector_sees_objects_enter_and_leave() {
    let (app, _d) = app();
    let rt = resources::get("ConfigMap");
    let rv = app.store.resource_version();
    let resp = get(
        &app,
        format!("{CM}?watch=true&resourceVersion={rv}&labelSelector=app%3Dx"),
    )
    .await;
    call(&app, "POST", CM, &[], &cm("m", json!({"app": "x"}))).await;
    let relabel = |to: &'static str| {
        app.store
            .modify(rt, Some("default"), "m", |o| {
                o["metadata"]["labels"]["app"] = json!(to)
            })
            .unwrap();
    };
    relabel("y");
    relabel("z");
    relabel("x");
    app.store
        .modify(rt, Some("default"), "m", |o| o["data"]["k"] = json!("2"))
        .unwrap();
    let mut stream = resp.into_body().into_data_stream();
    let mut types = Vec::new();
    while types.len() < 4 {
        let c = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        for line in std::str::from_utf8(&c).unwrap().lines() {
            let ev: Value = serde_json::from_str(line).unwrap();
            types.push(ev["type"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(types, ["ADDED", "DELETED", "ADDED", "MODIFIED"]);
}

#[tokio::test]
async fn orphan_deletion_drops_owner_references() {
    let (app, _d) = app();
    let sts = "/apis/apps/v1/namespaces/default/statefulsets";
    let body = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
        "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": {}}});
    let (_, owner) = call(&app, "POST", sts, &[], &body.to_string()).await;
    let uid = owner["metadata"]["uid"].as_str().unwrap();
    let pod = json!({"metadata": {"name": "db-0", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "uid": uid, "controller": true}]},
        "spec": {"containers": []}});
    let pods = resources::get("Pod");
    app.store.create(pods, Some("default"), pod).unwrap();
    let (s, _) = delete(
        &app,
        &format!("{sts}/db"),
        r#"{"propagationPolicy":"Orphan"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let left = app.store.get(pods, Some("default"), "db-0").unwrap();
    assert_eq!(left["metadata"]["ownerReferences"], json!([]));
}

#[tokio::test]
async fn version_slash_reviews_and_paging() {
    let (app, _d) = app();
    let (s, v) = call(&app, "GET", "/version/", &[], "").await;
    assert_eq!(
        (s, v["gitVersion"].as_str()),
        (StatusCode::OK, Some(crate::objects::version::KUBERNETES))
    );

    // Reviews: create only, never stored.
    const SSAR: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    let body = r#"{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","spec":{"resourceAttributes":{"verb":"delete","resource":"pods"}}}"#;
    let (s, v) = call(&app, "POST", SSAR, &[], body).await;
    assert_eq!(
        (s, &v["status"]),
        (StatusCode::CREATED, &json!({"allowed": true}))
    );
    let (s, _) = call(&app, "GET", SSAR, &[], "").await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _) = call(&app, "POST", SSAR, &[], r#"{"spec":{}}"#).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // limit/continue: three pages of one, the third without a token.
    for n in ["a", "b", "c"] {
        call(&app, "POST", CM, &[], &cm(n, json!({}))).await;
    }
    let (_, p1) = call(&app, "GET", &format!("{CM}?limit=1"), &[], "").await;
    assert_eq!(p1["items"][0]["metadata"]["name"], "a");
    assert_eq!(p1["metadata"]["remainingItemCount"], 2);
    let token = p1["metadata"]["continue"].as_str().unwrap().to_string();
    call(&app, "POST", CM, &[], &cm("aa", json!({}))).await;
    let (_, p2) = call(
        &app,
        "GET",
        &format!("{CM}?limit=1&continue={token}"),
        &[],
        "",
    )
    .await;
    assert_eq!(
        p2["items"][0]["metadata"]["name"], "b",
        "aa came after the first page"
    );
    assert_eq!(
        p2["metadata"]["resourceVersion"],
        p1["metadata"]["resourceVersion"]
    );
    let token = p2["metadata"]["continue"].as_str().unwrap().to_string();
    let (_, p3) = call(
        &app,
        "GET",
        &format!("{CM}?limit=1&continue={token}"),
        &[],
        "",
    )
    .await;
    assert_eq!(p3["items"][0]["metadata"]["name"], "c");
    assert!(p3["metadata"].get("continue").is_none());
    let (s, v) = call(&app, "GET", &format!("{CM}?limit=1&continue=x"), &[], "").await;
    assert_eq!(
        (s, v["reason"].as_str()),
        (StatusCode::BAD_REQUEST, Some("BadRequest"))
    );
    let stale = crate::api::paging::encode(1, &("default".into(), "a".into()));
    let (s, v) = call(
        &app,
        "GET",
        &format!("{CM}?limit=1&continue={stale}"),
        &[],
        "",
    )
    .await;
    assert_eq!(
        (s, v["reason"].as_str()),
        (StatusCode::GONE, Some("Expired"))
    );
    // A Table page carries the token too.
    let table = [("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")];
    let (_, t) = call(&app, "GET", &format!("{CM}?limit=2"), &table, "").await;
    assert_eq!(t["kind"], "Table");
    assert!(t["metadata"]["continue"].is_string());
}

#[tokio::test]
async fn watch_one_object_by_its_path() {
    let (app, _d) = app();
    call(&app, "POST", CM, &[], &cm("one", json!({}))).await;
    call(&app, "POST", CM, &[], &cm("two", json!({}))).await;
    for path in [
        format!("{CM}/two?watch=1"),
        "/api/v1/watch/namespaces/default/configmaps/two".to_string(),
    ] {
        let resp = get(&app, &path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let ev = first_line(resp.into_body()).await;
        assert_eq!(
            (
                ev["type"].as_str(),
                ev["object"]["metadata"]["name"].as_str()
            ),
            (Some("ADDED"), Some("two")),
            "{path}"
        );
    }
}

#[test]
fn legacy_watch_paths_drop_their_watch_segment() {
    use crate::api::crud::legacy_watch_path;
    assert_eq!(
        legacy_watch_path("/api/v1/watch/namespaces/default/pods/mysql-0").as_deref(),
        Some("/api/v1/namespaces/default/pods/mysql-0")
    );
    assert_eq!(
        legacy_watch_path("/apis/apps/v1/watch/statefulsets").as_deref(),
        Some("/apis/apps/v1/statefulsets")
    );
    assert_eq!(legacy_watch_path("/api/v1/namespaces/watch/pods"), None);
    assert_eq!(legacy_watch_path("/api/v1/pods"), None);
}
