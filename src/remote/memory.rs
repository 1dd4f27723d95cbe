//! [`MemoryRemote`]: an in-memory document store implementing [`Remote`], acting as one user.
//! It is the reference model for property tests of the filesystem core and the fast,
//! deterministic backend of core tests (no HTTP, no FUSE). It behaves as docs/SEMANTICS.md
//! says the store does: names unique among the live items of a folder (the recycle bin may
//! repeat them), a recycle bin per user, roles inherited down the tree, shared-with-me.
//!
//! Owns: the handle (cheap to clone; clones and [`MemoryRemote::as_user`] views share one
//! store behind a `std::sync::Mutex`), the knobs tests turn (page size, chunk size, latency,
//! injected failures, offline) and the call counters. The data and its rules live in
//! `memory/store.rs`, changes in `memory/tree.rs` (the test-side API in `memory/edit.rs`),
//! queries and paging in `memory/listing.rs`.
//!
//! Determinism: ids come from one counter ("f1" folders, "d2" documents, "v3" versions), and
//! times from a logical clock that starts at a fixed instant and moves one second per change.
//! Only `Remote` calls are counted, delayed and failed; the test-side API never is.

mod edit;
mod knobs;
mod listing;
mod store;
#[cfg(test)]
mod tests;
mod tree;
mod versions;
mod writes;

use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use knobs::CallCounts;

use super::{
    ByteStream, Collection, Node, NodeKind, Page, Relocation, Remote, RemoteError, RemoteId, Role,
    Roots, Upload, Version,
};
use knobs::{CallKind, Knobs};
use store::Store;

struct State {
    store: Store,
    knobs: Knobs,
}

/// An in-memory document store, seen as one user. Clones share the store.
#[derive(Clone)]
pub struct MemoryRemote {
    shared: Arc<Mutex<State>>,
    user: Arc<str>,
}

impl fmt::Debug for MemoryRemote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRemote")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl MemoryRemote {
    /// A new, empty store with one user (`user`, with an empty root folder), acting as them.
    pub fn new(user: &str) -> Self {
        let mut store = Store::new();
        store.add_user(user).expect("a new store has no users");
        let state = State {
            store,
            knobs: Knobs::default(),
        };
        Self {
            shared: Arc::new(Mutex::new(state)),
            user: user.into(),
        }
    }

    /// Adds a user (with an empty root folder) and returns a view acting as them.
    /// AlreadyExists if the store has that user.
    pub fn add_user(&self, name: &str) -> Result<MemoryRemote, RemoteError> {
        self.with(|s| s.store.add_user(name))?;
        Ok(self.as_user(name))
    }

    /// A view of the same store acting as `name`. Every call of a user the store does not
    /// know fails with Unauthenticated (as an unknown token would).
    pub fn as_user(&self, name: &str) -> MemoryRemote {
        Self {
            shared: self.shared.clone(),
            user: name.into(),
        }
    }

    /// The user this view acts as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Runs `f` on the state under the lock (never held across an await).
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut guard = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Items per listing page (default 999); at least 1.
    pub fn set_page_size(&self, n: usize) {
        self.with(|s| s.knobs.page_size = n.max(1));
    }

    /// Largest piece of a read stream (default and most 64 KiB); at least 1.
    pub fn set_chunk_size(&self, n: usize) {
        self.with(|s| s.knobs.chunk_size = n.clamp(1, knobs::DEFAULT_CHUNK));
    }

    /// Each `Remote` call first sleeps this long (tokio time); zero (the default) never sleeps.
    pub fn set_latency(&self, latency: Duration) {
        self.with(|s| s.knobs.latency = latency);
    }

    /// The next `n` `Remote` calls fail with `error`, after any failures already queued.
    pub fn fail_next(&self, n: usize, error: RemoteError) {
        self.with(|s| {
            let queue = &mut s.knobs.failures;
            queue.extend(std::iter::repeat_n(error, n));
        });
    }

    /// While offline, every `Remote` call fails with Network (queued failures wait).
    pub fn set_offline(&self, offline: bool) {
        self.with(|s| s.knobs.offline = offline);
    }

    /// `Remote` calls made on this store so far (all users, failed calls included), by kind.
    pub fn call_counts(&self) -> CallCounts {
        self.with(|s| s.knobs.counts)
    }

    pub fn reset_counters(&self) {
        self.with(|s| s.knobs.counts = CallCounts::default());
    }

    /// `Remote` calls of any kind.
    pub fn request_count(&self) -> u64 {
        self.call_counts().total()
    }

    pub fn roots_calls(&self) -> u64 {
        self.call_counts().roots
    }

    pub fn list_calls(&self) -> u64 {
        self.call_counts().list
    }

    pub fn read_calls(&self) -> u64 {
        self.call_counts().read
    }

    pub fn role_calls(&self) -> u64 {
        self.call_counts().role
    }

    pub fn write_calls(&self) -> u64 {
        self.call_counts().write
    }

    /// Counts the call, waits the latency, and fails it if a knob says so.
    async fn admit(&self, kind: CallKind) -> Result<(), RemoteError> {
        let (latency, failure) = self.with(|s| s.knobs.admit(kind));
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        failure.map_or(Ok(()), Err)
    }
}

