//! Reads through `open`/`read`/`release`: whole files in 128 KiB reads, random offsets, EOF,
//! folders refused, and store failures mapped to `FsError` and errno (ENOENT, EACCES, EIO).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::remote::{RemoteError, Role};

const KIB: usize = 1024;

/// alice's root with `big` (1 MiB + 12345 bytes) and `empty`; returns the store and big's content.
fn setup() -> (MemoryRemote, Vec<u8>) {
    let r = MemoryRemote::new("alice");
    let content = bytes(1024 * KIB + 12345, 3);
    r.put(&r.root_id(), "big", &content, t(1)).unwrap();
    r.put(&r.root_id(), "empty", b"", t(1)).unwrap();
    r.mkdir(&r.root_id(), "dir").unwrap();
    (r, content)
}

#[tokio::test]
async fn a_whole_file_in_128k_reads_equals_its_content() {
    let (r, content) = setup();
    r.set_chunk_size(10_000); // pieces that do not line up with the reads
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    assert_eq!(fs.getattr(big).await.unwrap().size, content.len() as u64);
    let got = read_file(&fs, big, 128 * KIB as u32).await.unwrap();
    assert!(got == content, "content differs");
    // Read-ahead: far fewer requests than 128 KiB reads.
    assert!(r.read_calls() < 9, "{} requests", r.read_calls());
    let empty = ino_of(&fs, "empty").await;
    assert_eq!(read_file(&fs, empty, 4096).await.unwrap(), b"");
}

#[tokio::test]
async fn reads_at_random_offsets_return_the_right_bytes() {
    let (r, content) = setup();
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    let len = content.len() as u64;
    for seed in [1, 2, 3] {
        let mut rng = StdRng::seed_from_u64(seed);
        let fh = fs.open(big, Access::Read).await.unwrap();
        for i in 0..150 {
            let offset = match rng.random_range(0..10) {
                0 => len - rng.random_range(0..100).min(len), // near the end
                1 => len + rng.random_range(0..10),           // past it
                _ => rng.random_range(0..len),
            };
            let size = rng.random_range(1..300 * KIB as u32);
            let got = fs.read(fh, offset, size).await.unwrap();
            let start = offset.min(len) as usize;
            let end = (offset + u64::from(size)).min(len) as usize;
            assert!(
                got[..] == content[start..end],
                "seed {seed} read {i}: {size} at {offset}"
            );
        }
        fs.release(fh).await;
    }
}

#[tokio::test]
async fn reads_at_and_past_eof_are_empty() {
    let (r, content) = setup();
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    let len = content.len() as u64;
    let fh = fs.open(big, Access::Read).await.unwrap();
    let tail = fs.read(fh, len - 10, 4096).await.unwrap();
    assert_eq!(
        &tail[..],
        &content[content.len() - 10..],
        "a short read at the end"
    );
    for offset in [len, len + 1, len + 1_000_000, u64::MAX - 10] {
        assert!(
            fs.read(fh, offset, 4096).await.unwrap().is_empty(),
            "at {offset}"
        );
    }
    assert!(fs.read(fh, 0, 0).await.unwrap().is_empty());
    fs.release(fh).await;
    assert_fails!(fs.read(fh, 0, 10).await, FsError::BadHandle, libc::EBADF);
}

#[tokio::test]
async fn opening_a_folder_is_is_dir() {
    let (r, _) = setup();
    let fs = mount(&r, LONG).await;
    let dir = ino_of(&fs, "dir").await;
    let bin = ino_of(&fs, "Recycle Bin").await;
    for ino in [dir, bin, ROOT] {
        for access in [Access::Read, Access::Write] {
            assert_fails!(fs.open(ino, access).await, FsError::IsDir, libc::EISDIR);
        }
    }
    assert_fails!(
        fs.open(4242, Access::Read).await,
        FsError::Stale(4242),
        libc::ESTALE
    );
}

#[tokio::test]
async fn a_document_deleted_after_open_reads_as_not_found() {
    let r = MemoryRemote::new("alice");
    let doc = r.put(&r.root_id(), "doc", b"content", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let ino = ino_of(&fs, "doc").await;
    let fh = fs.open(ino, Access::Read).await.unwrap();
    r.delete(&doc).unwrap();
    assert_fails!(
        fs.read(fh, 0, 100).await,
        FsError::Remote(RemoteError::NotFound(_)),
        libc::ENOENT
    );
    fs.release(fh).await;
}

#[tokio::test]
async fn a_share_withdrawn_after_open_reads_as_denied() {
    let alice = MemoryRemote::new("alice");
    let bob = alice.add_user("bob").unwrap();
    let doc = bob.put(&bob.root_id(), "doc", b"content", t(1)).unwrap();
    bob.share(&doc, "alice", Role::Viewer).unwrap();
    let fs = mount(&alice, LONG).await;
    let ino = ino_of(&fs, "Shared with me/doc").await;
    let fh = fs.open(ino, Access::Read).await.unwrap();
    bob.unshare(&doc, "alice").unwrap();
    assert_fails!(
        fs.read(fh, 0, 100).await,
        FsError::Remote(RemoteError::Denied(_)),
        libc::EACCES
    );
    // The same for a failure the store injects into a listing.
    alice.fail_next(1, RemoteError::Denied("injected".into()));
    assert_fails!(
        fs.lookup(ROOT, "anything").await,
        FsError::Remote(RemoteError::Denied(_)),
        libc::EACCES
    );
}

#[tokio::test]
async fn an_offline_store_is_eio_and_reads_resume_when_it_is_back() {
    let (r, content) = setup();
    let sub = r.mkdir(&r.root_id(), "sub").unwrap();
    r.put(&sub, "f", b"f", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    let sub_ino = ino_of(&fs, "sub").await;
    let fh = fs.open(big, Access::Read).await.unwrap();
    let first = fs.read(fh, 0, 128 * KIB as u32).await.unwrap();
    assert_eq!(&first[..], &content[..128 * KIB]);
    r.set_offline(true);
    // Well past what read-ahead may have fetched already.
    let far = 900 * KIB as u64;
    assert_fails!(
        fs.read(fh, far, 4096).await,
        FsError::Remote(RemoteError::Network(_)),
        libc::EIO
    );
    assert_fails!(
        fs.lookup(sub_ino, "f").await,
        FsError::Remote(RemoteError::Network(_)),
        libc::EIO
    );
    r.set_offline(false);
    let again = fs.read(fh, far, 4096).await.unwrap();
    assert_eq!(&again[..], &content[far as usize..far as usize + 4096]);
    assert!(fs.lookup(sub_ino, "f").await.is_ok());
    fs.release(fh).await;
}

#[tokio::test]
async fn a_transient_read_failure_is_retried_once() {
    let (r, content) = setup();
    let fs = mount(&r, LONG).await;
    let big = ino_of(&fs, "big").await;
    let busy = || RemoteError::Unavailable {
        message: "busy".into(),
        retry_after: None,
    };
    let fh = fs.open(big, Access::Read).await.unwrap();
    r.fail_next(1, busy());
    let got = fs.read(fh, 5000, 1000).await.unwrap();
    assert_eq!(&got[..], &content[5000..6000], "one failure is retried");
    fs.release(fh).await;
    let fh = fs.open(big, Access::Read).await.unwrap();
    r.fail_next(2, busy());
    assert_fails!(
        fs.read(fh, 0, 1000).await,
        FsError::Remote(RemoteError::Unavailable { .. }),
        libc::EIO
    );
    assert_eq!(&fs.read(fh, 0, 1000).await.unwrap()[..], &content[..1000]);
    fs.release(fh).await;
}
