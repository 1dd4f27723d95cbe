//! Writing files: every written inode gets a [`WriteState`] — its bytes in a spool file, the
//! size and mtime `stat` shows, and whether the store is behind (`dirty`). The first write to a
//! document already at the store copies its current version into the spool (a write may touch
//! any offset); `O_TRUNC` and new files start empty. `flush` (every `close`) uploads a file
//! written through that handle, `fsync` any dirty file, `release` a dirty file nobody writes
//! any more (`upload.rs`); `close` returns 0 only once the bytes are at the store. A failed
//! upload leaves the state dirty and the spool on disk, and the next `flush`/`fsync` retries.
//!
//! Times: the upload carries the file's mtime (the last write, or what `utimens` set while it
//! was dirty) as ContentModifiedTimestamp; `utimens` on a clean document goes to the store as
//! its own step (`Remote::set_mtime`).

use std::sync::Arc;
use std::time::SystemTime;

use futures_util::StreamExt;

use super::inode::{Ino, Origin};
use super::spool::SpoolFile;
use super::{Fs, FsError, FsResult};
use crate::remote::{NodeKind, Remote};

/// A written (or being-written) file.
pub struct WriteState {
    pub data: tokio::sync::Mutex<Spooled>,
    /// Size and mtime to show while the spool holds the content (`None` until it is loaded).
    shown: std::sync::Mutex<Option<(u64, SystemTime)>>,
    /// Handles open for writing.
    writers: std::sync::atomic::AtomicUsize,
    /// While a background upload holds `data`: the spool file and its size, which cannot
    /// change until the upload ends, so reads need not wait for it (`writeback.rs`).
    uploading: std::sync::Mutex<Option<(Arc<std::fs::File>, u64)>>,
}

#[derive(Default)]
pub struct Spooled {
    /// The content, once loaded (`None`: the store's current version is still the content).
    pub spool: Option<SpoolFile>,
    pub size: u64,
    /// The store does not have these bytes yet.
    pub dirty: bool,
    pub mtime: Option<SystemTime>,
    /// `mtime` was set by `utimens`, not by a write.
    pub mtime_set: bool,
    /// The last upload failed in a way that may pass later (the store was unreachable).
    pub retry_later: bool,
    /// The journal holds an entry for exactly these bytes (synced): `close` has committed
    /// them, and they are the next mount's to send should this daemon die (`writeback.rs`).
    pub committed: bool,
    /// Complete, and its upload may start while the closing handle makes the bytes and the
    /// journal entry durable (a big file: the sync and the upload overlap, `writeback.rs`).
    pub sealed: bool,
    /// Counts the moments these bytes stopped needing a journal entry (uploaded, or written
    /// again); a sealed file's entry is written only if it has not moved meanwhile.
    pub gate: Arc<std::sync::Mutex<u64>>,
}

impl Spooled {
    /// The bytes are about to change: a journal entry for the old ones no longer applies.
    /// Until the next `close` commits them again, the file is one being written, which the
    /// journal never sends on anyone's behalf (SEMANTICS.md, "Write-back").
    pub fn uncommit(&mut self) {
        if self.committed || self.sealed {
            self.committed = false;
            self.sealed = false;
            self.settled();
        }
    }

    /// No journal entry applies any more (uploaded, or about to be written again).
    pub fn settled(&self) {
        let mut gate = self.gate.lock().expect("gate lock");
        *gate += 1;
        if let Some(spool) = &self.spool {
            spool.forget_sidecar();
        }
    }
}

impl WriteState {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            data: tokio::sync::Mutex::new(Spooled::default()),
            shown: std::sync::Mutex::new(None),
            writers: std::sync::atomic::AtomicUsize::new(0),
            uploading: std::sync::Mutex::new(None),
        })
    }

    fn show(&self, d: &Spooled) {
        let shown = d
            .spool
            .as_ref()
            .map(|_| (d.size, d.mtime.unwrap_or_else(SystemTime::now)));
        *self.shown.lock().expect("shown lock") = shown;
    }

    /// Handles open for writing.
    pub fn writers(&self) -> usize {
        self.writers.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Size and mtime while the spool holds the content.
    pub fn shown(&self) -> Option<(u64, SystemTime)> {
        *self.shown.lock().expect("shown lock")
    }

    /// Set by the holder of `data` for the length of an upload, cleared before it lets go.
    pub(super) fn set_uploading(&self, d: Option<&Spooled>) {
        let snapshot = d.and_then(|d| {
            let file = d.spool.as_ref()?.clone_file().ok()?;
            Some((Arc::new(file), d.size))
        });
        *self.uploading.lock().expect("uploading lock") = snapshot;
    }

    fn uploading(&self) -> Option<(Arc<std::fs::File>, u64)> {
        self.uploading.lock().expect("uploading lock").clone()
    }
}

