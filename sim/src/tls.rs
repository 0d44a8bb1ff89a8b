//! labsim's own PKI: a CA and a leaf certificate for 127.0.0.1/localhost, kept in `<state>/pki/`.
//! (Stub until the server lands.)

use std::path::Path;
use std::sync::Arc;

/// The CA (for the kubeconfig) and the server's TLS configuration.
pub struct Pki {
    /// PEM of the CA certificate (`certificate-authority-data`).
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

impl Pki {
    /// Loads `<dir>/ca.crt` etc., creating them on first use.
    pub fn load_or_create(_dir: &Path) -> std::io::Result<Pki> {
        Err(std::io::Error::other("tls not implemented yet"))
    }
}
