//! Other clients' changes before the TTL runs out: a poll lists again the cached folders a
//! change touched (or, without a feed, the recently used ones) and reports exactly the names and
//! inodes the kernel must forget; this mount's own changes cost nothing; listings that did not
//! change stay cached.

use super::*;
use crate::fs::changes::{FeedState, Invalidation};
use crate::remote::{Change, ChangeBatch, NodeKind};

fn entry(parent: Ino, name: &str) -> Invalidation {
    Invalidation::Entry {
        parent,
        name: name.into(),
    }
}

/// root/docs/{a, b} seen through a core that trusts its cache for good.
async fn setup() -> (MemoryRemote, String, String, Fs<MemoryRemote>, Ino) {
    let r = MemoryRemote::new("alice");
    let docs = r.mkdir(&r.root_id(), "docs").unwrap();
    let a = r.put(&docs, "a", b"v1", t(10)).unwrap();
    r.put(&docs, "b", b"v1", t(10)).unwrap();
    let fs = mount(&r, LONG).await;
    let dir = ino_of(&fs, "docs").await;
    assert_eq!(ls(&fs, "docs").await, ["a", "b"]);
    (r, docs, a, fs, dir)
}

#[tokio::test]
async fn without_a_feed_a_poll_reports_exactly_what_another_client_changed() {
    let (r, docs, a, fs, dir) = setup().await;
    let a_ino = ino_of(&fs, "docs/a").await;
    let mut feed = FeedState::Start;
    assert!(fs.poll_changes(&mut feed).await.unwrap().is_empty());
    assert!(matches!(feed, FeedState::NoFeed));

    // Nothing changed: the poll lists again and reports nothing; the listing stays cached.
    assert!(fs.poll_changes(&mut feed).await.unwrap().is_empty());
    assert!(fs.listing_age(dir).is_some());

    r.rename(&a, "a2").unwrap();
    r.put(&docs, "c", b"new", t(11)).unwrap();
    let got = fs.poll_changes(&mut feed).await.unwrap();
    assert!(got.contains(&entry(dir, "a")), "{got:?}");
    assert!(got.contains(&entry(dir, "a2")), "{got:?}");
    assert!(got.contains(&entry(dir, "c")), "{got:?}");
    assert!(
        got.contains(&Invalidation::Inode(a_ino)),
        "renamed: {got:?}"
    );
    assert!(
        !got.iter()
            .any(|i| matches!(i, Invalidation::Entry { name, .. } if name == "b"))
    );
    // The TTL is far away, yet the next look sees the change, at the same inode.
    assert_eq!(ls(&fs, "docs").await, ["a2", "b", "c"]);
    assert_eq!(ino_of(&fs, "docs/a2").await, a_ino);
}

#[tokio::test]
async fn a_new_version_invalidates_the_inode_and_its_content_reads_anew() {
    let (r, _docs, a, fs, _dir) = setup().await;
    let a_ino = ino_of(&fs, "docs/a").await;
    assert_eq!(read_file(&fs, a_ino, 64).await.unwrap(), b"v1");
    let mut feed = FeedState::NoFeed;
    r.new_version(&a, b"version two", t(20)).unwrap();
    let got = fs.poll_changes(&mut feed).await.unwrap();
    assert_eq!(got, vec![Invalidation::Inode(a_ino)]);
    assert_eq!(fs.getattr(a_ino).await.unwrap().size, 11);
    assert_eq!(read_file(&fs, a_ino, 64).await.unwrap(), b"version two");
}

#[tokio::test]
async fn a_deleted_item_is_gone_at_the_next_stat() {
    let (r, _docs, a, fs, dir) = setup().await;
    let a_ino = ino_of(&fs, "docs/a").await;
    r.recycle(&a).unwrap();
    let got = fs.poll_changes(&mut FeedState::NoFeed).await.unwrap();
    assert!(got.contains(&entry(dir, "a")) && got.contains(&Invalidation::Inode(a_ino)));
    assert_fails!(fs.getattr(a_ino).await, FsError::NotFound, libc::ENOENT);
    assert_fails!(
        resolve(&fs, "docs/a").await,
        FsError::NotFound,
        libc::ENOENT
    );
}

#[tokio::test]
async fn feed_changes_refresh_only_the_folders_they_name() {
    let (r, docs, a, fs, dir) = setup().await;
    let other = r.mkdir(&r.root_id(), "other").unwrap();
    let got = fs.refresh_folder(ROOT).await.unwrap();
    assert_eq!(got, vec![entry(ROOT, "other")]);
    let other_dir = ino_of(&fs, "other").await;
    assert!(ls(&fs, "other").await.is_empty());
    r.move_to(&a, &other).unwrap();
    r.reset_counters();
    let moved = Change {
        id: a.clone(),
        kind: NodeKind::Document,
        name: Some("a".into()),
        folders: vec![other.clone(), docs.clone()],
        version: None,
        bin: false,
        removed: false,
        shares: false,
    };
    let batch = ChangeBatch {
        changes: vec![moved],
        ..ChangeBatch::default()
    };
    let got = fs.apply_changes(&batch).await.unwrap();
    assert!(got.contains(&entry(dir, "a")) && got.contains(&entry(other_dir, "a")));
    assert_eq!(r.list_calls(), 2, "the two folders named, each one page");
    assert_eq!(ls(&fs, "other").await, ["a"]);
    assert_eq!(ls(&fs, "docs").await, ["b"]);
}

#[tokio::test]
async fn this_mounts_own_changes_cost_no_listing() {
    let (r, docs, _a, fs, dir) = setup().await;
    let entry = fs.mkdir(dir, "made here").await.unwrap();
    let node = r.node(&find_id(&r, &docs, "made here")).unwrap();
    r.reset_counters();
    let mine = Change {
        id: node.id.clone(),
        kind: NodeKind::Folder,
        name: Some(node.name.clone()),
        folders: vec![docs.clone()],
        version: None,
        bin: false,
        removed: false,
        shares: false,
    };
    let got = fs
        .apply_changes(&ChangeBatch {
            changes: vec![mine],
            ..ChangeBatch::default()
        })
        .await
        .unwrap();
    assert!(got.is_empty(), "{got:?}");
    assert_eq!(r.list_calls(), 0);
    assert_eq!(ino_of(&fs, "docs/made here").await, entry.stat.ino);
}

#[tokio::test]
async fn an_overflowing_batch_expires_everything() {
    let (r, _docs, a, fs, _dir) = setup().await;
    let a_ino = ino_of(&fs, "docs/a").await;
    r.rename(&a, "renamed").unwrap();
    let got = fs
        .apply_changes(&ChangeBatch {
            overflow: true,
            ..ChangeBatch::default()
        })
        .await
        .unwrap();
    assert!(got.contains(&Invalidation::Inode(a_ino)));
    assert_eq!(ls(&fs, "docs").await, ["b", "renamed"]);
}

fn find_id(r: &MemoryRemote, folder: &str, name: &str) -> String {
    r.list_all(&crate::remote::Collection::Folder(folder.into()))
        .unwrap()
        .into_iter()
        .find(|n| n.name == name)
        .expect("listed")
        .id
}
