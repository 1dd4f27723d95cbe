//! What FUSE passthrough may hand the kernel: the data file of a complete entry whose every
//! block this process has checked against its hash, and whose whole content was checked against
//! the store's checksum where the store states one. The kernel then reads that file itself and
//! nothing looks at its bytes on the way, so they are all checked before it gets the file.
//!
//! Entries up to [`CHECK_AT_OPEN`] are checked at the open that wants them (a few milliseconds);
//! a bigger one is checked in the background while that first open is served by the daemon
//! (which checks the blocks it reads), so the next open can pass through.
//!
//! Whether passthrough is on at all is decided here too: on when the mount asked for it, off
//! for good (said once in the log) when the kernel or the process's privileges refuse it.

use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use super::{ContentCache, Entry, block_count};

/// Entries up to this many bytes are checked at open, bigger ones in the background.
pub const CHECK_AT_OPEN: u64 = 64 << 20;

impl ContentCache {
    /// Whether opens of cached files may be passed through to the kernel.
    pub fn passthrough_on(&self) -> bool {
        self.passthrough.load(Relaxed)
    }

    /// Turns passthrough off for the rest of the mount, saying why once.
    pub fn passthrough_refused(&self, why: &str) {
        if self.passthrough.swap(false, Relaxed) {
            tracing::info!("passthrough off: {why}; reads of cached files go through docsfs");
        }
    }

    /// Counts an open the kernel serves from a cache file by itself.
    pub fn count_passthrough(&self) {
        self.counters.passthrough_opens.fetch_add(1, Relaxed);
    }

    /// Whether `e` is complete and every block of it was checked by this process (no I/O).
    pub fn all_checked(&self, e: &Entry) -> bool {
        let st = e.lock();
        !st.gone
            && (e.checksum.is_none() || st.whole_checked)
            && st.blocks.iter().all(Option::is_some)
            && st.checked.iter().all(|c| *c)
    }

    /// The data file of `e` for the kernel to read, after checking what this process has not
    /// checked yet, the store's checksum included (blocking I/O: call it off the async
    /// threads). `None` when the entry is not complete, or found corrupt (then dropped).
    pub fn verified_file(&self, e: &Entry) -> Option<Arc<File>> {
        if !self.is_complete(e) || !self.check_whole(e) {
            return None;
        }
        let file = self.checked_file(e, 0..block_count(e.size))?;
        let len = file.metadata().ok()?.len();
        if len != e.size {
            // Longer than the version: the kernel would serve the extra bytes.
            self.drop_corrupt(e, "not the version's length");
            return None;
        }
        Some(file)
    }

    /// Checks every block of `e` in the background, once at a time per entry, so that a later
    /// open can pass through.
    pub fn check_later(self: &Arc<Self>, e: &Arc<Entry>) {
        {
            let mut st = e.lock();
            if st.checking {
                return;
            }
            st.checking = true;
        }
        let (cache, e) = (self.clone(), e.clone());
        tokio::task::spawn_blocking(move || {
            let _ = cache.verified_file(&e);
            e.lock().checking = false;
        });
    }
}
