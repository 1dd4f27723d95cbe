//! Write-back: `close` of a written file commits its bytes to local disk (the spool file and its
//! journal entry, both synced) and returns; a queue hands the file to a pool of upload workers
//! (`--transfers`) once it has been left alone for the settle delay (`--write-back-delay`). A
//! rename, a time change or a delete that comes before the upload starts changes what is sent
//! (or cancels it), so rsync's temporary file, its times and its rename make one upload, and a
//! swap file deleted within the delay never reaches the store. `fsync` and `--sync-close` upload
//! at once and return the upload's error.
//!
//! Failures: an upload the store could not take now (unreachable, throttled) is retried with
//! backoff, forever; one it refused (permission, a lock, the credentials) too, more slowly, and
//! `docsfs status` shows the reason; a new file whose name another client took meanwhile becomes
//! a new version of that document. One that can never succeed (its folder or document is gone,
//! the store refuses the request itself) is moved to the cache folder's `lost+found` with its
//! journal entry, named in the log and in `docsfs status`, and leaves the mount. Nothing
//! committed is dropped.
//!
//! Pending bytes are bounded (`--max-pending`): past the bound, `close` waits for uploads to
//! catch up. Unmounting waits for what is pending ([`Fs::drain`]); what is left when the wait
//! runs out stays in the journal for the next mount on the same cache folder.
//!
//! Lock order: a file's write state (`WriteState::data`) before the queue's mutex, which is
//! never held across an await.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::Fs;
use super::inode::Ino;
use crate::remote::Remote;

mod commit;
mod failures;

pub use commit::Sealed;
pub use failures::lost_entry;

#[derive(Clone, Debug)]
pub struct WriteBackConfig {
    /// How long a closed file is left alone before its upload starts.
    pub delay: Duration,
    /// Uploads at a time.
    pub transfers: usize,
    /// Committed bytes waiting for upload past which `close` waits.
    pub max_pending: u64,
}

impl Default for WriteBackConfig {
    fn default() -> Self {
        Self {
            delay: Duration::from_millis(DEFAULT_DELAY_MS),
            transfers: 8,
            max_pending: 2 << 30,
        }
    }
}

/// The default settle delay: rsync's close, `utimens`, `chmod` and rename come within a few
/// milliseconds; an editor's save within tens.
pub const DEFAULT_DELAY_MS: u64 = 300;

/// One committed file waiting for (or in) its upload.
#[derive(Clone, Debug)]
struct Job {
    due: Instant,
    bytes: u64,
    name: String,
    running: bool,
    /// Committed again while its upload ran: it goes again after this one.
    again: bool,
    failures: u32,
    error: Option<String>,
}

#[derive(Default)]
struct Queue {
    jobs: HashMap<Ino, Job>,
    running: usize,
    /// (when, bytes) of the uploads done in the last [`RATE_WINDOW`].
    recent: VecDeque<(Instant, u64)>,
    uploaded_files: u64,
    uploaded_bytes: u64,
    lost: Vec<LostFile>,
}

const RATE_WINDOW: Duration = Duration::from_secs(10);

/// A file moved to `lost+found` because its upload can never succeed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LostFile {
    pub name: String,
    pub path: std::path::PathBuf,
    pub reason: String,
}

/// What `docsfs status` shows of a mount's uploads.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadReport {
    pub write_back: bool,
    pub pending_files: u64,
    pub pending_bytes: u64,
    pub in_flight_files: u64,
    pub in_flight_bytes: u64,
    /// Files whose last attempt failed (retried with backoff), with the reasons.
    pub failing: Vec<(String, String)>,
    pub uploaded_files: u64,
    pub uploaded_bytes: u64,
    /// Bytes per second uploaded over the last 10 s.
    pub rate: u64,
    pub max_pending: u64,
    pub lost: Vec<LostFile>,
}

/// The queue and its counters; off (every close uploads) until [`Fs::start_write_back`].
#[derive(Default)]
pub struct WriteBack {
    config: OnceLock<WriteBackConfig>,
    queue: Mutex<Queue>,
    /// Wakes the dispatcher: a job was added or finished.
    wake: Arc<Notify>,
    /// Wakes those waiting for room or for the queue to empty.
    progress: Notify,
}

impl WriteBack {
    pub fn config(&self) -> Option<&WriteBackConfig> {
        self.config.get()
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().expect("write-back lock")
    }

    /// Queues `ino` (committed, `bytes` long) for upload after the settle delay (`now`: at once).
    fn schedule(&self, ino: Ino, bytes: u64, name: &str, now: bool) {
        let Some(config) = self.config.get() else {
            return;
        };
        let due = Instant::now() + if now { Duration::ZERO } else { config.delay };
        let mut q = self.queue();
        match q.jobs.get_mut(&ino) {
            Some(job) if job.running => {
                job.again = true;
                job.bytes = bytes;
            }
            Some(job) => {
                job.due = due;
                job.bytes = bytes;
                job.name = name.to_owned();
            }
            None => {
                let job = Job {
                    due,
                    bytes,
                    name: name.to_owned(),
                    running: false,
                    again: false,
                    failures: 0,
                    error: None,
                };
                q.jobs.insert(ino, job);
            }
        }
        drop(q);
        self.wake.notify_one();
    }

    fn rename(&self, ino: Ino, name: &str) {
        if let Some(job) = self.queue().jobs.get_mut(&ino) {
            job.name = name.to_owned();
        }
    }

