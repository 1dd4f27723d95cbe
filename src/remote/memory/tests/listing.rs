//! Listings: order, paging with small pages (also while the folder changes), markers, errors,
//! and the attributes a node reports.

use super::*;
use crate::remote::{NodeKind, Role};

/// A root holding folders "z", "c" and documents "b", "a", "a" (a duplicate), "é".
fn sample() -> (MemoryRemote, String) {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    r.put(&root, "b", b"b", t(1)).unwrap();
    r.mkdir(&root, "z").unwrap();
    r.put(&root, "a", b"a1", t(1)).unwrap();
    r.mkdir(&root, "c").unwrap();
    r.put_duplicate(&root, "a", b"a2", t(1)).unwrap();
    r.put(&root, "é", b"e", t(1)).unwrap();
    (r, root)
}

#[test]
fn folders_first_then_documents_by_name_then_id() {
    let (r, root) = sample();
    let all = r.list_all(&folder(&root)).unwrap();
    assert_eq!(names(&all), ["c", "z", "a", "a", "b", "é"]);
    assert_eq!(all[0].kind, NodeKind::Folder);
    assert_eq!(all[2].kind, NodeKind::Document);
    assert!(all[2].id < all[3].id, "same name: by id");
}

#[tokio::test]
async fn small_pages_return_every_item_once_in_order() {
    let (r, root) = sample();
    let want = r.list_all(&folder(&root)).unwrap();
    for n in 1..=7 {
        r.set_page_size(n);
        r.reset_counters();
        let got = walk(&r, &folder(&root), n).await;
        assert_eq!(got, want, "page size {n}");
        assert_eq!(
            r.list_calls(),
            want.len().div_ceil(n) as u64,
            "page size {n}"
        );
    }
}

#[tokio::test]
async fn an_empty_folder_is_one_empty_page() {
    let r = MemoryRemote::new("alice");
    r.set_page_size(1);
    let page = r.list(&folder(&r.root_id()), None).await.unwrap();
    assert!(page.items.is_empty() && page.next_marker.is_none());
}

#[tokio::test]
async fn changes_between_pages_skip_and_repeat_nothing() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let mut ids = std::collections::HashMap::new();
    for name in ["a", "c", "e", "g", "i"] {
        ids.insert(name, r.put(&root, name, name, t(1)).unwrap());
    }
    r.set_page_size(2);
    let first = r.list(&folder(&root), None).await.unwrap();
    assert_eq!(names(&first.items), ["a", "c"]);
    // Before the marker: not seen. After it: seen. Removed: not seen. The marker's own item
    // going away does not matter (the marker is a position, not an item).
    r.put(&root, "b", b"", t(1)).unwrap();
    r.mkdir(&root, "folder").unwrap();
    r.put(&root, "d", b"", t(1)).unwrap();
    r.recycle(&ids["e"]).unwrap();
    r.recycle(&ids["c"]).unwrap();
    let mut rest = Vec::new();
    let mut marker = first.next_marker;
    while let Some(m) = marker {
        let page = r.list(&folder(&root), Some(&m)).await.unwrap();
        rest.extend(page.items);
        marker = page.next_marker;
        r.put(&root, "zz", b"", t(1)).unwrap(); // new versions of a later item: seen once
    }
    assert_eq!(names(&rest), ["d", "g", "i", "zz"]);
}

#[tokio::test]
async fn a_marker_can_be_used_again() {
    let (r, root) = sample();
    r.set_page_size(2);
    let first = r.list(&folder(&root), None).await.unwrap();
    let m = first.next_marker.unwrap();
    let again = r.list(&folder(&root), Some(&m)).await.unwrap();
    let once_more = r.list(&folder(&root), Some(&m)).await.unwrap();
    assert_eq!(again.items, once_more.items);
    assert_eq!(names(&again.items), ["a", "a"]);
}

#[tokio::test]
async fn markers_not_issued_for_the_collection_are_invalid() {
    let (r, root) = sample();
    let c = r.list_all(&folder(&root)).unwrap()[0].id.clone();
    r.set_page_size(1);
    let m = r
        .list(&folder(&root), None)
        .await
        .unwrap()
        .next_marker
        .unwrap();
    let err = r
        .list(&folder(&root), Some("after:1:d9:a"))
        .await
        .unwrap_err();
    assert!(matches!(err, RemoteError::Invalid(_)), "{err:?}");
    let err = r.list(&folder(&c), Some(&m)).await.unwrap_err();
    assert!(matches!(err, RemoteError::Invalid(_)), "{err:?}");
    let err = r.list(&Collection::RecycleBin, Some(&m)).await.unwrap_err();
    assert!(matches!(err, RemoteError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn listing_errors() {
    let (r, root) = sample();
    let bob = r.add_user("bob").unwrap();
    let doc = r.put(&root, "doc", b"", t(1)).unwrap();
    let err = r.list(&folder("f999"), None).await.unwrap_err();
    assert!(matches!(err, RemoteError::NotFound(_)), "{err:?}");
    let err = r.list(&folder(&doc), None).await.unwrap_err();
    assert!(matches!(err, RemoteError::NotFound(_)), "{err:?}");
    let err = bob.list(&folder(&root), None).await.unwrap_err();
    assert!(matches!(err, RemoteError::Denied(_)), "{err:?}");
    let err = r
        .as_user("mallory")
        .list(&Collection::RecycleBin, None)
        .await
        .unwrap_err();
    assert!(matches!(err, RemoteError::Unauthenticated(_)), "{err:?}");
    assert_eq!(r.role(&root).await.unwrap(), Role::Owner);
}

#[test]
fn nodes_report_the_latest_version() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let dir = r.mkdir(&root, "dir").unwrap();
    let doc = r.put(&dir, "doc", b"abc", t(100)).unwrap();
    let created = r.node(&doc).unwrap();
    assert_eq!((created.size, created.mtime), (3, t(100)));
    let v2 = r.new_version(&doc, b"hello", t(200)).unwrap();
    let other = r.put(&dir, "other", b"", t(1)).unwrap();
    let node = r.list_all(&folder(&dir)).unwrap().remove(0);
    assert_eq!(node.id, doc);
    assert_eq!((node.size, node.mtime), (5, t(200)));
    assert_eq!(node.version.as_deref(), Some(v2.as_str()));
    assert_ne!(created.version, node.version);
    assert_ne!(
        latest(&r, &other),
        v2,
        "version ids are unique in the store"
    );
    assert_eq!(node.ctime, created.ctime);
    assert_eq!(node.parent.as_deref(), Some(dir.as_str()));
    assert!(!node.recycled && node.role.is_none());
    let dir_node = r.node(&dir).unwrap();
    assert_eq!((dir_node.size, dir_node.version.clone()), (0, None));
    assert!(dir_node.ctime <= dir_node.mtime && dir_node.ctime < created.ctime);
    assert_eq!(r.node(&root).unwrap().parent, None);
}

#[test]
fn put_on_a_live_document_adds_a_version() {
    let r = MemoryRemote::new("alice");
    let root = r.root_id();
    let doc = r.put(&root, "doc", b"one", t(1)).unwrap();
    let v1 = latest(&r, &doc);
    assert_eq!(r.put(&root, "doc", b"two!", t(2)).unwrap(), doc);
    assert_ne!(latest(&r, &doc), v1);
    assert_eq!(r.content(&doc), b"two!");
    assert_eq!(r.list_all(&folder(&root)).unwrap().len(), 1);
}
