//! Other clients' changes, seen before the metadata TTL runs out. Each poll asks the store's
//! change feed what changed since the last one (WorkDocs: DescribeActivities); a store without a
//! feed (LogicalDOC) has its most recently used cached folders listed again instead. Either way
//! the core lists again only the cached folders a change touched, compares the new listing with
//! the cached one, and reports exactly what the kernel must forget: the names that appeared,
//! went or moved ([`Invalidation::Entry`]) and the items whose attributes or content changed
//! ([`Invalidation::Inode`]). A folder whose listing changed loses its cached listing (the next
//! access lists it again); one that did not keeps it. Changes this mount made itself are
//! recognised (the cached item already has that name, folder and version) and cost nothing.

use std::collections::{BTreeSet, HashMap};

use super::dir::Listing;
use super::inode::{Ino, Origin, ROOT};
use super::{Fs, FsResult};
use crate::remote::{Change, ChangeBatch, FeedCursor, Remote};

/// What the kernel must forget after a change at the store.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Invalidation {
    /// The name `name` in folder `parent` (appeared, went, or stands for another item now).
    Entry { parent: Ino, name: String },
    /// The attributes and cached content of an inode.
    Inode(Ino),
}

/// Where the change feed of a mount stands.
#[derive(Clone, Debug, Default)]
pub enum FeedState {
    /// Not asked yet.
    #[default]
    Start,
    /// The store has a feed; this is where it was read up to.
    Cursor(FeedCursor),
    /// The store has none: cached folders are listed again.
    NoFeed,
}

/// Cached folders a store without a feed has listed again per poll (most recently used first).
pub const REFRESHED_PER_POLL: usize = 64;

/// What is known of an inode that a change shows in `stat` or in its content.
type Shown = (String, Option<String>, u64, std::time::SystemTime, Ino);

impl<R: Remote> Fs<R> {
    /// One poll of the store's changes; returns what the kernel must forget.
    pub async fn poll_changes(&self, feed: &mut FeedState) -> FsResult<Vec<Invalidation>> {
        match feed {
            FeedState::Start => {
                *feed = match self.remote.changes(None).await? {
                    Some(batch) => FeedState::Cursor(batch.cursor),
                    None => FeedState::NoFeed,
                };
                Ok(vec![])
            }
            FeedState::Cursor(cursor) => {
                let Some(batch) = self.remote.changes(Some(cursor)).await? else {
                    *feed = FeedState::NoFeed;
                    return Ok(vec![]);
                };
                let out = self.apply_changes(&batch).await?;
                *cursor = batch.cursor;
                Ok(out)
            }
            FeedState::NoFeed => self.refresh_recent(REFRESHED_PER_POLL).await,
        }
    }

    /// Brings the cache up to date with `batch`.
    pub async fn apply_changes(&self, batch: &ChangeBatch) -> FsResult<Vec<Invalidation>> {
        if batch.overflow {
            return self.refresh_everything().await;
        }
        let mut folders = BTreeSet::new();
        let mut items = BTreeSet::new();
        for change in &batch.changes {
            if self.already_shown(change) {
                continue;
            }
            let t = self.inodes.lock().expect("inode lock");
            let known = t.ino_of(&change.id);
            // An item this mount never listed is in none of its listings: its removal changes
            // only the bin.
            if !(change.removed && known.is_none()) {
                folders.extend(change.folders.iter().filter_map(|f| self.dir_ino(&t, f)));
            }
            if let Some(ino) = known {
                items.insert(ino);
                folders.extend(t.get(ino).map(|i| i.parent));
            }
            if change.bin {
                folders.extend(t.find_origin(&Origin::RecycleBin));
            }
            if change.shares {
                folders.extend(t.find_origin(&Origin::SharedWithMe));
            }
        }
        let started = std::time::Instant::now();
        let mut out = BTreeSet::new();
        for dir in folders {
            out.extend(self.refresh_folder(dir).await?);
        }
        let mut t = self.inodes.lock().expect("inode lock");
        for ino in items {
            // Confirmed by a listing just now, or to be confirmed at the next `stat`.
            if t.get(ino).is_some_and(|i| i.fetched < started) {
                t.expire(ino);
            }
            out.insert(Invalidation::Inode(ino));
        }
        Ok(out.into_iter().collect())
    }

