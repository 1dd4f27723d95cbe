//! Uploads of written files: choosing the target (a new document in the parent folder, or a new
//! version of the document the inode stands for), calling `Remote::upload`, recording an exact
//! mtime the upload could carry only to the millisecond, and binding the inode to the result.
//! A failed upload leaves the spool with a sidecar (see `spool.rs`) and the state dirty.

use std::time::SystemTime;

use super::inode::{Ino, Origin};
use super::journal;
use super::write::{Spooled, to_millis};
use super::{Fs, FsError, FsResult, names};
use crate::remote::{NodeKind, Remote, RemoteId, Upload, UploadTarget};

/// Uploads larger than this are not copied into the content cache (the copy would hold up `close`).
const UPLOAD_CACHED_MAX: u64 = 256 << 20;

impl<R: Remote> Fs<R> {
    /// The remote folder id of a directory inode that may hold new items.
    pub(super) fn folder_id(&self, dir: Ino) -> FsResult<RemoteId> {
        let i = self.inode(dir)?;
        match &i.origin {
            Origin::Root => Ok(self.roots.root.clone()),
            Origin::Remote(id) if i.kind == NodeKind::Folder => Ok(id.clone()),
            Origin::Remote(_) => Err(FsError::NotDir),
            Origin::RecycleBin | Origin::SharedWithMe => Err(FsError::Denied),
            Origin::Local(_) | Origin::Gone => Err(FsError::NotFound),
            Origin::VersionsOf(_) | Origin::VersionList(_) | Origin::Version { .. } => {
                Err(FsError::ReadOnly)
            }
        }
    }

    /// The upload `d` stands for now — where its bytes go, as the inode's name, folder and
    /// identity say — with its journal entry; `None` when it goes nowhere (the file was deleted
    /// while open, as with an unlinked file: `d` is made clean).
    pub(super) fn upload_of(
        &self,
        ino: Ino,
        d: &mut Spooled,
    ) -> FsResult<Option<(Upload, journal::Entry)>> {
        let i = self.inode(ino)?;
        let target = match &i.origin {
            Origin::Local(_) => UploadTarget::NewDocument {
                parent: self.folder_id(i.parent)?,
                name: names::to_remote(&i.name),
            },
            Origin::Remote(id) => UploadTarget::NewVersion { doc: id.clone() },
            Origin::Gone => {
                d.dirty = false;
                d.uncommit();
                return Ok(None);
            }
            _ => return Err(FsError::IsDir),
        };
        let spool = d.spool.as_ref().ok_or(FsError::Stale(ino))?;
        let up = Upload {
            target,
            path: spool.path().to_owned(),
            size: d.size,
            modified: d.mtime.unwrap_or_else(SystemTime::now),
            created: i.node.as_ref().map(|n| n.ctime),
        };
        let entry = journal::Entry::new(&i.name, &up, d.mtime_set);
        Ok(Some((up, entry)))
    }

    /// Uploads `d` if dirty, and records the result.
    pub(super) async fn upload(&self, ino: Ino, d: &mut Spooled) -> FsResult<()> {
        if !d.dirty {
            return Ok(());
        }
        let Some((up, mut entry)) = self.upload_of(ino, d)? else {
            return Ok(());
        };
        // The content is complete now: a crash from here on is finished by the next mount. A
        // committed file (write-back) has its entry already; a sealed one gets it from its close.
        if !d.committed && !d.sealed {
            let spool = d.spool.as_mut().ok_or(FsError::Stale(ino))?;
            spool.journal(&entry);
        }
        match self.upload_and_stamp(&up, d.mtime_set).await {
            Ok(node) => {
                d.dirty = false;
                d.committed = false;
                d.sealed = false;
                d.retry_later = false;
                d.mtime = Some(node.mtime);
                d.settled();
                self.cache_uploaded(&node, &up).await;
                self.record_upload(ino, node);
                Ok(())
            }
            Err(e) => {
                d.retry_later = matches!(&e, FsError::Remote(r) if r.is_transient());
                if let Some(spool) = d.spool.as_mut() {
                    entry.state = journal::State::Failed;
                    entry.error = Some(e.to_string());
                    spool.keep_failed(&entry);
                    // The entry is durable, and the bytes under it unchanged.
                    d.committed = true;
                }
                Err(e)
            }
        }
    }

