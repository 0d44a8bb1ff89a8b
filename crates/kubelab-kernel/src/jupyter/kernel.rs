//! The kernel loop: sockets, handlers, cells run one at a time (see mod.rs).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

use super::message::{Message, Signer};
use crate::cells::{Cells, Output};
use crate::engine::Engine;
use crate::verdict::CellError;

/// The connection file Jupyter writes for a kernel.
#[derive(Debug, Clone)]
pub struct Connection {
    pub ip: String,
    pub transport: String,
    pub key: String,
    pub shell: u16,
    pub iopub: u16,
    pub stdin: u16,
    pub control: u16,
    pub hb: u16,
}

impl Connection {
    pub fn read(path: &str) -> Result<Connection, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let port = |k: &str| {
            v[k].as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or(format!("{path}: no {k}"))
        };
        Ok(Connection {
            ip: v["ip"].as_str().unwrap_or("127.0.0.1").to_string(),
            transport: v["transport"].as_str().unwrap_or("tcp").to_string(),
            key: v["key"].as_str().unwrap_or("").to_string(),
            shell: port("shell_port")?,
            iopub: port("iopub_port")?,
            stdin: port("stdin_port")?,
            control: port("control_port")?,
            hb: port("hb_port")?,
        })
    }

    fn endpoint(&self, port: u16) -> String {
        format!("{}://{}:{}", self.transport, self.ip, port)
    }
}

/// Sends the reply to `m` (a reply that cannot be sent has no one left to read it).
async fn reply<S: SocketSend + Send>(socket: &mut S, m: &Message, content: Value, signer: &Signer) {
    let _ = socket.send(to_zmq(&m.reply(content), signer)).await;
}

