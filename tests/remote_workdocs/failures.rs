//! When things go wrong: injected failures are retried away, a slow server times out within the
//! budget, a server that is down fails fast, throttling that outlasts the budget is reported as
//! such, a malformed reply is a protocol error, and insecure endpoints are refused up front.

use std::time::{Duration, Instant};

use docsfs::remote::http::EndpointError;
use docsfs::remote::workdocs::{ConfigError, WorkDocsAuth, WorkDocsRemote};
use docsfs::remote::{Collection, Remote, RemoteError};
use docsfs::server::faults::FaultSettings;
use futures_util::future::join_all;

use super::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_failures_are_retried() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    s.alice().upload(&me.root, "x.txt", b"x").await;
    s.set_faults(FaultSettings {
        fail_rate: 0.5,
        ..Default::default()
    })
    .await;
    // A generous budget: one call in 2^11 fails 11 times in a row, ~25 s of backoff.
    let r = remote_with(&s.endpoint(), ALICE, Duration::from_secs(60));
    let folder = Collection::Folder(me.root.clone());
    // Concurrently: half of the failures are 429s with `Retry-After: 1`, honoured.
    let results = join_all((0..50).map(|_| r.list(&folder, None))).await;
    for page in results {
        assert_eq!(page.expect("retried until success").items.len(), 1);
    }
    assert!(
        r.api_calls() > 50,
        "some calls were retried ({})",
        r.api_calls()
    );
    s.stop().await;
}

#[tokio::test]
async fn a_slow_server_times_out_within_the_budget() {
    let latency_ms = 3_000;
    let faults = FaultSettings {
        latency_ms,
        ..Default::default()
    };
    let s = TestServer::start(Options {
        faults,
        ..Options::default()
    })
    .await;
    let r = remote_with(&s.endpoint(), ALICE, Duration::from_secs(1));
    let started = Instant::now();
    let result = r.roots().await;
    let took = started.elapsed();
    assert!(matches!(result, Err(RemoteError::Timeout(_))), "{result:?}");
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // Dropping the guard does not wait for the request still sleeping in the server.
    drop(s);
}

#[tokio::test]
async fn a_server_that_is_down_fails_fast() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let r = remote_with(
        &format!("http://127.0.0.1:{port}"),
        ALICE,
        Duration::from_secs(2),
    );
    let started = Instant::now();
    let result = r.roots().await;
    let took = started.elapsed();
    assert!(
        matches!(
            result,
            Err(RemoteError::Network(_) | RemoteError::Timeout(_))
        ),
        "{result:?}"
    );
    assert!(took < Duration::from_millis(2_500), "{took:?}");
    assert!(r.api_calls() > 1, "connection errors are retried");
}

#[tokio::test]
async fn throttling_that_outlasts_the_budget_is_unavailable() {
    let faults = FaultSettings {
        fail_rate: 1.0,
        ..Default::default()
    };
    let s = TestServer::start(Options {
        faults,
        ..Options::default()
    })
    .await;
    let r = remote_with(&s.endpoint(), ALICE, Duration::from_secs(1));
    let started = Instant::now();
    let result = r.roots().await;
    assert!(started.elapsed() < Duration::from_millis(1_500));
    assert!(
        matches!(result, Err(RemoteError::Unavailable { .. })),
        "{result:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_malformed_reply_is_a_protocol_error() {
    let addr = stub(|_, target, _| match target {
        "/api/v1/me" => {
            let json = "content-type: application/json\r\n".to_owned();
            (200, json, br#"{"User": 5}"#.to_vec())
        }
        _ => (200, String::new(), b"not json at all".to_vec()),
    })
    .await;
    let r = remote(&format!("http://{addr}"), ALICE);
    match r.roots().await {
        Err(RemoteError::Protocol(m)) => assert!(m.contains("GetCurrentUser"), "{m}"),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    let listed = r.list(&Collection::Folder("f".into()), None).await;
    assert!(
        matches!(listed, Err(RemoteError::Protocol(_))),
        "{listed:?}"
    );
}

#[test]
fn insecure_endpoints_are_refused_at_construction() {
    let make = |endpoint: &str| {
        let auth = WorkDocsAuth::Token(ALICE.into());
        WorkDocsRemote::new(config(endpoint, auth, Duration::from_secs(5)))
    };
    for insecure in [
        "http://workdocs.example.com",
        "http://10.1.2.3:8080",
        "http://[::2]/",
    ] {
        let refused = make(insecure);
        assert!(
            matches!(
                refused,
                Err(ConfigError::Endpoint(EndpointError::Insecure(_)))
            ),
            "{insecure}: {refused:?}"
        );
    }
    for fine in [
        "https://workdocs.us-east-1.amazonaws.com",
        "http://127.0.0.1:1",
        "http://localhost",
        "http://[::1]:9",
    ] {
        assert!(make(fine).is_ok(), "{fine}");
    }
    let empty = WorkDocsRemote::new(config(
        "https://x",
        WorkDocsAuth::Token(" ".into()),
        Duration::from_secs(5),
    ));
    assert!(matches!(empty, Err(ConfigError::Token)));
    let zero = WorkDocsRemote::new(config(
        "https://x",
        WorkDocsAuth::Token("t".into()),
        Duration::ZERO,
    ));
    assert!(matches!(zero, Err(ConfigError::Timeout)));
}
