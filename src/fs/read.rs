//! Sequential read-ahead for open files: one [`Prefetcher`] per file handle turns the kernel's
//! small `read`s into few large ranged [`Remote::read`] requests (a round trip per 128 KiB read
//! would make streaming latency-bound). It owns seek detection, window growth (at least the
//! first read's size, then ×4 per request up to [`DEEP_WINDOW`] and ×2 after it while reads stay
//! sequential, back to initial on a seek), forward skips, a retained tail,
//! one retry of a failed transfer, and the per-file memory bound. Shaped after mountpoint-s3's
//! prefetcher, but with discrete ranged requests instead of one flow-controlled request.
//!
//! Requests in flight: the next one starts once less than half of the last is left; once
//! windows reach [`DEEP_WINDOW`], up to [`MAX_INFLIGHT`] are kept going and the next starts
//! while two windows are still ahead, so that at network latency (20 ms per request) a request's
//! round trip is over before the bytes ahead of it run out, even at a gigabyte a second.
//!
//! Memory: a request's task reserves budget *before* polling the remote stream, from the request's
//! semaphore (`per_request`, so the look-ahead requests cannot starve the one being read) and the
//! file's (`MAX_INFLIGHT * per_request`, so a cancelled task winding down cannot push the total
//! over). Budget returns as bytes are consumed, so a slow reader stalls the task whatever the
//! window or file size; with the tail (<= `tail_cap`),
//! `tail_cap + MAX_INFLIGHT * per_request <= max_buffered`. A remote chunk larger than
//! `per_request` counts as `per_request` (it cannot be split before it arrives). A request not
//! yet polled holds nothing: starting it early costs no memory, only its round trip.
//!
//! Tail: the last `min(forward_skip, max_buffered / 8)` bytes consumed (returned or skipped) are
//! kept, so a read going back into them is served without a request or disturbing the stream:
//! FUSE async reads can arrive one out of order (a forward skip, then a read from the tail).

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::mpsc::{self, Sender};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::content::{BLOCK, ContentCache, Entry, Tee};
use crate::remote::{ByteStream, Remote, RemoteError, RemoteId};

/// Budget a streaming task reserves before polling the remote stream for its next chunk.
const PIECE: usize = 64 * 1024;

/// Requests in flight at most, per open file.
const MAX_INFLIGHT: usize = 3;

/// Windows from which more than two requests are kept in flight (a short read at the start of
/// a file never costs more than the first two).
const DEEP_WINDOW: u64 = 4 << 20;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadConfig {
    /// First streaming request's size, and the size again after a seek.
    pub initial_window: u64,
    /// Largest streaming request.
    pub max_window: u64,
    /// Bytes held per open file: reserved by in-flight requests plus the retained tail.
    pub max_buffered: usize,
    /// While streaming, a forward jump of up to this is served by discarding the bytes between.
    pub forward_skip: u64,
}

