//! labsim's own PKI: a CA and a leaf certificate for 127.0.0.1/localhost and the API server's
//! in-cluster names (as minikube's), kept in `<state>/pki/`.
//!
//! Two certificates, not one: rustls (kube-rs) refuses a self-signed CA used as the server's own
//! certificate (`CaUsedAsEndEntity`), so the CA signs a separate leaf (CA:FALSE) and only the CA
//! goes into the kubeconfig. Both persist so a restarted labsim keeps working kubeconfigs.

use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};

/// The CA (for the kubeconfig) and the server's TLS configuration.
pub struct Pki {
    /// PEM of the CA certificate (`certificate-authority-data`).
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

/// Why the PKI could not be created or loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen failed to generate a key or certificate.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls rejected the certificate or key.
    #[error("TLS configuration failed: {0}")]
    Rustls(#[from] rustls::Error),
    /// A PEM file holds no usable certificate or key.
    #[error("{0}: no usable PEM item")]
    EmptyPem(String),
}

impl From<TlsError> for io::Error {
    fn from(e: TlsError) -> io::Error {
        io::Error::other(e)
    }
}

const CA_CRT: &str = "ca.crt";
const CA_KEY: &str = "ca.key";
const SERVER_CRT: &str = "server.crt";
const SERVER_KEY: &str = "server.key";

/// PEM texts of the four PKI files.
struct PemSet {
    ca_crt: String,
    ca_key: String,
    server_crt: String,
    server_key: String,
}

impl Pki {
    /// Loads `<dir>/ca.crt` etc., creating them on first use (or when any is missing or broken:
    /// a fresh CA means old kubeconfigs stop working, which `Cluster` rewrites anyway).
    pub fn load_or_create(dir: &Path) -> io::Result<Pki> {
        std::fs::create_dir_all(dir)?;
        if let Some(pems) = read_pems(dir) {
            match server_config(&pems.server_crt, &pems.server_key) {
                Ok(server) => {
                    return Ok(Pki {
                        ca_pem: pems.ca_crt,
                        server,
                    })
                }
                Err(e) => tracing::warn!(
                    "PKI in {} unusable ({e}); creating a new one",
                    dir.display()
                ),
            }
        }
        let pems = generate()?;
        std::fs::write(dir.join(CA_CRT), &pems.ca_crt)?;
        crate::files::write_private(&dir.join(CA_KEY), pems.ca_key.as_bytes())?;
        std::fs::write(dir.join(SERVER_CRT), &pems.server_crt)?;
        crate::files::write_private(&dir.join(SERVER_KEY), pems.server_key.as_bytes())?;
        let server = server_config(&pems.server_crt, &pems.server_key)?;
        Ok(Pki {
            ca_pem: pems.ca_crt,
            server,
        })
    }
}

fn read_pems(dir: &Path) -> Option<PemSet> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
    Some(PemSet {
        ca_crt: read(CA_CRT)?,
        ca_key: read(CA_KEY)?,
        server_crt: read(SERVER_CRT)?,
        server_key: read(SERVER_KEY)?,
    })
}

/// A new CA and a leaf for `127.0.0.1`, `localhost` and the in-cluster names of the API
/// server, both ECDSA P-256.
fn generate() -> Result<PemSet, TlsError> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name.push(DnType::CommonName, "labsimCA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.not_before = date_time_ymd(2020, 1, 1);
    ca.not_after = date_time_ymd(2099, 12, 31);
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;

    // The names and addresses minikube's API server certificate carries, so a client in a pod
    // reaching it through the `kubernetes` Service can verify it (minikube
    // `pkg/util/constants.go` `AlternateDNS`, `pkg/minikube/bootstrapper/certs.go`: the
    // Service's 10.96.0.1, the node's 192.168.49.2, 10.0.0.1, 127.0.0.1,
    // `control-plane.minikube.internal` and the machine name).
    let mut leaf = CertificateParams::new(
        [
            "kubernetes.default.svc.cluster.local",
            "kubernetes.default.svc",
            "kubernetes.default",
            "kubernetes",
            "localhost",
            "control-plane.minikube.internal",
            "minikube",
        ]
        .map(String::from)
        .to_vec(),
    )?;
    for ip in [
        Ipv4Addr::LOCALHOST,
        Ipv4Addr::new(10, 96, 0, 1),
        Ipv4Addr::new(192, 168, 49, 2),
        Ipv4Addr::new(10, 0, 0, 1),
    ] {
        leaf.subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(ip)));
    }
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name.push(DnType::CommonName, "labsim");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = date_time_ymd(2020, 1, 1);
    leaf.not_after = date_time_ymd(2099, 12, 31);
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key)?;
    Ok(PemSet {
        ca_crt: ca_cert.pem(),
        ca_key: ca_key.serialize_pem(),
        server_crt: leaf_cert.pem(),
        server_key: leaf_key.serialize_pem(),
    })
}

/// rustls server config (ring provider) offering only HTTP/1.1: kube-rs speaks nothing else.
fn server_config(cert_pem: &str, key_pem: &str) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_bytes())
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::EmptyPem(SERVER_CRT.into()));
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_bytes())
        .ok()
        .flatten()
        .ok_or_else(|| TlsError::EmptyPem(SERVER_KEY.into()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_persists_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let first = Pki::load_or_create(dir.path()).unwrap();
        assert!(first.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        for key in [CA_KEY, SERVER_KEY] {
            let mode = std::fs::metadata(dir.path().join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        let leaf = std::fs::read_to_string(dir.path().join(SERVER_CRT)).unwrap();
        assert_ne!(leaf, first.ca_pem, "leaf must differ from the CA");
        let second = Pki::load_or_create(dir.path()).unwrap();
        assert_eq!(second.ca_pem, first.ca_pem, "reloaded, not regenerated");
        assert_eq!(second.server.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn broken_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = Pki::load_or_create(dir.path()).unwrap();
        std::fs::write(dir.path().join(SERVER_KEY), "garbage").unwrap();
        let second = Pki::load_or_create(dir.path()).unwrap();
        assert_ne!(second.ca_pem, first.ca_pem);
    }
}
