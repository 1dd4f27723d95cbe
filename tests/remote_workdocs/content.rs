//! Reading content: ranges (full, partial, last byte, empty, past the end), the download URL
//! cache and its refresh on expiry or refusal, servers that ignore `Range`, and streams that
//! break off.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use docsfs::remote::{Remote, RemoteError};
use futures_util::StreamExt;

use super::support::*;

#[tokio::test]
async fn ranges_read_what_was_written() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let data = pattern(700_000);
    let (doc, version) = api.upload(&me.root, "blob.bin", &data).await;
    let r = remote(&s.endpoint(), ALICE);
    let len = data.len() as u64;
    let read = |a: u64, b: u64| {
        let (r, doc, version) = (&r, &doc, &version);
        async move { collect(r.read(doc, version, a..b).await.expect("read")).await }
    };
    assert_eq!(read(0, len).await, data);
    assert_eq!(r.api_calls(), 1, "one GetDocumentVersion");
    assert_eq!(read(1_000, 300_000).await, &data[1_000..300_000]);
    assert_eq!(read(len - 1, len).await, &data[data.len() - 1..]);
    assert_eq!(
        read(len - 10, len + 5_000).await,
        &data[data.len() - 10..],
        "clamped"
    );
    assert!(read(len, len + 10).await.is_empty(), "starts at the end");
    assert!(
        read(len + 10, len + 20).await.is_empty(),
        "starts past the end"
    );
    assert_eq!(r.api_calls(), 1, "the URL is cached");
    assert!(read(5, 5).await.is_empty());
    let fresh = remote(&s.endpoint(), ALICE);
    assert!(
        collect(fresh.read(&doc, &version, 9..9).await.expect("empty"))
            .await
            .is_empty()
    );
    assert_eq!(fresh.api_calls(), 0, "an empty range sends nothing");
    let missing = r.read(&doc, "no-such-version", 0..10).await;
    assert!(
        matches!(missing, Err(RemoteError::NotFound(_))),
        "{:?}",
        missing.err()
    );
    s.stop().await;
}

#[tokio::test]
async fn expired_urls_are_refreshed() {
    let url_ttl = Some(Duration::from_secs(1));
    let s = TestServer::start(Options {
        url_ttl,
        ..Options::default()
    })
    .await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let (doc, version) = api.upload(&me.root, "short.txt", b"short-lived urls").await;
    let r = remote(&s.endpoint(), ALICE);
    let first = collect(r.read(&doc, &version, 0..5).await.expect("read")).await;
    assert_eq!(first, b"short");
    let calls = r.api_calls();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let second = collect(r.read(&doc, &version, 6..10).await.expect("read again")).await;
    assert_eq!(second, b"live");
    assert_eq!(r.api_calls(), calls + 1, "a new GetDocumentVersion");
    s.stop().await;
}

/// A stub API whose content URL is refused (403) on first use, then answers with the whole
/// body (200) whatever the Range, as a server that ignores ranges would. It also checks that
/// no credentials travel to the content URL.
#[tokio::test]
async fn refused_urls_and_servers_that_ignore_ranges() {
    let (api_hits, blob_hits) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let leaked = Arc::new(AtomicBool::new(false));
    let (a, b, l) = (api_hits.clone(), blob_hits.clone(), leaked.clone());
    let addr = Arc::new(std::sync::OnceLock::<std::net::SocketAddr>::new());
    let me = addr.clone();
    let bound = stub(move |_, target, headers| {
        if target.starts_with("/api/v1/documents/d1/versions/v1?") {
            if !headers.contains("authentication: tok-stub") {
                return (404, String::new(), b"{}".to_vec());
            }
            a.fetch_add(1, Ordering::SeqCst);
            let host = me.get().copied().expect("bound");
            let url = format!("http://{host}/blob?X-Docsfs-Expires=99999999999&sig=s");
            let body = serde_json::json!({ "Metadata": {
                "Id": "v1", "Name": "f", "Size": 10, "Source": { "ORIGINAL": url } } });
            let json = "content-type: application/json\r\n".to_owned();
            return (200, json, body.to_string().into_bytes());
        }
        if headers.contains("authentication") || headers.contains("authorization") {
            l.store(true, Ordering::SeqCst);
        }
        match b.fetch_add(1, Ordering::SeqCst) {
            0 => (403, String::new(), b"<Error>expired</Error>".to_vec()),
            _ => (200, String::new(), b"0123456789".to_vec()),
        }
    })
    .await;
    addr.set(bound).expect("set once");
    let r = remote(&format!("http://{bound}"), "tok-stub");
    let doc = "d1".to_owned();
    let got = collect(r.read(&doc, "v1", 3..7).await.expect("read")).await;
    assert_eq!(got, b"3456");
    assert_eq!(
        api_hits.load(Ordering::SeqCst),
        2,
        "the refused URL was replaced"
    );
    assert_eq!(blob_hits.load(Ordering::SeqCst), 2);
    let got = collect(r.read(&doc, "v1", 8..100).await.expect("read")).await;
    assert_eq!(got, b"89");
    assert_eq!(
        api_hits.load(Ordering::SeqCst),
        2,
        "the fresh URL is cached"
    );
    assert!(
        !leaked.load(Ordering::SeqCst),
        "no credentials to the content URL"
    );
}

#[tokio::test]
async fn a_stream_that_breaks_off_is_a_network_error() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let data = pattern(2_000_000);
    let (doc, version) = api.upload(&me.root, "big.bin", &data).await;
    let r = remote(&s.endpoint(), ALICE);
    // Fetch (and cache) the URL first: the reset applies to every response from now on.
    collect(r.read(&doc, &version, 0..1).await.expect("warm up")).await;
    s.set_faults(docsfs::server::faults::FaultSettings {
        reset_rate: 1.0,
        ..Default::default()
    })
    .await;
    let mut stream = r
        .read(&doc, &version, 0..data.len() as u64)
        .await
        .expect("opened");
    let (mut got, mut error) = (0, None);
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => got += chunk.len(),
            Err(e) => error = Some(e),
        }
    }
    assert!(got < data.len());
    assert!(matches!(error, Some(RemoteError::Network(_))), "{error:?}");
    s.stop().await;
}
