//! kube-rs's path: the WebSocket v4 channel protocol (`?ports=`), a data and an error channel
//! per port.

use axum::extract::ws::{Message, WebSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;

use super::pod::PodTarget;

/// The v4 channel protocol (kube-rs).
pub(super) async fn channel_session(mut socket: WebSocket, ports: Vec<u16>, target: PodTarget) {
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
