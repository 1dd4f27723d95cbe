//! Unit tests of [`MemoryRemote`], by topic, and the helpers they share.

mod knobs;
mod listing;
mod sharing;
mod tree;

use std::ops::Range;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures_util::TryStreamExt;

use super::MemoryRemote;
use crate::remote::{Collection, Node, Remote, RemoteError};

/// A content time `secs` after the epoch.
fn t(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn names(nodes: &[Node]) -> Vec<&str> {
    nodes.iter().map(|n| n.name.as_str()).collect()
}

/// Every page of `what` through the `Remote` trait, checking each page's size.
async fn walk(r: &MemoryRemote, what: &Collection, page_size: usize) -> Vec<Node> {
    let (mut all, mut marker) = (Vec::new(), None::<String>);
    loop {
        let page = r.list(what, marker.as_deref()).await.expect("page");
        assert!(
            page.items.len() <= page_size,
            "page of {}",
            page.items.len()
        );
        all.extend(page.items);
        match page.next_marker {
            Some(next) => marker = Some(next),
            None => return all,
        }
    }
}

/// The chunks of a read through the `Remote` trait.
async fn read_chunks(
    r: &MemoryRemote,
    doc: &str,
    version: &str,
    range: Range<u64>,
) -> Result<Vec<Bytes>, RemoteError> {
    r.read(&doc.to_owned(), version, range)
        .await?
        .try_collect()
        .await
}

/// The bytes of a read through the `Remote` trait.
async fn read_bytes(r: &MemoryRemote, doc: &str, version: &str, range: Range<u64>) -> Vec<u8> {
    let chunks = read_chunks(r, doc, version, range).await.expect("read");
    chunks.concat()
}

/// The latest version id of `doc`.
fn latest(r: &MemoryRemote, doc: &str) -> String {
    r.node(doc).and_then(|n| n.version).expect("a document")
}

fn folder(id: &str) -> Collection {
    Collection::Folder(id.to_owned())
}
