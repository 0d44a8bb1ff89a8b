//! exec over WebSocket (`v5.channel.k8s.io` for kubectl, `v4` for kube-rs), served by the
//! kubelet's `PodRuntime`: a read-only builtin answers here; a mapped MariaDB client is started
//! by the kubelet (`kubelet/exec.rs`, pipes or a real pty when `tty=true`) and this handler
//! relays its bytes. Frames: first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 status,
//! 4 resize); v5 clients send `[0xFF, 0x00]` when their stdin ends.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequest, Path, Request, State};
use axum::response::Response;
use serde_json::{json, Value};

use crate::api::channels::{decode, frame, Input};
use crate::api::App;
use crate::api_error::ApiError;
use crate::kubelet::exec::{self, ExecProcess};
use crate::kubelet::process::exit_code;
use crate::kubelet::PodRuntime;
use crate::resources;

/// An exec session may not outlive this (cells and terminals must not hang forever).
const SESSION_MAX: Duration = Duration::from_secs(8 * 3600);

/// The parsed exec query.
#[derive(Debug, Default, PartialEq, Eq, Clone)]
pub struct ExecQuery {
    pub command: Vec<String>,
    pub container: Option<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

impl ExecQuery {
    pub fn parse(q: Option<&str>) -> ExecQuery {
        let mut out = ExecQuery::default();
        let yes = |v: &str| v == "true" || v == "1";
        for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
            match &*k {
                "command" => out.command.push(v.into_owned()),
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

/// The pod's runtime, or the Status a real API server answers when it cannot exec.
// ApiError is the project-wide error (Status); boxing it here alone would not help.
#[allow(clippy::result_large_err)]
pub fn target(
    app: &App,
    ns: &str,
    name: &str,
    container: Option<&str>,
) -> Result<PodRuntime, ApiError> {
    let p = app.store.get(resources::get("Pod"), Some(ns), name)?;
    // The API server picks the container (kubectl sends one when the pod has several).
    let cname = crate::kubelet::pick_container(&p, container).map_err(ApiError::bad_request)?;
    match app.kubelet.runtime_of(ns, name, &cname) {
        // A terminating pod still runs until its server stops, as in a real cluster.
        Some(rt) => Ok(rt),
        None => {
            let status = ["containerStatuses", "initContainerStatuses"]
                .iter()
                .flat_map(|l| p["status"][*l].as_array().into_iter().flatten())
                .find(|s| s["name"] == cname.as_str());
            let waiting = status.map(|s| &s["state"]["waiting"]["reason"]);
            Err(ApiError::bad_request(
                match waiting.and_then(Value::as_str) {
                    Some(r) => {
                        format!("container \"{cname}\" in pod \"{name}\" is waiting to start: {r}")
                    }
                    None => format!("pod {name} is not running"),
                },
            ))
        }
    }
}

/// `GET|POST /api/v1/namespaces/{ns}/pods/{name}/exec?...` (an Upgrade: websocket request).
pub async fn exec(
    State(app): State<App>,
    Path((namespace, pod)): Path<(String, String)>,
    req: Request,
) -> Response {
    let q = ExecQuery::parse(req.uri().query());
    if q.command.is_empty() {
        return crate::api::status_response(&ApiError::bad_request(
            "you must specify at least 1 command",
        ));
    }
    let rt = match target(&app, &namespace, &pod, q.container.as_deref()) {
        Ok(rt) => rt,
        Err(e) => return crate::api::status_response(&e),
    };
    let ws = match upgrade(
        req,
        "labsim serves exec over WebSocket only (v5.channel.k8s.io / v4.channel.k8s.io); SPDY is not supported",
    )
    .await
    {
        Ok(ws) => ws,
        Err(refused) => return refused,
    };
    let ws = ws.protocols(["v5.channel.k8s.io", "v4.channel.k8s.io"]);
    let v5 = ws
        .selected_protocol()
        .is_some_and(|p| p == "v5.channel.k8s.io");
    ws.on_upgrade(move |socket| async move {
        let _ = tokio::time::timeout(SESSION_MAX, session(socket, rt, q, v5)).await;
    })
}

/// Status frame body for an exit code.
pub fn exit_status(code: i32) -> Value {
    if code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({"metadata": {}, "status": "Failure",
            "message": format!("command terminated with non-zero exit code: exit status {code}"),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}})
    }
}

/// The WebSocket upgrade of an exec or port-forward request; a 400 Status saying `refusal` for
/// anything else (kubectl's SPDY fallback).
pub(crate) async fn upgrade(req: Request, refusal: &str) -> Result<WebSocketUpgrade, Response> {
    WebSocketUpgrade::from_request(req, &())
        .await
        .map_err(|_| crate::api::status_response(&ApiError::bad_request(refusal)))
}

async fn finish(socket: &mut WebSocket, code: i32) {
    let _ = socket
        .send(frame(3, exit_status(code).to_string().as_bytes()))
        .await;
    // A normal-closure code: kubectl (gorilla/websocket) reports a close without status (1005)
    // as an error and exits 1 even after a successful command.
    let _ = socket
        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
            code: axum::extract::ws::close_code::NORMAL,
            reason: "".into(),
        })))
        .await;
}