/// Locks a file's write state, if it has one.
pub async fn lock(state: Option<&WriteState>) -> Option<tokio::sync::MutexGuard<'_, Spooled>> {
    match state {
        Some(st) => Some(st.data.lock().await),
        None => None,
    }
}

/// Rounds a time down to the millisecond (the store's precision for content times).
pub fn to_millis(t: SystemTime) -> SystemTime {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(since.as_millis() as u64)
}

fn io(e: std::io::Error) -> FsError {
    FsError::Io(e.to_string())
}

impl<R: Remote> Fs<R> {
    pub(super) fn write_state(&self, ino: Ino) -> Option<Arc<WriteState>> {
        self.writes.lock().expect("write lock").get(&ino).cloned()
    }

    fn write_state_or_new(&self, ino: Ino) -> Arc<WriteState> {
        self.writes
            .lock()
            .expect("write lock")
            .entry(ino)
            .or_insert_with(WriteState::new)
            .clone()
    }

    /// The write state of `ino` (made if missing) with one more writer, counted under the
    /// map's lock: [`Fs::drop_if_idle`] checks the count under it too, so a handle being opened
    /// while the last one is released either keeps the state or finds none and makes a new one,
    /// never joins a state that is being dropped (its writes would find no state: EBADF).
    fn join_writers(&self, ino: Ino) -> Arc<WriteState> {
        let mut writes = self.writes.lock().expect("write lock");
        let state = writes.entry(ino).or_insert_with(WriteState::new).clone();
        state
            .writers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        state
    }

    /// Registers a handle open for writing on `ino`; with `truncate`, the content becomes empty.
    pub(super) async fn open_for_write(&self, ino: Ino, truncate: bool) -> FsResult<()> {
        let state = self.join_writers(ino);
        if truncate {
            let mut d = state.data.lock().await;
            let was = if d.spool.is_some() {
                d.size
            } else {
                self.inode(ino)?.size()
            };
            if d.spool.is_none() {
                d.spool = Some(self.spool.create().map_err(io)?);
            }
            d.uncommit();
            d.spool.as_mut().expect("just set").set_len(0).map_err(io)?;
            d.size = 0;
            if was != 0 || d.dirty {
                d.dirty = true;
                d.mtime = Some(SystemTime::now());
                d.mtime_set = false;
            } else if d.mtime.is_none() {
                d.mtime = Some(self.stat_of(ino, &self.inode(ino)?).mtime);
            }
            state.show(&d);
        }
        Ok(())
    }

    /// A new local file's state: empty, dirty (so `close` creates it at the store).
    pub(super) fn start_new_file(&self, ino: Ino) -> FsResult<()> {
        let state = self.join_writers(ino);
        let mut d = state
            .data
            .try_lock()
            .map_err(|_| FsError::Io("state busy".into()))?;
        d.spool = Some(self.spool.create().map_err(io)?);
        d.size = 0;
        d.dirty = true;
        d.mtime = Some(SystemTime::now());
        state.show(&d);
        Ok(())
    }

