//! Reads (ranges, chunks, versions) and the test knobs: injected failures, offline, latency,
//! counters, and handles sharing one store.

use std::time::Instant;

use super::*;
use crate::remote::Role;

fn doc_with(r: &MemoryRemote, bytes: &[u8]) -> String {
    r.put(&r.root_id(), "doc", bytes, t(1)).unwrap()
}

#[tokio::test]
async fn read_ranges_are_clamped_to_the_size() {
    let r = MemoryRemote::new("alice");
    let doc = doc_with(&r, b"0123456789");
    let v = latest(&r, &doc);
    assert_eq!(read_bytes(&r, &doc, &v, 0..10).await, b"0123456789");
    assert_eq!(read_bytes(&r, &doc, &v, 2..5).await, b"234");
    assert_eq!(read_bytes(&r, &doc, &v, 8..100).await, b"89");
    let reversed = Range { start: 7, end: 3 };
    for empty in [20..30, 5..5, reversed, 10..11] {
        let chunks = read_chunks(&r, &doc, &v, empty.clone()).await.unwrap();
        assert!(chunks.is_empty(), "{empty:?}: {chunks:?}");
    }
}

#[tokio::test]
async fn reads_arrive_in_chunks_of_at_most_64k() {
    let r = MemoryRemote::new("alice");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let doc = doc_with(&r, &data);
    let v = latest(&r, &doc);
    let chunks = read_chunks(&r, &doc, &v, 0..u64::MAX).await.unwrap();
    assert_eq!(chunks.len(), 4);
    assert!(chunks.iter().all(|c| c.len() <= 64 * 1024 && !c.is_empty()));
    assert_eq!(chunks.concat(), data);
    r.set_chunk_size(1000);
    let chunks = read_chunks(&r, &doc, &v, 500..10_500).await.unwrap();
    assert_eq!(chunks.len(), 10);
    assert_eq!(chunks.concat(), &data[500..10_500]);
}

#[tokio::test]
async fn every_version_stays_readable() {
    let r = MemoryRemote::new("alice");
    let doc = doc_with(&r, b"first");
    let v1 = latest(&r, &doc);
    let v2 = r.new_version(&doc, b"second", t(2)).unwrap();
    assert_eq!(read_bytes(&r, &doc, &v1, 0..99).await, b"first");
    assert_eq!(read_bytes(&r, &doc, &v2, 0..99).await, b"second");
    assert_eq!(r.content(&doc), b"second");
    for (id, version) in [(doc.as_str(), "v999"), ("d999", v1.as_str())] {
        let err = read_chunks(&r, id, version, 0..1).await.unwrap_err();
        assert!(matches!(err, RemoteError::NotFound(_)), "{err:?}");
    }
    let err = read_chunks(&r, &r.root_id(), &v1, 0..1).await.unwrap_err();
    assert!(matches!(err, RemoteError::NotFound(_)), "a folder: {err:?}");
}

#[tokio::test]
async fn fail_next_fails_exactly_the_next_calls() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    r.fail_next(2, RemoteError::Timeout(Duration::from_secs(1)));
    r.fail_next(1, RemoteError::Conflict("busy".into()));
    r.mkdir(&root, "the test-side API is never failed").unwrap();
    assert!(matches!(r.roots().await, Err(RemoteError::Timeout(_))));
    let listed = r.list(&folder(&root), None).await;
    assert!(matches!(listed, Err(RemoteError::Timeout(_))));
    assert!(matches!(r.role(&root).await, Err(RemoteError::Conflict(_))));
    assert_eq!(r.role(&root).await.unwrap(), Role::Owner);
    assert_eq!(r.request_count(), 4, "failed calls count");
}

#[tokio::test]
async fn offline_fails_every_call_with_network() {
    let r = MemoryRemote::new("alice");
    let (root, doc) = (r.root_id(), doc_with(&r, b"x"));
    r.fail_next(1, RemoteError::Conflict("queued".into()));
    r.set_offline(true);
    let errors = [
        r.roots().await.map(drop).unwrap_err(),
        r.list(&folder(&root), None).await.map(drop).unwrap_err(),
        r.role(&root).await.map(drop).unwrap_err(),
        read_chunks(&r, &doc, &latest(&r, &doc), 0..1)
            .await
            .map(drop)
            .unwrap_err(),
    ];
    assert!(
        errors.iter().all(|e| matches!(e, RemoteError::Network(_))),
        "{errors:?}"
    );
    r.set_offline(false);
    assert!(
        matches!(r.roots().await, Err(RemoteError::Conflict(_))),
        "queued failure waited"
    );
    r.roots().await.unwrap();
}

#[tokio::test]
async fn latency_delays_each_call() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    r.set_latency(Duration::from_millis(40));
    let start = Instant::now();
    r.roots().await.unwrap();
    r.list(&folder(&root), None).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(80),
        "{:?}",
        start.elapsed()
    );
    r.set_latency(Duration::ZERO);
    let start = Instant::now();
    r.roots().await.unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "generous: loaded CI machines"
    );
}

#[tokio::test]
async fn counters_count_remote_calls_by_kind() {
    let r = MemoryRemote::new("alice");
    let bob = r.add_user("bob").unwrap();
    let root = r.root_id();
    let doc = doc_with(&r, b"abc");
    r.node(&doc).unwrap();
    r.list_all(&folder(&root)).unwrap();
    assert_eq!(r.request_count(), 0, "the test-side API is not counted");
    r.roots().await.unwrap();
    r.list(&folder(&root), None).await.unwrap();
    bob.list(&Collection::SharedWithMe, None).await.unwrap();
    r.role(&root).await.unwrap();
    bob.role(&root).await.unwrap_err();
    read_bytes(&r, &doc, &latest(&r, &doc), 0..3).await;
    assert_eq!(
        (
            r.roots_calls(),
            r.list_calls(),
            r.role_calls(),
            r.read_calls()
        ),
        (1, 2, 2, 1)
    );
    assert_eq!(r.request_count(), 6);
    assert_eq!(
        bob.call_counts(),
        r.call_counts(),
        "counters are the store's"
    );
    r.reset_counters();
    assert_eq!(r.request_count(), 0);
}

#[tokio::test]
async fn clones_share_the_store_and_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let r = MemoryRemote::new("alice");
    let handle = r.clone();
    let root = r.root_id();
    let what = folder(&root);
    let call = r.list(&what, None);
    assert_send(&call);
    handle.put(&root, "late", b"", t(1)).unwrap();
    assert_eq!(
        names(&call.await.unwrap().items),
        ["late"],
        "the store at answer time"
    );
    let task = tokio::spawn({
        let r = r.clone();
        async move { r.roots().await.map(|x| x.root) }
    });
    assert_eq!(task.await.unwrap().unwrap(), root);
}
