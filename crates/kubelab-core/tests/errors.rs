//! Every Korean error a learner can meet, produced for real against an in-process labsim: broken
//! YAML, unknown kind, missing file, unknown pod, bad SQL, a wait that times out with a diagnosis,
//! and finally labsim stopped (unreachable, bounded in time). Each message must name the cause
//! and the next step. kubelab keeps process-global state, so this is one scenario.

use std::time::Duration;

mod common;

use kubelab_core::*;
use labsim::cluster::start_in_thread;
use testkit::{bounded, write_file, Sim};

/// Runs `fut` to its end on a runtime of its own (for `bounded`, which times it on a thread).
fn block<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fut)
}

fn has_all(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "expected {p:?} in:\n{msg}");
    }
}

const BROKEN_YAML: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\n spec:\n  clusterIP: None\n";

const UNKNOWN_KIND: &str =
    "apiVersion: apps/v1\nkind: StatefulSett\nmetadata:\n  name: typo\nspec: {}\n";

const NGINX_STS: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_korean_with_cause_and_next_step() {
    let mut sim = tokio::task::block_in_place(|| Sim::in_process(start_in_thread).exported());
    let dir = tempfile::tempdir().unwrap();

    // file not found
    let e = step!(apply("manifests/does-not-exist.yaml")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Apply(kubelab_core::apply::Error::FileNotFound { .. })
        ),
        "{e:?}"
    );
    has_all(
        &e.to_string(),
        &[
            "파일을 찾을 수 없습니다",
            "does-not-exist.yaml",
            "현재 디렉터리",
            "→",
        ],
    );
    // Debug is the same Korean text (evcxr prints `?` errors with Debug)
    assert!(format!("{e:?}").contains("파일을 찾을 수 없습니다"));

    // broken YAML: file:line:column
    let broken = write_file(dir.path(), "broken.yaml", BROKEN_YAML);
    let e = step!(apply(&broken)).unwrap_err();
    match &e {
        Error::Apply(kubelab_core::apply::Error::Yaml { line, column, .. }) => {
            assert_eq!(*line, 5, "{e}");
            assert!(*column >= 1, "{e}");
        }
        other => panic!("expected a YAML error, got {other:?}"),
    }
    let msg = e.to_string();
    has_all(&msg, &["YAML 문법 오류", "broken.yaml:5:", "들여쓰기", "→"]);
    // nothing from the broken file reached the cluster
    let svcs = sim.ok(&["get", "services", "-o", "name"]);
    assert!(!svcs.contains("broken"), "{svcs}");

    // unknown kind
    let typo = write_file(dir.path(), "typo.yaml", UNKNOWN_KIND);
    let e = step!(apply(&typo)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Apply(kubelab_core::apply::Error::UnknownKind { .. })
        ),
        "{e:?}"
    );
    has_all(
        &e.to_string(),
        &["클러스터가 모르는 종류", "StatefulSett", "apps/v1", "→"],
    );

    // the lab, for the pod and SQL errors
    step!(apply("../../manifests/1-sts-mysql.yaml")).unwrap();
    step!(watch_pods("app=mysql", Duration::from_secs(180))).unwrap();

    // unknown pod: mysql("mysql-9") names the pods that exist
    let e = step!(mysql("mysql-9")).unwrap_err();
    let msg = e.to_string();
    has_all(&msg, &["mysql-9", "없습니다", "mysql-0", "mysql-2", "→"]);
    let e = step!(delete_pod("nope")).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Objects(kubelab_core::objects::Error::NotFound { .. })
        ),
        "{e:?}"
    );
    has_all(
        &e.to_string(),
        &["'nope'", "없습니다", "mysql-1", "kubectl get pods"],
    );
    // and nothing was deleted
    assert_eq!(sim.pod_uids("app=mysql").len(), 3);

    // bad SQL: the statements before it ran, then ERROR 1064 and a hint
    let db = step!(mysql("mysql-0")).unwrap();
    let e = db
        .sql("CREATE DATABASE errdb; SELEC * FROM nowhere;")
        .await
        .unwrap_err();
    match &e {
        Error::Sql(kubelab_core::sql::Error::Server { code, .. }) => assert_eq!(*code, 1064),
        other => panic!("expected a server error, got {other:?}"),
    }
    has_all(
        &e.to_string(),
        &[
            "CREATE DATABASE errdb",
            "ERROR 1064 (42000)",
            "SELEC",
            "문법",
            "→",
        ],
    );
    // the session still works and the first statement took effect
    let out = db.sql("SHOW DATABASES LIKE 'errdb';").await.unwrap();
    assert_eq!(out.last().rows.len(), 1, "{out}");

    // a wait that times out, with a diagnosis: labsim only runs MySQL images
    let web = write_file(dir.path(), "web.yaml", NGINX_STS);
    step!(apply(&web)).unwrap();
    let (r, took) = bounded("watch_pods(app=web, 10s)", Duration::from_secs(40), || {
        block(async { step!(watch_pods("app=web", Duration::from_secs(10))) })
    });
    let e = r.unwrap_err();
    assert!(
        took >= Duration::from_secs(10) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert!(
        matches!(e, Error::Wait(kubelab_core::wait::Error::TimedOut { .. })),
        "{e:?}"
    );
    let msg = e.to_string();
    has_all(&msg, &["10초 안에 끝나지 않았습니다", "진단", "web-0", "→"]);
    assert!(
        msg.contains("ImagePullBackOff") || msg.contains("ErrImagePull"),
        "{msg}"
    );
    has_all(
        &msg,
        &[
            "labsim에 없는 이미지입니다",
            "nginx:1.27",
            "이미지를 받을 수 없습니다",
        ],
    );

    // a typo'd selector: no pod and no StatefulSet would ever match, said well before the timeout
    let (r, took) = bounded(
        "watch_pods(app=mysqll, 120s)",
        Duration::from_secs(40),
        || block(async { step!(watch_pods("app=mysqll", Duration::from_secs(120))) }),
    );
    let e = r.unwrap_err();
    assert!(took < Duration::from_secs(30), "{took:?}");
    assert!(
        matches!(e, Error::Wait(kubelab_core::wait::Error::NoMatch { .. })),
        "{e:?}"
    );
    has_all(
        &e.to_string(),
        &["app=mysqll", "mysql-0: ", "app=mysql", "철자", "→"],
    );

    // labsim stopped: the next call fails quickly and says how to start a cluster
    sim.stop();
    let (r, took) = bounded(
        "nodes() with labsim stopped",
        Duration::from_secs(40),
        || block(async { step!(nodes()) }),
    );
    let e = r.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Cluster(kubelab_core::cluster::Error::Unreachable { .. })
        ),
        "{e:?}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");
    has_all(
        &e.to_string(),
        &[
            "클러스터에 연결할 수 없습니다",
            "labsim",
            "127.0.0.1",
            "start_cluster()",
        ],
    );
    // the open SQL session gives up soon too (its reconnect sees the API server gone), with
    // the cause and the next step, instead of polling for the whole 180 s reconnect window
    let (r, took) = bounded(
        "db.sql with labsim stopped",
        Duration::from_secs(60),
        move || block(async move { db.sql("SELECT 1;").await }),
    );
    let e = r.unwrap_err();
    assert!(took < Duration::from_secs(40), "{took:?}");
    has_all(
        &e.to_string(),
        &[
            "mysql-0",
            "클러스터에 연결할 수 없습니다",
            "start_cluster()",
        ],
    );
}