impl Remote for MemoryRemote {
    async fn roots(&self) -> Result<Roots, RemoteError> {
        self.admit(CallKind::Roots).await?;
        self.with(|s| s.store.roots(&self.user))
    }

    async fn list(&self, what: &Collection, marker: Option<&str>) -> Result<Page, RemoteError> {
        self.admit(CallKind::List).await?;
        self.with(|s| {
            let page_size = s.knobs.page_size;
            s.store.list(&self.user, what, marker, page_size)
        })
    }

    async fn role(&self, id: &RemoteId) -> Result<Role, RemoteError> {
        self.admit(CallKind::Role).await?;
        self.with(|s| s.store.role_of(&self.user, id))
    }

    async fn read(
        &self,
        doc: &RemoteId,
        version: &str,
        range: Range<u64>,
    ) -> Result<ByteStream, RemoteError> {
        self.admit(CallKind::Read).await?;
        let (bytes, chunk) = self.with(|s| {
            let bytes = s.store.version_bytes(&self.user, doc, version)?;
            Ok::<_, RemoteError>((bytes, s.knobs.chunk_size))
        })?;
        let pieces = listing::chunks(&bytes, range, chunk);
        Ok(Box::pin(futures_util::stream::iter(
            pieces.into_iter().map(Ok),
        )))
    }

    async fn create_folder(&self, parent: &RemoteId, name: &str) -> Result<Node, RemoteError> {
        self.admit(CallKind::Write).await?;
        self.with(|s| s.store.create_folder(&self.user, parent, name))
    }

    async fn relocate(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        self.admit(CallKind::Write).await?;
        self.with(|s| s.store.relocate(&self.user, id, kind, to))
    }

    async fn recycle(&self, id: &RemoteId, _kind: NodeKind) -> Result<(), RemoteError> {
        self.admit(CallKind::Write).await?;
        self.with(|s| s.store.recycle(&self.user, id))
    }

    async fn restore(
        &self,
        id: &RemoteId,
        _kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        self.admit(CallKind::Write).await?;
        self.with(|s| s.store.restore_to(&self.user, id, to))
    }

    async fn delete(&self, id: &RemoteId, _kind: NodeKind) -> Result<(), RemoteError> {
        self.admit(CallKind::Write).await?;
        self.with(|s| s.store.delete(&self.user, id))
    }

    async fn upload(&self, upload: &Upload) -> Result<Node, RemoteError> {
        self.admit(CallKind::Write).await?;
        let mut bytes = tokio::fs::read(&upload.path)
            .await
            .map_err(|e| RemoteError::Invalid(format!("upload source: {e}")))?;
        if (bytes.len() as u64) < upload.size {
            return Err(RemoteError::Invalid(
                "upload source is shorter than its size".into(),
            ));
        }
        bytes.truncate(upload.size as usize);
        self.with(|s| s.store.upload(&self.user, upload, bytes.into()))
    }

    async fn set_mtime(
        &self,
        doc: &RemoteId,
        version: &str,
        mtime: std::time::SystemTime,
    ) -> Result<(), RemoteError> {
        self.admit(CallKind::Write).await?;
        self.with(|s| s.store.set_mtime(&self.user, doc, version, mtime))
    }

    async fn versions(&self, doc: &RemoteId) -> Result<Vec<Version>, RemoteError> {
        self.admit(CallKind::List).await?;
        self.with(|s| s.store.versions(&self.user, doc))
    }
}
