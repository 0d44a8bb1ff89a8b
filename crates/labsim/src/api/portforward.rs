//! port-forward, in the three forms clients speak:
//!
//! - **SPDY over WebSocket** (kubectl ≥ 1.31 tries it first): `GET .../portforward` with
//!   `Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io`; the binary messages carry a SPDY/3.1
//!   byte stream (split anywhere, one frame may span many messages).
//! - **SPDY upgrade** (kubectl's fallback): `POST .../portforward` with `Upgrade: SPDY/3.1` and
//!   `X-Stream-Protocol-Version: portforward.k8s.io`, answered 101 with the same headers.
//! - **WebSocket v4 channels** (kube-rs): `?ports=3306`; for port index i the server first sends
//!   `[2i, lo, hi]` on the data channel and `[2i+1, lo, hi]` on the error channel, then bridges
//!   `[2i] + bytes` both ways.
//!
//! The SPDY protocol is the kubelet's: for every local connection the client opens an `error`
//! stream and a `data` stream with headers `streamType`, `port`, `requestID`; once both are there
//! labsim dials the pod's port (3306 → `PodRuntime::mysql_port`, looked up for every connection)
//! and copies bytes; a failure is written on the error stream. Both streams end with FIN. The
//! session ends (GOAWAY) when the client leaves, labsim shuts down, or the pod (this UID) is gone,
//! which kubectl reports as "lost connection to pod".

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::api::spdy::{self, Frame, FrameReader, FrameWriter, Headers};
use crate::api::App;
use crate::api_error::ApiError;
use crate::resources;
use crate::shutdown::Shutdown;
use crate::store::ChangeType;

/// The port-forward protocol name (SPDY upgrade and, prefixed, the WebSocket tunnel).
pub const PORTFORWARD_V1: &str = "portforward.k8s.io";
/// The WebSocket subprotocol of the SPDY tunnel.
pub const SPDY_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";
/// A stream pair not completed within this is dropped (the kubelet's stream creation timeout).
const STREAM_CREATION_TIMEOUT: Duration = Duration::from_secs(30);
/// How long dialling the pod's port may take.
const DIAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// After one direction of a forwarded connection ends, the other gets this long (as containerd).
const LINGER: Duration = Duration::from_secs(1);

/// Parses `ports=3306,3307&ports=80` (Kubernetes accepts both forms).
// ApiError is the project-wide error (Status); boxing it here alone would not help.
#[allow(clippy::result_large_err)]
pub fn parse_ports(q: Option<&str>) -> Result<Vec<u16>, ApiError> {
    let mut out = Vec::new();
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
        if k == "ports" {
            for p in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match p.parse::<u16>() {
                    Ok(n) if n > 0 => out.push(n),
                    _ => return Err(ApiError::bad_request(format!("invalid port {p:?}"))),
                }
            }
        }
    }
    if out.is_empty() {
        return Err(ApiError::bad_request("at least 1 port must be specified"));
    }
    Ok(out)
}

/// The pod a session forwards to. Every forwarded connection dials anew, so a restarted
/// server is reached and a pod replaced by a namesake (another UID) is not.
#[derive(Clone)]
struct PodTarget {
    app: App,
    namespace: String,
    name: String,
    uid: String,
}

impl PodTarget {
    /// A connection to `port` inside the pod, or the message the kubelet writes on the error
    /// stream.
    async fn connect(&self, port: u16) -> Result<TcpStream, String> {
        let fail = |why: String| {
            format!(
                "error forwarding port {port} to pod {}, uid {}: {why}",
                self.name, self.uid
            )
        };
        let refused = || {
            fail(format!(
                "failed to connect to localhost:{port} inside the pod: dial tcp4 127.0.0.1:{port}: connect: connection refused"
            ))
        };
        if !self.alive() {
            return Err(fail(format!("pod \"{}\" not found", self.name)));
        }
        let Some(rt) = self.app.kubelet.runtime(&self.namespace, &self.name) else {
            return Err(refused());
        };
        let conn = match &rt.pod_net {
            // The pod's own loopback, in its network namespace (as the kubelet's port-forward).
            Some(pod) => pod.dial_local(port, DIAL_TIMEOUT).await,
            // Not wired into the pod network: only the MySQL port is served, on the host.
            None if port == 3306 => TcpStream::connect(("127.0.0.1", rt.mysql_port)).await,
            None => return Err(refused()),
        };
        match conn {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                Ok(s)
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(refused()),
            Err(e) => Err(fail(format!(
                "failed to connect to localhost:{port} inside the pod: {e}"
            ))),
        }
    }

