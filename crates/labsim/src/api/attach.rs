//! `kubectl attach` and `kubectl run -i [-t]`: `GET|POST .../pods/NAME/attach?container=&stdin=&stdout=&stderr=&tty=`
//! over WebSocket (`v5.channel.k8s.io`, kubectl ≥ 1.30's default; `v4` for other clients), served
//! from the kubelet's attachable container (`kubelet/attach.rs`): the container's output from
//! the moment of attach on channels 1 and 2, the client's stdin (channel 0) into the container's
//! when both asked for it, until the container exits or the client goes; then a `Success` status
//! on channel 3, as the kubelet's `remotecommand.ServeAttach` writes (attach reports no exit
//! code: `kubectl run` reads it from the pod's status).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequest, Path, Request, State};
use axum::response::Response;
use serde_json::{json, Value};

use crate::api::channels::{decode, frame, Input};
use crate::api::App;
use crate::api_error::ApiError;
use crate::kubelet::attach::{self, Attachable, Session};
use crate::resources;

/// A session may not outlive this.
const SESSION_MAX: Duration = Duration::from_secs(8 * 3600);

/// The attach query (`PodAttachOptions`; the kubelet reads "1", clients send "true").
#[derive(Debug, Default, PartialEq, Eq, Clone)]
pub struct AttachQuery {
    pub container: Option<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl AttachQuery {
    pub fn parse(q: Option<&str>) -> AttachQuery {
        let mut out = AttachQuery::default();
        let yes = |v: &str| v == "true" || v == "1";
        for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
            match &*k {
                "container" => out.container = Some(v.into_owned()).filter(|c| !c.is_empty()),
                "stdin" => out.stdin = yes(&v),
                "stdout" => out.stdout = yes(&v),
                "stderr" => out.stderr = yes(&v),
                "tty" => out.tty = yes(&v),
                _ => {}
            }
        }
        out
    }
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect()
}

/// The container to attach to and its attachable process, or the Status the API server (and
/// the kubelet behind it) answers.
// ApiError is the project-wide error (Status); boxing it here alone would not help.
#[allow(clippy::result_large_err)]
pub fn target(
    app: &App,
    ns: &str,
    name: &str,
    q: &AttachQuery,
) -> Result<Arc<Attachable>, ApiError> {
    let p = app.store.get(resources::get("Pod"), Some(ns), name)?;
    let spec = &p["spec"];
    let containers = names(&spec["containers"]);
    let inits = names(&spec["initContainers"]);
    let ephemeral = names(&spec["ephemeralContainers"]);
    // kubernetes pkg/registry/core/pod/strategy.go streamLocation: the container, defaulted
    // when the pod has one.
    let cname = match q.container.as_deref() {
        Some(c) => {
            if !containers.contains(&c) && !inits.contains(&c) && !ephemeral.contains(&c) {
                return Err(ApiError::bad_request(format!(
                    "container {c} is not valid for pod {name}"
                )));
            }
            c.to_string()
        }
        None => match containers.as_slice() {
            [one] => one.to_string(),
            [] => {
                return Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {name}"
                )))
            }
            many => {
                let mut msg = format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    many.join(" ")
                );
                if !inits.is_empty() {
                    msg.push_str(&format!(
                        " or one of the init containers: [{}]",
                        inits.join(" ")
                    ));
                }
                return Err(ApiError::bad_request(msg));
            }
        },
    };
    if spec["nodeName"].as_str().unwrap_or("").is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    // kubelet pkg/kubelet/cri/streaming/remotecommand NewOptions.
    if !q.stdin && !q.stdout && !q.stderr {
        return Err(ApiError::bad_request(
            "you must specify at least 1 of stdin, stdout, stderr",
        ));
    }
    let uid = p["metadata"]["uid"].as_str().unwrap_or("");
    let Some(att) = attach::lookup(uid, &cname) else {
        let statuses = p["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .chain(p["status"]["initContainerStatuses"].as_array())
            .flatten();
        let status = statuses
            .into_iter()
            .find(|s| s["name"] == cname.as_str())
            .cloned()
            .unwrap_or(Value::Null);
        let msg = if let Some(r) = status["state"]["waiting"]["reason"].as_str() {
            format!("container \"{cname}\" in pod \"{name}\" is waiting to start: {r}")
        } else if status["state"]["terminated"].is_object() {
            // containerd's criService.Attach for a container that is not running.
            "container is in CONTAINER_EXITED state".to_string()
        } else {
            format!("pod {name} is not running")
        };
        return Err(ApiError::bad_request(msg));
    };
    Ok(att)
}

/// `GET|POST /api/v1/namespaces/{ns}/pods/{name}/attach?...` (an Upgrade: websocket request).
pub async fn attach(
    State(app): State<App>,
    Path((namespace, pod)): Path<(String, String)>,
    req: Request,
) -> Response {
    let q = AttachQuery::parse(req.uri().query());
    let att = match target(&app, &namespace, &pod, &q) {
        Ok(a) => a,
        Err(e) => return crate::api::status_response(&e),
    };
    let ws = match WebSocketUpgrade::from_request(req, &()).await {
        Ok(ws) => ws,
        // kubectl falls back to SPDY on a failed upgrade; this answer ends it clearly.
        Err(_) => {
            return crate::api::status_response(&ApiError::bad_request(
                "labsim serves attach over WebSocket only (v5.channel.k8s.io / v4.channel.k8s.io); SPDY is not supported",
            ))
        }
    };
    let ws = ws.protocols(["v5.channel.k8s.io", "v4.channel.k8s.io"]);
    let v5 = ws
        .selected_protocol()
        .is_some_and(|p| p == "v5.channel.k8s.io");
    ws.on_upgrade(move |socket| async move {
        let _ = tokio::time::timeout(SESSION_MAX, session(socket, att, q, v5)).await;
    })
}

