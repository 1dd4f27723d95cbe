//! Open files: `open` checks the item is a document the caller may open that way and gives it a
//! read-ahead [`Prefetcher`]; `read` serves bytes through it; `release` drops it. Each open file
//! holds at most the prefetcher's bounded buffer, whatever the file's size.

use bytes::Bytes;
use tokio::sync::Mutex;

use super::inode::Ino;
use super::read::Prefetcher;
use super::{Fs, FsError, FsResult};
use crate::remote::{NodeKind, Remote};

pub struct OpenFile {
    pub ino: Ino,
    /// The kernel's cached pages of this file are still the same version's.
    pub keep_cache: bool,
    prefetcher: Mutex<Prefetcher>,
}

/// How a file is being opened, from the open flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

impl<R: Remote> Fs<R> {
    pub fn open(&self, ino: Ino, access: Access) -> FsResult<u64> {
        let i = self.inode(ino)?;
        if i.kind == NodeKind::Folder {
            return Err(FsError::IsDir);
        }
        if access == Access::Write {
            // Writes arrive with the write side; until then a writable item says read-only.
            return Err(if i.role.can_write() {
                FsError::ReadOnly
            } else {
                FsError::Denied
            });
        }
        let node = i.node.as_ref().ok_or(FsError::Stale(ino))?;
        let version = node.version.clone().ok_or_else(|| {
            FsError::Remote(crate::remote::RemoteError::Protocol(format!(
                "document {} has no version",
                node.id
            )))
        })?;
        let keep_cache = {
            let mut seen = self.opened_versions.lock().expect("version lock");
            seen.insert(ino, version.clone()).as_ref() == Some(&version)
        };
        let prefetcher = Prefetcher::new(
            node.id.clone(),
            version,
            node.size,
            self.config.read.clone(),
        );
        let fh = self.new_handle();
        let open = std::sync::Arc::new(OpenFile {
            ino,
            keep_cache,
            prefetcher: Mutex::new(prefetcher),
        });
        self.files.lock().expect("file lock").insert(fh, open);
        Ok(fh)
    }

    pub async fn read(&self, fh: u64, offset: u64, size: u32) -> FsResult<Bytes> {
        let open = self
            .files
            .lock()
            .expect("file lock")
            .get(&fh)
            .cloned()
            .ok_or(FsError::BadHandle)?;
        let mut prefetcher = open.prefetcher.lock().await;
        Ok(prefetcher.read(&self.remote, offset, size).await?)
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

    pub fn release(&self, fh: u64) {
        self.files.lock().expect("file lock").remove(&fh);
    }
}