/// A new socket of type `S`, bound to `port` of the connection.
async fn bound<S: Socket>(conn: &Connection, port: u16) -> Result<S, String> {
    let mut socket = S::new();
    socket
        .bind(&conn.endpoint(port))
        .await
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

/// Messages bound for IOPub, sent in order by one task.
type Iopub = UnboundedSender<Message>;

/// Streams a running cell's stdout to IOPub under that cell's request.
struct StreamTo {
    iopub: Iopub,
    request: Message,
}

impl Output for StreamTo {
    fn stdout(&self, line: &str) {
        let _ = self.iopub.send(self.request.child(
            "stream",
            json!({"name": "stdout", "text": format!("{line}\n")}),
        ));
    }
}

fn to_zmq(m: &Message, signer: &Signer) -> ZmqMessage {
    ZmqMessage::try_from(m.to_parts(signer)).expect("a message has parts")
}

async fn recv(socket: &mut impl SocketRecv, signer: &Signer) -> Option<Message> {
    loop {
        let raw = socket.recv().await.ok()?;
        match Message::parse(raw.into_vec(), signer) {
            Ok(m) => return Some(m),
            // an unsigned or malformed message is dropped, as the protocol asks
            Err(_) => continue,
        }
    }
}

fn status(iopub: &Iopub, parent: &Message, state: &str) {
    let _ = iopub.send(parent.child("status", json!({"execution_state": state})));
}

fn kernel_info() -> Value {
    json!({
        "status": "ok",
        "protocol_version": "5.3",
        "implementation": "kubelab",
        "implementation_version": env!("CARGO_PKG_VERSION"),
        "language_info": {
            "name": "Rust",
            "version": "",
            "mimetype": "text/rust",
            "file_extension": ".rs",
            "pygments_lexer": "rust",
            "codemirror_mode": "rust",
        },
        "banner": "kubelab: StatefulSet 실습 커널 (evcxr + kubelab)",
        "help_links": [],
    })
}

/// The error output of a failed cell: Korean name and message, the lines in red.
fn error_content(e: &CellError) -> Value {
    let mut traceback = vec![format!("\x1b[1;31m{}\x1b[0m", e.error.name())];
    traceback.extend(e.lines.iter().map(|l| format!("\x1b[31m{l}\x1b[0m")));
    json!({"ename": e.error.name(), "evalue": e.error.message(), "traceback": traceback})
}

/// Runs the kernel until a shutdown request (or until Jupyter goes away).
pub async fn run(
    conn: Connection,
    starting: tokio::task::JoinHandle<Result<Cells, String>>,
    engine: Arc<Engine>,
) -> Result<(), String> {
    let signer = Signer::new(&conn.key);
    let mut shell: zeromq::RouterSocket = bound(&conn, conn.shell).await?;
    let mut control: zeromq::RouterSocket = bound(&conn, conn.control).await?;
    let mut stdin: zeromq::RouterSocket = bound(&conn, conn.stdin).await?;
    let mut iopub_socket: zeromq::PubSocket = bound(&conn, conn.iopub).await?;
    let mut hb: zeromq::RepSocket = bound(&conn, conn.hb).await?;

    // Heartbeat: echo.
    tokio::spawn(async move {
        while let Ok(m) = hb.recv().await {
            if hb.send(m).await.is_err() {
                break;
            }
        }
    });
    // IOPub: one task sends every message in the order it was queued.
    let (iopub, mut iopub_rx) = unbounded_channel::<Message>();
    let s = signer.clone();
    tokio::spawn(async move {
        while let Some(m) = iopub_rx.recv().await {
            let _ = iopub_socket.send(to_zmq(&m, &s)).await;
        }
    });
    // stdin: bound so clients can connect; kubelab never asks for input (no cell may wait on a
    // prompt), so nothing is ever read from it.
    tokio::spawn(async move { while stdin.recv().await.is_ok() {} });

    // evcxr loads kubelab in the background; cells wait for it, kernel_info does not.
    let (ready_tx, ready) = tokio::sync::watch::channel::<Option<Ready>>(None);
    tokio::spawn(async move {
        let r = match starting.await {
            Ok(Ok(c)) => Ok(Arc::new(Mutex::new(c))),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(e.to_string()),
        };
        let _ = ready_tx.send(Some(r));
    });

    // Control: interrupt and shutdown, answered even while a cell runs.
    let (shutdown_tx, mut shutdown_rx) = tokio::sync::watch::channel(false);
    {
        let (signer, iopub, engine, ready) =
            (signer.clone(), iopub.clone(), engine.clone(), ready.clone());
        tokio::spawn(async move {
            while let Some(m) = recv(&mut control, &signer).await {
                status(&iopub, &m, "busy");
                match m.msg_type() {
                    "interrupt_request" => {
                        // A kubelab call is aborted (the cell gets a Korean failure and keeps its
                        // variables); a cell stuck in its own code loses the runner, as in evcxr.
                        let loaded = ready.borrow().clone().and_then(Result::ok);
                        if !engine.interrupt() {
                            if let Some(cells) = loaded {
                                // not through the cells' lock: the running cell holds it
                                let process = cells.lock().map(|c| c.process()).ok();
                                if let Some(p) = process {
                                    let _ = p.lock().unwrap_or_else(|e| e.into_inner()).kill();
                                }
                            }
                        }
                        reply(&mut control, &m, json!({"status": "ok"}), &signer).await;
                    }
                    "shutdown_request" => {
                        let restart = m.content["restart"].as_bool().unwrap_or(false);
                        let content = json!({"status": "ok", "restart": restart});
                        reply(&mut control, &m, content, &signer).await;
                        status(&iopub, &m, "idle");
                        let _ = shutdown_tx.send(true);
                        return;
                    }
                    "kernel_info_request" => {
                        reply(&mut control, &m, kernel_info(), &signer).await;
                    }
                    _ => {}
                }
                status(&iopub, &m, "idle");
            }
        });
    }

    let mut count: u64 = 0;
    loop {
        let m = tokio::select! {
            m = recv(&mut shell, &signer) => match m { Some(m) => m, None => break },
            _ = shutdown_rx.changed() => break,
        };
        status(&iopub, &m, "busy");
        let reply = match m.msg_type() {
            "kernel_info_request" => kernel_info(),
            "execute_request" => {
                let (content, failed) = execute(&m, &ready, &iopub, &mut count).await;
                if failed && m.content["stop_on_error"].as_bool().unwrap_or(true) {
                    // reply first, then abort what Run All queued behind the failed cell
                    reply(&mut shell, &m, content, &signer).await;
                    status(&iopub, &m, "idle");
                    abort_queued(&mut shell, &signer, &iopub).await;
                    continue;
                }
                content
            }
            "is_complete_request" => json!({"status": "complete"}),
            "complete_request" => complete(&m, &ready).await,
            "inspect_request" => {
                json!({"status": "ok", "found": false, "data": {}, "metadata": {}})
            }
            "comm_info_request" => json!({"status": "ok", "comms": {}}),
            "history_request" => json!({"status": "ok", "history": []}),
            "shutdown_request" => {
                let content = json!({"status": "ok", "restart": false});
                reply(&mut shell, &m, content, &signer).await;
                status(&iopub, &m, "idle");
                break;
            }
            _ => {
                status(&iopub, &m, "idle");
                continue;
            }
        };
        self::reply(&mut shell, &m, reply, &signer).await;
        status(&iopub, &m, "idle");
    }
    // Let IOPub deliver the last idle before the process goes; the runner goes with the kernel.
    tokio::time::sleep(Duration::from_millis(50)).await;
    if let Some(Ok(cells)) = ready.borrow().clone() {
        if let Ok(c) = cells.try_lock() {
            let _ = c.process().lock().map(|mut p| p.kill());
        }
    }
    Ok(())
}

/// The cell runner once evcxr has loaded kubelab, or why it could not.
type Ready = Result<Arc<Mutex<Cells>>, String>;

async fn loaded(ready: &tokio::sync::watch::Receiver<Option<Ready>>) -> Ready {
    let mut rx = ready.clone();
    let loaded = match rx.wait_for(Option::is_some).await {
        Ok(v) => v.clone(),
        Err(_) => None,
    };
    loaded.unwrap_or_else(|| Err("kubelab을 불러오지 못했습니다".into()))
}

/// Runs one execute_request; returns the reply content and whether the cell failed.
async fn execute(
    m: &Message,
    ready: &tokio::sync::watch::Receiver<Option<Ready>>,
    iopub: &Iopub,
    count: &mut u64,
) -> (Value, bool) {
    let code = m.content["code"].as_str().unwrap_or("").to_string();
    let silent = m.content["silent"].as_bool().unwrap_or(false);
    if !silent {
        *count += 1;
    }
    let n = *count;
    let _ = iopub.send(m.child("execute_input", json!({"code": code, "execution_count": n})));
    let output: Arc<dyn Output> = Arc::new(StreamTo {
        iopub: iopub.clone(),
        request: m.clone(),
    });
    let cells = match loaded(ready).await {
        Ok(c) => c,
        Err(why) => {
            let e = CellError::new(
                "커널 준비 실패",
                format!(
                    "kubelab을 불러오지 못했습니다: {why}\n→ 터미널에서 make setup 을 실행한 뒤 커널을 다시 시작하세요."
                ),
                vec![why],
            );
            let content = error_content(&e);
            let _ = iopub.send(m.child("error", content.clone()));
            let mut reply = content;
            reply["status"] = json!("error");
            reply["execution_count"] = json!(n);
            return (reply, true);
        }
    };
    let outcome = tokio::task::spawn_blocking(move || {
        cells
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .run(&code, Some(output))
    })
    .await
    .unwrap_or_default();
    if let Some(e) = &outcome.error {
        let content = error_content(e);
        let _ = iopub.send(m.child("error", content.clone()));
        let mut reply = content;
        reply["status"] = json!("error");
        reply["execution_count"] = json!(n);
        return (reply, true);
    }
    let data: serde_json::Map<String, Value> = outcome
        .data
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    if !data.is_empty() && !silent {
        let _ = iopub.send(m.child(
            "execute_result",
            json!({"execution_count": n, "data": data, "metadata": {}}),
        ));
    }
    (
        json!({"status": "ok", "execution_count": n, "user_expressions": {}}),
        false,
    )
}

/// Answers "aborted" to the execute requests already queued (Run All after a failed cell).
async fn abort_queued(shell: &mut zeromq::RouterSocket, signer: &Signer, iopub: &Iopub) {
    // The front end sends Run All's requests at once; they are all here within a moment.
    while let Ok(Some(m)) =
        tokio::time::timeout(Duration::from_millis(200), recv(shell, signer)).await
    {
        status(iopub, &m, "busy");
        let content = if m.msg_type() == "execute_request" {
            // no count: the cell did not run, and JupyterLab shows the count it is given
            json!({"status": "aborted", "execution_count": null})
        } else if m.msg_type() == "kernel_info_request" {
            kernel_info()
        } else {
            json!({"status": "ok"})
        };
        reply(shell, &m, content, signer).await;
        status(iopub, &m, "idle");
    }
}

async fn complete(m: &Message, ready: &tokio::sync::watch::Receiver<Option<Ready>>) -> Value {
    let code = m.content["code"].as_str().unwrap_or("").to_string();
    let pos = m.content["cursor_pos"].as_u64().unwrap_or(0) as usize;
    let Ok(cells) = loaded(ready).await else {
        return json!({"status": "ok", "matches": [], "cursor_start": pos, "cursor_end": pos, "metadata": {}});
    };
    let r = tokio::task::spawn_blocking(move || {
        cells
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .complete(&code, pos)
    })
    .await
    .ok()
    .flatten();
    match r {
        Some((start, end, matches)) => json!({
            "status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end, "metadata": {}
        }),
        None => {
            json!({"status": "ok", "matches": [], "cursor_start": pos, "cursor_end": pos, "metadata": {}})
        }
    }
}
