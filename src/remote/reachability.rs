//! Offline detection for any [`Remote`]: [`Reachable`] passes every call through, and when one
//! fails because the store cannot be reached (no connection, after the call's retries) it turns
//! offline: it says so in the log once, and from then on fails every call
//! at once with `Unavailable` instead of letting each wait out its own time limit. Only a probe
//! ([`Remote::probe`], sent by the mount's reconnect loop) or a call after the probe interval
//! goes to the store; the first answer of any kind turns it online again, logged once too.
//! An answer that is an error (404, 403, 503) still proves the store is reachable, and so does a
//! timeout: a slow store is not an absent one (each call keeps its own `--timeout`).

use std::ops::Range;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use super::{
    ActivityEntry, ByteStream, ChangeBatch, Collection, FeedCursor, ItemMetadata, Node, NodeKind,
    Page, Relocation, Remote, RemoteError, RemoteId, Role, Roots, Share, ShareRequest, Upload,
    Version,
};

/// While offline, how long calls fail without asking the store (the first wait; it doubles).
const FIRST_PAUSE: Duration = Duration::from_secs(2);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

pub struct Reachable<R> {
    inner: R,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Since when, and until when calls fail without being sent.
    offline: Option<(Instant, Instant)>,
    pause: Duration,
    /// Whether the store ever answered (before that, a failure is the mount's to report).
    reached: bool,
}

fn unreachable(e: &RemoteError) -> bool {
    matches!(e, RemoteError::Network(_))
}

impl<R: Remote> Reachable<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            state: Mutex::new(State::default()),
        }
    }

    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// `Err` at once while offline and not yet due for another try.
    fn check(&self) -> Result<(), RemoteError> {
        let s = self.state.lock().expect("reachability lock");
        match s.offline {
            Some((since, until)) if Instant::now() < until => Err(RemoteError::Unavailable {
                message: format!(
                    "the store has been unreachable for {} s (docsfs is offline)",
                    since.elapsed().as_secs()
                ),
                retry_after: None,
            }),
            _ => Ok(()),
        }
    }

    /// Learns from a call's outcome.
    fn observe<T>(&self, result: &Result<T, RemoteError>) {
        let mut s = self.state.lock().expect("reachability lock");
        match result {
            Err(e) if unreachable(e) => {
                let now = Instant::now();
                let since = match s.offline {
                    Some((since, _)) => {
                        s.pause = (s.pause * 2).min(LONGEST_PAUSE);
                        since
                    }
                    None if s.reached => {
                        tracing::warn!(error = %e, "the store is unreachable: cached listings and pages stay readable, other calls fail with EIO, written files wait in the spool; reconnecting in the background");
                        s.pause = FIRST_PAUSE;
                        now
                    }
                    None => {
                        s.pause = FIRST_PAUSE;
                        now
                    }
                };
                s.offline = Some((since, now + s.pause));
            }
            _ => {
                s.reached = true;
                if let Some((since, _)) = s.offline.take() {
                    tracing::info!(
                        offline_secs = since.elapsed().as_secs(),
                        "the store is reachable again"
                    );
                }
            }
        }
    }

    async fn call<T>(
        &self,
        f: impl Future<Output = Result<T, RemoteError>>,
    ) -> Result<T, RemoteError> {
        self.check()?;
        let result = f.await;
        self.observe(&result);
        result
    }
}

impl<R: Remote> Remote for Reachable<R> {
    async fn roots(&self) -> Result<Roots, RemoteError> {
        self.call(self.inner.roots()).await
    }

    async fn list(&self, what: &Collection, marker: Option<&str>) -> Result<Page, RemoteError> {
        self.call(self.inner.list(what, marker)).await
    }

    async fn role(&self, id: &RemoteId) -> Result<Role, RemoteError> {
        self.call(self.inner.role(id)).await
    }

    async fn read(
        &self,
        doc: &RemoteId,
        version: &str,
        range: Range<u64>,
    ) -> Result<ByteStream, RemoteError> {
        self.call(self.inner.read(doc, version, range)).await
    }

    async fn create_folder(&self, parent: &RemoteId, name: &str) -> Result<Node, RemoteError> {
        self.call(self.inner.create_folder(parent, name)).await
    }

