//! Request bodies: read whole, up to the limit the real API server has.

use http_body_util::BodyExt;

use crate::api_error::ApiError;

/// Largest request body accepted (the real API server allows 3 MiB). The server also refuses a
/// larger declared `Content-Length` before routing.
pub const BODY_LIMIT: usize = 3 * 1024 * 1024;

/// Reads a request body up to [`BODY_LIMIT`] (413 beyond, 400 if the client broke off).
pub async fn read_body(body: axum::body::Body) -> Result<bytes::Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, BODY_LIMIT);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            Err(ApiError::too_large(BODY_LIMIT))
        }
        Err(e) => Err(ApiError::bad_request(format!(
            "failed to read the request body: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn body_limit() {
        let ok = read_body(axum::body::Body::from(vec![b'x'; 10]))
            .await
            .unwrap();
        assert_eq!(ok.len(), 10);
        let e = read_body(axum::body::Body::from(vec![b'x'; BODY_LIMIT + 1]))
            .await
            .unwrap_err();
        assert_eq!(e.code, 413);
    }
}
