//! kube-rs style mock tests: a `tower::service_fn` answering the API requests kubelab makes, to
//! check apply's created/configured/unchanged output, the watch's Ready order and its timeout
//! diagnosis, and delete/wait_ready UID handling, without a cluster.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use kube::client::Body;
use kube::Client;
use serde_json::{json, Value};

use crate::context::{ClusterKind, ContextInfo};
use crate::lab::Lab;

#[derive(Default)]
struct State {
    /// path -> object
    objects: HashMap<String, Value>,
    /// path -> the last applied body (to decide whether an apply changed anything)
    applied: HashMap<String, Value>,
    rv: u64,
    pods: Vec<Value>,
    pod_watch: Vec<Value>,
    /// Which watches (typed, as=Table) have been answered with `pod_watch`.
    watch_served: [bool; 2],
    events: Vec<Value>,
    requests: Vec<String>,
}

type Shared = Arc<Mutex<State>>;

fn resp(code: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(&body).unwrap()))
        .unwrap()
}

fn not_found(what: &str) -> Response<Body> {
    resp(
        404,
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
        "message":format!("{what} not found"),"reason":"NotFound","code":404}),
    )
}

fn resource_list(gv: &str, res: &[(&str, &str)]) -> Value {
    json!({"kind":"APIResourceList","apiVersion":"v1","groupVersion":gv,"resources":
        res.iter().map(|(name, kind)| json!({"name":name,"singularName":"","namespaced":true,"kind":kind,
            "verbs":["get","list","watch","create","update","patch","delete"]})).collect::<Vec<_>>()})
}

async fn handle(state: Shared, req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let method = req.method().clone();
    let table = req
        .headers()
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.starts_with("application/json;as=Table;v=v1;g=meta.k8s.io"));
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let body = req.into_body().collect_bytes().await.unwrap_or_default();
    state
        .lock()
        .unwrap()
        .requests
        .push(format!("{method} {path}?{query}"));
    let watching = query.contains("watch=true");
    if watching {
        let first = {
            let mut s = state.lock().unwrap();
            if s.watch_served == [false, false] {
                // each event is a new version of its pod
                for (i, e) in s.pod_watch.iter_mut().enumerate() {
                    e["object"]["metadata"]["resourceVersion"] = json!((100 + i).to_string());
                }
            }
            let first = !s.watch_served[table as usize];
            s.watch_served[table as usize] = true;
            first
        };
        let both = state.lock().unwrap().watch_served == [true, true];
        if first && both {
            // the server's state follows the events it sends (once both watches listed before)
            let mut s = state.lock().unwrap();
            for e in s.pod_watch.clone() {
                let name = e["object"]["metadata"]["name"].clone();
                s.pods.retain(|p| p["metadata"]["name"] != name);
                if e["type"] != "DELETED" {
                    s.pods.push(e["object"].clone());
                }
            }
            s.pods
                .sort_by_key(|p| p["metadata"]["name"].as_str().unwrap_or("").to_string());
        }
        if !first {
            // later re-watches: nothing new, answer slowly so the watcher does not spin
            tokio::time::sleep(Duration::from_millis(200)).await;
            return Ok(Response::new(Body::from(Vec::new())));
        }
        let lines: Vec<String> = state
            .lock()
            .unwrap()
            .pod_watch
            .iter()
            .map(|e| match table {
                // as the API server sends a watch with as=Table: each object as a Table row
                true => json!({"type": e["type"], "object": pod_table(&[e["object"].clone()])})
                    .to_string(),
                false => e.to_string(),
            })
            .collect();
        return Ok(Response::new(Body::from(lines.join("\n").into_bytes())));
    }
    let mut s = state.lock().unwrap();
    let r = match (method.as_str(), path.as_str()) {
        ("GET", "/api/v1") => resp(
            200,
            resource_list(
                "v1",
                &[
                    ("services", "Service"),
                    ("pods", "Pod"),
                    ("secrets", "Secret"),
                ],
            ),
        ),
        ("GET", "/apis/apps/v1") => resp(
            200,
            resource_list("apps/v1", &[("statefulsets", "StatefulSet")]),
        ),
        ("GET", "/api/v1/namespaces/default/pods") if table => resp(200, pod_table(&s.pods)),
        ("GET", "/api/v1/namespaces/default/pods") => resp(
            200,
            json!({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"10"},"items":s.pods}),
        ),
        ("GET", "/api/v1/namespaces/default/events") => resp(
            200,
            json!({"kind":"EventList","apiVersion":"v1","metadata":{"resourceVersion":"10"},"items":s.events}),
        ),
        ("GET", "/api/v1/namespaces/default/persistentvolumeclaims") => resp(
            200,
            json!({"kind":"PersistentVolumeClaimList","apiVersion":"v1","metadata":{"resourceVersion":"10"},"items":[]}),
        ),
        ("GET", p) if p.starts_with("/api/v1/namespaces/default/pods/") => {
            let name = p.rsplit('/').next().unwrap();
            match s.pods.iter().find(|o| o["metadata"]["name"] == name) {
                Some(o) => resp(200, o.clone()),
                None => not_found(name),
            }
        }
        ("DELETE", p) if p.starts_with("/api/v1/namespaces/default/pods/") => {
            let name = p.rsplit('/').next().unwrap().to_string();
            match s
                .pods
                .iter()
                .position(|o| o["metadata"]["name"] == name.as_str())
            {
                Some(i) => resp(200, s.pods.remove(i)),
                None => not_found(&name),
            }
        }
        ("GET", p) => match s.objects.get(p) {
            Some(o) => resp(200, o.clone()),
            None => not_found(p),
        },
        ("PATCH", p) => {
            let mut doc: Value = serde_json::from_slice(&body).unwrap();
            let changed = s.applied.get(p) != Some(&doc);
            if changed {
                s.rv += 1;
                s.applied.insert(p.to_string(), doc.clone());
                doc["metadata"]["resourceVersion"] = json!(s.rv.to_string());
                s.objects.insert(p.to_string(), doc);
            }
            resp(200, s.objects[p].clone())
        }
        _ => not_found(&path),
    };
    Ok(r)
}

