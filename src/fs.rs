//! The filesystem core: every operation as an async method returning a plain result, with no
//! FUSE types (the adapter in `fuse.rs` translates). It maps the caller's tree onto inodes —
//! the root folder at the mount root, plus the special folders — fetches folder listings lazily
//! through a [`Remote`], caches what it learns for `--metadata-ttl`, and streams reads with
//! read-ahead. Tests drive it directly against the in-memory remote.

pub mod changes;
pub mod content;
pub mod dir;
pub mod errno;
pub mod file;
pub mod fuse;
pub mod inode;
pub mod item;
pub mod journal;
pub mod link;
pub mod lookahead;
pub mod names;
pub mod namespace;
pub mod prefetch;
pub mod read;
pub mod reader;
pub mod spool;
pub mod upload;
pub mod versions;
pub mod write;
pub mod writeback;
pub mod xattrs;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use lru::LruCache;

use crate::remote::{Collection, Node, NodeKind, Remote, RemoteError, Role, Roots};
use dir::Listing;
use inode::{Ino, Inode, InodeTable, Origin, ROOT};

/// Name of the recycle-bin folder at the mount root.
pub const RECYCLE_BIN_NAME: &str = "Recycle Bin";
/// Name of the shared-with-me folder at the mount root.
pub const SHARED_WITH_ME_NAME: &str = "Shared with me";

#[derive(Clone, Debug)]
pub struct FsConfig {
    /// How long listings and attributes are trusted (also the kernel's entry/attr TTL).
    pub metadata_ttl: Duration,
    /// How many directory listings the cache keeps.
    pub cache_entries: usize,
    pub uid: u32,
    pub gid: u32,
    /// Mode bits cleared from every item (`--umask`).
    pub umask: u16,
    pub read: read::ReadConfig,
    /// Where written files are spooled until uploaded (`<cache-dir>/spool`).
    pub spool_dir: std::path::PathBuf,
    /// Bytes of recently uploaded files' spools kept for a following rename.
    pub recent_spool_bytes: u64,
    /// Bytes of used spool files kept for reuse (cheaper to overwrite than new ones).
    pub spool_reuse_bytes: u64,
    /// The on-disk content cache (`None`: off, as `--cache-size 0`).
    pub content: Option<content::ContentConfig>,
}

