//! Metadata caching: within the TTL lookups (hits and misses), getattr and readdir cost no
//! call; after it the next access lists again and sees new, renamed, deleted and changed items;
//! failed listings are not cached; the listing cache is bounded.

use super::*;
use crate::remote::RemoteError;

/// root/docs/{d0..d4} and root/empty/; page size 2.
fn setup() -> (MemoryRemote, String, Vec<String>) {
    let r = MemoryRemote::new("alice");
    let docs = r.mkdir(&r.root_id(), "docs").unwrap();
    r.mkdir(&r.root_id(), "empty").unwrap();
    let ids = (0..5)
        .map(|i| r.put(&docs, &format!("d{i}"), b"v1", t(10)).unwrap())
        .collect();
    r.set_page_size(2);
    (r, docs, ids)
}

#[tokio::test]
async fn within_the_ttl_lookups_hits_and_misses_make_no_list_call() {
    let (r, docs, ids) = setup();
    let fs = mount(&r, LONG).await;
    r.reset_counters();
    let dir = ino_of(&fs, "docs").await;
    assert_eq!(r.list_calls(), 1, "the root's 2 items are 1 page");
    for i in 0..5 {
        ino_of(&fs, &format!("docs/d{i}")).await;
    }
    assert_eq!(r.list_calls(), 1 + 3, "docs' 5 items are 3 pages");
    // A miss in a cold folder lists it completely once; a miss in a complete listing is free.
    let empty = ino_of(&fs, "empty").await;
    assert!(matches!(
        fs.lookup(empty, "x").await,
        Err(FsError::NotFound)
    ));
    assert_eq!(r.list_calls(), 5);

    // The store changes, but the cached listings are trusted for the TTL.
    r.put(&docs, "new", b"n", t(11)).unwrap();
    r.new_version(&ids[0], b"version 2", t(12)).unwrap();
    r.delete(&ids[1]).unwrap();
    r.reset_counters();
    for _ in 0..10 {
        for i in 0..5 {
            let e = fs.lookup(dir, &format!("d{i}")).await.unwrap();
            assert_eq!(fs.getattr(e.stat.ino).await.unwrap().size, 2);
        }
        for miss in ["new", "missing", "d5", "D0"] {
            assert!(matches!(fs.lookup(dir, miss).await, Err(FsError::NotFound)));
        }
        assert!(matches!(
            fs.lookup(empty, "y").await,
            Err(FsError::NotFound)
        ));
        assert_eq!(ls(&fs, "docs").await, ["d0", "d1", "d2", "d3", "d4"]);
        assert!(fs.listing_age(dir).unwrap() < LONG);
    }
    assert_eq!(r.request_count(), 0, "{:?}", r.call_counts());
}

#[tokio::test]
async fn after_the_ttl_a_lookup_lists_again_and_sees_changes() {
    let r = MemoryRemote::new("alice");
    let dir = r.mkdir(&r.root_id(), "d").unwrap();
    let old = r.put(&dir, "old", b"o", t(1)).unwrap();
    let gone = r.put(&dir, "gone", b"g", t(1)).unwrap();
    let binned = r.put(&dir, "binned", b"b", t(1)).unwrap();
    r.put(&dir, "kept", b"k", t(1)).unwrap();
    let fs = mount(&r, SHORT).await;
    let d = ino_of(&fs, "d").await;
    let old_ino = ino_of(&fs, "d/old").await;
    let binned_ino = ino_of(&fs, "d/binned").await;
    ino_of(&fs, "d/gone").await;
    assert!(matches!(fs.lookup(d, "new").await, Err(FsError::NotFound)));

    r.put(&dir, "new", b"n", t(2)).unwrap();
    r.rename(&old, "renamed").unwrap();
    r.delete(&gone).unwrap();
    r.recycle(&binned).unwrap();
    past_ttl().await;
    r.reset_counters();
    let new = fs.lookup(d, "new").await.expect("a new item is seen");
    assert_eq!(r.list_calls(), 1, "the folder was listed again");
    assert_eq!(new.stat.size, 1);
    let renamed = fs.lookup(d, "renamed").await.expect("the renamed item");
    assert_eq!(renamed.stat.ino, old_ino, "a renamed item keeps its inode");
    for name in ["old", "gone", "binned"] {
        assert!(
            matches!(fs.lookup(d, name).await, Err(FsError::NotFound)),
            "{name}"
        );
    }
    assert_eq!(ls(&fs, "d").await, ["kept", "new", "renamed"]);
    assert_eq!(ino_of(&fs, "Recycle Bin/binned").await, binned_ino);
}

#[tokio::test]
async fn getattr_after_the_ttl_refreshes_a_changed_document() {
    let r = MemoryRemote::new("alice");
    let doc = r.put(&r.root_id(), "doc", b"abc", t(100)).unwrap();
    let fs = mount(&r, SHORT).await;
    let e = resolve(&fs, "doc").await.unwrap();
    assert_eq!((e.stat.size, e.stat.mtime), (3, t(100)));
    let longer = bytes(5000, 7);
    r.new_version(&doc, &longer, t(200)).unwrap();
    past_ttl().await;
    r.reset_counters();
    let s = fs.getattr(e.stat.ino).await.unwrap();
    assert_eq!((s.size, s.mtime, s.ino), (5000, t(200), e.stat.ino));
    assert_eq!(r.list_calls(), 1, "refreshed through the parent's listing");
    assert_eq!(read_file(&fs, s.ino, 1000).await.unwrap(), longer);
}

