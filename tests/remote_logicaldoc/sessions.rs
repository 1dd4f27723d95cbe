//! Authentication of `LogicalDocRemote`: a password opens a session that is opened again when
//! the server forgot it (expiry), an API key goes with every request, wrong credentials are a
//! named error, and plain http is refused for hosts that are not loopback.

use std::time::{Duration, SystemTime};

use docsfs::remote::http::EndpointError;
use docsfs::remote::logicaldoc::{ConfigError, LogicalDocAuth, LogicalDocConfig, LogicalDocRemote};
use docsfs::remote::{Collection, Remote, RemoteError};

use super::ld::{DEFAULT, client, password};
use super::support::{ALICE, Options, TestServer, collect, new_document, spool, upload_of};

#[tokio::test]
async fn an_expired_session_is_opened_again_without_the_caller_noticing() {
    let opts = Options {
        ld_session_timeout: Some(Duration::from_millis(700)),
        ..Options::default()
    };
    let server = TestServer::start(opts).await;
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    r.roots().await.expect("roots");
    let after_login = r.api_calls();
    assert_eq!(after_login, 2, "one login, one getRootFolder");
    r.list(&Collection::Folder(DEFAULT.into()), None)
        .await
        .expect("list");
    let fresh = r.api_calls() - after_login;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let before = r.api_calls();
    r.list(&Collection::Folder(DEFAULT.into()), None)
        .await
        .expect("list after expiry");
    // The refused call, a check that the session is gone, a login, the call again — on top of
    // what a listing costs.
    assert_eq!(r.api_calls() - before, fresh + 3);
    server.stop().await;
}

#[tokio::test]
async fn wrong_credentials_are_refused_by_name() {
    let server = TestServer::start(Options::default()).await;
    let wrong = client(
        &server.endpoint(),
        password("alice", "not-her-password"),
        None,
    );
    let e = wrong.roots().await.unwrap_err();
    assert!(matches!(e, RemoteError::Unauthenticated(_)), "{e:?}");
    assert!(!format!("{e}").contains("not-her-password"));
    let nobody = client(&server.endpoint(), password("mallory", ALICE), None);
    assert!(matches!(
        nobody.roots().await,
        Err(RemoteError::Unauthenticated(_))
    ));
    let bad_key = client(
        &server.endpoint(),
        LogicalDocAuth::ApiKey("ld-wrong".into()),
        None,
    );
    assert!(matches!(
        bad_key.roots().await,
        Err(RemoteError::Unauthenticated(_))
    ));
    server.stop().await;
}

#[tokio::test]
async fn an_api_key_goes_with_every_request() {
    let server = TestServer::start(Options::default()).await;
    let r = client(
        &server.endpoint(),
        LogicalDocAuth::ApiKey(ALICE.into()),
        None,
    );
    r.roots().await.expect("roots");
    r.list(&Collection::Folder(DEFAULT.into()), None)
        .await
        .expect("list");
    // Uploads (multipart) and downloads (the servlet) carry it too.
    let dir = tempfile::tempdir().unwrap();
    let f = spool(&dir, "f", b"by key");
    let up = upload_of(new_document(DEFAULT, "k.txt"), &f, SystemTime::now());
    let node = r.upload(&up).await.expect("upload");
    let bytes = collect(r.read(&node.id, "1.0", 0..100).await.unwrap()).await;
    assert_eq!(bytes, b"by key");
    server.stop().await;
}

#[test]
fn configurations_are_checked_before_any_traffic() {
    let make = |endpoint: &str, auth: LogicalDocAuth| {
        LogicalDocRemote::new(LogicalDocConfig {
            endpoint: endpoint.into(),
            auth,
            timeout: Duration::from_secs(5),
            trash_dir: None,
            allow_insecure_http: false,
        })
    };
    let insecure = make("http://dms.example.com/logicaldoc", password("a", "b"));
    assert!(matches!(
        insecure,
        Err(ConfigError::Endpoint(EndpointError::Insecure(_)))
    ));
    assert!(make("https://dms.example.com/logicaldoc", password("a", "b")).is_ok());
    assert!(matches!(
        make("http://127.0.0.1:1", password(" ", "b")),
        Err(ConfigError::Credentials(_))
    ));
    assert!(matches!(
        make("http://127.0.0.1:1", password("a", "")),
        Err(ConfigError::Credentials(_))
    ));
    let newline = LogicalDocAuth::ApiKey("a\nb".into());
    assert!(matches!(
        make("http://127.0.0.1:1", newline),
        Err(ConfigError::Credentials(_))
    ));
}

/// `LogicalDOC auth/login` calls the server has answered.
async fn logins(server: &TestServer) -> u64 {
    let url = format!("{}/_docsfs/stats", server.endpoint());
    let stats: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    stats["operations"]["LogicalDOC auth/login"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn calls_refused_together_log_in_again_once() {
    let opts = Options {
        ld_session_timeout: Some(Duration::from_millis(700)),
        ..Options::default()
    };
    let server = TestServer::start(opts).await;
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    r.roots().await.expect("roots");
    assert_eq!(logins(&server).await, 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let home = Collection::Folder(DEFAULT.into());
    let lists = (0..6).map(|_| r.list(&home, None));
    for page in futures_util::future::join_all(lists).await {
        page.expect("list after expiry");
    }
    assert_eq!(
        logins(&server).await,
        2,
        "one new session for six refused calls"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_refusal_that_is_not_about_the_session_logs_in_no_more() {
    let server = TestServer::start(Options::default()).await;
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    r.roots().await.expect("roots");
    // getDocument answers 401 for a document the caller cannot see.
    let e = r
        .set_mtime(&"99999".to_owned(), "1.0", SystemTime::now())
        .await;
    assert!(matches!(e, Err(RemoteError::NotFound(_))), "{e:?}");
    assert_eq!(logins(&server).await, 1);
    server.stop().await;
}
