//! Changes to the tree: `mkdir`, `create`, `unlink`, `rmdir` and `rename`, each done at the store
//! first and then recorded in the inode table and the cached listings (updated in place, so a
//! `ls` right after shows the change without asking the store).
//!
//! Deleting moves an item to the recycle bin; deleting inside the `Recycle Bin` folder deletes
//! it for good; renaming out of the bin restores. Renaming a document over another keeps the
//! target's identity: the source's content becomes a new version of the target (history and
//! shares survive) and the source goes away. The inode moves with the content, as in the kernel:
//! after the rename the source's inode number stands for the target document.

use super::dir::ListingState;
use super::inode::{Ino, Inode, Origin};
use super::write::{self, Spooled};
use super::{Entry, Fs, FsError, FsResult, names};
use crate::remote::{NodeKind, Relocation, Remote, Upload, UploadTarget};

/// Rejects names the store cannot hold.
fn check_name(name: &str) -> FsResult<()> {
    if name.len() > names::NAME_MAX {
        return Err(FsError::NameTooLong);
    }
    if names::to_remote(name)
        .chars()
        .any(|c| c < '\u{20}' || c == '\u{202E}')
    {
        return Err(FsError::Invalid(
            "the store refuses control characters in names",
        ));
    }
    Ok(())
}

impl<R: Remote> Fs<R> {
    /// Applies `f` to the cached listing of `dir`, if there is one.
    pub(super) async fn edit_listing(&self, dir: Ino, f: impl FnOnce(&mut ListingState)) {
        if let Some(l) = self.cached_listing(dir) {
            f(&mut *l.state.lock().await);
        }
    }

    /// Drops the cached listing of `dir`: the next one comes from the store.
    fn forget_listing(&self, dir: Ino) {
        self.listings.lock().expect("listing lock").pop(&dir);
    }

    fn forget_bin_listing(&self) {
        let bin = self
            .inodes
            .lock()
            .expect("inode lock")
            .find_origin(&Origin::RecycleBin);
        if let Some(bin) = bin {
            self.forget_listing(bin);
        }
    }

    /// The remote folder new items of `dir` go to, if the caller may create them there.
    fn creatable(&self, dir: Ino) -> FsResult<crate::remote::RemoteId> {
        let d = self.inode(dir)?;
        if d.kind != NodeKind::Folder {
            return Err(FsError::NotDir);
        }
        let folder = self.folder_id(dir)?;
        if !d.role.can_write() {
            return Err(FsError::Denied);
        }
        Ok(folder)
    }

    fn entry_for(&self, ino: Ino) -> FsResult<Entry> {
        let mut t = self.inodes.lock().expect("inode lock");
        t.add_lookups(ino, 1);
        let i = t.get(ino).cloned().ok_or(FsError::Stale(ino))?;
        drop(t);
        Ok(Entry {
            stat: self.stat_of(ino, &i),
            ttl: self.config.metadata_ttl,
        })
    }

    pub async fn mkdir(&self, parent: Ino, name: &str) -> FsResult<Entry> {
        check_name(name)?;
        let folder = self.creatable(parent)?;
        if self.find(parent, name).await?.is_some() {
            return Err(FsError::Exists);
        }
        let node = self
            .remote
            .create_folder(&folder, &names::to_remote(name))
            .await?;
        let role = self.inode(parent)?.role;
        let ino =
            self.inodes
                .lock()
                .expect("inode lock")
                .upsert(node, parent, name.to_owned(), role);
        self.edit_listing(parent, |s| s.push(name.to_owned(), ino))
            .await;
        self.entry_for(ino)
    }

    /// Creates an empty file, open for writing; the store gets it when it is closed.
    pub async fn create(&self, parent: Ino, name: &str) -> FsResult<(Entry, u64)> {
        check_name(name)?;
        self.creatable(parent)?;
        if self.find(parent, name).await?.is_some() {
            return Err(FsError::Exists);
        }
        let role = self.inode(parent)?.role;
        let ino = self
            .inodes
            .lock()
            .expect("inode lock")
            .add_local(parent, name.to_owned(), role);
        self.start_new_file(ino)?;
        self.edit_listing(parent, |s| s.push(name.to_owned(), ino))
            .await;
        let fh = self.open_new(ino);
        Ok((self.entry_for(ino)?, fh))
    }

