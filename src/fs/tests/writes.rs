//! The write side of the core against the in-memory store: new files and versions uploaded on
//! flush, writes at any offset, truncation, times, the namespace changes (mkdir, rmdir, unlink,
//! rename, rename over, restore from the recycle bin), roles, and a failed upload keeping data.

use super::*;
use crate::remote::{Collection, RemoteError, Role};

/// Writes `data` to a new file `name` in `dir` and closes it (flush, then release).
async fn create_file(fs: &Fs<MemoryRemote>, dir: Ino, name: &str, data: &[u8]) -> Ino {
    let (entry, fh) = fs.create(dir, name).await.expect("create");
    if !data.is_empty() {
        fs.write(fh, 0, data).await.expect("write");
    }
    fs.sync_file(fh).await.expect("flush");
    fs.release(fh).await;
    entry.stat.ino
}

fn remote_id(fs: &Fs<MemoryRemote>, ino: Ino) -> String {
    fs.inode(ino).unwrap().node.expect("at the store").id
}

#[tokio::test]
async fn a_new_file_reaches_the_store_on_flush_and_shows_at_once() {
    let r = MemoryRemote::new("alice");
    let fs = mount(&r, LONG).await;
    let (entry, fh) = fs.create(ROOT, "new.txt").await.unwrap();
    fs.write(fh, 0, b"hello ").await.unwrap();
    fs.write(fh, 6, b"world").await.unwrap();
    // Before the flush: visible here, not at the store.
    assert!(ls(&fs, "").await.contains(&"new.txt".to_owned()));
    assert_eq!(fs.getattr(entry.stat.ino).await.unwrap().size, 11);
    assert!(
        r.list_all(&Collection::Folder(r.root_id()))
            .unwrap()
            .is_empty()
    );
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    let at_store = r.list_all(&Collection::Folder(r.root_id())).unwrap();
    assert_eq!(at_store.len(), 1);
    assert_eq!(r.content(&at_store[0].id), b"hello world");
    assert_eq!(remote_id(&fs, entry.stat.ino), at_store[0].id);
    assert_eq!(
        read_file(&fs, entry.stat.ino, 4).await.unwrap(),
        b"hello world"
    );
}

#[tokio::test]
async fn a_file_being_written_survives_a_listing_refresh() {
    let r = MemoryRemote::new("alice");
    let fs = mount(&r, SHORT).await;
    let (entry, fh) = fs.create(ROOT, "pending").await.unwrap();
    fs.write(fh, 0, b"abc").await.unwrap();
    past_ttl().await;
    assert_eq!(
        ls(&fs, "").await,
        ["pending", "Recycle Bin", "Shared with me"]
    );
    assert_eq!(ino_of(&fs, "pending").await, entry.stat.ino);
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    past_ttl().await;
    assert_eq!(ino_of(&fs, "pending").await, entry.stat.ino);
    assert_eq!(fs.getattr(entry.stat.ino).await.unwrap().size, 3);
}