impl Default for ReadConfig {
    fn default() -> Self {
        let (initial_window, max_window) = (256 << 10, 16 << 20);
        Self {
            initial_window,
            max_window,
            max_buffered: 8 << 20,
            forward_skip: 1 << 20,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrefetchStats {
    /// `Remote::read` calls (streaming, direct and retries).
    pub requests: u64,
    /// Sum of the lengths of the ranges requested.
    pub bytes_requested: u64,
    /// Peak of bytes reserved by request tasks plus bytes retained in the tail.
    pub max_buffered_seen: usize,
}

/// Bytes held for one file, and their peak.
#[derive(Default)]
struct Gauge {
    held: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    fn add(&self, n: usize) {
        self.peak
            .fetch_max(self.held.fetch_add(n, SeqCst) + n, SeqCst);
    }
    fn sub(&self, n: usize) {
        self.held.fetch_sub(n, SeqCst);
    }
}

/// Where a request's task reserves budget.
struct Budget {
    req: Arc<Semaphore>,
    file: Arc<Semaphore>,
    gauge: Arc<Gauge>,
}

/// Budget for pulled-but-unconsumed bytes, from both semaphores; released on drop.
struct Held {
    req: OwnedSemaphorePermit,
    file: OwnedSemaphorePermit,
    gauge: Arc<Gauge>,
}

impl Budget {
    async fn acquire(&self, n: usize) -> Option<Held> {
        let req = self.req.clone().acquire_many_owned(n as u32).await.ok()?;
        let file = self.file.clone().acquire_many_owned(n as u32).await.ok()?;
        self.gauge.add(n);
        let gauge = self.gauge.clone();
        Some(Held { req, file, gauge })
    }
}

impl Held {
    fn release(&mut self, n: usize) {
        let n = n.min(self.req.num_permits());
        drop((self.req.split(n), self.file.split(n)));
        self.gauge.sub(n);
    }
    /// Takes over `other`'s permits (the gauge already counts them).
    fn merge(&mut self, mut other: Held) {
        let n = other.req.num_permits();
        self.req.merge(other.req.split(n).expect("own permits"));
        self.file.merge(other.file.split(n).expect("own permits"));
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.gauge.sub(self.req.num_permits());
    }
}

type Piece = (Bytes, Held);
type Chan = Result<Piece, RemoteError>;

/// Feeds one remote stream into the channel, reserving budget before each poll, and each chunk
/// into the content cache when there is one.
async fn pump(
    mut stream: ByteStream,
    tx: Sender<Chan>,
    b: Budget,
    mut cache: Option<Tee>,
) -> Option<()> {
    let cap = b.req.available_permits();
    let piece = PIECE.min(cap);
    loop {
        let mut held = b.acquire(piece).await?;
        let item = match stream.next().await? {
            Ok(bytes) if bytes.is_empty() => continue,
            Ok(bytes) => {
                if let Some(tee) = &mut cache {
                    tee.send(&bytes);
                }
                let want = bytes.len().min(cap);
                held.release(piece.saturating_sub(want));
                if want > piece {
                    held.merge(b.acquire(want - piece).await?);
                }
                Ok((bytes, held))
            }
            Err(e) => Err(e),
        };
        let failed = item.is_err();
        tx.send(item).await.ok().filter(|()| !failed)?;
    }
}

/// One request `[next, end)`, consumed in order; its task is aborted on drop.
struct Inflight {
    next: u64,
    end: u64,
    /// Start the next request once fewer bytes than this are left (0: a direct read, no next).
    half: u64,
    rx: mpsc::Receiver<Chan>,
    front: Option<Piece>,
    task: JoinHandle<()>,
    retried: bool,
}

impl Drop for Inflight {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Inflight {
    /// The next up to `max` bytes of this request (never empty).
    async fn take(&mut self, max: u64) -> Result<Bytes, RemoteError> {
        let (mut bytes, mut held) = match self.front.take() {
            Some(piece) => piece,
            None => match self.rx.recv().await {
                Some(item) => item?,
                None => return Err(RemoteError::Network("stream ended early".into())),
            },
        };
        if bytes.len() as u64 > self.end - self.next {
            return Err(RemoteError::Protocol("stream overran".into()));
        }
        let out = bytes.split_to((bytes.len() as u64).min(max) as usize);
        held.release(out.len());
        if !bytes.is_empty() {
            self.front = Some((bytes, held));
        }
        self.next += out.len() as u64;
        Ok(out)
    }
}

/// Read-ahead state of one open file handle.
pub struct Prefetcher {
    doc: RemoteId,
    version: String,
    size: u64,
    config: ReadConfig,
    /// Where sequential reading continues: the end of the furthest data consumed.
    pos: u64,
    /// Size of the next streaming request.
    window: u64,
    /// At most [`MAX_INFLIGHT`] contiguous requests, the first positioned at `pos`.
    inflight: VecDeque<Inflight>,
    /// Consumed bytes `[pos - tail_len, pos)`.
    tail: VecDeque<Bytes>,
    tail_len: u64,
    tail_cap: u64,
    per_request: usize,
    file_budget: Arc<Semaphore>,
    gauge: Arc<Gauge>,
    stats: PrefetchStats,
    /// Where streamed bytes are also kept.
    cache: Option<(Arc<ContentCache>, Arc<Entry>)>,
}

impl Prefetcher {
    pub fn new(doc: RemoteId, version: String, size: u64, mut config: ReadConfig) -> Self {
        let tail_cap = config.forward_skip.min(config.max_buffered as u64 / 8);
        let per_request =
            ((config.max_buffered - tail_cap as usize) / MAX_INFLIGHT).clamp(1, 1 << 30);
        config.initial_window = config.initial_window.max(1);
        config.max_window = config.max_window.max(config.initial_window);
        Self {
            doc,
            version,
            size,
            window: config.initial_window,
            config,
            pos: 0,
            inflight: VecDeque::new(),
            tail: VecDeque::new(),
            tail_len: 0,
            tail_cap,
            per_request,
            file_budget: Arc::new(Semaphore::new(MAX_INFLIGHT * per_request)),
            gauge: Arc::default(),
            stats: PrefetchStats::default(),
            cache: None,
        }
    }

    /// Also writes what is streamed into `entry` of `cache`.
    pub fn with_cache(mut self, cache: Arc<ContentCache>, entry: Arc<Entry>) -> Self {
        self.set_cache(cache, entry);
        self
    }

    /// Streams started from now on write into `entry` of `cache`.
    pub fn set_cache(&mut self, cache: Arc<ContentCache>, entry: Arc<Entry>) {
        self.cache = Some((cache, entry));
    }

    /// Whether a read at `offset` continues the stream already in flight.
    pub fn streaming_at(&self, offset: u64) -> bool {
        !self.inflight.is_empty() && offset == self.pos
    }

    /// The version this prefetcher reads.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn stats(&self) -> PrefetchStats {
        let mut stats = self.stats;
        stats.max_buffered_seen = self.gauge.peak.load(SeqCst);
        stats
    }

    /// Exactly `min(len, size - offset)` bytes at `offset` (empty at or after EOF).
    pub async fn read<R: Remote>(
        &mut self,
        remote: &Arc<R>,
        offset: u64,
        len: u32,
    ) -> Result<Bytes, RemoteError> {
        let end = offset.saturating_add(u64::from(len)).min(self.size);
        if offset >= end {
            return Ok(Bytes::new());
        }
        let result = async {
            let mut parts = Vec::new();
            if offset < self.pos && self.pos - offset <= self.tail_len {
                // Slightly backwards: what we can from the tail, then on from `pos`.
                parts = self.tail_range(offset..end.min(self.pos));
            } else if offset > self.pos
                && offset - self.pos <= self.config.forward_skip
                && !self.inflight.is_empty()
            {
                tracing::trace!(from = self.pos, to = offset, "forward skip");
                self.advance(remote, offset, false).await?;
            } else if offset != self.pos {
                // A seek: drop the stream and fetch exactly this read, without look-ahead.
                tracing::trace!(from = self.pos, to = offset, "seek");
                self.reset(offset);
                let direct = self.spawn(remote, offset..end, 0);
                self.inflight.push_back(direct);
            }
            if self.inflight.is_empty() && end > self.pos {
                // A stream starts with at least what this read asks for (the kernel's first
                // read-ahead is 1 MiB): no round trip of a smaller window before it.
                let want = (end - self.pos).next_power_of_two();
                self.window = self.window.max(want).min(self.config.max_window);
            }
            parts.extend(self.advance(remote, end, true).await?);
            Ok(if parts.len() == 1 {
                parts.remove(0)
            } else {
                parts.concat().into()
            })
        }
        .await;
        if result.is_err() {
            self.reset(offset);
        }
        result
    }

    /// Cancels in-flight requests, drops the tail and restarts the window at `offset`.
    fn reset(&mut self, offset: u64) {
        self.inflight.clear();
        self.tail.clear();
        self.gauge.sub(std::mem::take(&mut self.tail_len) as usize);
        self.window = self.config.initial_window;
        self.pos = offset;
    }

    /// Consumes the stream from `pos` up to `upto`, returning the bytes if `keep`.
    async fn advance<R: Remote>(
        &mut self,
        remote: &Arc<R>,
        upto: u64,
        keep: bool,
    ) -> Result<Vec<Bytes>, RemoteError> {
        let mut out = Vec::new();
        while self.pos < upto {
            self.issue(remote);
            let req = self.inflight.front_mut().expect("issued");
            debug_assert_eq!(req.next, self.pos);
            match req.take(upto - self.pos).await {
                Ok(bytes) => {
                    self.pos += bytes.len() as u64;
                    if req.next == req.end {
                        self.inflight.pop_front();
                    }
                    self.retain(bytes.clone());
                    out.extend(keep.then_some(bytes));
                }
                Err(e) if e.is_transient() && !req.retried => {
                    tracing::debug!(error = %e, at = req.next, "read stream failed; retrying once");
                    let (range, half) = (req.next..req.end, req.half);
                    self.inflight[0] = self.spawn(remote, range, half);
                    self.inflight[0].retried = true;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Starts a request at `pos` if none is in flight, or the next one once less than half of the
    /// last is left (two windows, with deep windows), so there is no bubble at request boundaries.
    fn issue<R: Remote>(&mut self, remote: &Arc<R>) {
        let start = self.inflight.back().map_or(self.pos, |r| r.end);
        let (n, ahead) = (self.inflight.len(), start - self.pos);
        let due = self.inflight.back().is_none_or(|last| {
            let deep = last.half * 2 >= DEEP_WINDOW;
            (n < 2 && ahead < last.half) || (deep && n < MAX_INFLIGHT && ahead < last.half * 4)
        });
        if due && start < self.size {
            let mut end = start.saturating_add(self.window);
            if self.cache.is_some() {
                // Requests end on block boundaries, so every block comes whole from one stream
                // and is recorded in the cache.
                end = end.next_multiple_of(BLOCK);
            }
            let end = end.min(self.size);
            let req = self.spawn(remote, start..end, (end - start).div_ceil(2));
            self.inflight.push_back(req);
            // Four times while small (each step costs a round trip before its bytes come),
            // then twice.
            let growth = if self.window < DEEP_WINDOW { 4 } else { 2 };
            self.window = self
                .window
                .saturating_mul(growth)
                .min(self.config.max_window);
        }
    }

    fn spawn<R: Remote>(&mut self, r: &Arc<R>, range: Range<u64>, half: u64) -> Inflight {
        self.stats.requests += 1;
        self.stats.bytes_requested += range.end - range.start;
        let (tx, rx) = mpsc::channel(32);
        let (file, gauge) = (self.file_budget.clone(), self.gauge.clone());
        let budget = Budget {
            req: Arc::new(Semaphore::new(self.per_request)),
            file,
            gauge,
        };
        let (remote, doc, version) = (r.clone(), self.doc.clone(), self.version.clone());
        let (next, end) = (range.start, range.end);
        let writer = self.cache.as_ref().map(|(c, e)| c.writer(e, next).spawn());
        let task = tokio::spawn(async move {
            match remote.read(&doc, &version, range).await {
                Ok(stream) => drop(pump(stream, tx, budget, writer).await),
                Err(e) => drop(tx.send(Err(e)).await),
            }
        });
        Inflight {
            next,
            end,
            half,
            rx,
            front: None,
            task,
            retried: false,
        }
    }

    /// Appends consumed bytes to the tail, trimming it to `tail_cap`.
    fn retain(&mut self, bytes: Bytes) {
        let before = self.tail_len as usize;
        self.tail_len += bytes.len() as u64;
        self.tail.push_back(bytes);
        while self.tail_len > self.tail_cap {
            let front = self.tail.front_mut().expect("tail_len > 0");
            let n = (self.tail_len - self.tail_cap).min(front.len() as u64);
            if n == front.len() as u64 {
                self.tail.pop_front();
            } else {
                *front = front.slice(n as usize..);
            }
            self.tail_len -= n;
        }
        self.gauge.sub(before);
        self.gauge.add(self.tail_len as usize);
    }

    /// Tail bytes in `want`; the caller checked they are retained.
    fn tail_range(&self, want: Range<u64>) -> Vec<Bytes> {
        let mut at = self.pos - self.tail_len;
        let mut out = Vec::new();
        for b in &self.tail {
            let b_end = at + b.len() as u64;
            if b_end > want.start && at < want.end {
                let (s, e) = (want.start.max(at) - at, want.end.min(b_end) - at);
                out.push(b.slice(s as usize..e as usize));
            }
            at = b_end;
        }
        out
    }
}

#[cfg(test)]
mod tests;
