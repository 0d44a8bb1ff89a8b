//! The kubeconfig labsim writes: cluster, user and context all named `labsim`, namespace
//! `default`, the CA inline and the bearer token; mode 0600 since it holds the token.

use std::path::Path;

use base64::Engine;
use serde_json::json;

/// The kubeconfig YAML for `server` (https://127.0.0.1:PORT).
pub fn render(server: &str, ca_pem: &str, token: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes());
    let doc = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": "labsim", "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": "labsim", "user": {"token": token}}],
        "contexts": [{"name": "labsim", "context": {"cluster": "labsim", "user": "labsim", "namespace": "default"}}],
        "current-context": "labsim",
    });
    serde_yaml::to_string(&doc).expect("a JSON value always renders as YAML")
}

/// Writes a kubeconfig with cluster/user/context `labsim` for `server` (https://127.0.0.1:PORT).
pub fn write(path: &Path, server: &str, ca_pem: &str, token: &str) -> std::io::Result<()> {
    crate::files::write_private(path, render(server, ca_pem, token).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_private_and_parseable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        let pem = "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n";
        write(&path, "https://127.0.0.1:1234", pem, "tok").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let v: serde_json::Value =
            serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["current-context"], "labsim");
        assert_eq!(v["contexts"][0]["context"]["namespace"], "default");
        assert_eq!(v["users"][0]["user"]["token"], "tok");
        let cluster = &v["clusters"][0]["cluster"];
        assert_eq!(cluster["server"], "https://127.0.0.1:1234");
        let ca = base64::engine::general_purpose::STANDARD
            .decode(cluster["certificate-authority-data"].as_str().unwrap())
            .unwrap();
        assert_eq!(ca, pem.as_bytes());
    }
}
