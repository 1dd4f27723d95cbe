//! Tree changes through the client: creating folders, renaming and moving, recycling and
//! restoring (in place or elsewhere), deleting for good, and modification times set after an
//! upload (the `mtime=` label and when it stops applying).

use std::time::Duration;

use docsfs::remote::{Collection, NodeKind, Relocation, Remote, RemoteError};

use super::support::*;

fn to(name: Option<&str>, parent: Option<&str>) -> Relocation {
    Relocation {
        name: name.map(str::to_owned),
        parent: parent.map(str::to_owned),
    }
}

#[tokio::test]
async fn create_folder_then_list_it() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let r = remote(&s.endpoint(), ALICE);
    let made = r.create_folder(&me.root, "new/dir").await.expect("created");
    assert_eq!(
        (made.kind, made.name.as_str(), made.parent.as_deref()),
        (NodeKind::Folder, "new/dir", Some(me.root.as_str()))
    );
    assert!(made.version.is_none() && !made.recycled && made.size == 0);
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    let listed = named(&items, "new/dir");
    assert_eq!(listed, &made);
    let inner = r.create_folder(&made.id, "inner").await.expect("nested");
    assert_eq!(inner.parent.as_deref(), Some(made.id.as_str()));

    let calls = r.api_calls();
    let taken = r.create_folder(&me.root, "new/dir").await;
    assert!(
        matches!(taken, Err(RemoteError::AlreadyExists(_))),
        "{taken:?}"
    );
    assert_eq!(r.api_calls(), calls + 1, "a refusal is not retried");
    let missing = r.create_folder(&"no-such-folder".to_owned(), "x").await;
    assert!(
        matches!(missing, Err(RemoteError::NotFound(_))),
        "{missing:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn rename_and_move() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let a = api.mkdir(&me.root, "a").await;
    let b = api.mkdir(&me.root, "b").await;
    let (doc, _) = api.upload(&a, "doc.txt", b"doc").await;
    api.upload(&b, "taken.txt", b"t").await;
    let r = remote(&s.endpoint(), ALICE);
    let doc_id = doc.clone();

    r.relocate(&doc_id, NodeKind::Document, &to(Some("renamed.txt"), None))
        .await
        .expect("rename");
    let (_, in_a) = list_all(&r, &Collection::Folder(a.clone())).await;
    assert_eq!(named(&in_a, "renamed.txt").id, doc);

    r.relocate(&doc_id, NodeKind::Document, &to(None, Some(&b)))
        .await
        .expect("move");
    let (_, in_a) = list_all(&r, &Collection::Folder(a.clone())).await;
    assert!(in_a.is_empty(), "{in_a:?}");
    let (_, in_b) = list_all(&r, &Collection::Folder(b.clone())).await;
    let moved = named(&in_b, "renamed.txt");
    assert_eq!(moved.parent.as_deref(), Some(b.as_str()));

    let clash = to(Some("taken.txt"), None);
    let refused = r.relocate(&doc_id, NodeKind::Document, &clash).await;
    assert!(
        matches!(refused, Err(RemoteError::AlreadyExists(_))),
        "{refused:?}"
    );
    // A rename and a move in one call; then a folder, with what it holds.
    r.relocate(&doc_id, NodeKind::Document, &to(Some("back.txt"), Some(&a)))
        .await
        .expect("rename and move");
    r.relocate(&a, NodeKind::Folder, &to(Some("a2"), Some(&b)))
        .await
        .expect("folder move");
    let (_, in_b) = list_all(&r, &Collection::Folder(b.clone())).await;
    assert_eq!(named(&in_b, "a2").id, a);
    let (_, in_a) = list_all(&r, &Collection::Folder(a.clone())).await;
    assert_eq!(named(&in_a, "back.txt").id, doc);
    let into_itself = r.relocate(&b, NodeKind::Folder, &to(None, Some(&a))).await;
    assert!(
        matches!(into_itself, Err(RemoteError::Invalid(_))),
        "{into_itself:?}"
    );
    let wrong_kind = r
        .relocate(&doc_id, NodeKind::Folder, &to(Some("x"), None))
        .await;
    assert!(
        matches!(wrong_kind, Err(RemoteError::NotFound(_))),
        "{wrong_kind:?}"
    );
    s.stop().await;
}