    pub async fn unlink(&self, parent: Ino, name: &str) -> FsResult<()> {
        let ino = self.find_to_change(parent, name).await?;
        if self.inode(ino)?.kind == NodeKind::Folder {
            return Err(FsError::IsDir);
        }
        self.remove_item(parent, name, ino).await
    }

    pub async fn rmdir(&self, parent: Ino, name: &str) -> FsResult<()> {
        let ino = self.find_to_change(parent, name).await?;
        if self.inode(ino)?.kind != NodeKind::Folder {
            return Err(FsError::NotDir);
        }
        if !matches!(self.inode(parent)?.origin, Origin::RecycleBin) {
            self.ensure_empty(ino).await?;
        }
        self.remove_item(parent, name, ino).await
    }

    /// ENOTEMPTY unless the folder has no items, asking the store afresh.
    async fn ensure_empty(&self, dir: Ino) -> FsResult<()> {
        if !self
            .inodes
            .lock()
            .expect("inode lock")
            .local_children(dir)
            .is_empty()
        {
            return Err(FsError::NotEmpty);
        }
        self.forget_listing(dir);
        let listing = self.listing(dir)?;
        let mut state = listing.state.lock().await;
        while !state.has_entries() && !state.complete {
            self.fetch_page(&listing, &mut state).await?;
        }
        if state.has_entries() {
            return Err(FsError::NotEmpty);
        }
        Ok(())
    }

    /// Deletes `ino` (named `name` in `parent`): to the recycle bin, or for good from it.
    async fn remove_item(&self, parent: Ino, name: &str, ino: Ino) -> FsResult<()> {
        // An upload of this file in progress finishes first (it decides whether the item is
        // at the store), and none starts until it is gone.
        let state = self.write_state(ino);
        let mut guard = write::lock(state.as_deref()).await;
        let p = self.inode(parent)?;
        let i = self.inode(ino)?;
        match (&p.origin, &i.origin) {
            (Origin::SharedWithMe, _) => return Err(FsError::Denied),
            (Origin::RecycleBin, Origin::Remote(id)) => self.remote.delete(id, i.kind).await?,
            (_, _) if !p.role.can_write() => return Err(FsError::Denied),
            (_, Origin::Remote(id)) => {
                self.remote.recycle(id, i.kind).await?;
                self.forget_bin_listing();
            }
            (_, Origin::Local(_)) => {}
            _ => return Err(FsError::NotFound),
        }
        // Handles still open for writing keep the spool, as an unlinked file lives on until its
        // last close: their writes and reads go on, and nothing uploads a detached inode.
        let open = state.as_ref().is_some_and(|s| s.writers() > 0);
        // A pending upload is cancelled: deleted before it started, it never reaches the store.
        self.cancel_upload(ino);
        if let Some(d) = guard.as_deref_mut() {
            d.uncommit();
            d.dirty = false;
            if !open {
                if let Some(spool) = d.spool.take() {
                    spool.remove();
                }
            }
        }
        // Detached before the state is let go, so that no write and flush in between uploads it.
        self.inodes.lock().expect("inode lock").detach(ino);
        drop(guard);
        if open {
            self.recent.lock().expect("recent lock").forget(ino);
        } else {
            self.discard_writes(ino).await;
        }
        self.edit_listing(parent, |s| {
            s.remove(name);
        })
        .await;
        Ok(())
    }