    /// The pod still exists with this UID.
    fn alive(&self) -> bool {
        self.app
            .store
            .get(resources::get("Pod"), Some(&self.namespace), &self.name)
            .is_ok_and(|p| p["metadata"]["uid"].as_str() == Some(self.uid.as_str()))
    }

    /// Resolves when the pod is deleted or replaced.
    async fn gone(&self) {
        let mut changes = self.app.store.subscribe();
        let key = resources::get("Pod").key();
        loop {
            match changes.recv().await {
                Ok(c) => {
                    if c.key.resource == key
                        && c.key.namespace == self.namespace
                        && c.key.name == self.name
                        && (c.kind == ChangeType::Deleted
                            || c.object["metadata"]["uid"].as_str() != Some(self.uid.as_str()))
                    {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if !self.alive() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return std::future::pending().await
                }
            }
        }
    }
}

fn header_has(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .unwrap_or("")
            .split(',')
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    })
}

/// `Connection: Upgrade` + `Upgrade: SPDY/3.1`.
fn wants_spdy(headers: &HeaderMap) -> bool {
    header_has(headers, header::CONNECTION, "upgrade")
        && header_has(headers, header::UPGRADE, "SPDY/3.1")
}

/// `GET|POST /api/v1/namespaces/{ns}/pods/{name}/portforward`.
pub async fn portforward(
    State(app): State<App>,
    Path((namespace, pod)): Path<(String, String)>,
    req: Request,
) -> Response {
    let query = req.uri().query().map(str::to_string);
    let obj = match app.store.get(resources::get("Pod"), Some(&namespace), &pod) {
        Ok(p) => p,
        Err(e) => return crate::api::status_response(&e),
    };
    if obj["spec"]["nodeName"].as_str().unwrap_or("").is_empty() {
        return crate::api::status_response(&ApiError::bad_request(format!(
            "pod {pod} does not have a host assigned"
        )));
    }
    let target = PodTarget {
        app: app.clone(),
        namespace: namespace.clone(),
        name: pod.clone(),
        uid: obj["metadata"]["uid"].as_str().unwrap_or("").to_string(),
    };
    let shutdown = req.extensions().get::<Shutdown>().cloned();
    if wants_spdy(req.headers()) {
        return spdy_upgrade(target, req, shutdown);
    }
    let ws = match crate::api::exec::upgrade(
        req,
        "port-forward needs an upgrade: WebSocket (SPDY/3.1+portforward.k8s.io or v4.channel.k8s.io) or SPDY/3.1",
    )
    .await
    {
        Ok(ws) => ws,
        Err(refused) => return refused,
    };
    let ws = ws.protocols([SPDY_TUNNEL, "v4.channel.k8s.io", PORTFORWARD_V1]);
    if ws.selected_protocol().is_some_and(|p| p == SPDY_TUNNEL) {
        return ws.on_upgrade(move |socket| spdy_over_websocket(socket, target, shutdown));
    }
    // The channel protocol names its ports in the query and wants a running pod now.
    let ports = match parse_ports(query.as_deref()) {
        Ok(p) => p,
        Err(e) => return crate::api::status_response(&e),
    };
    if let Err(e) = crate::api::exec::target(&app, &namespace, &pod, None) {
        return crate::api::status_response(&e);
    }
    ws.on_upgrade(move |socket| channel_session(socket, ports, target))
}

