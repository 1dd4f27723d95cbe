//! Uploads that work: a new multi-MiB document read back byte for byte, a new version of it, the
//! PUT as sent (streamed with `Content-Length` and every signed header, no credentials), uploads
//! through injected throttling, and the admin (SigV4) mode signing bodies.

use std::time::Duration;

use docsfs::remote::{Collection, NodeKind, Remote};
use docsfs::server::faults::FaultSettings;

use super::proxy::Proxy;
use super::support::*;

#[tokio::test]
async fn a_new_document_then_a_new_version() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = pattern(5 * 1024 * 1024 + 123);
    let path = spool(&dir, "spool", &data);
    let modified = at_ns(1_700_000_000_123_456_789);
    let created = at_ns(1_600_000_000_000_000_001);
    let mut up = upload_of(new_document(&me.root, "big/one.bin"), &path, modified);
    up.created = Some(created);
    let r = remote(&s.endpoint(), ALICE);
    let node = r.upload(&up).await.expect("upload");
    assert_eq!(
        r.api_calls(),
        2,
        "initiate and activate (the PUT is not an API call)"
    );
    assert_eq!(
        (node.kind, node.name.as_str(), node.parent.as_deref()),
        (NodeKind::Document, "big/one.bin", Some(me.root.as_str()))
    );
    assert_eq!(node.size, data.len() as u64);
    // Exact: ContentModifiedTimestamp has the milliseconds, the version's content type the
    // rest (no request of its own); the listing below shows the same.
    assert_eq!(node.mtime, modified, "to the nanosecond");
    assert!(!node.recycled && node.role.is_none());
    let version = node.version.clone().expect("version");

    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_listed_as_uploaded(named(&items, "big/one.bin"), &node, &data);
    let back = collect(r.read(&node.id, &version, 0..u64::MAX).await.expect("read")).await;
    assert!(back == data, "the bytes read back are the bytes sent");
    let versions = api.versions(&node.id).await;
    assert_eq!(versions, vec![(version.clone(), "ACTIVE".to_owned())]);

    let changed = pattern(1_000_001)
        .iter()
        .map(|b| b ^ 0x5a)
        .collect::<Vec<_>>();
    let path = spool(&dir, "spool2", &changed);
    let later = at_ns(1_800_000_000_000_000_000);
    let again = r
        .upload(&upload_of(new_version(&node.id), &path, later))
        .await
        .expect("new version");
    assert_eq!(
        (
            again.id.as_str(),
            again.name.as_str(),
            again.parent.as_deref()
        ),
        (node.id.as_str(), "big/one.bin", Some(me.root.as_str()))
    );
    let v2 = again.version.clone().expect("v2");
    assert_ne!(v2, version);
    assert_eq!((again.size, again.mtime), (changed.len() as u64, later));
    assert_eq!(again.ctime, node.ctime, "the document's creation time");
    let back = collect(r.read(&node.id, &v2, 0..u64::MAX).await.expect("read v2")).await;
    assert!(back == changed);
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    let listed = named(&items, "big/one.bin");
    assert!(
        listed.digest.is_some(),
        "the listing states the new version's checksum"
    );
    assert_eq!(
        &docsfs::remote::Node {
            digest: None,
            ..listed.clone()
        },
        &again
    );
    assert_eq!(api.versions(&node.id).await.len(), 2);

    // Only `size` bytes are sent, whatever follows in the file; an empty upload works too.
    let mut head = upload_of(new_document(&me.root, "head.bin"), &path, later);
    head.size = 10;
    let short = r.upload(&head).await.expect("prefix");
    let got = collect(
        r.read(&short.id, short.version.as_deref().expect("v"), 0..100)
            .await
            .expect("read"),
    )
    .await;
    assert_eq!(got, &changed[..10]);
    let empty = spool(&dir, "empty", b"");
    let none = r
        .upload(&upload_of(new_document(&me.root, "empty"), &empty, later))
        .await
        .expect("empty");
    assert_eq!(none.size, 0);
    s.stop().await;
}