async fn session(mut socket: WebSocket, rt: PodRuntime, q: ExecQuery, v5: bool) {
    let err_ch = if q.tty { 1 } else { 2 };
    // The command runs inside the container (its namespaces entered from the host).
    let code = match rt.spawn_exec(&q.command, q.stdin, q.tty) {
        Ok(process) => relay(&mut socket, process, &q, v5).await,
        Err(e) => {
            let _ = socket
                .send(frame(
                    err_ch,
                    format!("labsim: cannot enter the container: {e}\n").as_bytes(),
                ))
                .await;
            127
        }
    };
    finish(&mut socket, code).await
}

/// Carries an exec process's bytes over the WebSocket until it exits: its output (what the
/// client asked for; everything on a pty) and, until it exits, the client's stdin and resizes.
/// A client that goes away kills the process (137).
async fn relay(socket: &mut WebSocket, process: ExecProcess, q: &ExecQuery, v5: bool) -> i32 {
    let ExecProcess {
        mut child,
        mut output,
        mut stdin,
    } = process;
    let wanted = |ch: u8| {
        q.tty
            || if ch == exec::STDOUT {
                q.stdout
            } else {
                q.stderr
            }
    };
    let mut outputs_open = true;
    let mut exit: Option<i32> = None;
    while exit.is_none() || outputs_open {
        tokio::select! {
            out = output.recv(), if outputs_open => match out {
                Some((ch, data)) => {
                    if wanted(ch) && socket.send(frame(ch, &data)).await.is_err() {
                        exec::kill(&mut child).await;
                        return 137;
                    }
                }
                None => outputs_open = false,
            },
            st = child.wait(), if exit.is_none() => {
                exit = Some(st.map(exit_code).unwrap_or(255));
                if q.tty {
                    // Output still buffered in the pty is read until EIO; don't wait long for it.
                    let drain = async {
                        while let Some((_, data)) = output.recv().await {
                            if socket.send(frame(1, &data)).await.is_err() { break; }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_millis(500), drain).await;
                    outputs_open = false;
                }
            }
            msg = socket.recv(), if exit.is_none() => match decode(msg, v5) {
                Some(Input::Stdin(data)) => stdin.write(&data).await,
                Some(Input::StdinClosed) => stdin.close().await,
                Some(Input::Resize(w, h)) => stdin.resize(w, h),
                Some(Input::Gone) => {
                    exec::kill(&mut child).await;
                    return 137;
                }
                None => {}
            },
        }
    }
    exit.unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_refuse_like_the_api_server() {
        use std::sync::Arc;
        let store = Arc::new(crate::store::Store::in_memory());
        let dir = std::env::temp_dir();
        let app = App {
            kubelet: crate::kubelet::Kubelet::new(store.clone(), dir.clone()),
            store: store.clone(),
            token: "t".into(),
            state_dir: Arc::new(dir),
        };
        store
            .create(
                resources::get("Pod"),
                Some("default"),
                json!({"metadata": {"name": "mysql-0"}, "spec": {"containers": [{"name": "mysql"}]},
                    "status": {"containerStatuses": [{"name": "mysql", "state": {"waiting": {"reason": "ContainerCreating"}}}]}}),
            )
            .unwrap();
        assert_eq!(target(&app, "default", "nope", None).unwrap_err().code, 404);
        let e = target(&app, "default", "mysql-0", Some("web")).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (400, "container web is not valid for pod mysql-0")
        );
        let e = target(&app, "default", "mysql-0", Some("mysql")).unwrap_err();
        assert_eq!(
            e.message,
            "container \"mysql\" in pod \"mysql-0\" is waiting to start: ContainerCreating"
        );
        // Several containers and none named: the API server's 400 naming them
        // (pkg/registry/core/pod/strategy.go `streamLocation`); kubectl itself sends one.
        store
            .create(
                resources::get("Pod"),
                Some("default"),
                json!({"metadata": {"name": "mysql-1"}, "spec": {
                    "initContainers": [{"name": "init-mysql"}, {"name": "clone-mysql"}],
                    "containers": [{"name": "mysql"}, {"name": "xtrabackup"}]},
                    "status": {"containerStatuses": [
                        {"name": "mysql", "state": {"running": {}}},
                        {"name": "xtrabackup", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
            )
            .unwrap();
        let e = target(&app, "default", "mysql-1", None).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (400, "a container name must be specified for pod mysql-1, choose one of: [mysql xtrabackup] or one of the init containers: [init-mysql clone-mysql]")
        );
        let e = target(&app, "default", "mysql-1", Some("xtrabackup")).unwrap_err();
        assert_eq!(
            e.message,
            "container \"xtrabackup\" in pod \"mysql-1\" is waiting to start: CrashLoopBackOff"
        );
    }

    #[test]
    fn query_and_status() {
        let q = ExecQuery::parse(Some("command=mysql&command=-u&command=root&command=-p&container=mysql&stdin=true&stdout=true&tty=true"));
        assert_eq!(q.command, ["mysql", "-u", "root", "-p"]);
        assert!(q.stdin && q.stdout && q.tty && !q.stderr);
        assert_eq!(exit_status(0)["status"], "Success");
        let s = exit_status(126);
        assert_eq!(s["details"]["causes"][0]["message"], "126");
        assert_eq!(s["reason"], "NonZeroExitCode");
    }
}