    /// `rename(2)`; with `no_replace` an existing target is EEXIST.
    pub async fn rename(
        &self,
        parent: Ino,
        name: &str,
        new_parent: Ino,
        new_name: &str,
        no_replace: bool,
    ) -> FsResult<()> {
        check_name(new_name)?;
        let src = self.find_to_change(parent, name).await?;
        self.refuse_in_view(new_parent)?;
        if parent == new_parent && name == new_name {
            return Ok(());
        }
        let (p, np) = (self.inode(parent)?, self.inode(new_parent)?);
        if np.kind != NodeKind::Folder {
            return Err(FsError::NotDir);
        }
        let dst = self.find(new_parent, new_name).await?;
        if dst.is_some() && no_replace {
            return Err(FsError::Exists);
        }
        match (&p.origin, &np.origin) {
            (Origin::RecycleBin, Origin::RecycleBin) => Err(FsError::Denied),
            (Origin::RecycleBin, _) => {
                if dst.is_some() {
                    return Err(FsError::Exists);
                }
                self.restore(parent, name, src, new_parent, new_name).await
            }
            (_, Origin::RecycleBin) => self.remove_item(parent, name, src).await,
            (Origin::SharedWithMe, _) | (_, Origin::SharedWithMe) if parent != new_parent => {
                Err(FsError::CrossDevice)
            }
            _ => {
                // Also the case of items directly in Shared with me (a read-only folder): renaming
                // one would rename the owner's item.
                if !p.role.can_write() {
                    return Err(FsError::Denied);
                }
                self.creatable(new_parent)?;
                // An upload of the source in progress finishes first (its name and id are
                // decided then), and none starts until the rename is done.
                let state = self.write_state(src);
                let mut guard = write::lock(state.as_deref()).await;
                let s = self.inode(src)?;
                if let Some(dst) = dst {
                    let d = self.inode(dst)?;
                    match (s.kind, d.kind) {
                        (NodeKind::Folder, NodeKind::Document | NodeKind::Link) => {
                            return Err(FsError::NotDir);
                        }
                        (NodeKind::Document | NodeKind::Link, NodeKind::Folder) => {
                            return Err(FsError::IsDir);
                        }
                        (NodeKind::Link, _) | (_, NodeKind::Link) => {
                            self.remove_item(new_parent, new_name, dst).await?;
                        }
                        (NodeKind::Folder, NodeKind::Folder) => {
                            self.ensure_empty(dst).await?;
                            self.remove_item(new_parent, new_name, dst).await?;
                        }
                        (NodeKind::Document, NodeKind::Document) => {
                            if matches!(d.origin, Origin::Remote(_)) {
                                let from = (parent, name, src, &s);
                                let written = state.as_deref().zip(guard.as_deref_mut());
                                return self
                                    .replace(from, written, (new_parent, new_name, dst, &d))
                                    .await;
                            }
                            // The target is not at the store yet: it just goes away.
                            self.remove_item(new_parent, new_name, dst).await?;
                        }
                    }
                }
                self.move_item(parent, name, src, &s, new_parent, new_name)
                    .await?;
                // A pending upload goes under the new name and folder.
                if let Some(d) = guard.as_deref_mut() {
                    self.rejournal(src, d);
                }
                Ok(())
            }
        }
    }

    /// Renames and/or moves an item, at the store unless it is not there yet.
    async fn move_item(
        &self,
        parent: Ino,
        name: &str,
        ino: Ino,
        i: &Inode,
        new_parent: Ino,
        new_name: &str,
    ) -> FsResult<()> {
        if let Origin::Remote(id) = &i.origin {
            let to = Relocation {
                name: (names::to_remote(new_name) != names::to_remote(name))
                    .then(|| names::to_remote(new_name)),
                parent: if parent != new_parent {
                    Some(self.folder_id(new_parent)?)
                } else {
                    None
                },
            };
            self.remote.relocate(id, i.kind, &to).await?;
        }
        self.settle_move(parent, name, ino, new_parent, new_name)
            .await;
        Ok(())
    }