#[tokio::test]
async fn getattr_within_the_ttl_answers_from_the_cache() {
    let r = MemoryRemote::new("alice");
    let doc = r.put(&r.root_id(), "doc", b"abc", t(100)).unwrap();
    let fs = mount(&r, LONG).await;
    let ino = ino_of(&fs, "doc").await;
    r.new_version(&doc, b"abcdef", t(200)).unwrap();
    r.reset_counters();
    let s = fs.getattr(ino).await.unwrap();
    assert_eq!((s.size, s.mtime), (3, t(100)));
    assert_eq!(r.request_count(), 0);
}

#[tokio::test]
async fn a_deleted_item_is_not_found_after_the_ttl() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let doc = r.put(&root, "doc", b"x", t(1)).unwrap();
    let folder = r.mkdir(&root, "folder").unwrap();
    r.put(&folder, "inner", b"y", t(1)).unwrap();
    let fs = mount(&r, SHORT).await;
    let doc_ino = ino_of(&fs, "doc").await;
    let folder_ino = ino_of(&fs, "folder").await;
    let inner_ino = ino_of(&fs, "folder/inner").await;
    r.delete(&doc).unwrap();
    r.delete(&folder).unwrap();
    past_ttl().await;
    assert_fails!(fs.getattr(doc_ino).await, FsError::NotFound, libc::ENOENT);
    assert_fails!(
        fs.getattr(folder_ino).await,
        FsError::NotFound,
        libc::ENOENT
    );
    // Its parent folder is gone too: the store's NotFound for the listing, still ENOENT.
    assert_fails!(
        fs.getattr(inner_ino).await,
        FsError::NotFound | FsError::Remote(RemoteError::NotFound(_)),
        libc::ENOENT
    );
    assert_fails!(resolve(&fs, "doc").await, FsError::NotFound, libc::ENOENT);
}

#[tokio::test]
async fn getattr_follows_an_item_renamed_in_its_folder_after_the_ttl() {
    let r = MemoryRemote::new("alice");
    let doc = r.put(&r.root_id(), "before", b"abc", t(1)).unwrap();
    let fs = mount(&r, SHORT).await;
    let ino = ino_of(&fs, "before").await;
    r.rename(&doc, "after").unwrap();
    r.new_version(&doc, b"abcdef", t(2)).unwrap();
    past_ttl().await;
    // An open file or a cwd is held by inode: its attributes must still be there.
    let s = fs
        .getattr(ino)
        .await
        .expect("the item is still in its folder");
    assert_eq!((s.ino, s.size, s.mtime), (ino, 6, t(2)));
}

#[tokio::test]
async fn a_failed_listing_is_not_cached() {
    let (r, _, _) = setup();
    let fs = mount(&r, LONG).await;
    let busy = RemoteError::Unavailable {
        message: "busy".into(),
        retry_after: None,
    };
    r.fail_next(1, busy);
    assert_fails!(resolve(&fs, "docs").await, FsError::Remote(_), libc::EIO);
    // The failure left no half listing behind: the next lookup lists and finds.
    ino_of(&fs, "docs/d4").await;
    // A failure on a later page keeps the pages already fetched.
    let fresh = mount(&r, LONG).await;
    let docs_fresh = ino_of(&fresh, "docs").await;
    ino_of(&fresh, "docs/d0").await; // page 1
    r.fail_next(1, RemoteError::Denied("no".into()));
    assert_fails!(
        fresh.lookup(docs_fresh, "d4").await,
        FsError::Remote(RemoteError::Denied(_)),
        libc::EACCES
    );
    let before = r.list_calls();
    ino_of(&fresh, "docs/d4").await;
    assert_eq!(
        r.list_calls() - before,
        2,
        "pages 2 and 3, not page 1 again"
    );
}

#[tokio::test]
async fn the_listing_cache_is_bounded() {
    let r = MemoryRemote::new("alice");
    for i in 0..20 {
        let f = r.mkdir(&r.root_id(), &format!("f{i:02}")).unwrap();
        r.put(&f, "x", b"x", t(1)).unwrap();
    }
    let config = FsConfig {
        metadata_ttl: LONG,
        cache_entries: 1, // at least 16 are kept
        ..FsConfig::default()
    };
    let fs = Fs::new(Arc::new(r.clone()), config).await.unwrap();
    for i in 0..20 {
        ino_of(&fs, &format!("f{i:02}/x")).await;
    }
    r.reset_counters();
    ino_of(&fs, "f19/x").await;
    assert_eq!(r.list_calls(), 0, "a recently used listing is kept");
    ino_of(&fs, "f00/x").await;
    assert_eq!(r.list_calls(), 1, "the least recently used one went");
}
