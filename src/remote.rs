//! The document store as the filesystem needs it: the [`Remote`] trait, implemented by each
//! backend client (WorkDocs, LogicalDOC) and by the in-memory reference model used in tests.
//! The core knows backends only through this trait. Pagination is explicit (a listing is pages
//! with markers) so the core decides how much to fetch and when.

pub mod error;
pub mod memory;
pub mod model;
pub mod workdocs;

use std::future::Future;
use std::ops::Range;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;

pub use error::RemoteError;
pub use model::{Collection, Node, NodeKind, Page, RemoteId, Role, Roots};

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
}