/// The SPDY upgrade handshake (`httpstream.Handshake` + the SPDY response upgrader).
fn spdy_upgrade(target: PodTarget, mut req: Request, shutdown: Option<Shutdown>) -> Response {
    let offered: Vec<String> = req
        .headers()
        .get_all("x-stream-protocol-version")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("").split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if offered.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "unable to upgrade: X-Stream-Protocol-Version is required",
        )
            .into_response();
    }
    if !offered.iter().any(|p| p == PORTFORWARD_V1) {
        return (
            StatusCode::FORBIDDEN,
            [("x-accepted-stream-protocol-versions", PORTFORWARD_V1)],
            format!(
                "unable to upgrade: unable to negotiate protocol: client supports {offered:?}, server accepts [\"{PORTFORWARD_V1}\"]"
            ),
        )
            .into_response();
    }
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let (r, w) = tokio::io::split(hyper_util::rt::TokioIo::new(upgraded));
                run_spdy(target, r, w, shutdown).await;
            }
            Err(e) => tracing::debug!("port-forward SPDY upgrade failed: {e}"),
        }
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "Upgrade")
        .header(header::UPGRADE, "SPDY/3.1")
        .header("X-Stream-Protocol-Version", PORTFORWARD_V1)
        .body(Body::empty())
        .expect("static response parts")
}

/// Runs a SPDY session over the byte stream the WebSocket's binary messages carry.
async fn spdy_over_websocket(socket: WebSocket, target: PodTarget, shutdown: Option<Shutdown>) {
    let (mut ws_tx, mut ws_rx) = socket.split();
    let (session_io, bridge_io) = tokio::io::duplex(64 * 1024);
    let (mut from_bridge, mut to_bridge) = tokio::io::split(bridge_io);
    // WebSocket → session. Separate tasks per direction: neither may wait on the other.
    let inbound = tokio::spawn(async move {
        while let Some(Ok(msg)) = ws_rx.next().await {
            match msg {
                Message::Binary(b) if to_bridge.write_all(&b).await.is_err() => break,
                Message::Close(_) => break,
                _ => {}
            }
        }
        let _ = to_bridge.shutdown().await;
    });
    // Session → WebSocket, then a normal close (gorilla reports 1005 as an error).
    let outbound = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from_bridge.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let msg = Message::Binary(Bytes::copy_from_slice(&buf[..n]));
                    if ws_tx.send(msg).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = ws_tx
            .send(Message::Close(Some(CloseFrame {
                code: axum::extract::ws::close_code::NORMAL,
                reason: "".into(),
            })))
            .await;
    });
    let (r, w) = tokio::io::split(session_io);
    run_spdy(target, r, w, shutdown).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), outbound).await;
    inbound.abort();
}

/// What a client stream is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Data,
    Error,
}

/// A client data stream: where its bytes go, and the connection task serving it.
struct DataStream {
    to_pod: Option<mpsc::Sender<Bytes>>,
    task: Option<AbortHandle>,
}

/// The two streams of one forwarded connection, while they are being opened.
struct Pair {
    port: u16,
    data: Option<(u32, mpsc::Receiver<Bytes>)>,
    error: Option<u32>,
    since: Instant,
}

struct Session {
    target: PodTarget,
    out: mpsc::Sender<Frame>,
    data_streams: HashMap<u32, DataStream>,
    pairs: HashMap<String, Pair>,
    tasks: JoinSet<()>,
    last_stream: u32,
}