#[tokio::test]
async fn recycle_restore_and_delete() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let folder = api.mkdir(&me.root, "trash me").await;
    let (inside, _) = api.upload(&folder, "inside.txt", b"in").await;
    let (doc, _) = api.upload(&me.root, "doc.txt", b"doc").await;
    let other = api.mkdir(&me.root, "other").await;
    let r = remote(&s.endpoint(), ALICE);
    let root = Collection::Folder(me.root.clone());

    r.recycle(&doc, NodeKind::Document).await.expect("recycle");
    r.recycle(&folder, NodeKind::Folder)
        .await
        .expect("recycle folder");
    let (_, items) = list_all(&r, &root).await;
    assert!(items.iter().all(|n| n.id != doc && n.id != folder));
    let (_, bin) = list_all(&r, &Collection::RecycleBin).await;
    assert_eq!(bin.len(), 2, "{bin:?}");
    assert!(named(&bin, "doc.txt").recycled && named(&bin, "trash me").recycled);

    // In place: back to its folder and name.
    r.restore(&doc, NodeKind::Document, &Relocation::default())
        .await
        .expect("restore");
    let (_, items) = list_all(&r, &root).await;
    assert_eq!(named(&items, "doc.txt").id, doc);
    // Elsewhere, under another name, in the same call.
    r.restore(&folder, NodeKind::Folder, &to(Some("saved"), Some(&other)))
        .await
        .expect("restore elsewhere");
    let (_, in_other) = list_all(&r, &Collection::Folder(other.clone())).await;
    let saved = named(&in_other, "saved");
    assert_eq!(
        (saved.id.as_str(), saved.recycled),
        (folder.as_str(), false)
    );
    let (_, kept) = list_all(&r, &Collection::Folder(folder.clone())).await;
    assert_eq!(named(&kept, "inside.txt").id, inside, "contents came back");
    let (_, bin) = list_all(&r, &Collection::RecycleBin).await;
    assert!(bin.is_empty(), "{bin:?}");

    // A name taken since: restoring in place is refused.
    r.recycle(&doc, NodeKind::Document).await.expect("recycle");
    api.upload(&me.root, "doc.txt", b"new").await;
    let refused = r
        .restore(&doc, NodeKind::Document, &Relocation::default())
        .await;
    assert!(
        matches!(refused, Err(RemoteError::AlreadyExists(_))),
        "{refused:?}"
    );

    // For good: from the bin, and a live folder with its contents.
    r.delete(&doc, NodeKind::Document).await.expect("delete");
    r.delete(&other, NodeKind::Folder)
        .await
        .expect("delete folder");
    let (_, bin) = list_all(&r, &Collection::RecycleBin).await;
    assert!(bin.is_empty(), "{bin:?}");
    let (_, items) = list_all(&r, &root).await;
    assert!(items.iter().all(|n| n.id != other && n.id != doc));
    let gone = r.list(&Collection::Folder(folder.clone()), None).await;
    assert!(matches!(gone, Err(RemoteError::NotFound(_))), "{gone:?}");
    let again = r.delete(&doc, NodeKind::Document).await;
    assert!(matches!(again, Err(RemoteError::NotFound(_))), "{again:?}");
    s.stop().await;
}

#[tokio::test]
async fn viewers_cannot_change_the_tree() {
    let s = TestServer::start(Options::default()).await;
    let (api, alice, bob) = (s.alice(), s.alice().me().await, s.bob().me().await);
    let shared = api.mkdir(&alice.root, "shared").await;
    let (doc, version) = api.upload(&shared, "doc.txt", b"doc").await;
    api.share(&shared, &bob.id, "VIEWER").await;
    let r = remote(&s.endpoint(), BOB);
    let denied = [
        r.create_folder(&shared, "x").await.map(drop),
        r.relocate(&doc, NodeKind::Document, &to(Some("y"), None))
            .await,
        r.recycle(&doc, NodeKind::Document).await,
        r.delete(&doc, NodeKind::Document).await,
        r.set_mtime(&doc, &version, at_ns(1)).await,
    ];
    for result in denied {
        assert!(matches!(result, Err(RemoteError::Denied(_))), "{result:?}");
    }
    s.stop().await;
}

#[tokio::test]
async fn set_mtime_is_exact_until_a_new_version() {
    let s = TestServer::start(Options::default()).await;
    let (api, me) = (s.alice(), s.alice().me().await);
    let dir = tempfile::tempdir().expect("temp dir");
    let r = remote(&s.endpoint(), ALICE);
    let path = spool(&dir, "one", b"first");
    let first_at = at_ns(1_600_000_000_111_222_333);
    let up = upload_of(new_document(&me.root, "t.txt"), &path, first_at);
    let node = r.upload(&up).await.expect("upload");
    let v1 = node.version.clone().expect("version");
    assert_eq!(
        node.mtime, first_at,
        "the content type carries the nanoseconds"
    );

    let touched = at_ns(1_700_000_000_123_456_789);
    r.set_mtime(&node.id, &v1, touched)
        .await
        .expect("set mtime");
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(named(&items, "t.txt").mtime, touched, "to the nanosecond");
    let labels = api.labels(&node.id).await;
    assert_eq!(labels.len(), 1, "{labels:?}");
    assert_eq!(labels[0].len(), 31);
    assert!(
        labels[0].starts_with("mtime=17979cfe3d85cd15."),
        "{labels:?}"
    );

    // Again: the label is replaced, not added; other labels stay.
    let path_labels = format!("/api/v1/resources/{}/labels", node.id);
    let keep = serde_json::json!({ "Labels": ["keep-me"] });
    api.call(reqwest::Method::PUT, &path_labels, Some(keep))
        .await;
    let retouched = touched + Duration::from_nanos(1);
    r.set_mtime(&node.id, &v1, retouched).await.expect("again");
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(named(&items, "t.txt").mtime, retouched);
    let labels = api.labels(&node.id).await;
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert!(labels.contains(&"keep-me".to_owned()));

    // A new version: the label no longer applies.
    let path = spool(&dir, "two", b"second");
    let second_at = at_ns(1_650_000_000_999_999_999);
    let up = upload_of(new_version(&node.id), &path, second_at);
    let v2 = r.upload(&up).await.expect("new version");
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    let listed = named(&items, "t.txt");
    assert_eq!(listed.version, v2.version);
    assert_eq!(listed.mtime, second_at);
    assert_eq!(listed.mtime, v2.mtime);
    // Setting the old version's time now changes nothing visible; an unknown one is NotFound.
    r.set_mtime(&node.id, &v1, touched)
        .await
        .expect("stale version");
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(named(&items, "t.txt").mtime, second_at);
    let unknown = r.set_mtime(&node.id, "no-such-version", touched).await;
    assert!(
        matches!(unknown, Err(RemoteError::NotFound(_))),
        "{unknown:?}"
    );
    let v2_id = v2.version.expect("v2");
    r.set_mtime(&node.id, &v2_id, touched).await.expect("v2");
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(named(&items, "t.txt").mtime, touched);
    let before_1970 = docsfs::remote::RemoteId::from("x");
    let refused = r
        .set_mtime(
            &before_1970,
            &v2_id,
            std::time::UNIX_EPOCH - Duration::from_secs(1),
        )
        .await;
    assert!(
        matches!(refused, Err(RemoteError::Invalid(_))),
        "{refused:?}"
    );
    s.stop().await;
}

