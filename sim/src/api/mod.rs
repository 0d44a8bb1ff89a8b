//! The HTTP API: routing of Kubernetes paths to handlers. (Stub until the API lands.)

pub mod exec;
pub mod logs;
pub mod patch;
pub mod portforward;
pub mod tables;

use axum::Router;

use crate::app::App;

/// Every route labsim serves (auth is applied by the server around it).
pub fn router(app: App) -> Router {
    Router::new().with_state(app)
}

/// A `Status` body with its HTTP code.
pub fn status_response(err: &crate::status::ApiError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let code = axum::http::StatusCode::from_u16(err.code)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(err.to_status())).into_response()
}
