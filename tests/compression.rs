//! Compressed transfers: the client asks for gzip, brotli and zstd, reads each, applies the body
//! limit to the decompressed bytes (a compression bomb ends with `ResponseTooLarge`), and asks for
//! plain bodies when compression is turned off.

mod common;

use std::io::Write;

use common::hostile::{self, Reply};
use common::{KEY, client, detailed, fast_retries, server};
use futures::StreamExt;
use gcore_billing::{Client, Error, PageOptions, RegionQuery};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        writer.write_all(bytes).expect("brotli");
    }
    out
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).expect("zstd")
}

fn client_of(base_url: String, compression: bool, limit: u64) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry_policy(fast_retries(0))
        .compression(compression)
        .max_body_bytes(limit)
        .build()
        .expect("client")
}

#[tokio::test]
async fn accept_encoding_asks_for_gzip_brotli_and_zstd_and_the_compressed_pages_parse() {
    let server = server(50).await;
    let client = client(&server);
    let rows: Vec<_> = client
        .detailed_cost_report_stream(detailed(), PageOptions::default().page_size(20))
        .collect()
        .await;
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(Result::is_ok));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        let accepted = request.headers["accept-encoding"].to_str().expect("text");
        let codings: Vec<&str> = accepted.split(',').map(str::trim).collect();
        for coding in ["gzip", "br", "zstd"] {
            assert!(codings.contains(&coding), "{accepted}");
        }
    }
}

#[tokio::test]
async fn an_answer_in_each_coding_parses_as_the_plain_one() {
    // The fake server's list of regions, as JSON.
    let fake = server(5).await;
    let answer = client(&fake)
        .call_operation("list_regions", &[], None)
        .await
        .expect("regions");
    let plain = serde_json::to_vec(&answer).expect("JSON");
    let reference = {
        let body = plain.clone();
        let server = hostile::start(move |_, _| Reply::Full {
            status: 200,
            content_type: "application/json",
            headers: Vec::new(),
            body: body.clone(),
        })
        .await;
        client_of(server.base_url(), true, 1 << 20)
            .list_regions(RegionQuery::new())
            .await
    };
    let reference = match reference {
        Ok(list) => list,
        Err(e) => panic!("the plain answer parses: {e}"),
    };
    for (coding, body) in [
        ("gzip", gzip(&plain)),
        ("br", brotli(&plain)),
        ("zstd", zstd(&plain)),
    ] {
        assert_ne!(body, plain);
        let server = hostile::start(move |_, _| Reply::Full {
            status: 200,
            content_type: "application/json",
            headers: vec![("content-encoding", coding.to_string())],
            body: body.clone(),
        })
        .await;
        let list = client_of(server.base_url(), true, 1 << 20)
            .list_regions(RegionQuery::new())
            .await
            .unwrap_or_else(|e| panic!("{coding}: {e}"));
        assert_eq!(list, reference, "{coding}");
    }
}

#[tokio::test]
async fn a_compression_bomb_ends_with_response_too_large_at_the_decompressed_limit() {
    // 64 MiB of spaces, about 64 KiB gzipped: the Content-Length is far below the limit, the
    // decompressed body far above it.
    let bomb = gzip(&vec![b' '; 64 << 20]);
    assert!(bomb.len() < 1 << 20, "{} bytes compressed", bomb.len());
    let server = hostile::start(move |_, _| Reply::Full {
        status: 200,
        content_type: "application/json",
        headers: vec![("content-encoding", "gzip".to_string())],
        body: bomb.clone(),
    })
    .await;
    let outcome = client_of(server.base_url(), true, 1 << 20)
        .list_regions(RegionQuery::new())
        .await;
    match outcome {
        Err(Error::ResponseTooLarge { limit, .. }) => assert_eq!(limit, 1 << 20),
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn with_compression_off_no_encoding_is_asked_for() {
    let server = server(5).await;
    let client = client_of(server.base_url(), false, 1 << 20);
    client
        .list_regions(RegionQuery::new())
        .await
        .expect("regions");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].headers.get("accept-encoding").is_none(),
        "{:?}",
        requests[0].headers
    );
}
