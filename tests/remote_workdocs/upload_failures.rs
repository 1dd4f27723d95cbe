//! Uploads that fail, and what they leave (nothing): a name already taken, a caller who may only
//! view, a content PUT or an activation refused (through the recording proxy), a PUT that keeps
//! failing until the budget ends, a spool file shorter than promised, and an upload URL that is
//! not safe to use. The store is checked with INITIALIZED items included.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use docsfs::remote::{Collection, Remote, RemoteError};

use super::proxy::Proxy;
use super::support::*;

#[tokio::test]
async fn a_taken_name_is_already_exists() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    api.upload(&me.root, "taken.txt", b"first").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", b"second");
    let r = remote(&s.endpoint(), ALICE);
    let up = upload_of(new_document(&me.root, "taken.txt"), &path, at_ns(0));
    let refused = r.upload(&up).await;
    assert!(
        matches!(refused, Err(RemoteError::AlreadyExists(_))),
        "{refused:?}"
    );
    assert_eq!(api.contents_with_initialized(&me.root).await.len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_viewer_is_denied_and_leaves_nothing() {
    let s = TestServer::start(Options::default()).await;
    let (api, alice, bob) = (s.alice(), s.alice().me().await, s.bob().me().await);
    let shared = api.mkdir(&alice.root, "look only").await;
    let (doc, _) = api.upload(&shared, "doc.txt", b"doc").await;
    api.share(&shared, &bob.id, "VIEWER").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", &pattern(100_000));
    let r = remote(&s.endpoint(), BOB);
    for target in [new_document(&shared, "new.txt"), new_version(&doc)] {
        let refused = r.upload(&upload_of(target, &path, at_ns(0))).await;
        assert!(
            matches!(refused, Err(RemoteError::Denied(_))),
            "{refused:?}"
        );
    }
    let left = api.contents_with_initialized(&shared).await;
    assert_eq!(left, vec![("doc.txt".to_owned(), doc.clone())]);
    assert_eq!(api.versions(&doc).await.len(), 1);
    s.stop().await;
}

/// Starts a server and a proxy in front of it refusing what `rule` says.
async fn behind_proxy<F>(rule: F) -> (TestServer, Proxy, Me)
where
    F: Fn(&str, &str) -> Option<(u16, &'static str)> + Send + Sync + 'static,
{
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let proxy = Proxy::start(&s.endpoint(), rule).await;
    (s, proxy, me)
}

fn aborted(proxy: &Proxy) -> usize {
    let calls = proxy.calls();
    calls
        .iter()
        .filter(|c| c.starts_with("DELETE /api/v1/documents/") && c.contains("/versions/"))
        .count()
}

#[tokio::test]
async fn a_refused_put_is_aborted() {
    let (s, proxy, me) =
        behind_proxy(|m, p| (m == "PUT" && p.starts_with("/blobs/")).then_some((403, ""))).await;
    let api = s.alice();
    let (doc, v1) = api.upload(&me.root, "old.txt", b"old").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", &pattern(2 * 1024 * 1024));
    let r = remote(&proxy.endpoint(), ALICE);
    let refused = r
        .upload(&upload_of(
            new_document(&me.root, "new.bin"),
            &path,
            at_ns(0),
        ))
        .await;
    assert!(
        matches!(refused, Err(RemoteError::Denied(_))),
        "{refused:?}"
    );
    let puts = proxy
        .calls()
        .iter()
        .filter(|c| c.starts_with("PUT"))
        .count();
    assert_eq!(puts, 1, "a refusal is not retried");
    assert_eq!(aborted(&proxy), 1);
    let left = api.contents_with_initialized(&me.root).await;
    assert_eq!(
        left,
        vec![("old.txt".to_owned(), doc.clone())],
        "no new document"
    );

    let refused = r
        .upload(&upload_of(new_version(&doc), &path, at_ns(0)))
        .await;
    assert!(
        matches!(refused, Err(RemoteError::Denied(_))),
        "{refused:?}"
    );
    assert_eq!(aborted(&proxy), 2);
    assert_eq!(
        api.versions(&doc).await,
        vec![(v1.clone(), "ACTIVE".to_owned())],
        "no half-made version"
    );
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(
        named(&items, "old.txt").version.as_deref(),
        Some(v1.as_str())
    );
    s.stop().await;
}

#[tokio::test]
async fn a_refused_activation_is_aborted() {
    let (s, proxy, me) = behind_proxy(|m, p| {
        let activation = m == "PATCH" && p.contains("/versions/");
        activation.then_some((403, "UnauthorizedOperationException"))
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", &pattern(1_000_000));
    let r = remote(&proxy.endpoint(), ALICE);
    let refused = r
        .upload(&upload_of(
            new_document(&me.root, "new.bin"),
            &path,
            at_ns(0),
        ))
        .await;
    assert!(
        matches!(refused, Err(RemoteError::Denied(_))),
        "{refused:?}"
    );
    assert_eq!(aborted(&proxy), 1);
    assert!(
        s.alice()
            .contents_with_initialized(&me.root)
            .await
            .is_empty()
    );
    s.stop().await;
}

#[tokio::test]
async fn a_put_that_keeps_failing_ends_within_its_budget() {
    let puts = Arc::new(AtomicUsize::new(0));
    let counted = puts.clone();
    let (s, proxy, me) = behind_proxy(move |m, p| {
        let put = m == "PUT" && p.starts_with("/blobs/");
        put.then(|| counted.fetch_add(1, Ordering::SeqCst))
            .map(|_| (503, ""))
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", &pattern(100_000));
    let r = remote_with(&proxy.endpoint(), ALICE, Duration::from_secs(1));
    let started = Instant::now();
    let failed = r
        .upload(&upload_of(
            new_document(&me.root, "new.bin"),
            &path,
            at_ns(0),
        ))
        .await;
    let took = started.elapsed();
    assert!(
        matches!(failed, Err(RemoteError::Unavailable { .. })),
        "{failed:?}"
    );
    assert!(puts.load(Ordering::SeqCst) > 1, "5xx answers are retried");
    // Twice (1 s + 0.1 s for 100 kB), then the abort.
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!(aborted(&proxy), 1);
    assert!(
        s.alice()
            .contents_with_initialized(&me.root)
            .await
            .is_empty()
    );
    s.stop().await;
}

#[tokio::test]
async fn a_short_spool_file_sends_nothing() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", b"12345");
    let r = remote(&s.endpoint(), ALICE);
    let mut up = upload_of(new_document(&me.root, "x"), &path, at_ns(0));
    up.size = 6;
    let refused = r.upload(&up).await;
    assert!(
        matches!(refused, Err(RemoteError::Invalid(_))),
        "{refused:?}"
    );
    up.path = dir.path().join("missing");
    let refused = r.upload(&up).await;
    assert!(
        matches!(refused, Err(RemoteError::Invalid(_))),
        "{refused:?}"
    );
    assert_eq!(r.api_calls(), 0);
    s.stop().await;
}

#[tokio::test]
async fn an_insecure_upload_url_is_refused_and_aborted() {
    let aborted = Arc::new(AtomicBool::new(false));
    let flag = aborted.clone();
    let addr = stub(move |method, target, _| {
        let json = "content-type: application/json\r\n".to_owned();
        match (method, target) {
            ("POST", "/api/v1/documents") => {
                let body = serde_json::json!({
                    "Metadata": { "Id": "d1", "CreatedTimestamp": 1,
                        "LatestVersionMetadata": { "Id": "v1", "Status": "INITIALIZED" } },
                    "UploadMetadata": { "UploadUrl": "http://uploads.example.com/put?sig=1",
                        "SignedHeaders": {} } });
                (201, json, body.to_string().into_bytes())
            }
            ("DELETE", "/api/v1/documents/d1/versions/v1") => {
                flag.store(true, Ordering::SeqCst);
                (204, String::new(), vec![])
            }
            _ => {
                let error = "x-amzn-errortype: EntityNotExistsException\r\n".to_owned();
                (404, error, b"{}".to_vec())
            }
        }
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", b"secret bytes");
    let r = remote(&format!("http://{addr}"), ALICE);
    let refused = r
        .upload(&upload_of(new_document("root", "x"), &path, at_ns(0)))
        .await;
    match refused {
        Err(RemoteError::Protocol(m)) => {
            assert!(m.contains("neither https nor loopback"), "{m}");
            assert!(!m.contains("example.com"), "the URL is not quoted: {m}");
        }
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert!(aborted.load(Ordering::SeqCst), "the version was aborted");
}

#[tokio::test]
async fn an_activation_whose_answer_was_lost_is_kept() {
    let (s, proxy, me) = behind_proxy(|m, p| {
        let activation = m == "PATCH" && p.contains("/versions/");
        activation.then_some((403, "after:UnauthorizedOperationException"))
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = pattern(300_000);
    let path = spool(&dir, "spool", &data);
    let r = remote(&proxy.endpoint(), ALICE);
    let node = r
        .upload(&upload_of(
            new_document(&me.root, "kept.bin"),
            &path,
            at_ns(0),
        ))
        .await
        .expect("the abort found the version active");
    assert_eq!(aborted(&proxy), 1, "the abort was tried");
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_listed_as_uploaded(named(&items, "kept.bin"), &node, &data);
    let v = node.version.as_deref().expect("version");
    let back = collect(r.read(&node.id, v, 0..u64::MAX).await.expect("read")).await;
    assert!(back == data);
    s.stop().await;
}

/// Another upload takes the name between the initiation and the activation: the activation's
/// ProhibitedStateException ("already exists") is AlreadyExists, and the upload is aborted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_taken_during_the_upload_is_already_exists() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let (endpoint, root) = (s.endpoint(), me.root.clone());
    let raced = Arc::new(AtomicBool::new(false));
    let once = raced.clone();
    let proxy = Proxy::start(&s.endpoint(), move |m, p| {
        if m == "PUT" && p.starts_with("/blobs/") && !once.swap(true, Ordering::SeqCst) {
            let other = Api::new(&endpoint, ALICE);
            tokio::task::block_in_place(|| {
                let upload = other.upload(&root, "race.txt", b"first to finish");
                tokio::runtime::Handle::current().block_on(upload)
            });
        }
        None
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = spool(&dir, "spool", b"second to finish");
    let r = remote(&proxy.endpoint(), ALICE);
    let lost = r
        .upload(&upload_of(
            new_document(&me.root, "race.txt"),
            &path,
            at_ns(0),
        ))
        .await;
    assert!(raced.load(Ordering::SeqCst));
    assert!(
        matches!(lost, Err(RemoteError::AlreadyExists(_))),
        "{lost:?}"
    );
    assert_eq!(aborted(&proxy), 1);
    let left = s.alice().contents_with_initialized(&me.root).await;
    assert_eq!(left.len(), 1, "only the winner: {left:?}");
    s.stop().await;
}
