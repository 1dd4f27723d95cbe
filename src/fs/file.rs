//! Open files: `open` checks the item is a document the caller may open that way, gives it a
//! [`Reader`] over the store's version (content cache, small files whole, read-ahead), and
//! registers writers with the write side (`write.rs`); `read` serves the spool when it holds the
//! content, else the reader; `release` drops the handle. Each open file holds at most the
//! reader's bounded buffer, whatever the file's size.
//!
//! [`Reads`] is the read side's state in `Fs`: its locks (`files`, `opened_versions`) are
//! leaves, never held while another lock is taken.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Mutex;

use super::content::ContentCache;
use super::inode::{Ino, Origin};
use super::prefetch::Prefetch;
use super::reader::{Reader, SMALL, Target, Wholes};
use super::{Fs, FsError, FsResult};
use crate::remote::{NodeKind, Remote};

/// The read side of the core: open files, the version each file was last opened at (for the
/// kernel's page cache), the content cache and the whole fetches of small files under way.
pub struct Reads {
    pub(super) files: std::sync::Mutex<HashMap<u64, Arc<OpenFile>>>,
    pub(super) opened_versions: std::sync::Mutex<HashMap<Ino, String>>,
    pub(super) content: Option<Arc<ContentCache>>,
    pub(super) wholes: Arc<Wholes>,
    pub(super) prefetch: Prefetch,
}

impl Reads {
    pub fn new(content: Option<Arc<ContentCache>>) -> Self {
        Self {
            files: Default::default(),
            opened_versions: Default::default(),
            content,
            wholes: Arc::default(),
            prefetch: Prefetch::default(),
        }
    }
}

pub struct OpenFile {
    pub ino: Ino,
    /// The kernel's cached pages of this file are still the same version's.
    pub keep_cache: bool,
    pub writable: bool,
    /// Something was written (or truncated) through this handle: its `flush` uploads.
    pub wrote: std::sync::atomic::AtomicBool,
    /// The processes (lock owners) that wrote through it, when the kernel names them (direct
    /// writes do): a `flush` from another one — a child closing a descriptor it inherited at
    /// `fork`, as every `exec` does — must not upload a file still being written.
    pub writers: std::sync::Mutex<Vec<u64>>,
    /// Reads of the store's version (`None` for a file the store does not have yet).
    reader: Mutex<Option<Reader>>,
    /// The version opened (`None`: a file the store does not have yet).
    pub version: Option<String>,
    /// The cache file the kernel may read this open's version from by itself (passthrough).
    pub backing: Option<Arc<std::fs::File>>,
}

/// How a file is being opened, from the open flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// Writing, with `O_TRUNC`: the content starts empty.
    Overwrite,
}

impl<R: Remote> Fs<R> {
    pub async fn open(&self, ino: Ino, access: Access) -> FsResult<u64> {
        let i = self.inode(ino)?;
        if i.kind == NodeKind::Folder {
            return Err(FsError::IsDir);
        }
        if matches!(i.origin, Origin::Gone) {
            return Err(FsError::NotFound);
        }
        let writable = access != Access::Read;
        if writable && i.origin.in_versions_view() {
            return Err(FsError::ReadOnly);
        }
        if writable && !i.role.can_write() {
            return Err(FsError::Denied);
        }
        let target = match i.node.as_ref() {
            Some(node) => Some(Target::of(node).ok_or_else(|| {
                FsError::Remote(crate::remote::RemoteError::Protocol(format!(
                    "document {} has no version",
                    node.id
                )))
            })?),
            None if self.write_state(ino).is_some() => None,
            None => return Err(FsError::Stale(ino)),
        };
        let keep_cache = match &target {
            Some(t) if self.write_state(ino).is_none() => {
                let mut seen = self.reads.opened_versions.lock().expect("version lock");
                seen.insert(ino, t.version.clone()).as_ref() == Some(&t.version)
            }
            // A file being written: the kernel's pages are what was written through it.
            _ => true,
        };
        if writable {
            self.open_for_write(ino, access == Access::Overwrite)
                .await?;
        }
        let reader = target.map(|t| self.reader(t));
        if let (Some(c), Some(r)) = (&self.reads.content, &reader) {
            c.count_open(r.cached());
            if r.target.size <= SMALL && !writable {
                self.prefetch_after(i.parent, ino);
            }
        }
        let backing = match &reader {
            Some(r) if !writable && self.write_state(ino).is_none() => r.passthrough_file().await,
            _ => None,
        };
        let fh = self.new_handle();
        let open = Arc::new(OpenFile {
            ino,
            keep_cache,
            writable,
            wrote: Default::default(),
            writers: Default::default(),
            version: reader.as_ref().map(|r| r.version().to_owned()),
            backing,
            reader: Mutex::new(reader),
        });
        self.reads.files.lock().expect("file lock").insert(fh, open);
        Ok(fh)
    }

    /// A handle for a file just created (see `namespace.rs`).
    pub(super) fn open_new(&self, ino: Ino) -> u64 {
        let fh = self.new_handle();
        let open = Arc::new(OpenFile {
            ino,
            keep_cache: true,
            writable: true,
            wrote: Default::default(),
            writers: Default::default(),
            reader: Mutex::new(None),
            version: None,
            backing: None,
        });
        self.reads.files.lock().expect("file lock").insert(fh, open);
        fh
    }

    pub(super) fn open_file(&self, fh: u64) -> FsResult<Arc<OpenFile>> {
        self.reads
            .files
            .lock()
            .expect("file lock")
            .get(&fh)
            .cloned()
            .ok_or(FsError::BadHandle)
    }

    pub async fn read(&self, fh: u64, offset: u64, size: u32) -> FsResult<Bytes> {
        let open = self.open_file(fh)?;
        if let Some(bytes) = self.read_spooled(open.ino, offset, size).await? {
            return Ok(bytes);
        }
        let mut reader = open.reader.lock().await;
        // The handle was opened on a version since replaced by a write through this mount.
        let current = self.inode(open.ino)?.node.and_then(|n| n.version);
        let wholes = &self.reads.wholes;
        match reader.as_mut() {
            Some(r) if current.as_deref().is_none_or(|v| v == r.version()) => {
                Ok(r.read(&self.remote, wholes, offset, size).await?)
            }
            _ => {
                let node = self.inode(open.ino)?.node.ok_or(FsError::Stale(open.ino))?;
                let target = Target::of(&node).ok_or(FsError::Stale(open.ino))?;
                let r = reader.insert(self.reader(target));
                Ok(r.read(&self.remote, wholes, offset, size).await?)
            }
        }
    }

    fn reader(&self, target: Target) -> Reader {
        let cache = self.reads.content.as_ref();
        Reader::new(target, cache, self.config.read.clone())
    }

    /// The content cache, when the mount has one.
    pub fn content_cache(&self) -> Option<&Arc<ContentCache>> {
        self.reads.content.as_ref()
    }

    /// Whether the kernel may keep its cached pages for this open: the file was opened before
    /// and its version has not changed since.
    pub fn keeps_cache(&self, fh: u64) -> bool {
        self.reads
            .files
            .lock()
            .expect("file lock")
            .get(&fh)
            .is_some_and(|f| f.keep_cache)
    }

    pub async fn release(&self, fh: u64) {
        let open = self.reads.files.lock().expect("file lock").remove(&fh);
        if let Some(open) = open {
            if open.writable {
                self.release_writer(open.ino).await;
            }
        }
    }
}