    async fn relocate(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        self.call(self.inner.relocate(id, kind, to)).await
    }

    async fn recycle(&self, id: &RemoteId, kind: NodeKind) -> Result<(), RemoteError> {
        self.call(self.inner.recycle(id, kind)).await
    }

    async fn restore(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        self.call(self.inner.restore(id, kind, to)).await
    }

    async fn delete(&self, id: &RemoteId, kind: NodeKind) -> Result<(), RemoteError> {
        self.call(self.inner.delete(id, kind)).await
    }

    async fn upload(&self, upload: &Upload) -> Result<Node, RemoteError> {
        self.call(self.inner.upload(upload)).await
    }

    async fn set_mtime(
        &self,
        doc: &RemoteId,
        version: &str,
        mtime: SystemTime,
    ) -> Result<(), RemoteError> {
        self.call(self.inner.set_mtime(doc, version, mtime)).await
    }

    async fn changes(
        &self,
        cursor: Option<&FeedCursor>,
    ) -> Result<Option<ChangeBatch>, RemoteError> {
        self.call(self.inner.changes(cursor)).await
    }

    async fn metadata(&self, id: &RemoteId, kind: NodeKind) -> Result<ItemMetadata, RemoteError> {
        self.call(self.inner.metadata(id, kind)).await
    }

    async fn set_labels(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        labels: &[String],
    ) -> Result<(), RemoteError> {
        self.call(self.inner.set_labels(id, kind, labels)).await
    }

    async fn set_custom(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), RemoteError> {
        self.call(self.inner.set_custom(id, kind, key, value)).await
    }

    /// Always sent, offline or not.
    async fn versions(&self, doc: &RemoteId) -> Result<Vec<Version>, RemoteError> {
        self.call(self.inner.versions(doc)).await
    }

    async fn probe(&self) -> Result<(), RemoteError> {
        let result = self.inner.probe().await;
        self.observe(&result);
        result
    }

    async fn shares(&self, id: &RemoteId, kind: NodeKind) -> Result<Vec<Share>, RemoteError> {
        self.call(self.inner.shares(id, kind)).await
    }

    async fn share(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        request: &ShareRequest,
    ) -> Result<(), RemoteError> {
        self.call(self.inner.share(id, kind, request)).await
    }

    async fn unshare(&self, id: &RemoteId, kind: NodeKind, with: &str) -> Result<(), RemoteError> {
        self.call(self.inner.unshare(id, kind, with)).await
    }

    async fn activity(
        &self,
        item: Option<(&RemoteId, NodeKind)>,
        since: Option<SystemTime>,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, RemoteError> {
        self.call(self.inner.activity(item, since, limit)).await
    }

    fn offline(&self) -> bool {
        self.state
            .lock()
            .expect("reachability lock")
            .offline
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::memory::MemoryRemote;

    #[tokio::test]
    async fn offline_calls_fail_at_once_until_a_probe_gets_through() {
        let store = MemoryRemote::new("alice");
        let r = Reachable::new(store.clone());
        let root = Collection::Folder(store.root_id());
        assert!(r.list(&root, None).await.is_ok());
        store.set_offline(true);
        assert!(matches!(
            r.list(&root, None).await,
            Err(RemoteError::Network(_))
        ));
        assert!(r.offline());
        store.reset_counters();
        for _ in 0..10 {
            assert!(matches!(
                r.list(&root, None).await,
                Err(RemoteError::Unavailable { .. })
            ));
        }
        assert_eq!(store.request_count(), 0, "offline calls are not sent");
        assert!(r.probe().await.is_err());
        assert!(r.offline());
        store.set_offline(false);
        r.probe().await.unwrap();
        assert!(!r.offline());
        assert!(r.list(&root, None).await.is_ok());
    }

    #[test]
    fn an_error_answer_proves_the_store_is_reachable() {
        let r = Reachable::new(MemoryRemote::new("alice"));
        r.observe::<()>(&Err(RemoteError::Network("refused".into())));
        assert!(r.offline());
        r.observe::<()>(&Err(RemoteError::NotFound("x".into())));
        assert!(!r.offline());
        r.observe::<()>(&Err(RemoteError::Timeout(Duration::from_secs(1))));
        assert!(!r.offline(), "slow is not absent");
    }
}