#[tokio::test]
async fn the_put_streams_with_every_signed_header() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let proxy = Proxy::start(&s.endpoint(), |_, _| None).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = pattern(3 * 1024 * 1024);
    let path = spool(&dir, "spool", &data);
    let r = remote(&proxy.endpoint(), ALICE);
    let up = upload_of(
        new_document(&me.root, "via proxy"),
        &path,
        at_ns(1_000_000_000),
    );
    let node = r.upload(&up).await.expect("upload");
    let puts: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|x| x.method == "PUT")
        .collect();
    assert_eq!(puts.len(), 1);
    let put = &puts[0];
    let h = |name: &str| {
        put.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(h("content-length"), Some(data.len().to_string()));
    assert_eq!(h("transfer-encoding"), None);
    assert_eq!(
        h("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(h("x-amz-server-side-encryption").as_deref(), Some("AES256"));
    assert_eq!((h("authentication"), h("authorization")), (None, None));
    assert_eq!(put.body_len, data.len());
    let calls = proxy.calls();
    let api: Vec<_> = calls.iter().filter(|c| c.contains("/api/")).collect();
    assert_eq!(api.len(), 2, "{calls:?}");
    assert!(api[0].starts_with("POST /api/v1/documents"), "{calls:?}");
    let activate = format!("PATCH /api/v1/documents/{}/versions/", node.id);
    assert!(api[1].starts_with(&activate), "{calls:?}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_get_through_injected_throttling() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = pattern(2 * 1024 * 1024 + 7);
    let path = spool(&dir, "spool", &data);
    s.set_faults(FaultSettings {
        fail_rate: 0.3,
        ..Default::default()
    })
    .await;
    let r = remote_with(&s.endpoint(), ALICE, Duration::from_secs(30));
    let mut made = vec![];
    for i in 0..6 {
        let up = upload_of(new_document(&me.root, &format!("f{i}")), &path, at_ns(i));
        made.push(r.upload(&up).await.expect("retried until it got through"));
    }
    s.set_faults(FaultSettings::default()).await;
    for node in &made {
        let v = node.version.as_deref().expect("version");
        let back = collect(r.read(&node.id, v, 0..u64::MAX).await.expect("read")).await;
        assert!(back == data, "{}", node.name);
    }
    let listed = api.contents_with_initialized(&me.root).await;
    assert_eq!(listed.len(), 6, "no stray documents: {listed:?}");
    for node in &made {
        assert_eq!(api.versions(&node.id).await.len(), 1);
    }
    s.stop().await;
}

#[tokio::test]
async fn admin_mode_signs_bodies() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let r = admin_remote(&s.endpoint(), &me.root);
    let folder = r.create_folder(&me.root, "by admin").await.expect("folder");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = pattern(1_500_000);
    let path = spool(&dir, "spool", &data);
    let up = upload_of(
        new_document(&folder.id, "signed.bin"),
        &path,
        at_ns(5_000_000),
    );
    let node = r.upload(&up).await.expect("upload");
    let v = node.version.clone().expect("version");
    let back = collect(r.read(&node.id, &v, 0..u64::MAX).await.expect("read")).await;
    assert!(back == data);
    r.set_mtime(&node.id, &v, at_ns(41)).await.expect("label");
    // The second replaces the first: DeleteLabels, whose query is signed too.
    r.set_mtime(&node.id, &v, at_ns(42))
        .await
        .expect("label again");
    let (_, items) = list_all(&r, &docsfs::remote::Collection::Folder(folder.id.clone())).await;
    assert_eq!(named(&items, "signed.bin").mtime, at_ns(42));
    let renamed = docsfs::remote::Relocation {
        name: Some("renamed".into()),
        parent: None,
    };
    r.relocate(&folder.id, NodeKind::Folder, &renamed)
        .await
        .expect("PATCH signed");
    r.delete(&node.id, NodeKind::Document)
        .await
        .expect("DELETE signed");
    let (_, top) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(named(&top, "renamed").id, folder.id);
    s.stop().await;
}