    /// Copies the store's current version into a new spool file, if not done yet.
    pub(super) async fn load(&self, ino: Ino, d: &mut Spooled) -> FsResult<()> {
        if d.spool.is_some() {
            return Ok(());
        }
        let i = self.inode(ino)?;
        let node = i.node.as_ref().ok_or(FsError::Stale(ino))?;
        let mut spool = self.spool.create().map_err(io)?;
        if let Some(version) = &node.version {
            let mut stream = self.remote.read(&node.id, version, 0..node.size).await?;
            let mut at = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk?;
                spool.write_at(at, &chunk).map_err(io)?;
                at += chunk.len() as u64;
            }
            if at != node.size {
                spool.remove();
                return Err(FsError::Remote(crate::remote::RemoteError::Protocol(
                    format!("download of {} gave {at} bytes, not {}", node.id, node.size),
                )));
            }
        }
        d.spool = Some(spool);
        d.size = node.size;
        d.mtime = Some(node.mtime);
        Ok(())
    }

    pub async fn write(&self, fh: u64, offset: u64, data: &[u8]) -> FsResult<u32> {
        let (open, state) = self.writer(fh)?;
        let mut d = state.data.lock().await;
        self.load(open.ino, &mut d).await?;
        Self::write_spooled(&state, &mut d, offset, data)
    }

    /// The write, done at once if nothing has to wait (the spool holds the content and nobody
    /// else holds it): the adapter then needs neither a task nor a copy of the data. `None`:
    /// call [`Fs::write`].
    pub fn write_now(&self, fh: u64, offset: u64, data: &[u8]) -> Option<FsResult<u32>> {
        let (_, state) = match self.writer(fh) {
            Ok(w) => w,
            Err(e) => return Some(Err(e)),
        };
        let mut d = state.data.try_lock().ok()?;
        d.spool.as_ref()?;
        Some(Self::write_spooled(&state, &mut d, offset, data))
    }

    fn writer(&self, fh: u64) -> FsResult<(Arc<super::file::OpenFile>, Arc<WriteState>)> {
        let open = self.open_file(fh)?;
        if !open.writable {
            return Err(FsError::BadHandle);
        }
        let state = self.write_state(open.ino).ok_or(FsError::BadHandle)?;
        open.wrote.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok((open, state))
    }

    fn write_spooled(
        state: &WriteState,
        d: &mut Spooled,
        offset: u64,
        data: &[u8],
    ) -> FsResult<u32> {
        d.uncommit();
        let spool = d.spool.as_mut().expect("loaded");
        spool.write_at(offset, data).map_err(io)?;
        d.size = d.size.max(offset + data.len() as u64);
        d.dirty = true;
        d.mtime = Some(SystemTime::now());
        d.mtime_set = false;
        state.show(d);
        Ok(data.len() as u32)
    }

    /// Reads from the spool when it holds the content; `None` when the store's version does.
    pub(super) async fn read_spooled(
        &self,
        ino: Ino,
        offset: u64,
        size: u32,
    ) -> FsResult<Option<bytes::Bytes>> {
        let Some(state) = self.write_state(ino) else {
            return Ok(None);
        };
        // A background upload holds the state: its bytes are fixed meanwhile, read them as is.
        if let Some((file, length)) = state.uploading() {
            let len = length.saturating_sub(offset).min(u64::from(size)) as usize;
            let mut buf = vec![0; len];
            std::os::unix::fs::FileExt::read_exact_at(&*file, &mut buf, offset).map_err(io)?;
            return Ok(Some(buf.into()));
        }
        let d = state.data.lock().await;
        let Some(spool) = &d.spool else {
            return Ok(None);
        };
        let len = d.size.saturating_sub(offset).min(size as u64) as usize;
        Ok(Some(spool.read_at(offset, len).map_err(io)?.into()))
    }

    /// Changes the size of a file (`fh`: through that handle, as `ftruncate`); without a writer
    /// open, the change is uploaded at once.
    pub async fn truncate(&self, ino: Ino, size: u64, fh: Option<u64>) -> FsResult<()> {
        if let Some(open) = fh.and_then(|fh| self.open_file(fh).ok()) {
            open.wrote.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let i = self.inode(ino)?;
        if i.kind == NodeKind::Folder {
            return Err(FsError::IsDir);
        }
        self.check_writable(ino)?;
        let state = self.write_state_or_new(ino);
        let mut d = state.data.lock().await;
        let result = async {
            self.load(ino, &mut d).await?;
            if d.size != size {
                d.uncommit();
                d.spool
                    .as_mut()
                    .expect("loaded")
                    .set_len(size)
                    .map_err(io)?;
                d.size = size;
                d.dirty = true;
                d.mtime = Some(SystemTime::now());
                d.mtime_set = false;
            }
            state.show(&d);
            if state.writers.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                self.write_back(ino, &mut d).await?;
            }
            Ok(())
        }
        .await;
        drop(d);
        self.drop_if_idle(ino, &state).await;
        result
    }

    /// Sets the modification time: kept for the upload while the file is dirty, else recorded
    /// at the store for the current version.
    pub async fn set_mtime(&self, ino: Ino, mtime: SystemTime) -> FsResult<()> {
        // Held to the end, so no upload starts (or is half done) while the time is recorded.
        let state = self.write_state(ino);
        let mut guard = lock(state.as_deref()).await;
        if let (Some(st), Some(d)) = (&state, guard.as_deref_mut()) {
            if d.dirty {
                d.mtime = Some(mtime);
                d.mtime_set = true;
                st.show(d);
                // A committed file's upload carries the new time (`writeback.rs`).
                self.rejournal(ino, d);
                return Ok(());
            }
            if d.spool.is_some() {
                d.mtime = Some(mtime);
                st.show(d);
            }
        }
        // Read after the lock: an upload that just finished made the file a document.
        let i = self.inode(ino)?;
        let Some(node) = i.node.as_ref() else {
            return Ok(());
        };
        if node.mtime == mtime {
            return Ok(());
        }
        self.check_writable(ino)?;
        match (i.kind, &node.version) {
            (NodeKind::Document, Some(version)) => {
                self.remote.set_mtime(&node.id, version, mtime).await?;
                self.inodes
                    .lock()
                    .expect("inode lock")
                    .update_node(ino, |n| n.mtime = mtime);
                Ok(())
            }
            // Folders have no content times at the store: accepted, not kept (SEMANTICS.md).
            _ => Ok(()),
        }
    }

    /// `flush` and `fsync`: uploads the file if the store is behind.
    pub async fn sync_file(&self, fh: u64) -> FsResult<()> {
        let open = self.open_file(fh)?;
        if !open.writable {
            return Ok(());
        }
        let Some(state) = self.write_state(open.ino) else {
            return Ok(());
        };
        let mut d = state.data.lock().await;
        self.upload(open.ino, &mut d).await
    }

    /// `flush` (every `close`, of every duplicate of a descriptor): uploads the file if this
    /// handle wrote to it. A handle that has not written yet leaves the upload to a later
    /// `close` or to `release` — shells and `dd` open a file, duplicate the descriptor and close
    /// the original before writing, which must not make an empty version.
    pub async fn flush(&self, fh: u64, owner: u64) -> FsResult<()> {
        let open = self.open_file(fh)?;
        if !open.wrote.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        let writers = open.writers.lock().expect("writers lock").clone();
        if !writers.is_empty() && !writers.contains(&owner) {
            return Ok(());
        }
        let Some(state) = self.write_state(open.ino) else {
            return Ok(());
        };
        let mut d = state.data.lock().await;
        let sealed = self.write_back_or_seal(open.ino, &mut d, true).await?;
        drop(d);
        // A big file: its upload runs while its bytes are synced here.
        if let Some(sealed) = sealed {
            sealed.finish().await?;
        }
        self.wait_for_room(open.ino).await;
        Ok(())
    }

    /// Records that process `owner` (a lock owner, as the kernel names it) writes through `fh`.
    pub fn note_writer(&self, fh: u64, owner: u64) {
        if let Ok(open) = self.open_file(fh) {
            let mut writers = open.writers.lock().expect("writers lock");
            if !writers.contains(&owner) {
                writers.push(owner);
            }
        }
    }

    /// A writer handle closed: a dirty file nobody writes any more is uploaded (a file created
    /// or truncated by `open` and never written: `touch`, `: > f`); a clean state with no
    /// writers left is dropped.
    pub(super) async fn release_writer(&self, ino: Ino) {
        if let Some(state) = self.write_state(ino) {
            if state
                .writers
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst)
                == 1
            {
                let mut d = state.data.lock().await;
                if d.dirty && state.writers() == 0 {
                    if let Err(e) = self.write_back(ino, &mut d).await {
                        tracing::error!(ino, error = %e, "upload after the last close failed");
                    }
                }
            }
            self.drop_if_idle(ino, &state).await;
        }
    }

    pub(super) async fn drop_if_idle(&self, ino: Ino, state: &Arc<WriteState>) {
        let mut d = state.data.lock().await;
        if d.dirty {
            return;
        }
        let mut writes = self.writes.lock().expect("write lock");
        // Under the map's lock, where writers join (`join_writers`).
        if state.writers.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            return;
        }
        if writes.get(&ino).is_some_and(|s| Arc::ptr_eq(s, state)) {
            writes.remove(&ino);
        }
        drop(writes);
        if let Some(spool) = d.spool.take() {
            let inode = self.inode(ino).ok();
            // Deleted while it was open: nothing can rename it any more.
            if inode.as_ref().is_none_or(|i| i.origin == Origin::Gone) {
                spool.remove();
                return;
            }
            let version = inode.and_then(|i| i.node.and_then(|n| n.version));
            self.recent
                .lock()
                .expect("recent lock")
                .keep(ino, version, d.size, spool);
        }
    }

    /// Forgets what was written to `ino` (it was deleted): the spool goes away.
    pub(super) async fn discard_writes(&self, ino: Ino) {
        let state = self.writes.lock().expect("write lock").remove(&ino);
        if let Some(state) = state {
            let mut d = state.data.lock().await;
            d.dirty = false;
            if let Some(spool) = d.spool.take() {
                spool.remove();
            }
        }
        self.recent.lock().expect("recent lock").forget(ino);
    }

    /// EACCES unless the caller may change the item.
    pub(super) fn check_writable(&self, ino: Ino) -> FsResult<()> {
        self.refuse_in_view(ino)?;
        if self.inode(ino)?.role.can_write() {
            Ok(())
        } else {
            Err(FsError::Denied)
        }
    }
}