#[tokio::test]
async fn overwriting_adds_a_version_to_the_same_document() {
    let r = MemoryRemote::new("alice");
    let id = r.put(&r.root_id(), "doc", b"old content", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let doc = ino_of(&fs, "doc").await;
    let fh = fs.open(doc, Access::Overwrite).await.unwrap();
    assert_eq!(fs.getattr(doc).await.unwrap().size, 0);
    fs.write(fh, 0, b"new").await.unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    assert_eq!(r.content(&id), b"new");
    assert_eq!(r.version_count(&id), 2);
    assert_eq!(read_file(&fs, doc, 64).await.unwrap(), b"new");
}

#[tokio::test]
async fn writes_at_any_offset_patch_the_current_content() {
    let r = MemoryRemote::new("alice");
    let original = bytes(300_000, 7);
    let id = r.put(&r.root_id(), "big", &original, t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    let fh = fs.open(big, Access::Write).await.unwrap();
    fs.write(fh, 100_000, b"PATCH").await.unwrap();
    fs.write(fh, 300_000, b"tail").await.unwrap();
    // Reads through a writing handle see the writes.
    assert_eq!(fs.read(fh, 100_000, 5).await.unwrap().as_ref(), b"PATCH");
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    let mut expected = original.clone();
    expected[100_000..100_005].copy_from_slice(b"PATCH");
    expected.extend_from_slice(b"tail");
    assert_eq!(r.content(&id), expected);
    // Closing without writing uploads nothing.
    let fh = fs.open(big, Access::Write).await.unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    assert_eq!(r.version_count(&id), 2);
}

#[tokio::test]
async fn truncate_without_an_open_file_uploads_at_once() {
    let r = MemoryRemote::new("alice");
    let id = r.put(&r.root_id(), "f", b"0123456789", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let f = ino_of(&fs, "f").await;
    fs.truncate(f, 4, None).await.unwrap();
    assert_eq!(r.content(&id), b"0123");
    fs.truncate(f, 6, None).await.unwrap();
    assert_eq!(r.content(&id), b"0123\0\0");
    assert_eq!(fs.getattr(f).await.unwrap().size, 6);
}

#[tokio::test]
async fn mtimes_travel_with_the_upload_or_on_their_own() {
    let r = MemoryRemote::new("alice");
    let fs = mount(&r, LONG).await;
    // Set while dirty (cp -a): carried by the upload, exactly.
    let (entry, fh) = fs.create(ROOT, "a").await.unwrap();
    fs.write(fh, 0, b"a").await.unwrap();
    let when = t(1_000_000_000) + Duration::from_nanos(123_456_789);
    fs.set_mtime(entry.stat.ino, when).await.unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    let id = remote_id(&fs, entry.stat.ino);
    assert_eq!(r.node(&id).unwrap().mtime, when);
    assert_eq!(fs.getattr(entry.stat.ino).await.unwrap().mtime, when);
    // Set after the upload (rsync): recorded for the current version.
    let later = t(1_100_000_000) + Duration::from_nanos(5);
    fs.set_mtime(entry.stat.ino, later).await.unwrap();
    assert_eq!(r.node(&id).unwrap().mtime, later);
    assert_eq!(r.version_count(&id), 1);
    assert_eq!(fs.getattr(entry.stat.ino).await.unwrap().mtime, later);
}

#[tokio::test]
async fn mkdir_rmdir_and_unlink_use_the_recycle_bin() {
    let r = MemoryRemote::new("alice");
    let fs = mount(&r, LONG).await;
    let dir = fs.mkdir(ROOT, "dir").await.unwrap().stat.ino;
    assert_fails!(fs.mkdir(ROOT, "dir").await, FsError::Exists, libc::EEXIST);
    let f = create_file(&fs, dir, "f", b"data").await;
    let f_id = remote_id(&fs, f);
    assert_fails!(
        fs.rmdir(ROOT, "dir").await,
        FsError::NotEmpty,
        libc::ENOTEMPTY
    );
    assert_fails!(fs.unlink(ROOT, "dir").await, FsError::IsDir, libc::EISDIR);
    fs.unlink(dir, "f").await.unwrap();
    assert!(ls(&fs, "dir").await.is_empty());
    assert_eq!(ls(&fs, "Recycle Bin").await, ["f"]);
    assert!(r.node(&f_id).unwrap().recycled);
    fs.rmdir(ROOT, "dir").await.unwrap();
    assert_eq!(ls(&fs, "Recycle Bin").await, ["dir", "f"]);
    assert_eq!(ls(&fs, "").await, ["Recycle Bin", "Shared with me"]);
    // Deleting inside the bin is for good.
    let bin = ino_of(&fs, "Recycle Bin").await;
    fs.unlink(bin, "f").await.unwrap();
    assert!(r.node(&f_id).is_none());
    assert_eq!(ls(&fs, "Recycle Bin").await, ["dir"]);
}

#[tokio::test]
async fn a_file_deleted_while_open_lives_on_until_closed() {
    let r = MemoryRemote::new("alice");
    let id = r.put(&r.root_id(), "stored", b"old", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let stored = ino_of(&fs, "stored").await;
    let (entry, new_fh) = fs.create(ROOT, "new").await.unwrap();
    let stored_fh = fs.open(stored, Access::Write).await.unwrap();
    fs.write(stored_fh, 3, b" bytes").await.unwrap();
    fs.unlink(ROOT, "new").await.unwrap();
    fs.unlink(ROOT, "stored").await.unwrap();
    for (ino, fh, want) in [
        (entry.stat.ino, new_fh, &b"written after"[..]),
        (stored, stored_fh, b"old byteswritten after"),
    ] {
        // No name left (nlink 0), but writes and reads through the handle go on.
        assert_eq!(fs.getattr(ino).await.unwrap().nlink, 0);
        let end = fs.getattr(ino).await.unwrap().size;
        fs.write(fh, end, b"written after").await.unwrap();
        assert_eq!(fs.read(fh, 0, 64).await.unwrap(), want);
        fs.sync_file(fh).await.unwrap();
        fs.release(fh).await;
    }
    // Nothing was stored: no new document, and the recycled one kept its version.
    assert!(
        r.list_all(&Collection::Folder(r.root_id()))
            .unwrap()
            .is_empty()
    );
    assert_eq!(r.content(&id), b"old");
    assert_eq!(r.version_count(&id), 1);
}

#[tokio::test]
async fn renaming_out_of_the_bin_restores_with_the_same_id() {
    let r = MemoryRemote::new("alice");
    let id = r.put(&r.root_id(), "keep.txt", b"precious", t(1)).unwrap();
    let dest = r.mkdir(&r.root_id(), "dest").unwrap();
    let fs = mount(&r, LONG).await;
    fs.unlink(ROOT, "keep.txt").await.unwrap();
    let bin = ino_of(&fs, "Recycle Bin").await;
    let dest_ino = ino_of(&fs, "dest").await;
    assert_eq!(ls(&fs, "Recycle Bin").await, ["keep.txt"]);
    fs.rename(bin, "keep.txt", dest_ino, "back.txt", false)
        .await
        .unwrap();
    let node = r.node(&id).unwrap();
    assert!(!node.recycled);
    assert_eq!(
        (node.name.as_str(), node.parent.as_deref()),
        ("back.txt", Some(dest.as_str()))
    );
    assert_eq!(ls(&fs, "dest").await, ["back.txt"]);
    assert!(ls(&fs, "Recycle Bin").await.is_empty());
    let back = ino_of(&fs, "dest/back.txt").await;
    assert_eq!(read_file(&fs, back, 64).await.unwrap(), b"precious");
    assert_eq!(fs.getattr(back).await.unwrap().perm, 0o644);
}

#[tokio::test]
async fn rename_and_move_keep_identity() {
    let r = MemoryRemote::new("alice");
    let id = r.put(&r.root_id(), "a", b"A", t(1)).unwrap();
    let sub = r.mkdir(&r.root_id(), "sub").unwrap();
    let fs = mount(&r, LONG).await;
    let a = ino_of(&fs, "a").await;
    let sub_ino = ino_of(&fs, "sub").await;
    fs.rename(ROOT, "a", sub_ino, "b", false).await.unwrap();
    assert_eq!(ino_of(&fs, "sub/b").await, a);
    assert_fails!(resolve(&fs, "a").await, FsError::NotFound, libc::ENOENT);
    let node = r.node(&id).unwrap();
    assert_eq!(
        (node.name.as_str(), node.parent.as_deref()),
        ("b", Some(sub.as_str()))
    );
    // A folder moves with its contents.
    fs.mkdir(ROOT, "top").await.unwrap();
    let top = ino_of(&fs, "top").await;
    fs.rename(ROOT, "sub", top, "sub", false).await.unwrap();
    assert_eq!(
        read_file(&fs, ino_of(&fs, "top/sub/b").await, 8)
            .await
            .unwrap(),
        b"A"
    );
    // A new file not yet uploaded is renamed locally and uploaded under its new name.
    let (_, fh) = fs.create(ROOT, "draft").await.unwrap();
    fs.write(fh, 0, b"d").await.unwrap();
    fs.rename(ROOT, "draft", ROOT, "final", true).await.unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    let names: Vec<_> = r
        .list_all(&Collection::Folder(r.root_id()))
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["top", "final"]);
}

#[tokio::test]
async fn rename_over_a_document_makes_a_new_version_of_it() {
    let r = MemoryRemote::new("alice");
    let target = r.put(&r.root_id(), "report", b"v1", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let old_ino = ino_of(&fs, "report").await;
    // The editor pattern: write a temporary file, flush it, rename it over.
    let tmp = create_file(&fs, ROOT, ".report.swp", b"version two").await;
    let tmp_id = remote_id(&fs, tmp);
    let when = t(1_200_000_000) + Duration::from_nanos(42);
    fs.set_mtime(tmp, when).await.unwrap();
    fs.rename(ROOT, ".report.swp", ROOT, "report", false)
        .await
        .unwrap();
    assert_eq!(r.content(&target), b"version two");
    assert_eq!(r.version_count(&target), 2);
    assert!(
        r.node(&tmp_id).is_none(),
        "the source is gone, not recycled"
    );
    assert!(r.list_all(&Collection::RecycleBin).unwrap().is_empty());
    // The inode moves with the content, and now stands for the target.
    assert_eq!(ino_of(&fs, "report").await, tmp);
    assert_eq!(remote_id(&fs, tmp), target);
    assert_eq!(fs.getattr(tmp).await.unwrap().mtime, when);
    assert_eq!(r.node(&target).unwrap().mtime, when);
    // The replaced inode stands for nothing now.
    assert_fails!(
        fs.open(old_ino, Access::Read).await,
        FsError::NotFound,
        libc::ENOENT
    );
    assert_eq!(
        ls(&fs, "").await,
        ["Recycle Bin", "Shared with me", "report"]
    );
    // A file never uploaded, renamed over: uploaded as the next version.
    let (_, fh) = fs.create(ROOT, "fresh").await.unwrap();
    fs.write(fh, 0, b"three").await.unwrap();
    fs.rename(ROOT, "fresh", ROOT, "report", false)
        .await
        .unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    assert_eq!(r.content(&target), b"three");
    assert_eq!(r.version_count(&target), 3);
    assert_eq!(
        r.list_all(&Collection::Folder(r.root_id())).unwrap().len(),
        1
    );
    // Without replacing.
    create_file(&fs, ROOT, "other", b"o").await;
    assert_fails!(
        fs.rename(ROOT, "other", ROOT, "report", true).await,
        FsError::Exists,
        libc::EEXIST
    );
}

#[tokio::test]
async fn rename_over_folders_follows_posix() {
    let r = MemoryRemote::new("alice");
    let fs = mount(&r, LONG).await;
    fs.mkdir(ROOT, "a").await.unwrap();
    let b = fs.mkdir(ROOT, "b").await.unwrap().stat.ino;
    create_file(&fs, ROOT, "f", b"f").await;
    assert_fails!(
        fs.rename(ROOT, "a", ROOT, "f", false).await,
        FsError::NotDir,
        libc::ENOTDIR
    );
    assert_fails!(
        fs.rename(ROOT, "f", ROOT, "a", false).await,
        FsError::IsDir,
        libc::EISDIR
    );
    create_file(&fs, b, "inside", b"i").await;
    assert_fails!(
        fs.rename(ROOT, "a", ROOT, "b", false).await,
        FsError::NotEmpty,
        libc::ENOTEMPTY
    );
    fs.unlink(b, "inside").await.unwrap();
    fs.rename(ROOT, "a", ROOT, "b", false).await.unwrap();
    let mut names = ls(&fs, "").await;
    names.sort();
    assert_eq!(names, ["Recycle Bin", "Shared with me", "b", "f"]);
}

#[tokio::test]
async fn viewers_cannot_create_write_or_delete() {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let proj = bob.mkdir(&bob.root_id(), "proj").unwrap();
    bob.put(&proj, "doc", b"doc", t(1)).unwrap();
    bob.share(&proj, "alice", Role::Viewer).unwrap();
    let fs = mount(&alice, LONG).await;
    let p = ino_of(&fs, "Shared with me/proj").await;
    let doc = ino_of(&fs, "Shared with me/proj/doc").await;
    assert_fails!(fs.create(p, "new").await, FsError::Denied, libc::EACCES);
    assert_fails!(fs.mkdir(p, "new").await, FsError::Denied, libc::EACCES);
    assert_fails!(
        fs.open(doc, Access::Write).await,
        FsError::Denied,
        libc::EACCES
    );
    assert_fails!(
        fs.truncate(doc, 0, None).await,
        FsError::Denied,
        libc::EACCES
    );
    assert_fails!(fs.unlink(p, "doc").await, FsError::Denied, libc::EACCES);
    let shared = ino_of(&fs, "Shared with me").await;
    assert_fails!(fs.create(shared, "x").await, FsError::Denied, libc::EACCES);
}

#[tokio::test]
async fn a_failed_upload_keeps_the_data_and_a_later_flush_sends_it() {
    let r = MemoryRemote::new("alice");
    let spool = tempfile::tempdir().unwrap();
    let config = FsConfig {
        metadata_ttl: LONG,
        spool_dir: spool.path().to_owned(),
        ..FsConfig::default()
    };
    let fs = Fs::new(Arc::new(r.clone()), config).await.unwrap();
    let (entry, fh) = fs.create(ROOT, "precious").await.unwrap();
    fs.write(fh, 0, b"do not lose me").await.unwrap();
    r.set_offline(true);
    assert_fails!(
        fs.sync_file(fh).await,
        FsError::Remote(RemoteError::Network(_)),
        libc::EIO
    );
    fs.release(fh).await;
    // The bytes are on disk, with a note of where they were going.
    let files: Vec<_> = std::fs::read_dir(spool.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let data = files
        .iter()
        .find(|p| p.extension().is_none())
        .expect("spool file");
    assert_eq!(std::fs::read(data).unwrap(), b"do not lose me");
    let note = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("sidecar");
    assert!(std::fs::read_to_string(note).unwrap().contains("precious"));
    // Still shown on this mount; the next flush uploads it.
    assert_eq!(fs.getattr(entry.stat.ino).await.unwrap().size, 14);
    r.set_offline(false);
    let fh = fs.open(entry.stat.ino, Access::Write).await.unwrap();
    fs.sync_file(fh).await.unwrap();
    fs.release(fh).await;
    let at_store = r.list_all(&Collection::Folder(r.root_id())).unwrap();
    assert_eq!(r.content(&at_store[0].id), b"do not lose me");
    drop(fs);
    assert_eq!(
        std::fs::read_dir(spool.path()).unwrap().count(),
        0,
        "clean spools are removed"
    );
}

#[tokio::test]
async fn a_rename_during_the_upload_at_release_lands_under_the_new_name() {
    let r = MemoryRemote::new("alice");
    let fs = Arc::new(mount(&r, LONG).await);
    let (_, fh) = fs.create(ROOT, ".tmp.XXXX").await.unwrap();
    // Nothing written: the upload happens at release (as `touch` or an empty rsync file).
    fs.flush(fh, 1).await.unwrap();
    assert!(
        r.list_all(&Collection::Folder(r.root_id()))
            .unwrap()
            .is_empty()
    );
    r.set_latency(Duration::from_millis(100));
    let releasing = {
        let fs = fs.clone();
        tokio::spawn(async move { fs.release(fh).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    fs.rename(ROOT, ".tmp.XXXX", ROOT, "final", false)
        .await
        .unwrap();
    releasing.await.unwrap();
    let names: Vec<_> = r
        .list_all(&Collection::Folder(r.root_id()))
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["final"]);
}

#[tokio::test]
async fn shared_with_me_is_a_fence_for_moves() {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let proj = bob.mkdir(&bob.root_id(), "proj").unwrap();
    bob.put(&proj, "doc", b"doc", t(1)).unwrap();
    bob.share(&proj, "alice", Role::Contributor).unwrap();
    let fs = mount(&alice, LONG).await;
    let shared = ino_of(&fs, "Shared with me").await;
    let p = ino_of(&fs, "Shared with me/proj").await;
    assert_fails!(
        fs.rename(shared, "proj", shared, "renamed", false).await,
        FsError::Denied,
        libc::EACCES
    );
    assert_fails!(
        fs.rename(shared, "proj", ROOT, "proj", false).await,
        FsError::CrossDevice,
        libc::EXDEV
    );
    // Inside the shared folder, the role decides: a contributor may rename.
    fs.rename(p, "doc", p, "doc2", false).await.unwrap();
    assert_eq!(ls(&fs, "Shared with me/proj").await, ["doc2"]);
}

#[tokio::test]
async fn a_flush_from_a_process_that_did_not_write_uploads_nothing() {
    let r = MemoryRemote::new("alice");
    let fs = mount(&r, LONG).await;
    let (_, fh) = fs.create(ROOT, "half.txt").await.unwrap();
    let (writer, child) = (7, 8);
    fs.note_writer(fh, writer);
    fs.write(fh, 0, b"first half ").await.unwrap();
    // A child closing the descriptor it inherited (`exec`) must not store half a file.
    fs.flush(fh, child).await.unwrap();
    assert!(
        r.list_all(&Collection::Folder(r.root_id()))
            .unwrap()
            .is_empty()
    );
    fs.note_writer(fh, writer);
    fs.write(fh, 11, b"second half").await.unwrap();
    fs.flush(fh, writer).await.unwrap();
    let at_store = r.list_all(&Collection::Folder(r.root_id())).unwrap();
    assert_eq!(r.content(&at_store[0].id), b"first half second half");
    assert_eq!(r.version_count(&at_store[0].id), 1);
    fs.release(fh).await;
}
