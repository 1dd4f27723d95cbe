//! What an open file reads one version of a document through, cheapest first: the content cache
//! (`content.rs`), the whole bytes of a small file (one request, checked against the store's
//! checksum before a byte is served, then kept in the cache), or the streaming read-ahead of a
//! big one (`read.rs`), which also fills the cache as it streams.
//!
//! Small files are fetched whole because at network latency the round trip, not the bytes, is
//! the cost: a 4 KiB read of a 500 KiB file then costs the same one request as reading all of
//! it, and the next open is served from disk. The folder prefetcher (`prefetch.rs`) fetches the
//! same way, and an open that finds a fetch of its version under way waits for it instead of
//! asking again (`Wholes`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::content::{BLOCK, CHECK_AT_OPEN, Checksum, ContentCache, Entry};
use super::read::{Prefetcher, ReadConfig};
use crate::remote::{Node, Remote, RemoteError, RemoteId};

/// Files up to this size are fetched whole.
pub const SMALL: u64 = BLOCK;

/// The version a reader reads.
#[derive(Clone, Debug)]
pub struct Target {
    pub doc: RemoteId,
    pub version: String,
    pub size: u64,
    pub digest: Option<String>,
    /// In the recycle bin: read from the store, never from the cache (LogicalDOC serves no
    /// content of a recycled document, and the bin reads the same whatever was cached).
    pub recycled: bool,
}

impl Target {
    pub fn of(node: &Node) -> Option<Self> {
        Some(Self {
            doc: node.id.clone(),
            version: node.version.clone()?,
            size: node.size,
            digest: node.digest.clone(),
            recycled: node.recycled,
        })
    }
}

/// A version: document and version id.
type VersionKey = (RemoteId, String);

/// Whole fetches under way, by version: one at a time per version.
#[derive(Default)]
pub struct Wholes {
    busy: Mutex<HashMap<VersionKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl Wholes {
    fn slot(&self, t: &Target) -> Arc<tokio::sync::Mutex<()>> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        busy.retain(|_, m| Arc::strong_count(m) > 1);
        let key = (t.doc.clone(), t.version.clone());
        busy.entry(key).or_default().clone()
    }

    /// The whole content of a small version: from the cache when it is all there, else one
    /// request (retried once if the stream breaks or the bytes do not match the store's
    /// checksum), then stored in the cache.
    pub async fn fetch<R: Remote>(
        &self,
        remote: &Arc<R>,
        cache: Option<&Arc<ContentCache>>,
        t: &Target,
    ) -> Result<Bytes, RemoteError> {
        let slot = self.slot(t);
        let _turn = slot.lock().await;
        let entry = cache_entry(cache, t);
        if let Some((c, e)) = &entry {
            if let Some(b) = c.read(e, 0, t.size as u32) {
                return Ok(b);
            }
        }
        let checksum = t.digest.as_deref().and_then(Checksum::parse);
        let bytes = match download(remote, t, checksum.as_ref()).await {
            Err(e) if e.is_transient() || matches!(e, RemoteError::Corrupt(_)) => {
                tracing::debug!(doc = %t.doc, error = %e, "whole read failed; retrying once");
                download(remote, t, checksum.as_ref()).await?
            }
            other => other?,
        };
        if let Some((c, e)) = &entry {
            let mut w = c.writer(e, 0);
            w.write(&bytes);
            w.finish();
        }
        Ok(bytes)
    }
}

/// The cache entry `t` is read through, if it is cached at all (not in the recycle bin, and
/// admitted by the cache's size rule).
fn cache_entry(
    cache: Option<&Arc<ContentCache>>,
    t: &Target,
) -> Option<(Arc<ContentCache>, Arc<Entry>)> {
    let c = cache.filter(|c| c.admits(t.size) && !t.recycled)?;
    let e = c.entry(&t.doc, &t.version, t.size, t.digest.as_deref());
    Some((c.clone(), e))
}