/// Recording an mtime on a document this client created costs one call (its labels are
/// known); on any other document a GetDocument comes first.
#[tokio::test]
async fn set_mtime_on_a_document_this_client_created_needs_no_lookup() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let r = remote(&s.endpoint(), ALICE);
    let path = spool(&dir, "mine", b"mine");
    let up = upload_of(new_document(&me.root, "mine.txt"), &path, at_ns(1));
    let node = r.upload(&up).await.expect("upload");
    let version = node.version.clone().expect("version");
    let before = r.api_calls();
    r.set_mtime(&node.id, &version, at_ns(1_700_000_000_000_000_001))
        .await
        .expect("set");
    assert_eq!(r.api_calls() - before, 1, "CreateLabels only");
    let before = r.api_calls();
    r.set_mtime(&node.id, &version, at_ns(1_700_000_000_000_000_002))
        .await
        .expect("again");
    assert_eq!(r.api_calls() - before, 2, "DeleteLabels + CreateLabels");
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    assert_eq!(
        named(&items, "mine.txt").mtime,
        at_ns(1_700_000_000_000_000_002)
    );
    assert_eq!(s.alice().labels(&node.id).await.len(), 1);
    // Another client's document: its labels are asked for first.
    let (theirs, their_version) = s.alice().upload(&me.root, "theirs.txt", b"t").await;
    let before = r.api_calls();
    r.set_mtime(&theirs, &their_version, at_ns(1_700_000_000_000_000_003))
        .await
        .expect("theirs");
    assert_eq!(r.api_calls() - before, 2, "GetDocument + CreateLabels");
    s.stop().await;
}

/// A POST is sent again only when the server cannot have acted on it (429/503 or no
/// connection); after a 500 a second CreateFolder could make a second folder.
#[tokio::test]
async fn a_post_is_retried_only_when_not_acted_on() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let posts = Arc::new(AtomicUsize::new(0));
    let counted = posts.clone();
    let proxy = super::proxy::Proxy::start(&s.endpoint(), move |m, p| {
        if (m, p) != ("POST", "/api/v1/folders") {
            return None;
        }
        match counted.fetch_add(1, Ordering::SeqCst) {
            0 => Some((503, "ServiceUnavailableException")),
            1 => None,
            _ => Some((500, "")),
        }
    })
    .await;
    let r = remote(&proxy.endpoint(), ALICE);
    r.create_folder(&me.root, "once")
        .await
        .expect("after a 503");
    assert_eq!(posts.load(Ordering::SeqCst), 2);
    let failed = r.create_folder(&me.root, "twice").await;
    assert!(
        matches!(failed, Err(RemoteError::Unavailable { .. })),
        "{failed:?}"
    );
    assert_eq!(posts.load(Ordering::SeqCst), 3, "a 500 is not retried");
    // PATCH is idempotent: retried after a 500.
    let patches = Arc::new(AtomicUsize::new(0));
    let counted = patches.clone();
    let proxy = super::proxy::Proxy::start(&s.endpoint(), move |m, _| {
        (m == "PATCH" && counted.fetch_add(1, Ordering::SeqCst) == 0).then_some((500, ""))
    })
    .await;
    let r = remote(&proxy.endpoint(), ALICE);
    let (_, items) = list_all(&r, &Collection::Folder(me.root.clone())).await;
    let once = named(&items, "once").id.clone();
    r.relocate(&once, NodeKind::Folder, &to(Some("renamed"), None))
        .await
        .expect("retried");
    assert_eq!(patches.load(Ordering::SeqCst), 2);
    s.stop().await;
}
