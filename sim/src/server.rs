//! The HTTPS server: TLS on loopback, bearer-token check, hyper with upgrades. (Stub.)

use std::sync::Arc;

use tokio::net::TcpListener;

use crate::app::App;
use crate::shutdown::Shutdown;

/// Serves the API on `listener` until `shutdown`.
pub async fn serve(
    _listener: TcpListener,
    _tls: Arc<rustls::ServerConfig>,
    _app: App,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    shutdown.wait().await;
    Ok(())
}