/// A server-side Table of pods, as far as these tests need one (NAME READY STATUS RESTARTS AGE).
fn pod_table(pods: &[Value]) -> Value {
    let rows: Vec<Value> = pods
        .iter()
        .map(|p| {
            let cs = p["status"]["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let ready = cs.iter().filter(|c| c["ready"] == true).count();
            let status = cs
                .iter()
                .find_map(|c| c["state"]["waiting"]["reason"].as_str())
                .or(p["status"]["phase"].as_str())
                .unwrap_or("");
            json!({"cells": [p["metadata"]["name"], format!("{ready}/{}", cs.len()), status, "0", "1s"],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": p["metadata"]}})
        })
        .collect();
    let col = |n: &str| json!({"name": n, "type": "string", "format": "", "description": "", "priority": 0});
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "10"},
        "columnDefinitions": [col("Name"), col("Ready"), col("Status"), col("Restarts"), col("Age")],
        "rows": rows})
}

fn lab(state: &Shared) -> Lab {
    let st = state.clone();
    let svc = tower::service_fn(move |req| handle(st.clone(), req));
    Lab {
        client: Client::new(svc, "default"),
        ctx: ContextInfo {
            name: "labsim".into(),
            cluster: "labsim".into(),
            server: "https://127.0.0.1:1".into(),
        },
        kind: ClusterKind::Labsim,
        version: "v1.33.1".into(),
    }
}

const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: mysql\nspec:\n  clusterIP: None\n  ports:\n  - port: 3306\n";
fn sts(replicas: u32) -> String {
    format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: mysql\nspec:\n  replicas: {replicas}\n  serviceName: mysql\n")
}

