//! kubectl's path: SPDY/3.1 sessions, reached by the `SPDY/3.1` upgrade or tunnelled in a
//! WebSocket; streams paired by request ID, each pair one forwarded `Connection`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::pod::PodTarget;
use super::{LINGER, PORTFORWARD_V1, STREAM_CREATION_TIMEOUT};
use crate::api::spdy::{self, Frame, FrameReader, FrameWriter, Headers};
use crate::shutdown::Shutdown;

/// The SPDY upgrade handshake (`httpstream.Handshake` + the SPDY response upgrader).
pub(super) fn spdy_upgrade(
    target: PodTarget,
    mut req: Request,
    shutdown: Option<Shutdown>,
) -> Response {
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
pub(super) async fn spdy_over_websocket(
    socket: WebSocket,
    target: PodTarget,
    shutdown: Option<Shutdown>,
) {
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
pub(super) async fn run_spdy<R, W>(
    target: PodTarget,
    reader: R,
    writer: W,
    shutdown: Option<Shutdown>,
) where
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
