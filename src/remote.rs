//! The document store as the filesystem needs it: the [`Remote`] trait, implemented by each
//! backend client (WorkDocs, LogicalDOC) and by the in-memory reference model used in tests.
//! The core knows backends only through this trait. Pagination is explicit (a listing is pages
//! with markers) so the core decides how much to fetch and when. Writes are whole steps the
//! store can do atomically: an upload either ends with an ACTIVE version or leaves nothing.

pub mod error;
pub mod file_body;
pub mod http;
pub mod labels;
pub mod logicaldoc;
pub mod memory;
pub mod model;
pub mod reachability;
pub mod workdocs;

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;

pub use error::RemoteError;
pub use model::{
    ActivityEntry, Change, ChangeBatch, Collection, FeedCursor, ItemMetadata, Node, NodeKind, Page,
    Principal, PrincipalKind, Relocation, RemoteId, Role, Roots, Share, ShareRequest, Upload,
    UploadTarget, Version,
};

/// A stream of content bytes, in order.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, RemoteError>> + Send>>;

pub trait Remote: Send + Sync + 'static {
    /// Where the caller's tree starts, and who the caller is.
    fn roots(&self) -> impl Future<Output = Result<Roots, RemoteError>> + Send;

    /// One page of a listing, starting at `marker` (`None`: the first page).
    fn list(
        &self,
        what: &Collection,
        marker: Option<&str>,
    ) -> impl Future<Output = Result<Page, RemoteError>> + Send;

    /// The caller's effective role on an item (direct or inherited).
    fn role(&self, id: &RemoteId) -> impl Future<Output = Result<Role, RemoteError>> + Send;

    /// The bytes `range` of version `version` of document `doc`. The range is clamped to the
    /// document's size; an empty range gives an empty stream.
    fn read(
        &self,
        doc: &RemoteId,
        version: &str,
        range: Range<u64>,
    ) -> impl Future<Output = Result<ByteStream, RemoteError>> + Send;

    /// A new, empty folder `name` in `parent`.
    fn create_folder(
        &self,
        parent: &RemoteId,
        name: &str,
    ) -> impl Future<Output = Result<Node, RemoteError>> + Send;

    /// Renames and/or moves a live item. AlreadyExists if the name is taken at the target.
    fn relocate(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;

    /// Moves an item (with its contents) to the caller's recycle bin.
    fn recycle(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;

    /// Brings a recycled item back: to its original folder and name, or where `to` says.
    fn restore(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;

    /// Deletes an item (and its contents and versions) for good.
    fn delete(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;

    /// Uploads a new document or version and makes it the ACTIVE one; on any failure, nothing
    /// of it remains at the store (the half-made version is aborted). Returns the document as
    /// it now is.
    fn upload(&self, upload: &Upload) -> impl Future<Output = Result<Node, RemoteError>> + Send;

    /// Records `mtime` as the modification time of version `version` of `doc` (for a time set
    /// after the upload, as `rsync` and `touch` do). Later listings report it while `version`
    /// is the latest.
    fn set_mtime(
        &self,
        doc: &RemoteId,
        version: &str,
        mtime: std::time::SystemTime,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send;

    /// Changes at the store since `cursor`; with no cursor, just the cursor of "now" (the feed
    /// starts there). `None`: the store has no change feed, and the core refreshes what it has
    /// cached by listing it again instead.
    fn changes(
        &self,
        cursor: Option<&FeedCursor>,
    ) -> impl Future<Output = Result<Option<ChangeBatch>, RemoteError>> + Send {
        let _ = cursor;
        async { Ok(None) }
    }

    /// Every complete version of document `doc`, oldest first (the latest last). Stores that
    /// keep no history answer Unsupported.
    fn versions(
        &self,
        doc: &RemoteId,
    ) -> impl Future<Output = Result<Vec<Version>, RemoteError>> + Send {
        let _ = doc;
        async {
            Err(RemoteError::Unsupported(
                "this store keeps no version history".into(),
            ))
        }
    }

    /// The item's labels, custom metadata, owner and signature (read fresh from the store).
    fn metadata(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> impl Future<Output = Result<ItemMetadata, RemoteError>> + Send {
        let _ = (id, kind);
        async { Err(unsupported("item metadata")) }
    }

    /// Makes `labels` the item's whole set of labels.
    fn set_labels(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        labels: &[String],
    ) -> impl Future<Output = Result<(), RemoteError>> + Send {
        let _ = (id, kind, labels);
        async { Err(unsupported("labels")) }
    }

    /// Sets (`Some`: creates or replaces) or deletes (`None`) one custom metadata pair.
    fn set_custom(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        key: &str,
        value: Option<&str>,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send {
        let _ = (id, kind, key, value);
        async { Err(unsupported("custom metadata")) }
    }

    /// One cheap request that proves the store can be reached (used to reconnect).
    fn probe(&self) -> impl Future<Output = Result<(), RemoteError>> + Send {
        async { self.roots().await.map(|_| ()) }
    }

    /// Whether the store could not be reached lately ([`reachability::Reachable`]).
    fn offline(&self) -> bool {
        false
    }

    /// Everyone with a role on an item (`docsfs shares`): direct and inherited shares.
    fn shares(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> impl Future<Output = Result<Vec<Share>, RemoteError>> + Send {
        let _ = (id, kind);
        async { Err(RemoteError::Unsupported("this store has no sharing".into())) }
    }

    /// Shares an item (`docsfs share`), or changes the role of an existing direct share.
    fn share(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        request: &ShareRequest,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send {
        let _ = (id, kind, request);
        async { Err(RemoteError::Unsupported("this store has no sharing".into())) }
    }

    /// Removes the direct share of an item with `with` (resolved as [`ShareRequest::with`]).
    fn unshare(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        with: &str,
    ) -> impl Future<Output = Result<(), RemoteError>> + Send {
        let _ = (id, kind, with);
        async { Err(RemoteError::Unsupported("this store has no sharing".into())) }
    }

    /// Who did what (`docsfs activity`): on `item` and, for a folder, on what it holds (`None`:
    /// everything the caller may see), from `since` on; the newest `limit` entries, oldest
    /// first.
    fn activity(
        &self,
        item: Option<(&RemoteId, NodeKind)>,
        since: Option<std::time::SystemTime>,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<ActivityEntry>, RemoteError>> + Send {
        let _ = (item, since, limit);
        async {
            Err(RemoteError::Unsupported(
                "this store keeps no activity history".into(),
            ))
        }
    }
}

fn unsupported(what: &str) -> RemoteError {
    RemoteError::Unsupported(format!("this store keeps no {what}"))
}
