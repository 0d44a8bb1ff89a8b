//! kube-rs against an in-process labsim: watcher, await_condition, server-side apply, exec and
//! port-forward bridged to mysql_async.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, AttachParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{conditions, wait::await_condition, watcher, WatchStreamExt};
use kube::{Client, Config};
use labsim::cluster::Cluster;

async fn client(kubeconfig: &std::path::Path) -> Client {
    let kc = Kubeconfig::read_from(kubeconfig).unwrap();
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn manifest() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../manifests/1-sts-mysql.yaml"
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_drives_labsim() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Cluster::start(dir.path()).await.unwrap();
    let client = client(&sim.kubeconfig).await;

    // watcher sees an object created after it started.
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let mut stream = watcher(cms.clone(), watcher::Config::default())
        .applied_objects()
        .boxed();
    let cm: ConfigMap = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "watched"}, "data": {"k": "v"}}),
    )
    .unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(cm) = stream.try_next().await.unwrap() {
            if cm.metadata.name.as_deref() == Some("watched") {
                return cm;
            }
        }
        panic!("watch ended");
    })
    .await
    .expect("watcher saw the ConfigMap");
    assert_eq!(seen.data.unwrap()["k"], "v");

    // Server-side apply of every document in the lab manifest.
    let pp = PatchParams::apply("labsim-test").force();
    for doc in serde_yaml::Deserializer::from_str(&manifest()) {
        let v = serde_json::to_value(serde_yaml::Value::deserialize(doc).unwrap()).unwrap();
        if v.is_null() {
            continue;
        }
        let name = v["metadata"]["name"].as_str().unwrap().to_string();
        let gvk = kube::api::GroupVersionKind::try_from(&kube::api::TypeMeta {
            api_version: v["apiVersion"].as_str().unwrap().into(),
            kind: v["kind"].as_str().unwrap().into(),
        })
        .unwrap();
        let (ar, _) = kube::discovery::pinned_kind(&client, &gvk).await.unwrap();
        let api: Api<kube::api::DynamicObject> = Api::default_namespaced_with(client.clone(), &ar);
        api.patch(&name, &pp, &Patch::Apply(&v)).await.unwrap();
    }
    let sts: Api<StatefulSet> = Api::default_namespaced(client.clone());
    assert_eq!(sts.get("mysql").await.unwrap().spec.replicas, Some(3));

    // await_condition: mysql-2 (the last in order) becomes Ready.
    let pods: Api<Pod> = Api::default_namespaced(client.clone());
    tokio::time::timeout(
        Duration::from_secs(180),
        await_condition(pods.clone(), "mysql-2", conditions::is_pod_running()),
    )
    .await
    .expect("mysql-2 running in time")
    .unwrap();

    // exec (kube-rs speaks v4/v5): the pod's hostname and a query.
    let mut p = pods
        .exec(
            "mysql-0",
            vec!["mysql", "-uroot", "-ppassword", "-N", "-e", "SELECT 1+1"],
            &AttachParams::default().stderr(true),
        )
        .await
        .unwrap();
    let mut out = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut p.stdout().unwrap(), &mut out)
        .await
        .unwrap();
    let status = p.take_status().unwrap().await.unwrap();
    assert_eq!(status.status.as_deref(), Some("Success"), "{status:?}");
    assert_eq!(out.trim(), "2");

    // A failing command in the container exits non-zero with its message.
    let mut p = pods
        .exec(
            "mysql-0",
            vec!["bash", "-c", "mysql -uroot -pwrong -e 'SELECT 1'"],
            &AttachParams::default().stderr(true),
        )
        .await
        .unwrap();
    let mut err = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut p.stderr().unwrap(), &mut err)
        .await
        .unwrap();
    let status = p.take_status().unwrap().await.unwrap();
    assert_eq!(status.status.as_deref(), Some("Failure"));
    assert!(err.contains("Access denied"), "{err}");

    // port-forward bridged to mysql_async.
    let mut pf = pods.portforward("mysql-0", &[3306]).await.unwrap();
    let stream = pf.take_stream(3306).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut stream = stream;
        let _ = tokio::io::copy_bidirectional(&mut tcp, &mut stream).await;
    });
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(port)
        .user(Some("root"))
        .pass(Some("password"));
    let mut conn = mysql_async::Conn::new(opts).await.unwrap();
    use mysql_async::prelude::Queryable;
    let dbs: Vec<String> = conn.query("SHOW DATABASES").await.unwrap();
    for db in ["information_schema", "mysql", "performance_schema", "sys"] {
        assert!(dbs.iter().any(|d| d == db), "{dbs:?}");
    }
    drop(conn);

    sim.stop().await.unwrap();
}

use serde::Deserialize;