impl Default for FsConfig {
    fn default() -> Self {
        Self {
            metadata_ttl: Duration::from_secs(60),
            cache_entries: 10_000,
            uid: 0,
            gid: 0,
            umask: 0o022,
            read: read::ReadConfig::default(),
            spool_dir: std::env::temp_dir().join("docsfs").join("spool"),
            recent_spool_bytes: 256 << 20,
            spool_reuse_bytes: 1 << 30,
            content: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("no such file or directory")]
    NotFound,
    #[error("not a directory")]
    NotDir,
    #[error("is a directory")]
    IsDir,
    #[error("unknown inode {0}")]
    Stale(Ino),
    #[error("unknown file handle")]
    BadHandle,
    /// Open in a way this open cannot be combined with (a reader the kernel serves from a
    /// cache file by itself, while this one would write).
    #[error("busy")]
    Busy,
    #[error("read-only")]
    ReadOnly,
    #[error("permission denied")]
    Denied,
    #[error("name too long")]
    NameTooLong,
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    #[error("file exists")]
    Exists,
    #[error("directory not empty")]
    NotEmpty,
    #[error("invalid argument: {0}")]
    Invalid(&'static str),
    #[error("cannot move between the store and a special folder this way")]
    CrossDevice,
    #[error("spool: {0}")]
    Io(String),
    #[error("no such extended attribute")]
    NoAttribute,
    #[error("operation not permitted: {0}")]
    NotPermitted(&'static str),
}

pub type FsResult<T> = Result<T, FsError>;

/// File types the core reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    File,
    Symlink,
}

/// What `stat` shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Stat {
    pub ino: Ino,
    pub kind: FileKind,
    pub size: u64,
    pub mtime: SystemTime,
    pub ctime: SystemTime,
    pub perm: u16,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
}

/// A name resolved in a directory.
#[derive(Clone, Debug)]
pub struct Entry {
    pub stat: Stat,
    pub ttl: Duration,
}

/// One directory entry for readdir(plus).
#[derive(Clone, Debug)]
pub struct DirEntry {
    pub name: String,
    pub stat: Stat,
    /// The offset of the entry after this one.
    pub next_offset: u64,
}

pub struct Fs<R: Remote> {
    remote: Arc<R>,
    config: FsConfig,
    roots: Roots,
    mounted_at: SystemTime,
    inodes: Mutex<InodeTable>,
    listings: Mutex<LruCache<Ino, Arc<Listing>>>,
    dir_handles: Mutex<HashMap<u64, Arc<Listing>>>,
    next_handle: AtomicU64,
    lookahead: std::sync::OnceLock<lookahead::Sender>,
    /// Open files, the content cache, whole fetches of small files (`file.rs`).
    reads: file::Reads,
    /// The caller's role on items shared with it directly (learned from shared-with-me).
    shared_roles: Mutex<HashMap<crate::remote::RemoteId, Role>>,
    /// Files being written (or whose upload failed), by inode.
    writes: Mutex<HashMap<Ino, Arc<write::WriteState>>>,
    spool: spool::Spool,
    recent: Mutex<spool::Recent>,
    /// The read-only versions view's cached listings (`versions.rs`).
    views: versions::Views,
    /// Labels, custom metadata and the rest of the extended attributes, by inode.
    xattrs: Mutex<LruCache<Ino, xattrs::Cached>>,
    /// Committed files waiting for their upload (`writeback.rs`).
    writeback: writeback::WriteBack,
}

impl<R: Remote> Fs<R> {
    /// Asks the store where the caller's tree starts and builds the core.
    pub async fn new(remote: Arc<R>, config: FsConfig) -> FsResult<Self> {
        let roots = remote.roots().await?;
        let root_role = roots.root_role;
        let spool = spool::Spool::new(&config.spool_dir, config.spool_reuse_bytes)
            .map_err(|e| FsError::Io(format!("{}: {e}", config.spool_dir.display())))?;
        let recent = spool::Recent::new(config.recent_spool_bytes);
        let capacity = std::num::NonZeroUsize::new(config.cache_entries.max(16)).expect("non-zero");
        let content = match &config.content {
            Some(c) if c.limit > 0 => Some(
                content::ContentCache::open(c)
                    .map_err(|e| FsError::Io(format!("{}: {e}", c.dir.display())))?,
            ),
            _ => None,
        };
        Ok(Self {
            remote,
            config,
            roots,
            mounted_at: SystemTime::now(),
            inodes: Mutex::new(InodeTable::new(root_role)),
            listings: Mutex::new(LruCache::new(capacity)),
            dir_handles: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            lookahead: std::sync::OnceLock::new(),
            reads: file::Reads::new(content),
            shared_roles: Mutex::new(HashMap::new()),
            writes: Mutex::new(HashMap::new()),
            spool,
            recent: Mutex::new(recent),
            views: versions::Views::default(),
            xattrs: Mutex::new(LruCache::new(capacity)),
            writeback: writeback::WriteBack::default(),
        })
    }

    pub fn remote(&self) -> &Arc<R> {
        &self.remote
    }

    pub fn config(&self) -> &FsConfig {
        &self.config
    }

    fn new_handle(&self) -> u64 {
        self.next_handle.fetch_add(1, Ordering::Relaxed)
    }

    fn inode(&self, ino: Ino) -> FsResult<Inode> {
        self.inodes
            .lock()
            .expect("inode lock")
            .get(ino)
            .cloned()
            .ok_or(FsError::Stale(ino))
    }

    /// The `stat` of an inode as the table knows it.
    fn stat_of(&self, ino: Ino, i: &Inode) -> Stat {
        let (kind, perm) = match i.kind {
            NodeKind::Folder => (
                FileKind::Directory,
                if i.role.can_write() { 0o777 } else { 0o555 },
            ),
            NodeKind::Document => (
                FileKind::File,
                if i.role.can_write() { 0o666 } else { 0o444 },
            ),
            NodeKind::Link => (FileKind::Symlink, 0o777),
        };
        let perm = if kind == FileKind::Symlink {
            perm
        } else {
            perm & !self.config.umask
        };
        let (size, mtime) = match self.write_state(ino).and_then(|w| w.shown()) {
            Some(shown) => shown,
            None if i.kind == NodeKind::Link => {
                let len = i.link_target.as_ref().map_or(0, String::len);
                (len as u64, i.mtime(self.mounted_at))
            }
            None => (i.size(), i.mtime(self.mounted_at)),
        };
        Stat {
            ino,
            kind,
            size,
            mtime,
            ctime: i.node.as_ref().map_or(mtime, |n| n.ctime.max(n.mtime)),
            perm,
            // An item deleted while the kernel still holds it (an open file) has no name left.
            nlink: match (&i.origin, kind) {
                (Origin::Gone, _) => 0,
                (_, FileKind::Directory) => 2,
                _ => 1,
            },
            uid: self.config.uid,
            gid: self.config.gid,
        }
    }

