//! Directory listings, fetched lazily page by page and shared by lookups and readdir. A listing
//! is one generation of a directory's contents: it starts empty, grows a page at a time as
//! `readdir` or `lookup` needs more, and is complete when the last page has arrived. A complete
//! listing younger than the metadata TTL answers lookups — hits and misses (the negative cache) —
//! without asking the store; an older one is replaced by a new generation. Open directory handles
//! keep their generation, so offsets stay valid while they read.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Mutex;

use super::inode::Ino;
use super::names;
use crate::remote::Collection;

/// The inode number of an entry taken out of a listing.
const TOMBSTONE: Ino = 0;

pub struct Listing {
    pub dir: Ino,
    pub collection: Collection,
    pub started: Instant,
    pub state: Mutex<ListingState>,
}

#[derive(Default)]
pub struct ListingState {
    /// (shown name, inode) in listing order.
    pub entries: Vec<(String, Ino)>,
    pub names: HashMap<String, Ino>,
    pub marker: Option<String>,
    pub complete: bool,
    /// The generation this one replaced, while it may stand in for it: if the store cannot be
    /// reached for this one's first page, the old contents are shown (see `Fs::fetch_page`).
    pub fallback: Option<Arc<Listing>>,
    /// Filled from the fallback, not from the store: replaced at the next access.
    pub stale: bool,
}

impl Listing {
    pub fn new(dir: Ino, collection: Collection, reserved: &[(String, Ino)]) -> Arc<Self> {
        Self::replacing(dir, collection, reserved, None)
    }

    /// A new generation that may fall back on `old` (or on what `old` itself could fall back
    /// on, so generations never chain).
    pub fn replacing(
        dir: Ino,
        collection: Collection,
        reserved: &[(String, Ino)],
        old: Option<&Arc<Listing>>,
    ) -> Arc<Self> {
        let mut state = ListingState {
            fallback: old.and_then(|old| {
                let s = old.state.try_lock().ok()?;
                if s.complete && !s.stale {
                    Some(old.clone())
                } else {
                    s.fallback.clone()
                }
            }),
            ..ListingState::default()
        };
        for (name, ino) in reserved {
            state.entries.push((name.clone(), *ino));
            state.names.insert(name.clone(), *ino);
        }
        Arc::new(Self {
            dir,
            collection,
            started: Instant::now(),
            state: Mutex::new(state),
        })
    }
}

impl ListingState {
    /// The name an item gets in this listing: its escaped name, or a disambiguated one if that
    /// is taken by an earlier entry. The same item listed twice keeps its first name.
    pub fn name_for(&self, remote_name: &str, id: &str, ino: Option<Ino>) -> String {
        let local = names::to_local(remote_name);
        let free = |name: &String| {
            self.names
                .get(name)
                .is_none_or(|&existing| Some(existing) == ino)
        };
        if free(&local) {
            return local;
        }
        // The disambiguated name may itself be taken (by an item really named so): count on.
        (0..)
            .map(|n| names::disambiguate(&local, id, n))
            .find(free)
            .expect("an unbounded sequence of distinct names")
    }

    /// Takes `name` out of the listing. Its slot stays (as a tombstone readdir skips) so the
    /// offsets of open directory handles keep pointing at the same entries.
    pub fn remove(&mut self, name: &str) -> Option<Ino> {
        let ino = self.names.remove(name)?;
        if let Some(slot) = self
            .entries
            .iter_mut()
            .rev()
            .find(|(n, i)| n == name && *i == ino)
        {
            slot.1 = TOMBSTONE;
        }
        Some(ino)
    }

    /// Whether the listing has live entries (pages fetched so far).
    pub fn has_entries(&self) -> bool {
        !self.names.is_empty()
    }

    pub fn push(&mut self, name: String, ino: Ino) {
        if self.names.get(&name) == Some(&ino) {
            return;
        }
        self.names.insert(name.clone(), ino);
        self.entries.push((name, ino));
    }
}

use super::{DirEntry, Fs, FsError, FsResult};
use crate::remote::{NodeKind, Remote};

/// Offsets 0 and 1 are `.` and `..`; listing entry `i` has offset `i + 2`.
const FIRST_ENTRY_OFFSET: u64 = 2;

impl<R: Remote> Fs<R> {
    /// Opens a directory: the handle keeps the current listing generation.
    pub fn opendir(&self, ino: Ino) -> FsResult<u64> {
        let listing = self.listing(ino)?;
        let fh = self.new_handle();
        self.dir_handles
            .lock()
            .expect("handle lock")
            .insert(fh, listing);
        Ok(fh)
    }

    pub fn releasedir(&self, fh: u64) {
        self.dir_handles.lock().expect("handle lock").remove(&fh);
    }

    /// Up to `max` entries from `offset` on, fetching pages as needed.
    pub async fn readdir(
        &self,
        ino: Ino,
        fh: u64,
        offset: u64,
        max: usize,
    ) -> FsResult<Vec<DirEntry>> {
        let listing = self
            .dir_handles
            .lock()
            .expect("handle lock")
            .get(&fh)
            .cloned()
            .ok_or(FsError::BadHandle)?;
        if listing.dir != ino {
            return Err(FsError::BadHandle);
        }
        let me = self.inode(ino)?;
        let mut out = Vec::new();
        let mut offset = offset;
        while out.len() < max && offset < FIRST_ENTRY_OFFSET {
            let (name, target) = if offset == 0 {
                (".", ino)
            } else {
                ("..", me.parent)
            };
            let i = self.inode(target)?;
            out.push(DirEntry {
                name: name.into(),
                stat: self.stat_of(target, &i),
                next_offset: offset + 1,
            });
            offset += 1;
        }
        let mut state = listing.state.lock().await;
        while out.len() < max {
            let index = (offset - FIRST_ENTRY_OFFSET) as usize;
            if index >= state.entries.len() {
                if state.complete {
                    break;
                }
                self.fetch_page(&listing, &mut state).await?;
                continue;
            }
            let (name, target) = state.entries[index].clone();
            if target == TOMBSTONE {
                offset += 1;
                continue;
            }
            let i = self.inode(target)?;
            if i.kind == NodeKind::Folder && !i.origin.in_versions_view() {
                self.look_ahead(target);
            }
            out.push(DirEntry {
                name,
                stat: self.stat_of(target, &i),
                next_offset: offset + 1,
            });
            offset += 1;
        }
        Ok(out)
    }

    /// Whether `ino` is a directory (for the adapter's opendir checks).
    pub fn is_dir(&self, ino: Ino) -> FsResult<bool> {
        Ok(self.inode(ino)?.kind == NodeKind::Folder)
    }
}
