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
//!
//! Files: this one routes a request to its protocol; `pod.rs` is the pod end shared by both
//! (`dial_pod`, the one place a pod's port is reached, and the session's end when the pod
//! goes); `spdy_session.rs` is kubectl's SPDY path (upgrade, tunnel, stream pairing, one
//! `Connection` per pair); `channels.rs` is kube-rs's v4 channel path.

mod channels;
mod pod;
mod spdy_session;

use std::time::Duration;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;

use crate::api::App;
use crate::api_error::ApiError;
use crate::resources;
use crate::shutdown::Shutdown;

use channels::channel_session;
use pod::PodTarget;
use spdy_session::{spdy_over_websocket, spdy_upgrade};

/// The port-forward protocol name (SPDY upgrade and, prefixed, the WebSocket tunnel).
pub const PORTFORWARD_V1: &str = "portforward.k8s.io";
/// The WebSocket subprotocol of the SPDY tunnel.
pub const SPDY_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";
/// A stream pair not completed within this is dropped (the kubelet's stream creation timeout).
const STREAM_CREATION_TIMEOUT: Duration = Duration::from_secs(30);
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
    // (port-forward names no container: the pod's first one tells whether it runs, since a pod
    // with several would make the exec rule "a container name must be specified" refuse it)
    let first = obj["spec"]["containers"][0]["name"].as_str();
    if let Err(e) = crate::api::exec::target(&app, &namespace, &pod, first) {
        return crate::api::status_response(&e);
    }
    ws.on_upgrade(move |socket| channel_session(socket, ports, target))
}

#[cfg(test)]
mod tests;
