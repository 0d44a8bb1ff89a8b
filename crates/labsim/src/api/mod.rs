//! The HTTP API: routing of Kubernetes paths to handlers. Auth and the body limit are applied by
//! the server around this router.

pub mod admin;
pub mod attach;
pub mod body;
pub mod channels;
pub mod crud;
pub mod discovery;
pub mod eviction;
pub mod exec;
pub mod logs;
pub mod negotiate;
pub mod openapi;
pub mod paging;
pub mod patch;
pub mod portforward;
pub mod protobuf;
pub mod reviews;
pub mod spdy;
pub mod tables;
pub mod target;
pub mod watch;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use serde_json::{json, Value};

use std::path::PathBuf;
use std::sync::Arc;

use crate::api_error::ApiError;
use crate::kubelet::Kubelet;
use crate::store::Store;

/// The state every handler shares: the store, the kubelet (exec, port-forward and logs ask it
/// for a pod's runtime), the bearer token and the state directory. Cheap to clone: everything
/// is behind `Arc`s.
#[derive(Clone)]
pub struct App {
    pub store: Arc<Store>,
    pub kubelet: Arc<Kubelet>,
    /// Every request must carry `Authorization: Bearer <token>`.
    pub token: Arc<str>,
    /// Root of everything labsim writes.
    pub state_dir: Arc<PathBuf>,
}

/// The Kubernetes version labsim claims (kubectl's dispatcher picks its kubectl by it).
pub const VERSION: &str = crate::objects::version::KUBERNETES;

/// Every route labsim serves (auth is applied by the server around it).
pub fn router(app: App) -> Router {
    const POD: &str = "/api/v1/namespaces/{ns}/pods/{name}";
    Router::new()
        .route("/version", any(version))
        .route("/version/", any(version))
        .route("/healthz", any(health))
        .route("/readyz", any(health))
        .route("/livez", any(health))
        .route("/api", any(api_root))
        .route("/apis", any(apis_root))
        .route("/api/{version}", any(group_version_core))
        .route("/apis/{group}", any(api_group))
        .route("/apis/{group}/{version}", any(group_version))
        .route("/openapi/v3", any(openapi_root))
        .route("/openapi/v3/{*key}", any(openapi_doc))
        .route(&format!("{POD}/exec"), get(exec::exec).post(exec::exec))
        .route(
            &format!("{POD}/attach"),
            get(attach::attach).post(attach::attach),
        )
        .route(
            &format!("{POD}/portforward"),
            get(portforward::portforward).post(portforward::portforward),
        )
        .route(&format!("{POD}/log"), get(logs))
        .route("/labsim/v1/{what}/{name}/{action}", any(admin::handle))
        .fallback(crud::handle)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(deprecation_warning))
        .with_state(app)
}

/// The warning kube-apiserver 1.33 sends with every request for v1 Endpoints (CHANGELOG-1.33
/// #130098, "The v1 Endpoints API is now officially deprecated"); kubectl prints it on stderr as
/// `Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice`.
pub const ENDPOINTS_DEPRECATED: &str =
    "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice";

/// Whether `path` names v1 Endpoints: the list across namespaces, a namespace's list, or one.
fn is_v1_endpoints(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["", "api", "v1", "endpoints", ..] => parts.len() <= 5,
        ["", "api", "v1", "namespaces", _, "endpoints", ..] => parts.len() <= 7,
        _ => false,
    }
}

/// Adds the deprecation `Warning` header (`299 - "<text>"`, RFC 7234 as the apiserver's
/// `warning.AddWarning` writes it) to responses for deprecated resources.
async fn deprecation_warning(req: Request, next: axum::middleware::Next) -> Response {
    let deprecated = is_v1_endpoints(req.uri().path());
    let mut resp = next.run(req).await;
    if deprecated {
        let value = format!("299 - \"{ENDPOINTS_DEPRECATED}\"");
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            resp.headers_mut().append(header::WARNING, v);
        }
    }
    resp
}

/// A JSON body with its HTTP code.
pub fn json_response(code: StatusCode, body: &Value) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(body).expect("JSON values serialize"),
    )
        .into_response()
}

/// A `Status` body with its HTTP code.
pub fn status_response(err: &ApiError) -> axum::response::Response {
    let code = axum::http::StatusCode::from_u16(err.code)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(err.to_status())).into_response()
}