async fn session(mut socket: WebSocket, att: Arc<Attachable>, q: AttachQuery, v5: bool) {
    let Some(Session { replay, mut output }) = att.attach() else {
        // Exited between the check and the upgrade: nothing more to stream.
        return finish(&mut socket).await;
    };
    // The container's TTY decides, not the request's (kubelet GetAttach): a terminal has one
    // stream, on stdout.
    let wanted = |ch: u8| {
        if ch == attach::STDOUT {
            q.stdout
        } else {
            q.stderr && !att.tty
        }
    };
    for (ch, data) in replay {
        if wanted(ch) && socket.send(frame(ch, &data)).await.is_err() {
            return client_gone(&att, q.stdin);
        }
    }
    // containerd copies stdin only when both the session and the container have it.
    let mut stdin = q.stdin && att.has_stdin();
    loop {
        tokio::select! {
            out = output.recv() => match out {
                Some((ch, data)) => {
                    if wanted(ch) && socket.send(frame(ch, &data)).await.is_err() {
                        return client_gone(&att, stdin);
                    }
                }
                None => break,
            },
            msg = socket.recv() => match decode(msg, v5) {
                Some(Input::Stdin(data)) if stdin => {
                    let a = att.clone();
                    let _ = tokio::task::spawn_blocking(move || a.write_stdin(&data)).await;
                }
                Some(Input::StdinClosed) if stdin => {
                    stdin = false;
                    // Only stdinOnce without a TTY closes the container's stdin; otherwise
                    // containerd ends the session's output with its stdin.
                    if att.tty || !att.stdin_ended() {
                        break;
                    }
                }
                Some(Input::Resize(w, h)) => att.resize(w, h),
                Some(Input::Gone) => return client_gone(&att, stdin),
                _ => {}
            },
        }
    }
    finish(&mut socket).await
}

/// The client went away: its stdin ended with it (closing the container's with stdinOnce and
/// no TTY).
fn client_gone(att: &Attachable, had_stdin: bool) {
    if had_stdin && !att.tty {
        att.stdin_ended();
    }
}

async fn finish(socket: &mut WebSocket) {
    let ok = json!({"metadata": {}, "status": "Success"});
    let _ = socket.send(frame(3, ok.to_string().as_bytes())).await;
    // A normal closure: kubectl reports a close without status (1005) as an error.
    let _ = socket
        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
            code: axum::extract::ws::close_code::NORMAL,
            reason: "".into(),
        })))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_refusals_follow_the_api_server() {
        use std::sync::Arc;
        let q = AttachQuery::parse(Some("container=c&stdin=true&stdout=1&stderr=true"));
        assert_eq!(q.container.as_deref(), Some("c"));
        assert!(q.stdin && q.stdout && q.stderr && !q.tty);
        let store = Arc::new(crate::store::Store::in_memory());
        let dir = std::env::temp_dir();
        let app = App {
            kubelet: crate::kubelet::Kubelet::new(store.clone(), dir.clone()),
            store: store.clone(),
            token: "t".into(),
            state_dir: Arc::new(dir),
        };
        let pod = |name: &str, node: &str, containers: Value, status: Value| {
            store
                .create(
                    resources::get("Pod"),
                    Some("default"),
                    json!({"metadata": {"name": name},
                        "spec": {"nodeName": node, "containers": containers,
                            "initContainers": [{"name": "init"}]},
                        "status": status}),
                )
                .unwrap();
        };
        pod(
            "one",
            "minikube",
            json!([{"name": "c"}]),
            json!({"containerStatuses": [{"name": "c",
                "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
        );
        pod(
            "two",
            "minikube",
            json!([{"name": "a"}, {"name": "b"}]),
            json!({}),
        );
        pod("lost", "", json!([{"name": "c"}]), json!({}));
        pod(
            "done",
            "minikube",
            json!([{"name": "c"}]),
            json!({"containerStatuses": [{"name": "c", "state": {"terminated": {"exitCode": 0}}}]}),
        );
        let all = AttachQuery {
            stdout: true,
            stderr: true,
            ..Default::default()
        };
        let err = |name: &str, q: &AttachQuery| target(&app, "default", name, q).unwrap_err();
        assert_eq!(err("nope", &all).code, 404);
        let e = err(
            "one",
            &AttachQuery {
                container: Some("web".into()),
                ..all.clone()
            },
        );
        assert_eq!(
            (e.code, e.message.as_str()),
            (400, "container web is not valid for pod one")
        );
        assert_eq!(
            err("two", &all).message,
            "a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]"
        );
        assert_eq!(
            err("lost", &all).message,
            "pod lost does not have a host assigned"
        );
        assert_eq!(
            err("one", &AttachQuery::default()).message,
            "you must specify at least 1 of stdin, stdout, stderr"
        );
        assert_eq!(
            err("one", &all).message,
            "container \"c\" in pod \"one\" is waiting to start: ContainerCreating"
        );
        assert_eq!(
            err("done", &all).message,
            "container is in CONTAINER_EXITED state"
        );
    }
}
