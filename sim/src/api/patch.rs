//! PATCH bodies: strategic merge, JSON merge, JSON patch and server-side apply. (Stub.)

use serde_json::Value;

use crate::resources::ResourceType;
use crate::status::ApiError;

/// The four patch types, by Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/json-patch+json` (RFC 6902)
    Json,
    /// `application/merge-patch+json` (RFC 7386)
    Merge,
    /// `application/strategic-merge-patch+json`
    Strategic,
    /// `application/apply-patch+yaml` (server-side apply)
    Apply,
}

impl PatchKind {
    pub fn from_content_type(ct: &str) -> Option<PatchKind> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Some(PatchKind::Json),
            "application/merge-patch+json" => Some(PatchKind::Merge),
            "application/strategic-merge-patch+json" => Some(PatchKind::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+json" => {
                Some(PatchKind::Apply)
            }
            _ => None,
        }
    }
}

/// Applies `body` to `live` and returns the whole new object. `live` is `None` only for
/// [`PatchKind::Apply`] on an object that does not exist yet (apply creates). Errors: 400 for a
/// body that does not parse, 409 for an apply conflict without `force`, 422 for a patch that
/// changes `apiVersion`/`kind`/`metadata.name`.
pub fn patch(
    _rt: &ResourceType,
    _live: Option<&Value>,
    _kind: PatchKind,
    _body: &[u8],
    _field_manager: &str,
    _force: bool,
) -> Result<Value, ApiError> {
    Err(ApiError::internal("patch not implemented yet"))
}
