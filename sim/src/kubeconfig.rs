//! The kubeconfig labsim writes (context `labsim`, mode 0600). (Stub.)

use std::path::Path;

/// Writes a kubeconfig with cluster/user/context `labsim` for `server` (https://127.0.0.1:PORT).
pub fn write(_path: &Path, _server: &str, _ca_pem: &str, _token: &str) -> std::io::Result<()> {
    Err(std::io::Error::other("kubeconfig not implemented yet"))
}
