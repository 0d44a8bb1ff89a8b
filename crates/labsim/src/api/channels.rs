//! The remotecommand channel protocol that exec and attach speak over WebSocket
//! (k8s.io/apimachinery `pkg/util/remotecommand`, client-go `tools/remotecommand/websocket.go`):
//! every binary frame starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize);
//! v5 clients send `[0xFF, 0x00]` when their stdin ends.

use axum::extract::ws::Message;
use serde_json::Value;

/// A frame on channel `ch`.
pub(crate) fn frame(ch: u8, data: &[u8]) -> Message {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(ch);
    v.extend_from_slice(data);
    Message::Binary(v.into())
}

/// What the client sends during a session.
pub(crate) enum Input {
    Stdin(Vec<u8>),
    StdinClosed,
    Resize(u16, u16),
    Gone,
}

/// The meaning of what the client sent; `None` for a frame with nothing to act on (another
/// channel, a malformed resize, a text frame: old clients' base64 framing is not spoken here).
pub(crate) fn decode(msg: Option<Result<Message, axum::Error>>, v5: bool) -> Option<Input> {
    match msg {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Some(Input::Gone),
        Some(Ok(Message::Binary(b))) => match b.first() {
            Some(0) => Some(Input::Stdin(b[1..].to_vec())),
            Some(4) => {
                let v: Value = serde_json::from_slice(&b[1..]).ok()?;
                Some(Input::Resize(
                    v["Width"].as_u64()? as u16,
                    v["Height"].as_u64()? as u16,
                ))
            }
            // v5's CLOSE signal: `[255, channel]`.
            Some(255) if v5 && b.get(1) == Some(&0) => Some(Input::StdinClosed),
            _ => None,
        },
        Some(Ok(_)) => None,
    }
}
