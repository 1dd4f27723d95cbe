//! Test knobs of the in-memory store and the per-call bookkeeping they drive: page and chunk
//! sizes, latency, injected failures, offline mode, and counters of `Remote` calls. Only calls
//! through the `Remote` trait are counted, delayed or failed; the test-side API never is.

use std::collections::VecDeque;
use std::time::Duration;

use crate::remote::RemoteError;

/// Default items per listing page (the WorkDocs maximum).
pub(super) const DEFAULT_PAGE_SIZE: usize = 999;
/// Default (and largest sensible) piece of a read stream.
pub(super) const DEFAULT_CHUNK: usize = 64 * 1024;

/// Which `Remote` method a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CallKind {
    Roots,
    List,
    Role,
    Read,
    Write,
}

/// `Remote` calls made, by kind (failed calls included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub roots: u64,
    pub list: u64,
    pub role: u64,
    pub read: u64,
    pub write: u64,
}

impl CallCounts {
    pub fn total(&self) -> u64 {
        self.roots + self.list + self.role + self.read + self.write
    }

    fn bump(&mut self, kind: CallKind) {
        let slot = match kind {
            CallKind::Roots => &mut self.roots,
            CallKind::List => &mut self.list,
            CallKind::Role => &mut self.role,
            CallKind::Read => &mut self.read,
            CallKind::Write => &mut self.write,
        };
        *slot += 1;
    }
}

pub(super) struct Knobs {
    pub page_size: usize,
    pub chunk_size: usize,
    pub latency: Duration,
    /// Errors the next calls fail with, one per call, in order.
    pub failures: VecDeque<RemoteError>,
    pub offline: bool,
    pub counts: CallCounts,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            page_size: DEFAULT_PAGE_SIZE,
            chunk_size: DEFAULT_CHUNK,
            latency: Duration::ZERO,
            failures: VecDeque::new(),
            offline: false,
            counts: CallCounts::default(),
        }
    }
}

impl Knobs {
    /// Counts a call as it arrives and decides its fate: the latency to wait, and the error
    /// it fails with, if any. Offline wins over queued failures (which stay queued).
    pub fn admit(&mut self, kind: CallKind) -> (Duration, Option<RemoteError>) {
        self.counts.bump(kind);
        let failure = if self.offline {
            Some(RemoteError::Network("the store is offline".into()))
        } else {
            self.failures.pop_front()
        };
        (self.latency, failure)
    }
}
