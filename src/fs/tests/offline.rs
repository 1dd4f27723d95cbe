//! Offline: with the store unreachable, cached listings stay readable past their TTL, uncached
//! content fails at once (the store is not asked again until a probe gets through), a written
//! file's `close` fails but its bytes are kept, and once the store is back the kept file is
//! uploaded without anyone touching it.

use super::*;
use crate::remote::Remote;
use crate::remote::reachability::Reachable;

async fn mount_reachable(r: &MemoryRemote) -> Fs<Reachable<MemoryRemote>> {
    let config = FsConfig {
        metadata_ttl: SHORT,
        ..FsConfig::default()
    };
    Fs::new(Arc::new(Reachable::new(r.clone())), config)
        .await
        .expect("mount")
}

async fn lookup_path(fs: &Fs<Reachable<MemoryRemote>>, dir: Ino, name: &str) -> FsResult<Ino> {
    fs.lookup(dir, name).await.map(|e| e.stat.ino)
}

#[tokio::test]
async fn cached_metadata_stays_readable_and_written_files_wait_for_the_store() {
    let r = MemoryRemote::new("alice");
    let docs = r.mkdir(&r.root_id(), "docs").unwrap();
    r.put(&docs, "seen", b"cached", t(1)).unwrap();
    r.put(&docs, "unread", b"never read", t(1)).unwrap();
    let fs = mount_reachable(&r).await;
    let dir = lookup_path(&fs, ROOT, "docs").await.unwrap();
    let seen = lookup_path(&fs, dir, "seen").await.unwrap();
    let unread = lookup_path(&fs, dir, "unread").await.unwrap();

    r.set_offline(true);
    past_ttl().await;
    // Listed past the TTL: the store is asked, cannot be reached, and the old listing stands in.
    assert_eq!(lookup_path(&fs, dir, "seen").await.unwrap(), seen);
    assert!(fs.remote().offline());
    assert_eq!(fs.getattr(seen).await.unwrap().size, 6);
    assert_fails!(
        lookup_path(&fs, dir, "absent").await,
        FsError::NotFound,
        libc::ENOENT
    );

    // Uncached content fails at once, without asking the store.
    r.reset_counters();
    let fh = fs.open(unread, Access::Read).await.unwrap();
    assert_fails!(fs.read(fh, 0, 64).await, FsError::Remote(_), libc::EIO);
    fs.release(fh).await;
    assert_eq!(r.request_count(), 0);

    // A new file: `close` reports the failure, the bytes wait.
    let (entry, fh) = fs.create(dir, "offline.txt").await.unwrap();
    fs.write(fh, 0, b"written offline").await.unwrap();
    assert_fails!(fs.sync_file(fh).await, FsError::Remote(_), libc::EIO);
    fs.release(fh).await;
    assert_eq!(fs.getattr(entry.stat.ino).await.unwrap().size, 15);

    r.set_offline(false);
    fs.remote().probe().await.unwrap();
    assert_eq!(fs.upload_pending().await, 0);
    let at_store = r
        .list_all(&crate::remote::Collection::Folder(docs.clone()))
        .unwrap()
        .into_iter()
        .find(|n| n.name == "offline.txt")
        .expect("uploaded after the store came back");
    assert_eq!(r.content(&at_store.id), b"written offline");
    assert_eq!(fs.upload_pending().await, 0, "nothing left");
}
