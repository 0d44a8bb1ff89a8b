//! port-forward over WebSocket (`v4.channel.k8s.io`, what kube-rs speaks): for port index i the
//! server first sends `[2i, lo, hi]` on the data channel and `[2i+1, lo, hi]` on the error
//! channel, then bridges `[2i] + bytes` both ways to a TCP connection to the pod's loopback port
//! (3306 → `PodRuntime::mysql_port`). kubectl's port-forward speaks SPDY, which labsim does not
//! serve: kubectl users get a Status explaining that (kubelab uses kube-rs).

use axum::extract::ws::{Message, WebSocket};
use axum::extract::Request;
use axum::response::Response;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use crate::app::App;
use crate::status::ApiError;

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

/// `GET|POST /api/v1/namespaces/{ns}/pods/{name}/portforward?...` (an Upgrade: websocket request).
pub async fn portforward(
    app: App,
    namespace: String,
    pod: String,
    query: Option<String>,
    req: Request,
) -> Response {
    let ports = match parse_ports(query.as_deref()) {
        Ok(p) => p,
        Err(e) => return crate::api::status_response(&e),
    };
    let rt = match crate::api::exec::target(&app, &namespace, &pod, None) {
        Ok(rt) => rt,
        Err(e) => return crate::api::status_response(&e),
    };
    let ws = match crate::api::exec::upgrade(
        req,
        "labsim serves port-forward over WebSocket (v4.channel.k8s.io) only; kubectl's SPDY port-forward is not supported (use kubelab's mysql(), which port-forwards with kube-rs)",
    )
    .await
    {
        Ok(ws) => ws,
        Err(refused) => return refused,
    };
    let ws = ws.protocols(["v4.channel.k8s.io", "portforward.k8s.io"]);
    ws.on_upgrade(move |socket| session(socket, ports, rt.mysql_port))
}

async fn session(mut socket: WebSocket, ports: Vec<u16>, mysql_port: u16) {
    let (tx, mut rx) = mpsc::channel::<(usize, Option<Vec<u8>>)>(32);
    let mut writers: Vec<Option<OwnedWriteHalf>> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let [lo, hi] = port.to_le_bytes();
        let (data, err) = (2 * i as u8, 2 * i as u8 + 1);
        if socket.send(bin(vec![data, lo, hi])).await.is_err()
            || socket.send(bin(vec![err, lo, hi])).await.is_err()
        {
            return;
        }
        let conn = if *port == 3306 {
            tokio::net::TcpStream::connect(("127.0.0.1", mysql_port))
                .await
                .map_err(|e| e.to_string())
        } else {
            Err(format!(
                "labsim 파드는 3306 포트만 엽니다 (only port 3306 is served): port {port}"
            ))
        };
        match conn {
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
                let mut m = vec![err];
                m.extend(format!("error forwarding port {port} to pod: {e}").into_bytes());
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
}