    /// Whether the cache already shows `change` (this mount made it).
    fn already_shown(&self, change: &Change) -> bool {
        if change.bin || change.shares || change.folders.len() > 1 {
            return false;
        }
        let t = self.inodes.lock().expect("inode lock");
        let Some(node) = t
            .ino_of(&change.id)
            .and_then(|ino| t.get(ino))
            .and_then(|i| i.node.as_ref())
        else {
            return false;
        };
        change.name.as_ref().is_none_or(|n| *n == node.name)
            && change
                .folders
                .first()
                .is_none_or(|f| node.parent.as_ref() == Some(f))
            && change
                .version
                .as_ref()
                .is_none_or(|v| node.version.as_ref() == Some(v))
    }

    /// The inode of a store folder, if this mount knows it.
    fn dir_ino(&self, t: &super::inode::InodeTable, id: &str) -> Option<Ino> {
        if *id == self.roots.root {
            return Some(ROOT);
        }
        t.ino_of(id)
    }

    /// Lists the `max` most recently used cached folders again.
    pub async fn refresh_recent(&self, max: usize) -> FsResult<Vec<Invalidation>> {
        let dirs: Vec<Ino> = {
            let l = self.listings.lock().expect("listing lock");
            l.iter().take(max).map(|(&dir, _)| dir).collect()
        };
        let mut out = Vec::new();
        for dir in dirs {
            out.extend(self.refresh_folder(dir).await?);
        }
        Ok(out)
    }

    /// More changed than a poll reads: every item is to be confirmed, every cached folder listed
    /// again when next used.
    async fn refresh_everything(&self) -> FsResult<Vec<Invalidation>> {
        let mut out = self.refresh_recent(REFRESHED_PER_POLL).await?;
        self.listings.lock().expect("listing lock").clear();
        let mut t = self.inodes.lock().expect("inode lock");
        for ino in t.remote_inodes() {
            t.expire(ino);
            out.push(Invalidation::Inode(ino));
        }
        Ok(out)
    }

    /// Lists `dir` again if its listing is cached, and reports what changed.
    pub async fn refresh_folder(&self, dir: Ino) -> FsResult<Vec<Invalidation>> {
        let Some(cached) = self
            .listings
            .lock()
            .expect("listing lock")
            .peek(&dir)
            .cloned()
        else {
            return Ok(vec![]);
        };
        let before: HashMap<String, Ino> = cached.state.lock().await.names.clone();
        let shown_before: HashMap<Ino, Shown> = {
            let t = self.inodes.lock().expect("inode lock");
            before
                .values()
                .filter_map(|&ino| Some((ino, shown(&t, ino)?)))
                .collect()
        };
        let fresh = Listing::new(dir, cached.collection.clone(), &self.reserved_entries(dir));
        let after = {
            let mut state = fresh.state.lock().await;
            while !state.complete {
                self.fetch_page(&fresh, &mut state).await?;
            }
            state.names.clone()
        };
        let mut out = Vec::new();
        let mut t = self.inodes.lock().expect("inode lock");
        for (name, ino) in &before {
            if after.get(name) != Some(ino) {
                out.push(Invalidation::Entry {
                    parent: dir,
                    name: name.clone(),
                });
                if !after.values().any(|i| i == ino) {
                    // Gone from this folder: the next `stat` asks where it is.
                    t.expire(*ino);
                    out.push(Invalidation::Inode(*ino));
                }
            }
        }
        for (name, ino) in &after {
            if before.get(name) != Some(ino) {
                out.push(Invalidation::Entry {
                    parent: dir,
                    name: name.clone(),
                });
            }
            if let Some(old) = shown_before.get(ino) {
                if shown(&t, *ino).as_ref() != Some(old) {
                    out.push(Invalidation::Inode(*ino));
                }
            }
        }
        drop(t);
        if !out.is_empty() {
            // Dropped rather than replaced: a change this mount makes meanwhile edits the cached
            // listing, and the fresh one might have missed it.
            let mut l = self.listings.lock().expect("listing lock");
            if l.peek(&dir)
                .is_some_and(|c| std::sync::Arc::ptr_eq(c, &cached))
            {
                l.pop(&dir);
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

fn shown(t: &super::inode::InodeTable, ino: Ino) -> Option<Shown> {
    let i = t.get(ino)?;
    let n = i.node.as_ref()?;
    Some((n.name.clone(), n.version.clone(), n.size, n.mtime, i.parent))
}
