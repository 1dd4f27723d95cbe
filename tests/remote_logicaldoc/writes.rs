//! Changes through `LogicalDocRemote`: uploads (a new document is version 1.0, an overwrite a
//! minor version 1.1, both carrying the exact mtime), LogicalDOC's unique-name habit turned
//! into AlreadyExists, folders, renames and moves, and the recycle bin kept as a durable record
//! (restore with `document/restore`, forget without touching LogicalDOC's own trash).

use std::time::SystemTime;

use docsfs::remote::{Collection, NodeKind, Relocation, Remote, RemoteError};

use super::ld::{DEFAULT, client, list_all, named, password};
use super::support::{
    ALICE, Options, TestServer, at_ns, collect, new_document, new_version, spool, upload_of,
};

fn rename(name: &str) -> Relocation {
    Relocation {
        name: Some(name.into()),
        parent: None,
    }
}

#[tokio::test]
async fn uploads_make_version_1_0_then_1_1_with_exact_mtimes() {
    let server = TestServer::start(Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    let first = spool(&dir, "one", b"first");
    let t1 = at_ns(1_700_000_000_123_456_789);
    let node = r
        .upload(&upload_of(new_document(DEFAULT, "notes.txt"), &first, t1))
        .await
        .expect("create");
    assert_eq!((node.name.as_str(), node.size), ("notes.txt", 5));
    assert_eq!(node.version.as_deref(), Some("1.0"));
    assert_eq!(node.mtime, t1);

    let second = spool(&dir, "two", b"second version");
    let t2 = at_ns(1_700_000_100_000_000_001);
    let after = r
        .upload(&upload_of(new_version(&node.id), &second, t2))
        .await
        .expect("new version");
    assert_eq!(after.id, node.id);
    assert_eq!(after.version.as_deref(), Some("1.1"));
    assert_eq!((after.size, after.mtime), (14, t2));

    // A listing (what a remount sees) shows the same, to the nanosecond.
    let (_, items) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    let listed = named(&items, "notes.txt");
    assert_eq!((listed.version.as_deref(), listed.mtime), (Some("1.1"), t2));
    let bytes = collect(r.read(&node.id, "1.1", 0..100).await.unwrap()).await;
    assert_eq!(bytes, b"second version");
    let old = collect(r.read(&node.id, "1.0", 0..100).await.unwrap()).await;
    assert_eq!(old, b"first");
    // The WorkDocs side of the same store sees one document with two versions.
    let alice = server.alice();
    let home = alice.me().await.root;
    let docs = alice.contents_with_initialized(&home).await;
    let wd_id = &docs.iter().find(|(n, _)| n == "notes.txt").unwrap().1;
    assert_eq!(alice.versions(wd_id).await.len(), 2);

    // A time set afterwards (touch) is kept for the latest version.
    let t3 = at_ns(1_600_000_000_000_000_007);
    r.set_mtime(&node.id, "1.1", t3).await.expect("set mtime");
    let (_, items) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    assert_eq!(named(&items, "notes.txt").mtime, t3);
    server.stop().await;
}

#[tokio::test]
async fn a_taken_name_is_refused_and_leaves_no_copy() {
    let server = TestServer::start(Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    let f = spool(&dir, "f", b"x");
    let now = SystemTime::now();
    r.upload(&upload_of(new_document(DEFAULT, "a.txt"), &f, now))
        .await
        .expect("first");
    let again = r
        .upload(&upload_of(new_document(DEFAULT, "A.TXT"), &f, now))
        .await;
    assert!(
        matches!(again, Err(RemoteError::AlreadyExists(_))),
        "{again:?}"
    );
    let other = r
        .upload(&upload_of(new_document(DEFAULT, "b.txt"), &f, now))
        .await
        .expect("second");
    let taken = r
        .relocate(&other.id, NodeKind::Document, &rename("a.txt"))
        .await;
    assert!(
        matches!(taken, Err(RemoteError::AlreadyExists(_))),
        "{taken:?}"
    );
    // A move into a folder where the name is taken is refused before anything moves.
    let sub = r.create_folder(&DEFAULT.into(), "sub").await.unwrap();
    let inner = r
        .upload(&upload_of(new_document(&sub.id, "b.txt"), &f, now))
        .await
        .unwrap();
    let into_home = Relocation {
        name: None,
        parent: Some(DEFAULT.into()),
    };
    let moved = r.relocate(&inner.id, NodeKind::Document, &into_home).await;
    assert!(
        matches!(moved, Err(RemoteError::AlreadyExists(_))),
        "{moved:?}"
    );
    let (_, in_sub) = list_all(&r, &Collection::Folder(sub.id.clone())).await;
    assert_eq!(named(&in_sub, "b.txt").id, inner.id);
    let (_, items) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    let names: Vec<&str> = items.iter().map(|n| n.name.as_str()).collect();
    assert!(names.contains(&"a.txt"), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("A(") || n.starts_with("a(")),
        "{names:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn folders_are_made_renamed_moved_and_deleted() {
    let server = TestServer::start(Options::default()).await;
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    let a = r
        .create_folder(&DEFAULT.into(), "a")
        .await
        .expect("mkdir a");
    assert_eq!((a.name.as_str(), a.kind), ("a", NodeKind::Folder));
    let b = r
        .create_folder(&DEFAULT.into(), "b")
        .await
        .expect("mkdir b");
    let dup = r.create_folder(&DEFAULT.into(), "a").await;
    assert!(dup.is_err(), "a second folder a: {dup:?}");
    r.relocate(&a.id, NodeKind::Folder, &rename("a2"))
        .await
        .expect("rename");
    let into_b = Relocation {
        name: None,
        parent: Some(b.id.clone()),
    };
    r.relocate(&a.id, NodeKind::Folder, &into_b)
        .await
        .expect("move");
    let (_, inside) = list_all(&r, &Collection::Folder(b.id.clone())).await;
    assert_eq!(named(&inside, "a2").id, a.id);
    r.recycle(&a.id, NodeKind::Folder).await.expect("delete");
    let (_, inside) = list_all(&r, &Collection::Folder(b.id.clone())).await;
    assert!(inside.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn the_recycle_bin_is_a_durable_record_of_deleted_documents() {
    let server = TestServer::start(Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let trash = tempfile::tempdir().unwrap();
    let r = client(
        &server.endpoint(),
        password("alice", ALICE),
        Some(trash.path()),
    );
    assert!(r.roots().await.unwrap().has_recycle_bin);
    let f = spool(&dir, "f", b"keep me");
    let mtime = at_ns(1_650_000_000_000_000_000);
    let doc = r
        .upload(&upload_of(new_document(DEFAULT, "k.txt"), &f, mtime))
        .await
        .unwrap();
    r.recycle(&doc.id, NodeKind::Document)
        .await
        .expect("delete");
    let (_, home) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    assert!(home.iter().all(|n| n.name != "k.txt"));
    drop(r);

    // Another client (a later mount) with the same record folder sees it in the bin.
    let r = client(
        &server.endpoint(),
        password("alice", ALICE),
        Some(trash.path()),
    );
    let (_, bin) = list_all(&r, &Collection::RecycleBin).await;
    let item = named(&bin, "k.txt");
    assert!(item.recycled);
    assert_eq!(
        (item.id.as_str(), item.size, item.mtime),
        (doc.id.as_str(), 7, mtime)
    );
    r.restore(&doc.id, NodeKind::Document, &rename("back.txt"))
        .await
        .expect("restore");
    let (_, home) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    assert_eq!(named(&home, "back.txt").id, doc.id);
    let bytes = collect(r.read(&doc.id, "1.0", 0..100).await.unwrap()).await;
    assert_eq!(bytes, b"keep me");
    let (_, bin) = list_all(&r, &Collection::RecycleBin).await;
    assert!(bin.is_empty());

    // Deleted again and forgotten: gone from the bin and from the folder.
    r.recycle(&doc.id, NodeKind::Document).await.unwrap();
    r.delete(&doc.id, NodeKind::Document).await.expect("forget");
    let (_, bin) = list_all(&r, &Collection::RecycleBin).await;
    assert!(bin.is_empty());
    let (_, home) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    assert!(home.iter().all(|n| n.id != doc.id));
    let restore_again = r
        .restore(&doc.id, NodeKind::Document, &Relocation::default())
        .await;
    assert!(matches!(restore_again, Err(RemoteError::NotFound(_))));
    // Folders cannot come back through LogicalDOC's API.
    let folder = r.create_folder(&DEFAULT.into(), "gone").await.unwrap();
    r.recycle(&folder.id, NodeKind::Folder).await.unwrap();
    let e = r
        .restore(&folder.id, NodeKind::Folder, &Relocation::default())
        .await;
    assert!(matches!(e, Err(RemoteError::Unsupported(_))));
    server.stop().await;
}