    /// The collection a directory inode lists.
    fn collection_of(&self, i: &Inode) -> FsResult<Collection> {
        match &i.origin {
            Origin::Root => Ok(Collection::Folder(self.roots.root.clone())),
            Origin::RecycleBin => Ok(Collection::RecycleBin),
            Origin::SharedWithMe => Ok(Collection::SharedWithMe),
            Origin::Remote(id) if i.kind == NodeKind::Folder => Ok(Collection::Folder(id.clone())),
            Origin::Remote(_) | Origin::Local(_) => Err(FsError::NotDir),
            Origin::Gone => Err(FsError::NotFound),
            // Listed by `versions.rs` (see `listing`).
            Origin::VersionsOf(_) | Origin::VersionList(_) | Origin::Version { .. } => {
                Err(FsError::ReadOnly)
            }
        }
    }

    /// Entries a fresh listing of `dir` starts with: the special folders at the root, and files
    /// created here that the store does not have yet.
    fn reserved_entries(&self, dir: Ino) -> Vec<(String, Ino)> {
        let mut t = self.inodes.lock().expect("inode lock");
        let mut out = t.local_children(dir);
        if dir != ROOT {
            return out;
        }
        if self.roots.has_recycle_bin {
            out.push((
                RECYCLE_BIN_NAME.to_owned(),
                t.special(Origin::RecycleBin, RECYCLE_BIN_NAME),
            ));
        }
        if self.roots.has_shared_with_me {
            out.push((
                SHARED_WITH_ME_NAME.to_owned(),
                t.special(Origin::SharedWithMe, SHARED_WITH_ME_NAME),
            ));
        }
        out
    }

    /// The cached listing of `dir`, whatever its age, without marking it used.
    fn cached_listing(&self, dir: Ino) -> Option<Arc<Listing>> {
        self.listings
            .lock()
            .expect("listing lock")
            .peek(&dir)
            .cloned()
    }

    /// The current listing of `dir`: the cached one if younger than the TTL, else a new one.
    fn listing(&self, dir: Ino) -> FsResult<Arc<Listing>> {
        let i = self.inode(dir)?;
        if i.origin.in_versions_view() {
            return self.view_listing(dir, &i);
        }
        let collection = self.collection_of(&i)?;
        let reserved = self.reserved_entries(dir);
        // Check and replace under one hold of the lock, so concurrent callers share one listing.
        let mut listings = self.listings.lock().expect("listing lock");
        let old = listings.get(&dir).cloned();
        if let Some(l) = &old {
            let stale = l.state.try_lock().is_ok_and(|s| s.stale);
            // While the store cannot be reached, what is cached is the best there is.
            if (l.started.elapsed() < self.config.metadata_ttl && !stale) || self.remote.offline() {
                return Ok(l.clone());
            }
        }
        let fresh = Listing::replacing(dir, collection, &reserved, old.as_ref());
        listings.put(dir, fresh.clone());
        Ok(fresh)
    }