/// Serves one SPDY port-forward connection until it ends.
async fn run_spdy<R, W>(target: PodTarget, reader: R, writer: W, shutdown: Option<Shutdown>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (out, mut rx) = mpsc::channel::<Frame>(64);
    let writer = tokio::spawn(async move {
        let mut w = FrameWriter::new(writer);
        while let Some(f) = rx.recv().await {
            if w.write(&f).await.is_err() {
                break;
            }
        }
        w.shutdown().await;
    });
    // Frames are read in their own task: a read cut off by another select branch would lose
    // the bytes already taken from a half-read frame.
    let (frames_tx, mut frames) = mpsc::channel::<Result<Frame, spdy::SpdyError>>(16);
    let reading = tokio::spawn(async move {
        let mut r = FrameReader::new(reader);
        loop {
            let next = r.next().await.transpose();
            let last = !matches!(next, Some(Ok(_)));
            if let Some(f) = next {
                if frames_tx.send(f).await.is_err() {
                    break;
                }
            }
            if last {
                break;
            }
        }
    });
    let mut s = Session {
        target: target.clone(),
        out,
        data_streams: HashMap::new(),
        pairs: HashMap::new(),
        tasks: JoinSet::new(),
        last_stream: 0,
    };
    let shutdown_wait = async {
        match &shutdown {
            Some(s) => s.wait().await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(shutdown_wait);
    let gone = target.gone();
    tokio::pin!(gone);
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let goaway = loop {
        tokio::select! {
            f = frames.recv() => match f {
                Some(Ok(f)) => {
                    if !s.handle(f).await {
                        break None;
                    }
                }
                None => break None,
                Some(Err(e)) => {
                    tracing::debug!("port-forward to {}: {e}", target.name);
                    break Some(spdy::GOAWAY_PROTOCOL_ERROR);
                }
            },
            _ = &mut shutdown_wait => break Some(spdy::GOAWAY_OK),
            _ = &mut gone => {
                tracing::info!("port-forward to pod {}/{} ends: the pod is gone", target.namespace, target.name);
                break Some(spdy::GOAWAY_OK);
            }
            _ = tick.tick() => s.expire_pairs().await,
        }
        while s.tasks.try_join_next().is_some() {}
    };
    if let Some(status) = goaway {
        let _ = s
            .out
            .send(Frame::GoAway {
                last_good: s.last_stream,
                status,
            })
            .await;
    }
    reading.abort();
    s.tasks.abort_all();
    drop(s);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
}

impl Session {
    async fn send(&self, f: Frame) {
        let _ = self.out.send(f).await;
    }

    /// Handles one client frame; false when the session is over.
    async fn handle(&mut self, f: Frame) -> bool {
        match f {
            Frame::SynStream {
                stream, headers, ..
            } => self.open(stream, &headers).await,
            Frame::Data {
                stream,
                flags,
                data,
            } => {
                if let Some(ds) = self.data_streams.get_mut(&stream) {
                    if let (false, Some(tx)) = (data.is_empty(), &ds.to_pod) {
                        let sent = if ds.task.is_some() {
                            tx.send(data).await.is_ok()
                        } else {
                            // Unpaired yet (kubectl opens the error stream first): buffer a
                            // little, never block the session on a stream that may stay alone.
                            tx.try_send(data).is_ok()
                        };
                        if !sent {
                            ds.to_pod = None;
                        }
                    }
                }
                if flags & spdy::FLAG_FIN != 0 {
                    // The client is done sending: dropping the sender half-closes the pod
                    // connection once the bytes before it are written (or, unpaired yet, as
                    // soon as the connection opens).
                    self.data_streams.remove(&stream);
                }
            }
            Frame::RstStream { stream, .. } => {
                if let Some(ds) = self.data_streams.remove(&stream) {
                    if let Some(t) = ds.task {
                        t.abort();
                    }
                }
            }
            Frame::Ping(id) => self.send(Frame::Ping(id)).await,
            Frame::GoAway { .. } => return false,
            Frame::SynReply { .. }
            | Frame::Headers { .. }
            | Frame::Settings
            | Frame::WindowUpdate { .. }
            | Frame::Unknown(_) => {}
        }
        true
    }

    /// A new client stream: checked as the kubelet does, replied to, paired by request ID.
    async fn open(&mut self, stream: u32, headers: &Headers) {
        self.last_stream = self.last_stream.max(stream);
        let port = spdy::header(headers, "port")
            .and_then(|p| p.parse::<u16>().ok())
            .filter(|p| *p > 0);
        let kind = match spdy::header(headers, "streamtype") {
            Some("data") => Some(Kind::Data),
            Some("error") => Some(Kind::Error),
            _ => None,
        };
        let (Some(port), Some(kind)) = (port, kind) else {
            tracing::debug!("port-forward: stream {stream} refused, headers {headers:?}");
            return self
                .send(Frame::RstStream {
                    stream,
                    status: spdy::RST_INVALID_STREAM,
                })
                .await;
        };
        self.send(Frame::SynReply {
            stream,
            flags: 0,
            headers: Vec::new(),
        })
        .await;
        // Clients without request IDs number a connection's streams error = n, data = n + 2.
        let request = match spdy::header(headers, "requestid") {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => match kind {
                Kind::Error => stream.to_string(),
                Kind::Data => stream.saturating_sub(2).to_string(),
            },
        };
        let pair = self.pairs.entry(request.clone()).or_insert_with(|| Pair {
            port,
            data: None,
            error: None,
            since: Instant::now(),
        });
        let duplicate = match kind {
            Kind::Data if pair.data.is_some() => Some("data"),
            Kind::Error if pair.error.is_some() => Some("error"),
            Kind::Data => {
                let (tx, rx) = mpsc::channel(16);
                pair.data = Some((stream, rx));
                self.data_streams.insert(
                    stream,
                    DataStream {
                        to_pod: Some(tx),
                        task: None,
                    },
                );
                None
            }
            Kind::Error => {
                pair.error = Some(stream);
                None
            }
        };
        if let Some(which) = duplicate {
            if let Some(e) = pair.error {
                let msg = format!(
                    "error processing stream for request {request}: {which} stream already assigned"
                );
                self.send(data(e, msg.into_bytes(), false)).await;
            }
            return;
        }
        if pair.data.is_some() && pair.error.is_some() {
            let pair = self.pairs.remove(&request).expect("pair just seen");
            let ((data_id, from_client), error_id) =
                (pair.data.expect("complete"), pair.error.expect("complete"));
            let conn = Connection {
                target: self.target.clone(),
                port: pair.port,
                data: data_id,
                error: error_id,
                out: self.out.clone(),
            };
            let handle = self.tasks.spawn(conn.run(from_client));
            if let Some(ds) = self.data_streams.get_mut(&data_id) {
                ds.task = Some(handle);
            }
        }
    }

    /// Pairs whose second stream never came: the kubelet's "timed out waiting for streams".
    async fn expire_pairs(&mut self) {
        let expired: Vec<String> = self
            .pairs
            .iter()
            .filter(|(_, p)| p.since.elapsed() > STREAM_CREATION_TIMEOUT)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            let Some(p) = self.pairs.remove(&id) else {
                continue;
            };
            if let Some(e) = p.error {
                let msg = format!("timed out waiting for streams (request {id})");
                self.send(data(e, msg.into_bytes(), true)).await;
            }
            if let Some((d, _)) = p.data {
                self.data_streams.remove(&d);
                self.send(data(d, Vec::new(), true)).await;
            }
        }
    }
}

fn data(stream: u32, bytes: Vec<u8>, fin: bool) -> Frame {
    Frame::Data {
        stream,
        flags: if fin { spdy::FLAG_FIN } else { 0 },
        data: Bytes::from(bytes),
    }
}

/// One forwarded connection: a data and an error stream bridged to a TCP connection in the pod.
struct Connection {
    target: PodTarget,
    port: u16,
    data: u32,
    error: u32,
    out: mpsc::Sender<Frame>,
}

impl Connection {
    async fn run(self, mut from_client: mpsc::Receiver<Bytes>) {
        let tcp = match self.target.connect(self.port).await {
            Ok(t) => t,
            Err(msg) => {
                tracing::info!("port-forward: {msg}");
                let _ = self
                    .out
                    .send(data(self.error, msg.into_bytes(), false))
                    .await;
                self.finish().await;
                return;
            }
        };
        let (mut r, mut w) = tcp.into_split();
        let up = async move {
            while let Some(b) = from_client.recv().await {
                if w.write_all(&b).await.is_err() {
                    break;
                }
            }
            let _ = w.shutdown().await;
        };
        let (out, stream) = (self.out.clone(), self.data);
        let down = async move {
            let mut buf = vec![0u8; spdy::MAX_DATA];
            loop {
                match r.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if out
                            .send(data(stream, buf[..n].to_vec(), false))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                }
            }
        };
        tokio::pin!(up, down);
        tokio::select! {
            // The client half-closed: the pod gets a moment to answer and close.
            _ = &mut up => { let _ = tokio::time::timeout(LINGER, down).await; }
            // The pod closed: the client learns at once.
            _ = &mut down => {}
        }
        self.finish().await;
    }

    /// FIN on both streams, as the kubelet closes them when forwarding ends.
    async fn finish(&self) {
        let _ = self.out.send(data(self.data, Vec::new(), true)).await;
        let _ = self.out.send(data(self.error, Vec::new(), true)).await;
    }
}

