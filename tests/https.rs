//! HTTPS through rustls: a local TLS server with a freshly made self-signed certificate. The client
//! refuses it until that certificate is added as a trusted root, then talks to it normally.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{KEY, detailed};
use gcore_billing::{Client, Error, types};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

/// A TLS server on 127.0.0.1 answering every request with an empty detailed cost report page; each
/// request's head (request line and headers) is sent back to the test through the channel.
async fn tls_server() -> (
    String,
    String,
    tokio::sync::mpsc::UnboundedReceiver<String>,
    Arc<AtomicUsize>,
) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key = pki_types::PrivateKeyDer::Pkcs8(pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let (heads, received) = tokio::sync::mpsc::unbounded_channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            // A client that does not trust the certificate aborts the handshake: wait for the next.
            let Ok(mut tls) = acceptor.accept(socket).await else {
                continue;
            };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = tls.read(&mut buffer).await.unwrap();
                assert!(n > 0, "the client closed before sending a request");
                request.extend_from_slice(&buffer[..n]);
            }
            let text = String::from_utf8_lossy(&request).into_owned();
            heads
                .send(text.split("\r\n\r\n").next().unwrap().to_string())
                .unwrap();
            let body = r#"{"count":0,"price_status":"hide","results":[]}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            tls.write_all(response.as_bytes()).await.unwrap();
            tls.shutdown().await.unwrap();
        }
    });
    (url, cert_pem, received, connections)
}

#[tokio::test]
async fn https_with_a_trusted_root_works_and_an_unknown_certificate_is_refused() {
    let (url, cert_pem, mut heads, connections) = tls_server().await;

    // Default retries: a certificate failure is not retried, since the next try would meet the same one.
    let untrusting = Client::builder()
        .api_key(KEY)
        .base_url(&url)
        .build()
        .unwrap();
    let error = untrusting
        .detailed_cost_report(detailed())
        .await
        .expect_err("a self-signed certificate is not trusted by default");
    assert!(matches!(error, Error::Network { .. }), "{error:?}");
    // The cause is in the source chain, printed once: not in the error's own message.
    assert_eq!(error.to_string(), "get_detailed_cost_report: network error");
    let full = error.full_message();
    assert!(
        full.contains("invalid peer certificate: UnknownIssuer"),
        "{full}"
    );
    assert_eq!(
        full.matches("UnknownIssuer").count(),
        1,
        "each cause once: {full}"
    );
    assert!(!error.is_retryable());
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "one attempt, no retries"
    );
    assert!(
        heads.try_recv().is_err(),
        "no request may be sent over an untrusted connection"
    );

    let trusting = Client::builder()
        .api_key(KEY)
        .base_url(&url)
        .add_root_certificates_pem(cert_pem)
        .build()
        .unwrap();
    let page = trusting
        .detailed_cost_report(detailed())
        .await
        .expect("trusted");
    assert_eq!(page.count, 0);
    assert_eq!(page.price_status, types::PriceStatus::Hide);
    let head = heads.recv().await.unwrap();
    assert!(
        head.starts_with("POST /cloud/v1/cost_report/resources HTTP/1.1"),
        "{head}"
    );
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("authorization: APIKey {KEY}"))),
        "{head}"
    );
}

#[test]
fn a_root_certificate_that_is_not_pem_is_a_config_error() {
    let error = Client::builder()
        .api_key(KEY)
        .add_root_certificates_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "configuration: root certificate PEM #1 holds no certificate"
    );
}

/// The key goes in a header: plain http is refused unless the host is this machine, or the caller
/// says it knows.
#[tokio::test]
async fn plain_http_to_another_host_is_refused_unless_allowed() {
    let error = Client::builder()
        .api_key(KEY)
        .base_url("http://billing.example.com")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("unencrypted"), "{message}");
    assert!(message.contains("allow_insecure_http"), "{message}");
    assert!(!message.contains(KEY), "{message}");
    // An IP that only looks local is not loopback.
    assert!(
        Client::builder()
            .api_key(KEY)
            .base_url("http://10.0.0.1:8080")
            .build()
            .is_err()
    );
    for local in [
        "http://127.0.0.1:9",
        "http://127.8.9.10",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        let client = Client::builder().api_key(KEY).base_url(local).build();
        assert!(client.is_ok(), "{local}: {:?}", client.err());
    }
    let allowed = Client::builder()
        .api_key(KEY)
        .base_url("http://billing.example.com")
        .allow_insecure_http()
        .build()
        .unwrap();
    assert_eq!(allowed.base_url(), "http://billing.example.com");
}