    /// Records in the table and listings that `ino` is now `new_name` in `new_parent`.
    async fn settle_move(
        &self,
        parent: Ino,
        name: &str,
        ino: Ino,
        new_parent: Ino,
        new_name: &str,
    ) {
        // The store folder it now lies in (none for a special folder).
        let folder = self.folder_id(new_parent).ok();
        {
            let mut t = self.inodes.lock().expect("inode lock");
            let role = t.get(new_parent).map(|p| p.role);
            t.relocate(ino, new_parent, new_name.to_owned());
            t.update_node(ino, |n| {
                n.name = names::to_remote(new_name);
                n.recycled = false;
                if let Some(f) = folder {
                    n.parent = Some(f);
                }
            });
            if let (Some(role), Some(i)) = (role, t.get(ino)) {
                if i.node.as_ref().is_none_or(|n| n.role.is_none()) && parent != new_parent {
                    t.set_role(ino, role);
                }
            }
        }
        self.edit_listing(parent, |s| {
            s.remove(name);
        })
        .await;
        self.edit_listing(new_parent, |s| {
            s.remove(new_name);
            s.push(new_name.to_owned(), ino);
        })
        .await;
    }

    /// Brings an item back from the recycle bin to `new_name` in `new_parent`.
    async fn restore(
        &self,
        bin: Ino,
        name: &str,
        ino: Ino,
        new_parent: Ino,
        new_name: &str,
    ) -> FsResult<()> {
        let folder = self.creatable(new_parent)?;
        let i = self.inode(ino)?;
        let Origin::Remote(id) = &i.origin else {
            return Err(FsError::NotFound);
        };
        let to = Relocation {
            name: Some(names::to_remote(new_name)),
            parent: Some(folder),
        };
        self.remote.restore(id, i.kind, &to).await?;
        self.settle_move(bin, name, ino, new_parent, new_name).await;
        Ok(())
    }

    /// Renames document `src` over document `dst`: the source's content becomes a new version
    /// of the target, and the source goes away.
    /// `written`: the source's write state, locked by the caller.
    async fn replace(
        &self,
        (parent, name, src, s): (Ino, &str, Ino, &Inode),
        written: Option<(&super::write::WriteState, &mut Spooled)>,
        (new_parent, new_name, dst, d): (Ino, &str, Ino, &Inode),
    ) -> FsResult<()> {
        let target = d.node.clone().ok_or(FsError::Stale(dst))?;
        self.discard_writes(dst).await;
        match &s.origin {
            Origin::Local(_) => {
                // Not at the store yet: its upload will be the target's next version.
                self.inodes.lock().expect("inode lock").bind(src, target);
                self.settle_move(parent, name, src, new_parent, new_name)
                    .await;
                if let Some((state, data)) = written {
                    // Committed: the pending upload becomes the target's next version.
                    self.rejournal(src, data);
                    if state.writers() == 0 {
                        self.write_back(src, data).await?;
                    }
                }
                Ok(())
            }
            Origin::Remote(src_id) => {
                let src_node = s.node.clone().ok_or(FsError::Stale(src))?;
                let guard = written.map(|(_, data)| data);
                let mut fetched = Spooled::default();
                let mtime = self.stat_of(src, &self.inode(src)?).mtime;
                let (path, size) = match guard.as_deref() {
                    Some(data) if data.spool.is_some() => (
                        data.spool.as_ref().expect("checked").path().to_owned(),
                        data.size,
                    ),
                    _ => {
                        let recent = src_node
                            .version
                            .as_deref()
                            .and_then(|v| self.recent.lock().expect("recent lock").take(src, v));
                        match recent {
                            Some((size, spool)) => {
                                fetched.size = size;
                                fetched.spool = Some(spool);
                            }
                            None => self.load(src, &mut fetched).await?,
                        }
                        let spool = fetched.spool.as_ref().expect("loaded");
                        (spool.path().to_owned(), fetched.size)
                    }
                };
                let up = Upload {
                    target: UploadTarget::NewVersion {
                        doc: target.id.clone(),
                    },
                    path,
                    size,
                    modified: mtime,
                    created: Some(target.ctime),
                };
                let result = self.upload_and_stamp(&up, true).await;
                if let Some(spool) = fetched.spool.take() {
                    spool.remove();
                }
                let node = result?;
                if let Some(data) = guard {
                    data.dirty = false;
                }
                self.remote.delete(src_id, NodeKind::Document).await?;
                self.record_upload(src, node);
                self.settle_move(parent, name, src, new_parent, new_name)
                    .await;
                Ok(())
            }
            _ => Err(FsError::NotFound),
        }
    }
}
