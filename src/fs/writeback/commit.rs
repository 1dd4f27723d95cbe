//! Write-back's side of a `close`: committing (or, for a big file, sealing) the bytes and
//! queueing the upload, keeping a pending upload's journal entry in step with renames and
//! times, back-pressure past `--max-pending`, and the drain at unmount.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::super::inode::Ino;
use super::super::journal;
use super::super::write::Spooled;
use super::super::{Fs, FsError, FsResult};
use crate::remote::Remote;

/// Files at least this big are sealed at `close` rather than committed: syncing them takes
/// seconds, which their upload need not wait for.
const OVERLAP_FROM: u64 = 64 << 20;

/// A big file's `close` under way: its upload has started; the bytes are synced and the
/// journal entry written (unless the upload already finished) before `close` returns.
pub struct Sealed {
    file: std::fs::File,
    spool: std::path::PathBuf,
    entry: journal::Entry,
    gate: Arc<Mutex<u64>>,
    generation: u64,
}

impl Sealed {
    /// Syncs the bytes, then writes the entry if they still need one.
    pub async fn finish(self) -> FsResult<()> {
        let path = self.spool.clone();
        let done = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            self.file.sync_data()?;
            let gate = self.gate.lock().expect("gate lock");
            if *gate == self.generation {
                journal::write(&self.spool, &self.entry)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| FsError::Io(e.to_string()))?;
        done.map_err(|e| FsError::Io(format!("{}: {e}", path.display())))
    }
}

impl<R: Remote> Fs<R> {
    /// The end of a write (every `close`, the last release, a truncate with no writer open):
    /// with write-back, commits the bytes to local disk and queues the upload; without, uploads.
    pub(in crate::fs) async fn write_back(&self, ino: Ino, d: &mut Spooled) -> FsResult<()> {
        match self.write_back_or_seal(ino, d, false).await? {
            Some(sealed) => sealed.finish().await,
            None => Ok(()),
        }
    }

    /// [`Fs::write_back`]; with `overlap`, a big file is sealed instead of committed: its upload
    /// starts at once, and the caller makes the bytes and the entry durable meanwhile
    /// ([`Sealed::finish`], after letting go of the state).
    pub(in crate::fs) async fn write_back_or_seal(
        &self,
        ino: Ino,
        d: &mut Spooled,
        overlap: bool,
    ) -> FsResult<Option<Sealed>> {
        if self.writeback.config().is_none() {
            return self.upload(ino, d).await.map(|()| None);
        }
        if !d.dirty {
            return Ok(None);
        }
        let Some((_, mut entry)) = self.upload_of(ino, d)? else {
            return Ok(None);
        };
        entry.state = journal::State::Pending;
        let io = |e: std::io::Error, path: &std::path::Path| {
            FsError::Io(format!("{}: {e}", path.display()))
        };
        if overlap && !d.committed && !d.sealed && d.size >= OVERLAP_FROM {
            let spool = d.spool.as_mut().ok_or(FsError::Stale(ino))?;
            spool.trim().map_err(|e| io(e, spool.path()))?;
            let file = spool.clone_file().map_err(|e| io(e, spool.path()))?;
            let sealed = Sealed {
                file,
                spool: spool.path().to_owned(),
                entry,
                gate: d.gate.clone(),
                generation: *d.gate.lock().expect("gate lock"),
            };
            d.sealed = true;
            self.writeback
                .schedule(ino, d.size, &sealed.entry.name, true);
            tracing::debug!(
                ino,
                bytes = d.size,
                "sealed; its upload starts while it is synced"
            );
            return Ok(Some(sealed));
        }
        // Committed already (a close of another handle): only queued again.
        if !d.committed && !d.sealed {
            entry.state = journal::State::Pending;
            let spool = d.spool.as_mut().ok_or(FsError::Stale(ino))?;
            spool.commit(&entry).map_err(|e| io(e, spool.path()))?;
            d.committed = true;
        }
        self.writeback.schedule(ino, d.size, &entry.name, false);
        tracing::debug!(ino, bytes = d.size, file = %entry.name, "committed; its upload is queued");
        Ok(None)
    }

    /// After a rename or a time change of a committed file: its journal entry follows.
    pub(in crate::fs) fn rejournal(&self, ino: Ino, d: &mut Spooled) {
        if !(d.committed || d.sealed) || !d.dirty {
            return;
        }
        if let Ok(Some((_, mut entry))) = self.upload_of(ino, d) {
            entry.state = journal::State::Pending;
            if let Some(spool) = &d.spool {
                spool.rejournal(&entry);
            }
            self.writeback.rename(ino, &entry.name);
        }
    }

    /// The file's upload will not happen (it was deleted first).
    pub(in crate::fs) fn cancel_upload(&self, ino: Ino) {
        self.writeback.cancel(ino);
    }

    /// Back-pressure: while more than `--max-pending` bytes wait, a `close` that added to them
    /// waits for uploads to catch up (or for its own file to be sent); the settle delay is
    /// over for everything waiting then.
    pub(in crate::fs) async fn wait_for_room(&self, ino: Ino) {
        let Some(max) = self.writeback.config().map(|c| c.max_pending) else {
            return;
        };
        if self.writeback.pending_bytes() > max {
            tracing::debug!(ino, max, "past --max-pending: close waits for uploads");
            self.writeback.hurry();
        }
        loop {
            let notified = self.writeback.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.writeback.pending_bytes() <= max || !self.writeback.has(ino) {
                return;
            }
            notified.await;
        }
    }

    /// Unmounting: starts every pending upload now and waits for them, up to `wait`, logging
    /// progress every few seconds. Returns how many are left (the next mount sends them).
    pub async fn drain(&self, wait: Duration) -> u64 {
        let deadline = Instant::now() + wait;
        let mut said = Instant::now() - Duration::from_secs(60);
        loop {
            self.writeback.hurry();
            let notified = self.writeback.progress.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let r = self.writeback.report();
            if r.pending_files == 0 {
                return 0;
            }
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!(
                    files = r.pending_files,
                    bytes = r.pending_bytes,
                    "stopped waiting for uploads; they are kept in the journal and the next mount on this cache folder sends them"
                );
                return r.pending_files;
            }
            if now - said >= Duration::from_secs(2) {
                said = now;
                let left = (deadline - now).as_secs();
                tracing::info!(
                    "waiting for {} upload(s), {} bytes, to finish ({} in flight; up to {left} s more)",
                    r.pending_files,
                    r.pending_bytes,
                    r.in_flight_files
                );
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
        }
    }
}
