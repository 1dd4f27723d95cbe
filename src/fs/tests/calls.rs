//! What the core costs the store: a cold walk lists each folder (and special folder) once, page
//! by page, and asks for the role of each shared item once; a warm walk costs nothing;
//! concurrent lookups in one cold folder share one listing fetch.

use super::*;
use crate::remote::{Collection, NodeKind, Remote, Role};

/// Reads every directory under `dir` and looks up and stats every entry; returns how many
/// entries it saw (`.` and `..` aside).
async fn walk(fs: &Fs<MemoryRemote>, dir: Ino) -> usize {
    let entries = read_dir(fs, dir).await;
    let mut seen = 0;
    for e in &entries[2..] {
        let looked = fs.lookup(dir, &e.name).await.unwrap();
        assert_eq!(looked.stat, e.stat, "{}", e.name);
        assert_eq!(fs.getattr(e.stat.ino).await.unwrap(), e.stat);
        seen += 1;
        if e.stat.kind == FileKind::Directory {
            seen += Box::pin(walk(fs, e.stat.ino)).await;
        }
    }
    seen
}

/// The listing pages of `what` and every folder under it, as the store itself counts them:
/// (pages, collections, items).
fn store_pages(r: &MemoryRemote, what: &Collection, page: usize) -> (u64, u64, usize) {
    let items = r.list_all(what).unwrap();
    let mut total = ((items.len().div_ceil(page)).max(1) as u64, 1, items.len());
    for n in items.iter().filter(|n| n.kind == NodeKind::Folder) {
        let (p, c, i) = store_pages(r, &Collection::Folder(n.id.clone()), page);
        total = (total.0 + p, total.1 + c, total.2 + i);
    }
    total
}

/// alice: 3 folders of 2 subfolders and 2 documents each, a document in each subfolder, a
/// folder and a document in her bin; bob shares a document and a folder (holding a folder)
/// with her.
fn tree() -> MemoryRemote {
    let alice = MemoryRemote::new("alice");
    let root = alice.root_id();
    for p in 0..3 {
        let pf = alice.mkdir(&root, &format!("p{p}")).unwrap();
        for d in 0..2 {
            alice.put(&pf, &format!("doc{d}"), [p, d], t(1)).unwrap();
            let q = alice.mkdir(&pf, &format!("q{d}")).unwrap();
            alice.put(&q, "leaf", b"leaf", t(2)).unwrap();
        }
    }
    let old = alice.mkdir(&root, "old").unwrap();
    alice.put(&old, "stale", b"s", t(3)).unwrap();
    alice.recycle(&old).unwrap();
    let trash = alice.put(&root, "trash", b"t", t(3)).unwrap();
    alice.recycle(&trash).unwrap();
    let bob = alice.add_user("bob").unwrap();
    let doc = bob.put(&bob.root_id(), "shared.txt", b"hi", t(4)).unwrap();
    let dir = bob.mkdir(&bob.root_id(), "bobdir").unwrap();
    bob.mkdir(&dir, "inner").unwrap();
    bob.share(&doc, "alice", Role::Viewer).unwrap();
    bob.share(&dir, "alice", Role::Contributor).unwrap();
    alice
}

/// Expected (list calls, collections listed, items) of a full walk with pages of `page`.
fn expected(r: &MemoryRemote, page: usize) -> (u64, u64, usize) {
    [
        Collection::Folder(r.root_id()),
        Collection::RecycleBin,
        Collection::SharedWithMe,
    ]
    .iter()
    .map(|c| store_pages(r, c, page))
    .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
}

