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

use super::inode::{Ino, Origin};
use super::journal;
use super::write::Spooled;
use super::{Fs, FsError, FsResult};
use crate::remote::{Remote, RemoteError};

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

/// Failures of a kind the store may get over by itself are retried at most this far apart.
const LONGEST_RETRY: Duration = Duration::from_secs(15);
/// Refusals (permission, a lock, credentials) are retried at most this far apart.
const LONGEST_REFUSED_RETRY: Duration = Duration::from_secs(300);

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

/// What to do with a job whose upload did not happen.
enum Retry {
    After(Duration),
    Now,
    Never,
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

/// The journal entry beside a file in `lost+found` (`NAME.json`: the name keeps its own
/// extension there).
pub fn lost_entry(file: &std::path::Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".json");
    name.into()
}

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

/// How long to wait before the next attempt after `failures` failed ones.
fn backoff(failures: u32, longest: Duration) -> Duration {
    let secs = 1u64 << failures.min(10);
    Duration::from_secs(secs).min(longest)
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

    /// The end of a write (every `close`, the last release, a truncate with no writer open):
    /// with write-back, commits the bytes to local disk and queues the upload; without, uploads.
    pub(super) async fn write_back(&self, ino: Ino, d: &mut Spooled) -> FsResult<()> {
        match self.write_back_or_seal(ino, d, false).await? {
            Some(sealed) => sealed.finish().await,
            None => Ok(()),
        }
    }

    /// [`Fs::write_back`]; with `overlap`, a big file is sealed instead of committed: its upload
    /// starts at once, and the caller makes the bytes and the entry durable meanwhile
    /// ([`Sealed::finish`], after letting go of the state).
    pub(super) async fn write_back_or_seal(
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
            spool
                .commit(&entry)
                .map_err(|e| FsError::Io(format!("{}: {e}", spool.path().display())))?;
            d.committed = true;
        }
        self.writeback.schedule(ino, d.size, &entry.name, false);
        tracing::debug!(ino, bytes = d.size, file = %entry.name, "committed; its upload is queued");
        Ok(None)
    }

    /// After a rename or a time change of a committed file: its journal entry follows.
    pub(super) fn rejournal(&self, ino: Ino, d: &mut Spooled) {
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
    pub(super) fn cancel_upload(&self, ino: Ino) {
        self.writeback.cancel(ino);
    }

    /// Back-pressure: while more than `--max-pending` bytes wait, a `close` that added to them
    /// waits for uploads to catch up (or for its own file to be sent); the settle delay is
    /// over for everything waiting then.
    pub(super) async fn wait_for_room(&self, ino: Ino) {
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

    /// One queued upload.
    async fn upload_job(&self, ino: Ino) {
        let Some(state) = self.write_state(ino) else {
            self.writeback.done(ino, None);
            return;
        };
        // Committed means nothing was written since the commit, even if a handle is still open
        // (the closing one itself, while its `close` waits for room): the bytes are complete.
        let mut d = state.data.lock().await;
        if !d.dirty || !(d.committed || d.sealed) {
            drop(d);
            self.writeback.done(ino, None);
            self.drop_if_idle(ino, &state).await;
            return;
        }
        let bytes = d.size;
        state.set_uploading(Some(&d));
        let result = self.upload(ino, &mut d).await;
        state.set_uploading(None);
        let retry = match &result {
            Ok(()) => None,
            Err(e) => Some(self.retry_rule(ino, e).await),
        };
        match (result, retry) {
            (Ok(()), _) | (Err(_), None) => {
                drop(d);
                self.writeback.done(ino, Some(bytes));
                self.drop_if_idle(ino, &state).await;
            }
            (Err(e), Some(Retry::Never)) => {
                self.lose(ino, &mut d, &e.to_string()).await;
                drop(d);
                self.writeback.done(ino, None);
                self.drop_if_idle(ino, &state).await;
            }
            (Err(e), Some(Retry::Now)) => {
                tracing::info!(ino, error = %e, "retrying an upload at once");
                self.writeback.failed(ino, Duration::ZERO, e.to_string());
            }
            (Err(e), Some(Retry::After(after))) => {
                tracing::warn!(ino, error = %e, retry_in = ?after, "an upload failed; its data stays in the spool and it is retried");
                self.writeback.failed(ino, after, e.to_string());
            }
        }
    }

    /// What to do after upload failure `e` of `ino`.
    async fn retry_rule(&self, ino: Ino, e: &FsError) -> Retry {
        let failures = self.writeback.failures(ino);
        let FsError::Remote(r) = e else {
            return Retry::After(backoff(failures, LONGEST_RETRY));
        };
        match r {
            _ if r.is_transient() => Retry::After(backoff(failures, LONGEST_RETRY)),
            RemoteError::Denied(_) | RemoteError::Conflict(_) | RemoteError::Unauthenticated(_) => {
                Retry::After(backoff(failures + 2, LONGEST_REFUSED_RETRY))
            }
            // A name taken by a document of another name's case (LogicalDOC compares names
            // without case), or by a folder: it cannot be sent under that name.
            RemoteError::AlreadyExists(_) => match self.take_over_name(ino).await {
                Ok(true) => Retry::Now,
                Ok(false) if failures >= 2 => Retry::Never,
                Ok(false) => Retry::After(backoff(failures, LONGEST_RETRY)),
                Err(_) => Retry::After(backoff(failures + 2, LONGEST_REFUSED_RETRY)),
            },
            RemoteError::NotFound(_)
            | RemoteError::Invalid(_)
            | RemoteError::Unsupported(_)
            | RemoteError::Protocol(_)
            | RemoteError::Corrupt(_) => {
                if failures >= 2 {
                    Retry::Never
                } else {
                    Retry::After(backoff(failures, LONGEST_RETRY))
                }
            }
            _ => Retry::After(backoff(failures, LONGEST_RETRY)),
        }
    }

    /// A new file's name was taken at the store meanwhile (another client): the pending bytes
    /// become a new version of that document, as the journal's recovery does.
    async fn take_over_name(&self, ino: Ino) -> FsResult<bool> {
        let i = self.inode(ino)?;
        if !matches!(i.origin, Origin::Local(_)) {
            return Ok(false);
        }
        let parent = self.folder_id(i.parent)?;
        let name = super::names::to_remote(&i.name);
        let Some(node) = self.document_named(&parent, &name).await? else {
            return Ok(false);
        };
        tracing::warn!(file = %i.name, doc = %node.id, "the name was taken at the store meanwhile; the file is sent as a new version of that document");
        self.inodes.lock().expect("inode lock").bind(ino, node);
        Ok(true)
    }

    /// Moves a file whose upload can never succeed to `lost+found` beside the spool, with its
    /// journal entry, and takes it off the mount.
    async fn lose(&self, ino: Ino, d: &mut Spooled, reason: &str) {
        let Some(spool) = d.spool.take() else {
            return;
        };
        let (name, parent) = match self.inode(ino) {
            Ok(i) => (i.name.clone(), Some(i.parent)),
            Err(_) => (format!("inode-{ino}"), None),
        };
        let dir = self
            .spool
            .dir()
            .parent()
            .unwrap_or(self.spool.dir())
            .join("lost+found");
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_secs());
        let safe: String = name
            .chars()
            .map(|c| if c == '/' || c.is_control() { '_' } else { c })
            .collect();
        let to = dir.join(format!("{stamp}-{ino}-{safe}"));
        let moved = std::fs::DirBuilder::new()
            .recursive(true)
            .create(&dir)
            .and_then(|()| std::fs::rename(spool.path(), &to));
        let place = match moved {
            Ok(()) => {
                let _ = std::fs::rename(journal::entry_path(spool.path()), lost_entry(&to));
                // The spool file now lives in lost+found: dropping the handle leaves it.
                drop(spool);
                to
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot move to lost+found; the data stays in the spool");
                let path = spool.path().to_owned();
                drop(spool);
                path
            }
        };
        tracing::error!(file = %name, reason, kept = %place.display(), "an upload can never succeed; the file is kept in lost+found and taken off the mount");
        d.dirty = false;
        d.committed = false;
        d.size = 0;
        self.inodes.lock().expect("inode lock").detach(ino);
        if let Some(parent) = parent {
            self.edit_listing(parent, |s| {
                s.remove(&name);
            })
            .await;
        }
        self.writeback.queue().lost.push(LostFile {
            name,
            path: place,
            reason: reason.to_owned(),
        });
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