/// The v4 channel protocol (kube-rs).
async fn channel_session(mut socket: WebSocket, ports: Vec<u16>, target: PodTarget) {
    let (tx, mut rx) = mpsc::channel::<(usize, Option<Vec<u8>>)>(32);
    let mut writers: Vec<Option<OwnedWriteHalf>> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let [lo, hi] = port.to_le_bytes();
        let (data_ch, err_ch) = (2 * i as u8, 2 * i as u8 + 1);
        if socket.send(bin(vec![data_ch, lo, hi])).await.is_err()
            || socket.send(bin(vec![err_ch, lo, hi])).await.is_err()
        {
            return;
        }
        match target.connect(*port).await {
            Ok(s) => {
                let (mut r, w) = s.into_split();
                writers.push(Some(w));
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 32 * 1024];
                    loop {
                        match r.read(&mut buf).await {
                            Ok(0) | Err(_) => {
                                let _ = tx.send((i, None)).await;
                                break;
                            }
                            Ok(n) => {
                                if tx.send((i, Some(buf[..n].to_vec()))).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                });
            }
            Err(e) => {
                writers.push(None);
                let mut m = vec![err_ch];
                m.extend(e.into_bytes());
                let _ = socket.send(bin(m)).await;
            }
        }
    }
    drop(tx);
    let mut open = writers.iter().filter(|w| w.is_some()).count();
    while open > 0 {
        tokio::select! {
            out = rx.recv() => match out {
                Some((i, Some(data))) => {
                    let mut m = Vec::with_capacity(data.len() + 1);
                    m.push(2 * i as u8);
                    m.extend(data);
                    if socket.send(bin(m)).await.is_err() {
                        return;
                    }
                }
                Some((i, None)) => {
                    // The pod's server closed this connection.
                    writers[i] = None;
                    open -= 1;
                }
                None => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Binary(b))) if !b.is_empty() && b[0] % 2 == 0 => {
                    let i = (b[0] / 2) as usize;
                    if let Some(Some(w)) = writers.get_mut(i) {
                        if w.write_all(&b[1..]).await.is_err() {
                            writers[i] = None;
                            open -= 1;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                _ => {}
            },
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

fn bin(v: Vec<u8>) -> Message {
    Message::Binary(v.into())
}

#[cfg(test)]
#[path = "portforward_net_tests.rs"]
mod net_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse() {
        assert_eq!(parse_ports(Some("ports=3306")).unwrap(), [3306]);
        assert_eq!(
            parse_ports(Some("ports=3306,80&ports=1")).unwrap(),
            [3306, 80, 1]
        );
        assert!(parse_ports(Some("ports=x")).is_err());
        assert!(parse_ports(None).is_err());
    }

    async fn next_frame<R: AsyncRead + Unpin>(frames: &mut FrameReader<R>) -> Option<Frame> {
        tokio::time::timeout(Duration::from_secs(10), frames.next())
            .await
            .expect("a frame in time")
            .unwrap()
    }

    /// A SPDY client speaking to `run_spdy` over an in-memory pipe, for a pod that exists (on
    /// a node) but whose server is not running.
    #[tokio::test]
    async fn spdy_session_pairs_streams_reports_errors_and_ends_when_the_pod_goes() {
        use crate::api::spdy::{FrameEncoder, FLAG_FIN};
        use serde_json::json;
        use std::sync::Arc;

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
        let app = App {
            kubelet: crate::kubelet::Kubelet::new(store.clone(), dir.path().to_path_buf()),
            store: store.clone(),
            token: "t".into(),
            state_dir: Arc::new(dir.path().to_path_buf()),
        };
        let target = PodTarget {
            app,
            namespace: "default".into(),
            name: "mysql-0".into(),
            uid: pod["metadata"]["uid"].as_str().unwrap().into(),
        };
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (sr, sw) = tokio::io::split(server);
        let session = tokio::spawn(run_spdy(target, sr, sw, None));
        let (cr, mut cw) = tokio::io::split(client);
        let mut frames = FrameReader::new(cr);
        let mut enc = FrameEncoder::default();
        let mut send = |f: Frame| enc.encode(&f);
        let syn = |stream: u32, kind: &str, port: &str| Frame::SynStream {
            stream,
            associated: 0,
            priority: 0,
            flags: 0,
            headers: vec![
                ("streamtype".into(), kind.into()),
                ("port".into(), port.into()),
                ("requestid".into(), "0".into()),
            ],
        };

        // error stream, closed by the client at once (as kubectl does), then the data stream.
        cw.write_all(&send(syn(1, "error", "3306"))).await.unwrap();
        let fin = |stream| Frame::Data {
            stream,
            flags: FLAG_FIN,
            data: Bytes::new(),
        };
        cw.write_all(&send(fin(1))).await.unwrap();
        assert!(matches!(
            next_frame(&mut frames).await,
            Some(Frame::SynReply { stream: 1, .. })
        ));
        cw.write_all(&send(syn(3, "data", "3306"))).await.unwrap();
        assert!(matches!(
            next_frame(&mut frames).await,
            Some(Frame::SynReply { stream: 3, .. })
        ));
        // Nothing listens: the kubelet's message on the error stream, then FIN on both.
        let mut got = Vec::new();
        while got.len() < 3 {
            got.push(next_frame(&mut frames).await.unwrap());
        }
        let Frame::Data {
            stream: 1,
            data,
            flags: 0,
        } = &got[0]
        else {
            panic!("{got:?}")
        };
        let msg = String::from_utf8_lossy(data);
        assert!(
            msg.starts_with("error forwarding port 3306 to pod mysql-0, uid ")
                && msg.ends_with("connect: connection refused"),
            "{msg}"
        );
        assert!(got.contains(&fin(3)) && got.contains(&fin(1)), "{got:?}");

        // Pings are echoed; a stream without a port is refused.
        cw.write_all(&send(Frame::Ping(7))).await.unwrap();
        assert_eq!(next_frame(&mut frames).await, Some(Frame::Ping(7)));
        let no_port = Frame::SynStream {
            stream: 5,
            associated: 0,
            priority: 0,
            flags: 0,
            headers: vec![("streamtype".into(), "data".into())],
        };
        cw.write_all(&send(no_port)).await.unwrap();
        assert_eq!(
            next_frame(&mut frames).await,
            Some(Frame::RstStream {
                stream: 5,
                status: spdy::RST_INVALID_STREAM
            })
        );

        // The pod is removed: GOAWAY, then the connection closes.
        store
            .remove(resources::get("Pod"), Some("default"), "mysql-0")
            .unwrap();
        assert_eq!(
            next_frame(&mut frames).await,
            Some(Frame::GoAway {
                last_good: 5,
                status: spdy::GOAWAY_OK
            })
        );
        assert_eq!(next_frame(&mut frames).await, None);
        tokio::time::timeout(Duration::from_secs(10), session)
            .await
            .unwrap()
            .unwrap();
    }

    #[test]
    fn spdy_upgrade_is_recognised() {
        let mut h = HeaderMap::new();
        h.insert(header::CONNECTION, "Upgrade".parse().unwrap());
        h.insert(header::UPGRADE, "SPDY/3.1".parse().unwrap());
        assert!(wants_spdy(&h));
        h.insert(header::UPGRADE, "websocket".parse().unwrap());
        assert!(!wants_spdy(&h));
    }
}