#[tokio::test]
async fn a_cold_walk_lists_each_folder_once_and_a_warm_one_costs_nothing() {
    let r = tree();
    let (pages, collections, items) = expected(&r, 999);
    // alice's root and its 9 folders, the bin's folder, bob's 2 folders, the 2 special ones.
    assert_eq!((pages, collections), (15, 15));
    let fs = mount(&r, LONG).await;
    r.reset_counters();
    let seen = walk(&fs, ROOT).await;
    assert_eq!(seen, items + 2, "every item and the two special folders");
    let counts = r.call_counts();
    assert_eq!(
        counts.list, collections,
        "one listing per folder: {counts:?}"
    );
    assert_eq!(counts.role, 2, "one role per shared item: {counts:?}");
    assert_eq!(counts.total(), counts.list + counts.role);
    r.reset_counters();
    assert_eq!(walk(&fs, ROOT).await, seen);
    assert_eq!(r.request_count(), 0, "a warm walk: {:?}", r.call_counts());
}

#[tokio::test]
async fn a_cold_walk_with_pages_of_three_fetches_each_page_once() {
    let r = tree();
    for i in 0..7 {
        r.put(&r.root_id(), &format!("extra{i}"), b"e", t(5))
            .unwrap();
    }
    r.set_page_size(3);
    let (pages, collections, _) = expected(&r, 3);
    assert!(
        pages > collections + 3,
        "several folders take several pages"
    );
    let fs = mount(&r, LONG).await;
    r.reset_counters();
    walk(&fs, ROOT).await;
    assert_eq!(r.list_calls(), pages, "{:?}", r.call_counts());
}

/// `big` with 20 documents n00..n19: 7 pages of 3.
fn big_folder() -> MemoryRemote {
    let r = MemoryRemote::new("alice");
    let big = r.mkdir(&r.root_id(), "big").unwrap();
    for i in 0..20 {
        r.put(&big, &format!("n{i:02}"), [i], t(1)).unwrap();
    }
    r.set_page_size(3);
    r
}

/// 16 concurrent lookups in cold folder `dir` (names spread over all its pages, one missing).
async fn sixteen_lookups(fs: &Arc<Fs<MemoryRemote>>, dir: Ino) {
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let fs = fs.clone();
            let name = match i {
                15 => "missing".to_owned(),
                i => format!("n{:02}", i * 19 / 14),
            };
            tokio::spawn(async move { (fs.lookup(dir, &name).await, name) })
        })
        .collect();
    for task in tasks {
        match task.await.unwrap() {
            (Err(FsError::NotFound), name) if name == "missing" => {}
            (Ok(e), name) if name != "missing" => assert_eq!(e.stat.kind, FileKind::File),
            (other, name) => panic!("{name}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn concurrent_lookups_in_a_cold_folder_share_one_listing_fetch() {
    let r = big_folder();
    let fs = Arc::new(mount(&r, LONG).await);
    let dir = ino_of(&fs, "big").await;
    r.set_latency(std::time::Duration::from_millis(5));
    r.reset_counters();
    sixteen_lookups(&fs, dir).await;
    assert_eq!(r.list_calls(), 7, "each of the 7 pages once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_lookups_on_many_threads_share_one_listing_fetch() {
    let r = big_folder();
    for round in 0..30 {
        let fs = Arc::new(mount(&r, LONG).await);
        let dir = ino_of(&fs, "big").await;
        r.set_latency(std::time::Duration::from_millis(1));
        r.reset_counters();
        sixteen_lookups(&fs, dir).await;
        assert_eq!(r.list_calls(), 7, "round {round}: each of the 7 pages once");
        r.set_latency(std::time::Duration::ZERO);
    }
}

#[tokio::test]
async fn roles_of_shared_items_are_asked_once_per_listing() {
    let r = tree();
    let fs = mount(&r, LONG).await;
    r.reset_counters();
    ls(&fs, "Shared with me").await;
    ls(&fs, "Shared with me/bobdir").await;
    resolve(&fs, "Shared with me/bobdir/inner").await.unwrap();
    assert_eq!(r.role_calls(), 2);
    // The store agrees with what the core asked.
    let swm = r.list_all(&Collection::SharedWithMe).unwrap();
    for n in swm {
        let role = r.role(&n.id).await.unwrap();
        assert!(matches!(role, Role::Viewer | Role::Contributor));
    }
}