    /// The next job to start, or when to look again.
    fn next(&self) -> Result<Ino, Option<Instant>> {
        let transfers = self.config.get().map_or(1, |c| c.transfers.max(1));
        let mut q = self.queue();
        if q.running >= transfers {
            return Err(None);
        }
        let soonest = q
            .jobs
            .iter()
            .filter(|(_, j)| !j.running)
            .min_by_key(|(_, j)| j.due)
            .map(|(&ino, j)| (ino, j.due));
        match soonest {
            Some((ino, due)) if due <= Instant::now() => {
                q.running += 1;
                q.jobs.get_mut(&ino).expect("found").running = true;
                Ok(ino)
            }
            Some((_, due)) => Err(Some(due)),
            None => Err(None),
        }
    }

    /// A started job ended: uploaded (`Some(bytes)`), or with nothing left to send.
    fn done(&self, ino: Ino, uploaded: Option<u64>) {
        let mut q = self.queue();
        q.running = q.running.saturating_sub(1);
        if let Some(bytes) = uploaded {
            q.uploaded_files += 1;
            q.uploaded_bytes += bytes;
            let now = Instant::now();
            q.recent.push_back((now, bytes));
            while q.recent.front().is_some_and(|r| now - r.0 > RATE_WINDOW) {
                q.recent.pop_front();
            }
        }
        let again = q.jobs.get(&ino).is_some_and(|j| j.again);
        if again {
            let delay = self.config.get().map_or(Duration::ZERO, |c| c.delay);
            let job = q.jobs.get_mut(&ino).expect("checked");
            job.again = false;
            job.running = false;
            job.due = Instant::now() + delay;
        } else {
            q.jobs.remove(&ino);
        }
        drop(q);
        self.wake.notify_one();
        self.progress.notify_waiters();
    }

    /// A started job failed and goes again later.
    fn failed(&self, ino: Ino, after: Duration, error: String) {
        let mut q = self.queue();
        q.running = q.running.saturating_sub(1);
        if let Some(job) = q.jobs.get_mut(&ino) {
            job.running = false;
            job.again = false;
            job.failures += 1;
            job.error = Some(error);
            job.due = Instant::now() + after;
        }
        drop(q);
        self.wake.notify_one();
        self.progress.notify_waiters();
    }

    fn failures(&self, ino: Ino) -> u32 {
        self.queue().jobs.get(&ino).map_or(0, |j| j.failures)
    }

    /// Drops a job that is not running (its file was deleted before its upload started).
    fn cancel(&self, ino: Ino) {
        let mut q = self.queue();
        if q.jobs.get(&ino).is_some_and(|j| !j.running) {
            q.jobs.remove(&ino);
        }
        drop(q);
        self.progress.notify_waiters();
    }

    fn pending_bytes(&self) -> u64 {
        self.queue().jobs.values().map(|j| j.bytes).sum()
    }

    fn has(&self, ino: Ino) -> bool {
        self.queue().jobs.contains_key(&ino)
    }

    /// Every waiting job that has not failed due now (the settle delay is over); failed ones
    /// keep their backoff, so that waiting for them does not hammer the store.
    fn hurry(&self) {
        let now = Instant::now();
        for job in self.queue().jobs.values_mut().filter(|j| j.failures == 0) {
            job.due = job.due.min(now);
        }
        self.wake.notify_one();
    }

    pub fn report(&self) -> UploadReport {
        let q = self.queue();
        let now = Instant::now();
        let window: u64 = q
            .recent
            .iter()
            .filter(|r| now - r.0 <= RATE_WINDOW)
            .map(|r| r.1)
            .sum();
        let mut failing: Vec<_> = q
            .jobs
            .values()
            .filter_map(|j| j.error.clone().map(|e| (j.name.clone(), e)))
            .collect();
        failing.sort();
        let running = q.jobs.values().filter(|j| j.running);
        UploadReport {
            write_back: self.config.get().is_some(),
            pending_files: q.jobs.len() as u64,
            pending_bytes: q.jobs.values().map(|j| j.bytes).sum(),
            in_flight_files: running.clone().count() as u64,
            in_flight_bytes: running.map(|j| j.bytes).sum(),
            failing,
            uploaded_files: q.uploaded_files,
            uploaded_bytes: q.uploaded_bytes,
            rate: window / RATE_WINDOW.as_secs(),
            max_pending: self.config.get().map_or(0, |c| c.max_pending),
            lost: q.lost.clone(),
        }
    }
}

impl<R: Remote> Fs<R> {
    /// Turns write-back on and starts the dispatcher (on the current runtime). Until then every
    /// `close` uploads, as `--sync-close` does.
    pub fn start_write_back(self: &Arc<Self>, config: WriteBackConfig) {
        if self.writeback.config.set(config).is_ok() {
            tokio::spawn(dispatch(Arc::downgrade(self)));
        }
    }

    pub fn upload_report(&self) -> UploadReport {
        self.writeback.report()
    }
}

/// Starts queued uploads as they come due, up to `--transfers` at a time, until the core goes.
async fn dispatch<R: Remote>(core: Weak<Fs<R>>) {
    loop {
        let Some(fs) = core.upgrade() else {
            return;
        };
        match fs.writeback.next() {
            Ok(ino) => {
                tokio::spawn(async move { fs.upload_job(ino).await });
            }
            Err(when) => {
                let wake = fs.writeback.wake.clone();
                drop(fs);
                // At least once a second, to notice the core has gone.
                let longest = Instant::now() + Duration::from_secs(1);
                let until = when.map_or(longest, |w| w.min(longest));
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep_until(until.into()) => {}
                }
            }
        }
    }
}
