//! Prefetch across files: when a program reads the files of a folder one after another (`cat *`,
//! `grep -r`, `cp -r`, `rsync` out of the mount, a file manager making thumbnails), the next
//! small files of the folder are fetched whole into the content cache, several at a time, so a
//! run of cold small files costs about one round trip each or less instead of two or more in
//! series.
//!
//! The pattern: a second open of a small file in the same folder within [`RUN_GAP`] of the last
//! starts a run; each further open widens the window (4, 8, … [`MAX_WINDOW`] files ahead, in
//! listing order after the file opened, wrapping around so a different order — a shell glob's —
//! is still covered). A run carries over: the first open in another folder within [`RUN_GAP`]
//! of a run's last open goes on with that run's window at once (`grep -r`, `cp -r` and `rsync`
//! go from folder to folder). Fetches go through [`Wholes`], so an open of a file being prefetched
//! waits for that fetch rather than asking again, and land in the content cache (no cache, no
//! prefetch). Bounded: [`PARALLEL`] fetches at a time, [`MAX_BYTES`] of them in flight, files
//! up to [`SMALL`]; a fetch still waiting for its turn when its folder has seen no open for
//! [`RUN_GAP`] is dropped (the program went elsewhere). Only store folders are prefetched:
//! never the recycle bin, nor the versions view.
//!
//! Lock order: `runs`, then `latest`; both are leaves otherwise.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;
use tokio::sync::Semaphore;

use super::Fs;
use super::inode::{Ino, Origin};
use super::reader::{SMALL, Target};
use crate::remote::{NodeKind, Remote};

/// Opens further apart than this are not one run; a queued fetch of a folder quiet this long
/// is dropped.
pub const RUN_GAP: Duration = Duration::from_secs(3);
/// Files fetched ahead at most.
pub const MAX_WINDOW: usize = 64;
/// Fetches at a time.
pub const PARALLEL: usize = 16;
/// Bytes of fetches in flight at most.
pub const MAX_BYTES: u64 = 32 << 20;
/// Folders whose runs are followed.
const FOLDERS: usize = 64;

struct Run {
    /// Milliseconds since `epoch` of the last open (shared with the queued fetches).
    last: Arc<AtomicU64>,
    opens: u32,
    scheduled: HashSet<Ino>,
}

pub struct Prefetch {
    epoch: Instant,
    runs: Mutex<LruCache<Ino, Run>>,
    /// The latest open in a run, any folder: when (ms since `epoch`) and its run's opens.
    latest: Mutex<(u64, u32)>,
    slots: Arc<Semaphore>,
    /// In KiB.
    bytes: Arc<Semaphore>,
}

impl Default for Prefetch {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            runs: Mutex::new(LruCache::new(NonZeroUsize::new(FOLDERS).expect("non-zero"))),
            latest: Mutex::new((0, 0)),
            slots: Arc::new(Semaphore::new(PARALLEL)),
            bytes: Arc::new(Semaphore::new((MAX_BYTES >> 10) as usize)),
        }
    }
}

impl Prefetch {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Notes an open of `file` in `dir`. In a run, returns how many files ahead to fetch and
    /// the run's clock (shared with the fetches it queues); `None` when this open starts one.
    fn opened(&self, dir: Ino, file: Ino) -> Option<(usize, Arc<AtomicU64>)> {
        let now = self.now_ms();
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        let run = runs.get_or_insert_mut(dir, || Run {
            last: Arc::new(AtomicU64::new(now)),
            opens: 0,
            scheduled: HashSet::new(),
        });
        let gap = now.saturating_sub(run.last.load(Relaxed));
        if gap > RUN_GAP.as_millis() as u64 {
            run.opens = 0;
            run.scheduled.clear();
        }
        let mut latest = self.latest.lock().unwrap_or_else(|p| p.into_inner());
        if run.opens == 0 && now.saturating_sub(latest.0) <= RUN_GAP.as_millis() as u64 {
            // Another folder's run just went on: this one goes on from it.
            run.opens = latest.1.saturating_sub(1);
        }
        run.last.store(now, Relaxed);
        run.opens += 1;
        run.scheduled.insert(file);
        if run.opens < 2 {
            return None;
        }
        *latest = (now, run.opens);
        let window = (4usize << (run.opens - 2).min(8)).min(MAX_WINDOW);
        Some((window, run.last.clone()))
    }

