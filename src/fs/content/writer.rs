//! Filling a cache entry from one stream of a version's bytes, in order from some offset: each
//! chunk is written at its offset as it arrives (by a [`Tee`]'s thread when the stream is a read
//! being served, so the reader never waits for the disk), each block whose bytes all came through this
//! stream is hashed and recorded, and a stream that covered the whole version from its first byte
//! is checked against the store's checksum at its end. Writing never fails the read it tees:
//! an I/O error stops caching for this stream.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::mpsc::{SyncSender, TrySendError};

use bytes::Bytes;

use super::ContentCache;
use super::entry::{BLOCK, BlockHasher, Entry, WholeHasher, block_len};

pub struct Writer {
    cache: Arc<ContentCache>,
    entry: Arc<Entry>,
    file: Option<File>,
    pos: u64,
    /// Where the stream is (past `pos` once caching stopped).
    seen: u64,
    /// The hash of the current block's bytes, when this stream has all of them so far.
    block: Option<BlockHasher>,
    /// The checksum of the whole content, while this stream has every byte from 0.
    whole: Option<WholeHasher>,
    stopped: bool,
}

/// How a stream matched the store's checksum.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    /// The whole content came through and matches the store's checksum.
    Checked,
    /// The whole content came through and does NOT match: the entry was dropped.
    Mismatch,
    /// Nothing to say (partial stream, or no checksum stated).
    Unchecked,
}

impl Writer {
    pub(super) fn new(cache: Arc<ContentCache>, entry: Arc<Entry>, pos: u64) -> Self {
        let aligned = pos % BLOCK == 0;
        let whole = (pos == 0)
            .then(|| entry.checksum.as_ref().map(|c| c.hasher()))
            .flatten();
        Self {
            cache,
            entry,
            file: None,
            pos,
            seen: pos,
            block: aligned.then(BlockHasher::new),
            whole,
            stopped: false,
        }
    }

    fn open(&mut self) -> std::io::Result<&File> {
        if self.file.is_none() {
            let path = self.entry.data_path();
            std::fs::create_dir_all(path.parent().expect("in a folder"))?;
            let f = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)?;
            self.file = Some(f);
        }
        Ok(self.file.as_ref().expect("opened"))
    }

    /// The next bytes of the stream (at the writer's position).
    pub fn write(&mut self, mut bytes: &[u8]) {
        let size = self.entry.size;
        if let Some(h) = &mut self.whole {
            h.update(bytes);
        }
        self.seen += bytes.len() as u64;
        while !bytes.is_empty() && !self.stopped && self.pos < size {
            let i = (self.pos / BLOCK) as usize;
            let block_end = i as u64 * BLOCK + block_len(size, i);
            let n = ((block_end - self.pos) as usize).min(bytes.len());
            let (now, rest) = bytes.split_at(n);
            // Bytes of a block this stream joined midway are not written: the block could
            // never be recorded, so they would only take disk space nothing accounts for.
            if self.block.is_some() {
                let at = self.pos;
                if let Err(e) = self.open().and_then(|f| f.write_all_at(now, at)) {
                    self.cache.write_failed(&self.entry, &e);
                    self.stopped = true;
                    return;
                }
            }
            if let Some(h) = &mut self.block {
                h.update(now);
            }
            self.pos += n as u64;
            bytes = rest;
            if self.pos == block_end {
                if let Some(h) = self.block.replace(BlockHasher::new()) {
                    if !self.cache.record(&self.entry, i, h.finalize()) {
                        self.stopped = true;
                    } else if self.whole.is_none() {
                        self.check_when_complete();
                    }
                }
            }
        }
    }

    /// An entry filled by several streams is checked against the store's checksum once its
    /// last block arrives, in the background (a mismatch drops it; the bytes were served
    /// already, so the log says so).
    fn check_when_complete(&self) {
        let st = self.entry.lock();
        let due = !st.whole_checked && st.blocks.iter().all(Option::is_some);
        drop(st);
        if !due || self.entry.checksum.is_none() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (cache, entry) = (self.cache.clone(), self.entry.clone());
            rt.spawn_blocking(move || cache.check_whole(&entry));
        }
    }

    /// Ends the stream: checks the whole content against the store's checksum when this stream
    /// carried all of it.
    pub fn finish(mut self) -> Finished {
        let (Some(h), Some(want)) = (self.whole.take(), self.entry.checksum.as_ref()) else {
            return Finished::Unchecked;
        };
        if self.seen != self.entry.size {
            return Finished::Unchecked;
        }
        if !h.matches(want) {
            self.cache.drop_corrupt(
                &self.entry,
                "the bytes received do not match the store's checksum",
            );
            return Finished::Mismatch;
        }
        let mut st = self.entry.lock();
        if !st.gone {
            st.whole_checked = true;
            let _ = self.entry.write_meta(&mut st);
        }
        Finished::Checked
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let mut st = self.entry.lock();
        if st.dirty && !st.gone {
            let _ = self.entry.write_meta(&mut st);
        }
    }
}

/// Bytes a [`Tee`] may have queued for its thread; past this the stream is no longer cached
/// (the disk cannot keep up, and the read must not wait for it).
const TEE_QUEUED_MAX: usize = 8 << 20;

/// A stream's bytes handed to a [`Writer`] on a thread of its own: `send` never blocks.
pub struct Tee {
    tx: Option<SyncSender<Bytes>>,
    queued: Arc<AtomicUsize>,
}

impl Writer {
    /// Runs this writer on a blocking thread, fed by the returned [`Tee`]; it finishes (checking
    /// the store's checksum if the stream carried every byte) when the tee is dropped.
    pub fn spawn(mut self) -> Tee {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Bytes>(1024);
        let queued = Arc::new(AtomicUsize::new(0));
        let counted = queued.clone();
        let run = move || {
            for bytes in rx {
                counted.fetch_sub(bytes.len(), Relaxed);
                self.write(&bytes);
            }
            self.finish();
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(run)),
            Err(_) => drop(std::thread::spawn(run)),
        }
        Tee {
            tx: Some(tx),
            queued,
        }
    }
}

impl Tee {
    /// Queues the stream's next bytes; when the queue is full, caching of this stream stops.
    pub fn send(&mut self, bytes: &Bytes) {
        let Some(tx) = &self.tx else { return };
        if self.queued.fetch_add(bytes.len(), Relaxed) + bytes.len() > TEE_QUEUED_MAX {
            tracing::debug!("the content cache falls behind a stream; no longer caching it");
            self.tx = None;
            return;
        }
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            tx.try_send(bytes.clone())
        {
            self.tx = None;
        }
    }
}
