//! Open files: `open` checks the item is a document the caller may open that way, gives it a
//! read-ahead [`Prefetcher`] over the store's version, and registers writers with the write side
//! (`write.rs`); `read` serves the spool when it holds the content, else the prefetcher;
//! `release` drops the handle. Each open file holds at most the prefetcher's bounded buffer,
//! whatever the file's size.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Mutex;

use super::inode::{Ino, Origin};
use super::read::Prefetcher;
use super::{Fs, FsError, FsResult};
use crate::remote::{NodeKind, Remote};

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
    prefetcher: Mutex<Option<Prefetcher>>,
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
        let prefetcher = match i.node.as_ref() {
            Some(node) => {
                let version = node.version.clone().ok_or_else(|| {
                    FsError::Remote(crate::remote::RemoteError::Protocol(format!(
                        "document {} has no version",
                        node.id
                    )))
                })?;
                Some((version, node.id.clone(), node.size))
            }
            None if self.write_state(ino).is_some() => None,
            None => return Err(FsError::Stale(ino)),
        };
        let keep_cache = match &prefetcher {
            Some((version, ..)) if self.write_state(ino).is_none() => {
                let mut seen = self.opened_versions.lock().expect("version lock");
                seen.insert(ino, version.clone()).as_ref() == Some(version)
            }
            // A file being written: the kernel's pages are what was written through it.
            _ => true,
        };
        if writable {
            self.open_for_write(ino, access == Access::Overwrite)
                .await?;
        }
        let prefetcher = prefetcher.map(|(version, id, size)| {
            Prefetcher::new(id, version, size, self.config.read.clone())
        });
        let fh = self.new_handle();
        let open = Arc::new(OpenFile {
            ino,
            keep_cache,
            writable,
            wrote: Default::default(),
            writers: Default::default(),
            prefetcher: Mutex::new(prefetcher),
        });
        self.files.lock().expect("file lock").insert(fh, open);
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
            prefetcher: Mutex::new(None),
        });
        self.files.lock().expect("file lock").insert(fh, open);
        fh
    }

    pub(super) fn open_file(&self, fh: u64) -> FsResult<Arc<OpenFile>> {
        self.files
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
        let mut prefetcher = open.prefetcher.lock().await;
        // The handle was opened on a version since replaced by a write through this mount.
        let current = self.inode(open.ino)?.node.and_then(|n| n.version);
        match prefetcher.as_mut() {
            Some(p) if current.as_deref().is_none_or(|v| v == p.version()) => {
                Ok(p.read(&self.remote, offset, size).await?)
            }
            _ => {
                let node = self.inode(open.ino)?.node.ok_or(FsError::Stale(open.ino))?;
                let version = node.version.clone().ok_or(FsError::Stale(open.ino))?;
                let p = prefetcher.insert(Prefetcher::new(
                    node.id,
                    version,
                    node.size,
                    self.config.read.clone(),
                ));
                Ok(p.read(&self.remote, offset, size).await?)
            }
        }
    }

    /// Whether the kernel may keep its cached pages for this open: the file was opened before
    /// and its version has not changed since.
    pub fn keeps_cache(&self, fh: u64) -> bool {
        self.files
            .lock()
            .expect("file lock")
            .get(&fh)
            .is_some_and(|f| f.keep_cache)
    }

    pub async fn release(&self, fh: u64) {
        let open = self.files.lock().expect("file lock").remove(&fh);
        if let Some(open) = open {
            if open.writable {
                self.release_writer(open.ino).await;
            }
        }
    }
}