    /// Uploads, then records an exact mtime the upload could only carry to the millisecond
    /// (when it was set explicitly: `cp -a`, `touch -d`).
    pub(super) async fn upload_and_stamp(
        &self,
        up: &Upload,
        exact_mtime: bool,
    ) -> FsResult<crate::remote::Node> {
        let mut node = self.remote.upload(up).await?;
        // Some backends (LogicalDOC) record the exact time with the upload itself.
        if node.mtime == up.modified {
            return Ok(node);
        }
        if exact_mtime && to_millis(up.modified) != up.modified {
            if let Some(version) = &node.version {
                match self.remote.set_mtime(&node.id, version, up.modified).await {
                    Ok(()) => node.mtime = up.modified,
                    Err(e) => tracing::warn!(error = %e, "could not record an exact mtime"),
                }
            }
        } else {
            node.mtime = to_millis(up.modified);
        }
        Ok(node)
    }

    /// Puts the version just uploaded into the content cache from the spool, which still holds
    /// exactly its bytes (it is copied before anything can write the spool again).
    async fn cache_uploaded(&self, node: &crate::remote::Node, up: &Upload) {
        let (Some(cache), Some(version)) = (self.reads.content.clone(), node.version.clone())
        else {
            return;
        };
        if up.size > UPLOAD_CACHED_MAX {
            return;
        }
        let (doc, path, size) = (node.id.clone(), up.path.clone(), up.size);
        let digest = node.digest.clone();
        let copy = move || cache.put_file(&doc, &version, digest.as_deref(), &path, size);
        let _ = tokio::task::spawn_blocking(copy).await;
    }

    /// Makes the inode stand for the uploaded document and tells the page-cache logic its
    /// version is the one the kernel has cached.
    pub(super) fn record_upload(&self, ino: Ino, node: crate::remote::Node) {
        let version = node.version.clone();
        let displaced = self.inodes.lock().expect("inode lock").bind(ino, node);
        if let Some(old) = displaced {
            tracing::debug!(ino, old, "an inode took over a document from another");
        }
        let mut seen = self.reads.opened_versions.lock().expect("version lock");
        match version {
            Some(v) => seen.insert(ino, v),
            None => seen.remove(&ino),
        };
    }
}

impl<R: Remote> Fs<R> {
    /// Uploads every written file whose upload failed because the store could not be reached
    /// (or was unavailable) and that nobody writes any more. Returns how many are still pending.
    /// Files refused for good (denied, locked, a name taken) wait for their next `close`.
    pub async fn upload_pending(&self) -> usize {
        // With write-back the queue retries by itself, with backoff (`writeback.rs`).
        if self.writeback.config().is_some() {
            return 0;
        }
        let pending: Vec<_> = self
            .writes
            .lock()
            .expect("write lock")
            .iter()
            .map(|(&ino, state)| (ino, state.clone()))
            .collect();
        let mut left = 0;
        for (ino, state) in pending {
            if state.writers() > 0 {
                continue;
            }
            // A state someone holds is being written or uploaded: theirs to finish.
            let Ok(mut d) = state.data.try_lock() else {
                continue;
            };
            if !d.dirty || !d.retry_later {
                continue;
            }
            match self.upload(ino, &mut d).await {
                Ok(()) => {
                    tracing::info!(ino, "uploaded a file kept while the store was away");
                    drop(d);
                    self.drop_if_idle(ino, &state).await;
                }
                Err(e) => {
                    tracing::warn!(ino, error = %e, "a kept file could not be uploaded yet");
                    left += 1;
                }
            }
        }
        left
    }
}
