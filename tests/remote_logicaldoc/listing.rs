//! Listings and reads through `LogicalDocRemote`: the root's workspaces (the caller's home as
//! `Default`, folders shared with the caller next to it), roles from `isWritable`, document
//! pages (including the server's habit of answering every page with the whole list when it
//! fits in one), and ranged reads through the `/download` servlet.

use docsfs::remote::{Collection, NodeKind, Remote, Role};

use super::ld::{DEFAULT, client, list_all, named, password};
use super::support::{ALICE, BOB, Options, TestServer, collect, pattern};

#[tokio::test]
async fn the_root_lists_workspaces_with_the_callers_roles() {
    let server = TestServer::start(Options::default()).await;
    let (alice, bob) = (server.alice(), server.bob());
    let home = alice.me().await.root;
    alice.mkdir(&home, "Projects").await;
    alice.upload(&home, "a.txt", b"hello").await;
    let bob_home = bob.me().await.root;
    let team = bob.mkdir(&bob_home, "Team").await;
    let me = alice.me().await.id;
    bob.share(&team, &me, "VIEWER").await;

    let r = client(&server.endpoint(), password("alice", ALICE), None);
    let roots = r.roots().await.expect("roots");
    assert_eq!(roots.root, "5");
    assert!(!roots.has_recycle_bin && !roots.has_shared_with_me);
    let (_, top) = list_all(&r, &Collection::Folder(roots.root.clone())).await;
    let names: Vec<&str> = top.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let default = named(&top, "Default");
    assert_eq!(
        (default.id.as_str(), default.kind),
        (DEFAULT, NodeKind::Folder)
    );
    assert_eq!(default.role, Some(Role::Contributor));
    assert_eq!(named(&top, "Team").role, Some(Role::Viewer));

    let (_, inside) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    assert_eq!(named(&inside, "Projects").kind, NodeKind::Folder);
    let doc = named(&inside, "a.txt");
    assert_eq!((doc.kind, doc.size), (NodeKind::Document, 5));
    assert_eq!(doc.version.as_deref(), Some("1.0"));
    assert_eq!(doc.parent.as_deref(), Some(DEFAULT));
    server.stop().await;
}

#[tokio::test]
async fn document_pages_are_followed_and_a_repeated_page_ends_the_listing() {
    let src = tempfile::tempdir().unwrap();
    for (dir, n) in [("exact", 1000), ("many", 2345)] {
        let d = src.path().join(dir);
        std::fs::create_dir(&d).unwrap();
        for i in 0..n {
            std::fs::write(d.join(format!("f{i:05}")), b"").unwrap();
        }
    }
    let opts = Options {
        import: Some(src.path().to_path_buf()),
        ..Options::default()
    };
    let server = TestServer::start(opts).await;
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    let (_, home) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    for (dir, n, pages) in [("exact", 1000, 2), ("many", 2345, 3)] {
        let id = named(&home, dir).id.clone();
        let (seen_pages, items) = list_all(&r, &Collection::Folder(id)).await;
        let mut names: Vec<&str> = items.iter().map(|n| n.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "{dir}: every document once");
        assert_eq!(items.len(), n, "{dir}: no document twice");
        assert_eq!(seen_pages, pages, "{dir}");
    }
    server.stop().await;
}

#[tokio::test]
async fn reads_take_ranges_of_the_asked_version() {
    let server = TestServer::start(Options::default()).await;
    let alice = server.alice();
    let home = alice.me().await.root;
    let bytes = pattern(1 << 20);
    alice.upload(&home, "big.bin", &bytes).await;
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    let (_, items) = list_all(&r, &Collection::Folder(DEFAULT.into())).await;
    let doc = named(&items, "big.bin");
    let version = doc.version.clone().unwrap();
    let part = collect(r.read(&doc.id, &version, 1000..70_000).await.unwrap()).await;
    assert_eq!(part, &bytes[1000..70_000]);
    let tail = collect(
        r.read(&doc.id, &version, (1 << 20) - 10..(1 << 21))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(tail, &bytes[(1 << 20) - 10..]);
    let none = collect(r.read(&doc.id, &version, 5..5).await.unwrap()).await;
    assert!(none.is_empty());
    let past = collect(
        r.read(&doc.id, &version, (2 << 20)..(3 << 20))
            .await
            .unwrap(),
    )
    .await;
    assert!(past.is_empty());
    // Another user sees neither the document nor its bytes.
    let bob = client(&server.endpoint(), password("bob", BOB), None);
    assert!(bob.read(&doc.id, &version, 0..10).await.is_err());
    server.stop().await;
}
