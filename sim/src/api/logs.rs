//! `kubectl logs`: the pod's server log, optionally followed. (Stub.)

use axum::response::Response;

use crate::app::App;
use crate::status::ApiError;

/// `GET /api/v1/namespaces/{ns}/pods/{name}/log?follow=..&tailLines=..&container=..`
pub async fn logs(_app: App, _namespace: String, _pod: String, _query: Option<String>) -> Response {
    crate::api::status_response(&ApiError::internal("logs not implemented yet"))
}
