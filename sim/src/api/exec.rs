//! exec over WebSocket, served by the kubelet's `PodRuntime`. (Stub.)

use axum::extract::Request;
use axum::response::Response;

use crate::app::App;
use crate::status::ApiError;

/// `GET|POST /api/v1/namespaces/{ns}/pods/{name}/exec?...` (an Upgrade: websocket request).
pub async fn exec(
    _app: App,
    _namespace: String,
    _pod: String,
    _query: Option<String>,
    _req: Request,
) -> Response {
    crate::api::status_response(&ApiError::internal("exec not implemented yet"))
}