/// Discovery and the like answer GET only: the 405 for other methods.
fn not_get(method: &Method, path: &str) -> Option<Response> {
    if method == Method::GET || method == Method::HEAD {
        None
    } else {
        Some(status_response(&ApiError::method_not_allowed(format!(
            "{method} is not supported on {path}"
        ))))
    }
}

async fn method_not_allowed(req: Request) -> Response {
    status_response(&ApiError::method_not_allowed(format!(
        "{} is not supported on {}",
        req.method(),
        req.uri().path()
    )))
}

async fn version(method: Method) -> Response {
    if let Some(r) = not_get(&method, "/version") {
        return r;
    }
    json_response(
        StatusCode::OK,
        &json!({
            "major": crate::objects::version::MAJOR,
            "minor": crate::objects::version::MINOR,
            "emulationMajor": crate::objects::version::MAJOR,
            "emulationMinor": crate::objects::version::EMULATION_MINOR,
            "minCompatibilityMajor": crate::objects::version::MAJOR,
            "minCompatibilityMinor": crate::objects::version::MIN_COMPATIBILITY_MINOR,
            "gitVersion": VERSION,
            "gitCommit": crate::objects::version::GIT_COMMIT,
            "gitTreeState": "clean",
            "buildDate": crate::objects::version::BUILD_DATE,
            "goVersion": crate::objects::version::GO_VERSION,
            "compiler": "gc",
            "platform": "linux/amd64",
        }),
    )
}

async fn health() -> &'static str {
    "ok"
}

async fn api_root(method: Method, headers: HeaderMap) -> Response {
    if let Some(r) = not_get(&method, "/api") {
        return r;
    }
    if negotiate::wants_aggregated_discovery(&headers) {
        aggregated_response(&discovery::aggregated_core())
    } else {
        json_response(StatusCode::OK, &discovery::api_versions())
    }
}

async fn apis_root(method: Method, headers: HeaderMap) -> Response {
    if let Some(r) = not_get(&method, "/apis") {
        return r;
    }
    if negotiate::wants_aggregated_discovery(&headers) {
        aggregated_response(&discovery::aggregated_groups())
    } else {
        json_response(StatusCode::OK, &discovery::api_group_list())
    }
}

fn aggregated_response(body: &Value) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, negotiate::AGGREGATED_DISCOVERY),
            (header::VARY, "Accept"),
        ],
        serde_json::to_vec(body).expect("JSON values serialize"),
    )
        .into_response()
}

async fn group_version_core(method: Method, Path(version): Path<String>) -> Response {
    resource_list(&method, "", &version)
}

async fn group_version(method: Method, Path((group, version)): Path<(String, String)>) -> Response {
    resource_list(&method, &group, &version)
}

fn resource_list(method: &Method, group: &str, version: &str) -> Response {
    let path = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    if let Some(r) = not_get(method, &path) {
        return r;
    }
    match discovery::resource_list(group, version) {
        Some(list) => json_response(StatusCode::OK, &list),
        None => status_response(&ApiError::no_such_path(&path)),
    }
}

async fn api_group(method: Method, Path(group): Path<String>) -> Response {
    let path = format!("/apis/{group}");
    if let Some(r) = not_get(&method, &path) {
        return r;
    }
    match discovery::api_group(&group) {
        Some(g) => json_response(StatusCode::OK, &g),
        None => status_response(&ApiError::no_such_path(&path)),
    }
}

async fn openapi_root(method: Method) -> Response {
    if let Some(r) = not_get(&method, "/openapi/v3") {
        return r;
    }
    json_response(StatusCode::OK, &openapi::root())
}

async fn openapi_doc(method: Method, Path(key): Path<String>) -> Response {
    let path = format!("/openapi/v3/{key}");
    if let Some(r) = not_get(&method, &path) {
        return r;
    }
    match openapi::document_for(&key) {
        Some(doc) => json_response(StatusCode::OK, &doc),
        None => status_response(&ApiError::no_such_path(&path)),
    }
}

async fn logs(
    State(app): State<App>,
    Path((ns, name)): Path<(String, String)>,
    req: Request,
) -> Response {
    let query = req.uri().query().map(str::to_string);
    logs::logs(app, ns, name, query).await
}

#[cfg(test)]
mod kube_rs_tests;
#[cfg(test)]
mod node_api_tests;
#[cfg(test)]
mod tests;
