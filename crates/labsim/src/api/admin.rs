//! labsim's own admin calls on loopback, behind the same bearer token as the Kubernetes API, for
//! the `labsim node stop|start` and `labsim addons enable|disable` commands (what `minikube node
//! stop` and `minikube addons enable` change in a real cluster):
//!
//! - `POST /labsim/v1/nodes/NODE/stop|start`: the node's machine stops (its kubelet and pod
//!   processes die; the node lifecycle controller does the rest) or starts again;
//! - `POST /labsim/v1/addons/storage-provisioner-rancher/enable|disable`.
//!
//! Answers `{"changed": bool}`, or a `Status` error with a Korean message.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::{json_response, status_response, App};
use crate::api_error::ApiError;
use crate::controllers::local_path;
use crate::objects::machines;
use crate::resources::get;

pub async fn handle(
    State(app): State<App>,
    method: Method,
    Path((what, name, action)): Path<(String, String, String)>,
) -> Response {
    if method != Method::POST {
        return status_response(&ApiError::method_not_allowed(format!(
            "{method} is not supported on /labsim/v1/{what}/{name}/{action}"
        )));
    }
    let app2 = app.clone();
    let result = tokio::task::spawn_blocking(move || match what.as_str() {
        "nodes" => node(&app2, &name, &action),
        "addons" => addon(&app2, &name, &action),
        _ => Err(ApiError::no_such_path(&format!("/labsim/v1/{what}"))),
    })
    .await
    .unwrap_or_else(|e| Err(ApiError::internal(e.to_string())));
    match result {
        Ok(changed) => json_response(StatusCode::OK, &json!({ "changed": changed })),
        Err(e) => status_response(&e),
    }
}

fn node(app: &App, name: &str, action: &str) -> Result<bool, ApiError> {
    let node = app.store.get(get("Node"), None, name).map_err(|_| {
        ApiError::bad_request(format!(
            "노드 \"{name}\"이(가) 없습니다. 노드 목록: kubectl get nodes"
        ))
    })?;
    let stop = match action {
        "stop" => true,
        "start" => false,
        _ => {
            return Err(ApiError::bad_request(format!(
                "알 수 없는 동작 \"{action}\": stop 또는 start를 쓰세요"
            )))
        }
    };
    if stop
        && node["metadata"]["labels"]
            .get("node-role.kubernetes.io/control-plane")
            .is_some()
    {
        return Err(ApiError::bad_request(format!(
            "\"{name}\"은(는) 컨트롤 플레인 노드라 멈출 수 없습니다 (API 서버가 이 노드에서 돕니다). \
             워커 노드(minikube-m02, minikube-m03)를 멈추거나, 클러스터 전체는 labsim down으로 멈추세요"
        )));
    }
    machines::set_stopped(&app.state_dir, name, stop)
        .map_err(|e| ApiError::internal(format!("노드 \"{name}\" 상태를 바꾸지 못했습니다: {e}")))
}

fn addon(app: &App, name: &str, action: &str) -> Result<bool, ApiError> {
    if name != local_path::ADDON {
        return Err(ApiError::bad_request(format!(
            "labsim은 애드온 \"{name}\"을(를) 지원하지 않습니다 (지원: {})",
            local_path::ADDON
        )));
    }
    let r = match action {
        "enable" => local_path::enable(&app.store),
        "disable" => local_path::disable(&app.store),
        _ => {
            return Err(ApiError::bad_request(format!(
                "알 수 없는 동작 \"{action}\": enable 또는 disable을 쓰세요"
            )))
        }
    };
    r.map_err(|e| ApiError::internal(e.to_string()))
}
