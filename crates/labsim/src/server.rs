//! The HTTPS server: TLS on loopback, bearer-token check, request body limit, hyper HTTP/1.1
//! with upgrades (exec and port-forward are WebSockets), graceful shutdown.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use axum::Extension;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::api::body::BODY_LIMIT;
use crate::api::App;
use crate::api_error::ApiError;
use crate::shutdown::Shutdown;

/// A declared-too-large body is still read (and dropped) up to this size, so the client gets a
/// clean 413 instead of a reset connection; beyond it the connection is closed.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
/// A TLS handshake must complete within this time.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// An idle keep-alive connection (or a slow request head) is closed after this. Longer than
/// the clients' own idle timeouts (Go and hyper: 90 s) so that they close first and never send
/// a request into a connection the server is closing.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Time given to open connections (watches end on shutdown) before they are cut.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves the API on `listener` until `shutdown`.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: App,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let token = app.token.clone();
    let router = crate::api::router(app)
        .layer(Extension(shutdown.clone()))
        .layer(axum::middleware::from_fn_with_state(token, guard));
    tracing::info!(
        "serving the Kubernetes API on https://{}",
        listener.local_addr()?
    );
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait() => break,
            a = listener.accept() => a,
        };
        while conns.try_join_next().is_some() {}
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // e.g. EMFILE: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (acceptor, router, shutdown) = (acceptor.clone(), router.clone(), shutdown.clone());
        conns.spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!("TLS handshake with {peer} failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::debug!("TLS handshake with {peer} timed out");
                    return;
                }
            };
            let service = hyper_util::service::TowerToHyperService::new(router);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(IDLE_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!("connection from {peer} ended: {e}");
                    }
                }
                _ = shutdown.wait() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
                }
            }
        });
    }
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.shutdown().await;
    tracing::info!("API server stopped");
    Ok(())
}

/// Checks the bearer token and the declared body size, and logs every request.
async fn guard(State(token): State<Arc<str>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let uri = req.uri().clone();
    let response = if !authorized(&req, &token) {
        crate::api::status_response(&ApiError::unauthorized())
    } else if declared_length(&req).is_some_and(|n| n > BODY_LIMIT) {
        let declared = declared_length(&req).unwrap_or(0);
        if declared <= DRAIN_LIMIT {
            // Reading what the client sends keeps the connection usable for the 413.
            let _ = tokio::time::timeout(
                Duration::from_secs(30),
                axum::body::to_bytes(req.into_body(), DRAIN_LIMIT),
            )
            .await;
        }
        crate::api::status_response(&ApiError::too_large(BODY_LIMIT))
    } else {
        next.run(req).await
    };
    tracing::debug!(
        "{method} {uri} -> {} in {} ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}

fn declared_length(req: &Request) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// `Authorization: Bearer <token>`, compared in constant time.
fn authorized(req: &Request, token: &str) -> bool {
    let Some(given) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (given.trim().as_bytes(), token.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(auth: Option<&str>) -> Request {
        let mut b = Request::builder().uri("/version");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn bearer_token_must_match_exactly() {
        assert!(authorized(&req(Some("Bearer abc")), "abc"));
        assert!(!authorized(&req(Some("Bearer abd")), "abc"));
        assert!(!authorized(&req(Some("Bearer ab")), "abc"));
        assert!(!authorized(&req(Some("Basic abc")), "abc"));
        assert!(!authorized(&req(None), "abc"));
    }
}