fn manifest(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

#[tokio::test]
async fn apply_reports_created_unchanged_configured() {
    let state = Shared::default();
    let lab = lab(&state);
    let m = manifest(&format!("{SVC}---\n{}", sts(3)));
    let path = m.path().to_str().unwrap();
    let r = lab.apply(path).await.unwrap();
    assert_eq!(
        r.to_string(),
        "service/mysql created\nstatefulset.apps/mysql created"
    );
    let r = lab.apply(path).await.unwrap();
    assert_eq!(
        r.to_string(),
        "service/mysql unchanged\nstatefulset.apps/mysql unchanged"
    );
    std::fs::write(m.path(), format!("{SVC}---\n{}", sts(2))).unwrap();
    let r = lab.apply(path).await.unwrap();
    assert_eq!(
        r.to_string(),
        "service/mysql unchanged\nstatefulset.apps/mysql configured"
    );
    let reqs = state.lock().unwrap().requests.clone();
    assert!(
        reqs.iter().any(|r| r
            .starts_with("PATCH /apis/apps/v1/namespaces/default/statefulsets/mysql?")
            && r.contains("fieldManager=kubelab")
            && r.contains("force=true")),
        "{reqs:?}"
    );
}

#[tokio::test]
async fn apply_unknown_kind_is_named() {
    let state = Shared::default();
    let lab = lab(&state);
    for (api, kind) in [("apps/v1", "StatefullSet"), ("example.com/v1", "Widget")] {
        let m = manifest(&format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: x\n"
        ));
        let e = lab.apply(m.path().to_str().unwrap()).await.unwrap_err();
        assert!(
            matches!(
                e,
                crate::Error::Apply(crate::apply::Error::UnknownKind { .. })
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains(kind), "{e}");
    }
}

fn pod(name: &str, uid: &str, ready: bool, waiting: Option<&str>, created: &str) -> Value {
    let state = match waiting {
        Some(r) => json!({"waiting":{"reason":r}}),
        None => json!({"running":{"startedAt":created}}),
    };
    json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name,"namespace":"default","uid":uid,
        "resourceVersion":"5","creationTimestamp":created,"labels":{"app":"mysql"},
        "ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"mysql","uid":"s1"}]},
        "spec":{"containers":[{"name":"mysql","image":"mysql:8.4"}],"nodeName":"minikube-m02"},
        "status":{"phase": if ready {"Running"} else {"Pending"},"podIP":"10.244.0.9",
          "conditions":[{"type":"Ready","status": if ready {"True"} else {"False"},"lastTransitionTime":created}],
          "containerStatuses":[{"name":"mysql","image":"mysql:8.4","imageID":"","ready":ready,"restartCount":0,"state":state}]}})
}

fn sts_object(replicas: i32) -> Value {
    json!({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"mysql","namespace":"default","resourceVersion":"3"},
        "spec":{"replicas":replicas,"serviceName":"mysql","selector":{"matchLabels":{"app":"mysql"}},"template":{}}})
}

/// A server holding StatefulSet `mysql` with 3 replicas and `pods`.
fn server_with_statefulset(pods: Vec<Value>) -> Shared {
    let state = Shared::default();
    {
        let mut s = state.lock().unwrap();
        s.objects.insert(
            "/apis/apps/v1/namespaces/default/statefulsets/mysql".into(),
            sts_object(3),
        );
        s.pods = pods;
    }
    state
}

