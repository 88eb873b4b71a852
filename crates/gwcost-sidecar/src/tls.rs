//! TLS with rustls (ring provider): the server side terminates TLS from PEM files and offers
//! `h2` and `http/1.1` by ALPN, as a custom domain would; the client side trusts the webpki
//! roots plus an optional CA file, for `https://` upstreams and JWKS URLs.

use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::ConfigError;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ConfigError::new(key, format_args!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ConfigError::new(
            key,
            format_args!("{} holds no PEM certificate", path.display()),
        ));
    }
    Ok(certs)
}

/// The server configuration for TLS termination.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, ConfigError> {
    let certs = read_certs(cert, "--tls-cert")?;
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ConfigError::new("--tls-key", format_args!("{}: {e}", key.display())))?;
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::new("--tls-cert", e))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| {
            ConfigError::new(
                "--tls-key",
                format_args!("does not fit the certificate: {e}"),
            )
        })?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The client configuration for upstreams: webpki roots, plus the CA file when given.
pub fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig, ConfigError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(p) = ca_file {
        for c in read_certs(p, "--upstream-ca")? {
            roots.add(c).map_err(|e| {
                ConfigError::new("--upstream-ca", format_args!("{}: {e}", p.display()))
            })?;
        }
    }
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::new("--upstream-ca", e))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