    /// Fetches the next page of `listing` into `state` and records its items as inodes.
    async fn fetch_page(&self, listing: &Listing, state: &mut dir::ListingState) -> FsResult<()> {
        if self.inode(listing.dir)?.origin.in_versions_view() {
            // Boxed: a `.versions` folder is filled from its folder's listing.
            return Box::pin(self.fill_view(listing, state)).await;
        }
        let page = match self
            .remote
            .list(&listing.collection, state.marker.as_deref())
            .await
        {
            Ok(page) => page,
            Err(e) if e.is_transient() && state.marker.is_none() && state.fallback.is_some() => {
                let old = state.fallback.take().expect("checked");
                let old = old.state.lock().await;
                tracing::debug!(dir = listing.dir, error = %e, "showing the folder as last listed");
                for (name, ino) in &old.entries {
                    if old.names.get(name) == Some(ino) {
                        state.push(name.clone(), *ino);
                    }
                }
                state.complete = true;
                state.stale = true;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        state.fallback = None;
        let parent_role = self.inode(listing.dir)?.role;
        for node in page.items {
            let role = self.role_for(listing, &node, parent_role).await?;
            let mut t = self.inodes.lock().expect("inode lock");
            // An item seen before keeps its name if it is still free.
            let name = state.name_for(&node.name, &node.id, t.ino_of(&node.id));
            if name.len() > names::NAME_MAX {
                tracing::warn!(id = %node.id, "skipping an item whose name is longer than 255 bytes");
                continue;
            }
            let ino = t.upsert(node, listing.dir, name.clone(), role);
            drop(t);
            state.push(name, ino);
        }
        state.marker = page.next_marker;
        state.complete = state.marker.is_none();
        Ok(())
    }

    /// The caller's role on a listed item: reported, asked for (shared items), or inherited.
    async fn role_for(&self, listing: &Listing, node: &Node, parent_role: Role) -> FsResult<Role> {
        if let Some(r) = node.role {
            return Ok(r);
        }
        match listing.collection {
            Collection::SharedWithMe => {
                let role = self.remote.role(&node.id).await?;
                self.shared_roles
                    .lock()
                    .expect("role lock")
                    .insert(node.id.clone(), role);
                Ok(role)
            }
            // Items in the bin are shown read-only until restored.
            Collection::RecycleBin => Ok(Role::Viewer),
            // Inherited, unless the item is also shared with the caller directly with more.
            Collection::Folder(_) => {
                let direct = self
                    .shared_roles
                    .lock()
                    .expect("role lock")
                    .get(&node.id)
                    .copied();
                Ok(direct.map_or(parent_role, |d| d.max(parent_role)))
            }
        }
    }

    /// Finds `name` in `dir`, fetching pages until found or the listing is complete.
    async fn find(&self, dir: Ino, name: &str) -> FsResult<Option<Ino>> {
        let listing = self.listing(dir)?;
        let mut state = listing.state.lock().await;
        loop {
            if let Some(&ino) = state.names.get(name) {
                return Ok(Some(ino));
            }
            if state.complete {
                return Ok(None);
            }
            self.fetch_page(&listing, &mut state).await?;
        }
    }

    pub async fn lookup(&self, parent: Ino, name: &str) -> FsResult<Entry> {
        if name.len() > names::NAME_MAX {
            return Err(FsError::NameTooLong);
        }
        if self.inode(parent)?.kind != NodeKind::Folder {
            return Err(FsError::NotDir);
        }
        let ino = match self.find(parent, name).await? {
            Some(ino) => ino,
            None => self
                .hidden_entry(parent, name)
                .await?
                .ok_or(FsError::NotFound)?,
        };
        let mut t = self.inodes.lock().expect("inode lock");
        t.add_lookups(ino, 1);
        let i = t.get(ino).cloned().ok_or(FsError::Stale(ino))?;
        Ok(Entry {
            stat: self.stat_of(ino, &i),
            ttl: self.config.metadata_ttl,
        })
    }

    pub fn forget(&self, ino: Ino, n: u64) {
        self.inodes.lock().expect("inode lock").forget(ino, n);
    }

    /// Counts a lookup the kernel made implicitly (an entry returned by readdirplus).
    pub fn note_lookup(&self, ino: Ino) {
        self.inodes.lock().expect("inode lock").add_lookups(ino, 1);
    }

    /// Attributes, refreshed through the parent's listing when older than the TTL.
    pub async fn getattr(&self, ino: Ino) -> FsResult<Stat> {
        let i = self.inode(ino)?;
        let remote = !i.origin.in_versions_view();
        if remote
            && i.node.is_some()
            && (i.expired || i.fetched.elapsed() >= self.config.metadata_ttl)
        {
            let asked = std::time::Instant::now();
            if self.find(i.parent, &i.name).await? != Some(ino) {
                // Not under its old name: still there if the refreshed listing saw it (renamed
                // within the folder); gone otherwise.
                let seen = self.inode(ino)?.fetched >= asked;
                if !seen {
                    return Err(FsError::NotFound);
                }
            } else if i.expired {
                self.inodes.lock().expect("inode lock").touch(ino);
            }
        }
        let i = self.inode(ino)?;
        Ok(self.stat_of(ino, &i))
    }

    pub fn ttl(&self) -> Duration {
        self.config.metadata_ttl
    }

    /// `statfs`: a large, mostly free filesystem (stores report no quota here), 4 KiB blocks.
    pub fn statfs(&self) -> StatFs {
        let files = self.inodes.lock().expect("inode lock").len() as u64;
        StatFs {
            blocks: 1 << 40,
            bfree: 1 << 39,
            bavail: 1 << 39,
            files,
            ffree: u32::MAX as u64,
            bsize: 4096,
            namelen: names::NAME_MAX as u32,
        }
    }

    /// How long ago the listing of `dir` was fetched (for tests and status).
    pub fn listing_age(&self, dir: Ino) -> Option<Duration> {
        self.listings
            .lock()
            .expect("listing lock")
            .peek(&dir)
            .map(|l| l.started.elapsed())
    }

    pub fn roots(&self) -> &Roots {
        &self.roots
    }
}

/// What `statfs` reports.
#[derive(Clone, Debug)]
pub struct StatFs {
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub bsize: u32,
    pub namelen: u32,
}

#[cfg(test)]
mod tests;