/// One request for all of `t`, its length and checksum checked.
async fn download<R: Remote>(
    remote: &Arc<R>,
    t: &Target,
    checksum: Option<&Checksum>,
) -> Result<Bytes, RemoteError> {
    let mut stream = remote.read(&t.doc, &t.version, 0..t.size).await?;
    let mut buf = BytesMut::with_capacity(t.size as usize);
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(&chunk?);
        if buf.len() as u64 > t.size {
            return Err(RemoteError::Protocol(format!(
                "document {} sent more than its {} bytes",
                t.doc, t.size
            )));
        }
    }
    if (buf.len() as u64) < t.size {
        return Err(RemoteError::Network("download ended early".into()));
    }
    if let Some(want) = checksum {
        let mut h = want.hasher();
        h.update(&buf);
        if !h.matches(want) {
            return Err(RemoteError::Corrupt(format!(
                "document {} version {}: the bytes received do not match the store's checksum",
                t.doc, t.version
            )));
        }
    }
    Ok(buf.freeze())
}

/// Read state of one open file for one version.
pub struct Reader {
    pub target: Target,
    entry: Option<(Arc<ContentCache>, Arc<Entry>)>,
    small: Option<Bytes>,
    prefetcher: Option<Prefetcher>,
    config: ReadConfig,
}

impl Reader {
    pub fn new(target: Target, cache: Option<&Arc<ContentCache>>, config: ReadConfig) -> Self {
        let entry = cache_entry(cache, &target);
        Self {
            target,
            entry,
            small: None,
            prefetcher: None,
            config,
        }
    }

    pub fn version(&self) -> &str {
        &self.target.version
    }

    /// Whether every byte of this version is in the cache (an empty file needs none).
    pub fn cached(&self) -> bool {
        self.target.size == 0 || self.entry.as_ref().is_some_and(|(c, e)| c.is_complete(e))
    }

    /// The cache's file of this version for the kernel to read by itself (FUSE passthrough),
    /// when passthrough is on and the version is whole in the cache and checked; a big one not
    /// yet checked is checked in the background for the next open.
    pub async fn passthrough_file(&self) -> Option<Arc<std::fs::File>> {
        let (c, e) = self.entry.as_ref()?;
        if !c.passthrough_on() || !c.is_complete(e) {
            return None;
        }
        if self.target.size > CHECK_AT_OPEN && !c.all_checked(e) {
            c.check_later(e);
            return None;
        }
        if self.target.size <= SMALL {
            // One block at most: checking it costs less than handing it to another thread.
            return c.verified_file(e);
        }
        let (c, e) = (c.clone(), e.clone());
        let checked = tokio::task::spawn_blocking(move || c.verified_file(&e));
        checked.await.ok().flatten()
    }

    /// Exactly `min(len, size - offset)` bytes at `offset`.
    pub async fn read<R: Remote>(
        &mut self,
        remote: &Arc<R>,
        wholes: &Wholes,
        offset: u64,
        len: u32,
    ) -> Result<Bytes, RemoteError> {
        let size = self.target.size;
        let end = offset.saturating_add(u64::from(len)).min(size);
        if offset >= end {
            return Ok(Bytes::new());
        }
        if let Some(b) = &self.small {
            return Ok(b.slice(offset as usize..end as usize));
        }
        let streaming = self
            .prefetcher
            .as_ref()
            .is_some_and(|p| p.streaming_at(offset));
        if let (Some((c, e)), false) = (&self.entry, streaming) {
            if let Some(b) = c.read(e, offset, len) {
                return Ok(b);
            }
        }
        if let Some((c, e)) = &mut self.entry {
            if c.is_gone(e) {
                // Dropped (corrupt or evicted): a fresh entry, which the streams fill from now.
                let t = &self.target;
                *e = c.entry(&t.doc, &t.version, size, t.digest.as_deref());
                if let Some(p) = &mut self.prefetcher {
                    p.set_cache(c.clone(), e.clone());
                }
            }
        }
        if size <= SMALL {
            let cache = self.entry.as_ref().map(|(c, _)| c);
            let b = self
                .small
                .insert(wholes.fetch(remote, cache, &self.target).await?);
            return Ok(b.slice(offset as usize..end as usize));
        }
        let p = self.prefetcher.get_or_insert_with(|| {
            let t = &self.target;
            let p = Prefetcher::new(t.doc.clone(), t.version.clone(), size, self.config.clone());
            match &self.entry {
                Some((c, e)) => p.with_cache(c.clone(), e.clone()),
                None => p,
            }
        });
        p.read(remote, offset, len).await
    }
}