    /// Whether `ino` of `dir` was scheduled in the current run.
    fn is_scheduled(&self, dir: Ino, ino: Ino) -> bool {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.peek(&dir).is_some_and(|r| r.scheduled.contains(&ino))
    }

    /// Marks `ino` of `dir` scheduled; false if it already was.
    fn schedule(&self, dir: Ino, ino: Ino) -> bool {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.get_mut(&dir).is_some_and(|r| r.scheduled.insert(ino))
    }
}

impl<R: Remote> Fs<R> {
    /// Called by `open` for a small document `file` in `dir`: follows the folder's run and
    /// fetches ahead when it is one.
    pub(super) fn prefetch_after(&self, dir: Ino, file: Ino) {
        let Some(cache) = self.reads.content.clone() else {
            return;
        };
        let store_folder = self
            .inode(dir)
            .is_ok_and(|d| matches!(d.origin, Origin::Root | Origin::Remote(_)));
        if !store_folder {
            return;
        }
        let Some((window, last)) = self.reads.prefetch.opened(dir, file) else {
            return;
        };
        let Some(listing) = self.cached_listing(dir) else {
            return;
        };
        let entries: Vec<Ino> = match listing.state.try_lock() {
            Ok(s) => s.entries.iter().map(|(_, i)| *i).collect(),
            Err(_) => return,
        };
        let Some(at) = entries.iter().position(|&i| i == file) else {
            return;
        };
        let ahead = entries[at + 1..].iter().chain(&entries[..at]);
        let mut picked = 0;
        for &ino in ahead {
            if picked == window {
                break;
            }
            if self.reads.prefetch.is_scheduled(dir, ino) {
                // Seen in this run already (fetched, being fetched, or found cached).
                picked += 1;
                continue;
            }
            let Ok(i) = self.inode(ino) else { continue };
            let Some(t) = i.node.as_ref().and_then(Target::of) else {
                continue;
            };
            let remote_doc = i.kind == NodeKind::Document && matches!(i.origin, Origin::Remote(_));
            if !remote_doc
                || t.size > SMALL
                || !cache.admits(t.size)
                || self.write_state(ino).is_some()
            {
                continue;
            }
            picked += 1;
            if !self.reads.prefetch.schedule(dir, ino) || cache.has_all(&t.doc, &t.version, t.size)
            {
                continue;
            }
            tracing::debug!(dir, ino, window, "prefetch");
            self.spawn_prefetch(t, last.clone());
        }
    }

    fn spawn_prefetch(&self, t: Target, last: Arc<AtomicU64>) {
        let p = &self.reads.prefetch;
        let (slots, bytes) = (p.slots.clone(), p.bytes.clone());
        let (remote, wholes) = (self.remote.clone(), self.reads.wholes.clone());
        let cache = self.reads.content.clone();
        let epoch = p.epoch;
        tokio::spawn(async move {
            let kib = (t.size.div_ceil(1024) as u32).max(1);
            let Ok(_slot) = slots.acquire_owned().await else {
                return;
            };
            let Ok(_bytes) = bytes.acquire_many_owned(kib).await else {
                return;
            };
            let quiet = epoch.elapsed().as_millis() as u64 - last.load(Relaxed);
            if quiet > RUN_GAP.as_millis() as u64 {
                tracing::trace!(doc = %t.doc, "prefetch dropped: the folder's run ended");
                return;
            }
            if let Err(e) = wholes.fetch(&remote, cache.as_ref(), &t).await {
                tracing::debug!(doc = %t.doc, error = %e, "prefetch failed");
            }
        });
    }
}