#[tokio::test]
async fn watch_pods_follows_events_until_all_replicas_ready() {
    let t = "2026-01-01T00:00:00Z";
    let state = server_with_statefulset(vec![pod(
        "mysql-0",
        "u0",
        false,
        Some("ContainerCreating"),
        t,
    )]);
    {
        let mut s = state.lock().unwrap();
        s.pod_watch = vec![
            json!({"type":"MODIFIED","object":pod("mysql-0","u0",true,None,t)}),
            json!({"type":"ADDED","object":pod("mysql-1","u1",false,Some("ContainerCreating"),t)}),
            json!({"type":"MODIFIED","object":pod("mysql-1","u1",true,None,t)}),
            json!({"type":"ADDED","object":pod("mysql-2","u2",false,Some("ContainerCreating"),t)}),
            json!({"type":"MODIFIED","object":pod("mysql-2","u2",true,None,t)}),
        ];
    }
    let lab = lab(&state);
    let r = lab
        .watch_pods("app=mysql", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(r.ready_order(), ["mysql-0", "mysql-1", "mysql-2"]);
    assert!(r.in_ordinal_order());
    // the -w lines are the server's rows, in kubectl's layout: header once, a row per event
    assert_eq!(
        r.lines,
        [
            "NAME      READY   STATUS              RESTARTS   AGE",
            "mysql-0   0/1     ContainerCreating   0          1s",
            "mysql-0   1/1     Running             0          1s",
            "mysql-1   0/1     ContainerCreating   0          1s",
            "mysql-1   1/1     Running             0          1s",
            "mysql-2   0/1     ContainerCreating   0          1s",
            "mysql-2   1/1     Running             0          1s",
        ]
    );
    assert_eq!(r.pods.column("READY"), vec!["1/1", "1/1", "1/1"]);
    assert_eq!(
        r.pods.columns(),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "the server's table"
    );
    let reqs = state.lock().unwrap().requests.clone();
    assert!(
        reqs.iter().any(|q| q.contains("labelSelector=app%3Dmysql")),
        "{reqs:?}"
    );
}

#[tokio::test]
async fn watch_pods_times_out_with_a_diagnosis() {
    let state = server_with_statefulset(vec![pod(
        "mysql-0",
        "u0",
        false,
        Some("ImagePullBackOff"),
        "2026-01-01T00:00:00Z",
    )]);
    {
        let mut s = state.lock().unwrap();
        s.events = vec![
            json!({"metadata":{"name":"e1"},"involvedObject":{"kind":"Pod","name":"mysql-0"},
            "type":"Warning","reason":"Failed","message":"Failed to pull image \"mysql:8.4\"","lastTimestamp":"2026-01-01T00:00:01Z"}),
        ];
    }
    let lab = lab(&state);
    let start = std::time::Instant::now();
    let e = lab
        .watch_pods("app=mysql", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5));
    let m = format!("{e:?}");
    assert!(m.contains("1초 안에 끝나지 않았습니다"), "{m}");
    assert!(
        m.contains("ImagePullBackOff") && m.contains("Failed to pull image"),
        "{m}"
    );
    assert!(m.contains("1/3") && m.contains("OrderedReady"), "{m}");
}

#[tokio::test]
async fn delete_pod_then_wait_ready_wants_a_new_uid() {
    let state = Shared::default();
    let t = "2026-01-01T00:00:00Z";
    state.lock().unwrap().pods = vec![pod("mysql-7", "old-uid", true, None, t)];
    let lab = lab(&state);
    let r = lab.delete_pod("mysql-7").await.unwrap();
    assert_eq!(r.to_string(), "pod \"mysql-7\" deleted");
    {
        // the StatefulSet re-creates it: first the old object reappears in the list (stale), then
        // the new one becomes Ready in the watch
        let mut s = state.lock().unwrap();
        s.pods = vec![pod("mysql-7", "old-uid", true, None, t)];
        s.pod_watch = vec![
            json!({"type":"DELETED","object":pod("mysql-7","old-uid",true,None,t)}),
            json!({"type":"ADDED","object":pod("mysql-7","new-uid",false,Some("ContainerCreating"),t)}),
            json!({"type":"MODIFIED","object":pod("mysql-7","new-uid",true,None,t)}),
        ];
    }
    let ready = lab
        .wait_ready("mysql-7", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(ready.uid, "new-uid");
    assert!(ready.recreated);
    assert_eq!(ready.node, "minikube-m02");
}

#[tokio::test]
async fn missing_pod_lists_the_existing_ones() {
    let state = Shared::default();
    state.lock().unwrap().pods = vec![pod("mysql-0", "a", true, None, "2026-01-01T00:00:00Z")];
    let lab = lab(&state);
    let e = lab.delete_pod("mysql-9").await.unwrap_err();
    let m = e.to_string();
    assert!(m.contains("pod 'mysql-9'") && m.contains("mysql-0"), "{m}");
    let e = lab
        .wait_ready("mysql-9", Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("mysql-9"), "{e}");
}
