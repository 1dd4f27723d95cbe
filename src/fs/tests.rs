//! Unit tests of the filesystem core against [`MemoryRemote`]: fast, deterministic (fixed seeds),
//! no FUSE. One module per topic; the helpers they share live here: mounting a core over a store,
//! resolving paths, reading whole directories through handles and whole files through `read`.
//! Time-based tests use a tiny metadata TTL and real sleeps (the core's clock is `Instant`).

mod cache;
mod calls;
mod changes;
mod journal;
mod links;
mod model;
mod names;
mod offline;
mod reads;
mod roles;
mod tree;
mod versions;
mod writes;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::inode::{Ino, ROOT};
use super::{DirEntry, Entry, FileKind, Fs, FsConfig, FsError, FsResult};
use crate::fs::errno::errno;
use crate::fs::file::Access;
use crate::remote::memory::MemoryRemote;

/// A TTL no test outlives: everything cached stays trusted.
const LONG: Duration = Duration::from_secs(600);
/// A TTL tests wait out with [`past_ttl`].
const SHORT: Duration = Duration::from_millis(50);

/// A content time `secs` after the epoch.
fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// Sleeps until anything cached now is older than [`SHORT`].
async fn past_ttl() {
    tokio::time::sleep(SHORT + Duration::from_millis(30)).await;
}

/// A core over `remote` (sharing its store) with metadata TTL `ttl`.
async fn mount(remote: &MemoryRemote, ttl: Duration) -> Fs<MemoryRemote> {
    let config = FsConfig {
        metadata_ttl: ttl,
        ..FsConfig::default()
    };
    Fs::new(Arc::new(remote.clone()), config)
        .await
        .expect("mount")
}

/// Looks up each `/`-separated component of `path` from the root.
async fn resolve(fs: &Fs<MemoryRemote>, path: &str) -> FsResult<Entry> {
    let mut parts = path.split('/');
    let first = parts.next().expect("a non-empty path");
    let mut entry = fs.lookup(ROOT, first).await?;
    for part in parts {
        entry = fs.lookup(entry.stat.ino, part).await?;
    }
    Ok(entry)
}

/// The inode of `path`; panics if it does not resolve.
async fn ino_of(fs: &Fs<MemoryRemote>, path: &str) -> Ino {
    match resolve(fs, path).await {
        Ok(e) => e.stat.ino,
        Err(e) => panic!("{path}: {e}"),
    }
}

/// Every entry of directory `ino` (`.` and `..` included) through one handle, `batch` at a
/// time, each call resuming at the previous call's last `next_offset`.
async fn read_dir_batched(
    fs: &Fs<MemoryRemote>,
    ino: Ino,
    batch: usize,
) -> FsResult<Vec<DirEntry>> {
    let fh = fs.opendir(ino)?;
    let result = read_handle(fs, ino, fh, 0, batch).await;
    fs.releasedir(fh);
    result
}

/// The entries of handle `fh` from `offset` to the end, `batch` at a time.
async fn read_handle(
    fs: &Fs<MemoryRemote>,
    ino: Ino,
    fh: u64,
    mut offset: u64,
    batch: usize,
) -> FsResult<Vec<DirEntry>> {
    let mut all = Vec::new();
    loop {
        let got = fs.readdir(ino, fh, offset, batch).await?;
        assert!(got.len() <= batch, "readdir returned more than asked");
        match got.last() {
            None => return Ok(all),
            Some(last) => offset = last.next_offset,
        }
        all.extend(got);
    }
}

/// Every entry of directory `ino`, `.` and `..` included.
async fn read_dir(fs: &Fs<MemoryRemote>, ino: Ino) -> Vec<DirEntry> {
    read_dir_batched(fs, ino, 64).await.expect("readdir")
}

/// The entry names without `.` and `..`.
fn names(entries: &[DirEntry]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| *n != "." && *n != "..")
        .collect()
}

/// The names of directory `path` (`""`: the root), without `.` and `..`.
async fn ls(fs: &Fs<MemoryRemote>, path: &str) -> Vec<String> {
    let ino = if path.is_empty() {
        ROOT
    } else {
        ino_of(fs, path).await
    };
    names(&read_dir(fs, ino).await)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The whole content of file `ino` through `open`/`read` in `chunk`-byte reads.
async fn read_file(fs: &Fs<MemoryRemote>, ino: Ino, chunk: u32) -> FsResult<Vec<u8>> {
    let fh = fs.open(ino, Access::Read).await?;
    let mut out = Vec::new();
    let result = loop {
        match fs.read(fh, out.len() as u64, chunk).await {
            Ok(b) if b.is_empty() => break Ok(out),
            Ok(b) => {
                assert!(b.len() <= chunk as usize, "read returned more than asked");
                out.extend_from_slice(&b);
            }
            Err(e) => break Err(e),
        }
    };
    fs.release(fh).await;
    result
}

/// `len` bytes of deterministic, position-dependent content.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    (0..len as u64)
        .map(|i| ((i ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
        .collect()
}

/// Asserts `r` failed with an error matching `pat`, and that its errno is `code`.
macro_rules! assert_fails {
    ($r:expr, $pat:pat, $code:expr) => {{
        match $r {
            Err(e) => {
                assert!(matches!(e, $pat), "wrong error: {e:?}");
                assert_eq!(errno(&e), $code, "errno of {e:?}");
            }
            Ok(v) => panic!("expected an error, got {v:?}"),
        }
    }};
}
use assert_fails;

#[tokio::test]
async fn helpers_agree_with_the_core() {
    let r = MemoryRemote::new("alice");
    r.put(&r.root_id(), "f", b"hello", t(1)).unwrap();
    let fs = mount(&r, LONG).await;
    let f = ino_of(&fs, "f").await;
    assert_eq!(read_file(&fs, f, 2).await.unwrap(), b"hello");
    assert_eq!(ls(&fs, "").await, ["Recycle Bin", "Shared with me", "f"]);
    assert_eq!(fs.getattr(f).await.unwrap().kind, FileKind::File);
    assert_fails!(resolve(&fs, "f/x").await, FsError::NotDir, libc::ENOTDIR);
}
