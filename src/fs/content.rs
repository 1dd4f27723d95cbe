//! The content cache: document versions' bytes on local disk under `<cache-dir>/content/`,
//! keyed by store, document and version. A version never changes once written, so a cached byte
//! can never be stale: which version is current is decided by the metadata (listings, the TTL,
//! the change feed), and a new version is simply another key. Every open file, and every later
//! mount on the same cache folder, shares it.
//!
//! What it owns: the index of entries (an LRU over `limit` bytes of present blocks, loaded from
//! the records on disk at start, oldest use first), filling entries as bytes stream in
//! ([`Writer`]), serving reads from them with each block checked against its hash the first time
//! this process reads it ([`ContentCache::read`]), checking whole entries against the checksum
//! the store states ([`ContentCache::check_whole`]), and its counters for `docsfs status`.
//! A corrupt or truncated entry is dropped and its bytes fetched again from the store. A write
//! that fails (a full disk) stops caching that stream, never the read it serves.
//!
//! Lock order: `index`, then an entry's state. Neither is held across an `.await`.

pub mod entry;
mod passthrough;
mod writer;

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use lru::LruCache;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use entry::{BLOCK, Checksum, Entry};
use entry::{Meta, block_count, block_hash, block_len};
pub use passthrough::CHECK_AT_OPEN;
pub use writer::{Tee, Writer};

/// Default bound of the cache, and the share of the free disk it never exceeds.
pub const DEFAULT_LIMIT: u64 = 4 << 30;
pub const MAX_SHARE_OF_FREE: f64 = 0.5;

#[derive(Clone, Debug)]
pub struct ContentConfig {
    /// `<cache-dir>/content`.
    pub dir: PathBuf,
    /// Bytes of cached content kept at most (`--cache-size`).
    pub limit: u64,
    /// Which store the keys belong to (backend and endpoint): a cache folder used for two
    /// stores never serves one's bytes for the other's ids.
    pub store: String,
    /// Hand the kernel whole cached files to read by itself (FUSE passthrough), where it and
    /// the process's privileges allow (`--no-passthrough`: never).
    pub passthrough: bool,
}

/// Counters since this process started.
#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    bytes_served: AtomicU64,
    bytes_stored: AtomicU64,
    evictions: AtomicU64,
    corrupt: AtomicU64,
    passthrough_opens: AtomicU64,
}

/// What `docsfs status` shows of the cache.
#[derive(Clone, Debug, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct CacheReport {
    pub limit: u64,
    pub bytes: u64,
    pub entries: u64,
    /// Opens of a version whose bytes were all cached, and of one that was not.
    pub hits: u64,
    pub misses: u64,
    pub bytes_served: u64,
    pub bytes_stored: u64,
    pub evictions: u64,
    /// Entries dropped because their bytes did not match their hashes or checksum.
    pub corrupt: u64,
    /// Reads of cached files go to the kernel by FUSE passthrough.
    pub passthrough: bool,
    /// Opens the kernel served from a cache file by itself.
    #[serde(default)]
    pub passthrough_opens: u64,
}

struct Index {
    lru: LruCache<String, Arc<Entry>>,
    bytes: u64,
}

pub struct ContentCache {
    dir: PathBuf,
    store: String,
    limit: u64,
    index: Mutex<Index>,
    counters: Counters,
    /// A write failed (full disk, …); said once in the log.
    write_failed: AtomicBool,
    passthrough: AtomicBool,
    /// Records of entries used again since the last `flush_touches`.
    touches: Mutex<Vec<PathBuf>>,
}

impl Drop for ContentCache {
    fn drop(&mut self) {
        self.flush_touches();
    }
}

impl ContentCache {
    /// Opens (creating) the cache folder and loads what earlier mounts left in it.
    pub fn open(config: &ContentConfig) -> std::io::Result<Arc<Self>> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&config.dir)?;
        let cache = Self {
            dir: config.dir.clone(),
            store: config.store.clone(),
            limit: config.limit,
            index: Mutex::new(Index {
                lru: LruCache::unbounded(),
                bytes: 0,
            }),
            counters: Counters::default(),
            write_failed: AtomicBool::new(false),
            passthrough: AtomicBool::new(config.passthrough),
            touches: Mutex::default(),
        };
        cache.load();
        Ok(Arc::new(cache))
    }

    /// Sets the time of the records of entries used again (blocking I/O): their order of use,
    /// which the next mount's LRU starts from. Called every few seconds and at the end.
    pub fn flush_touches(&self) {
        let paths = std::mem::take(&mut *self.touches.lock().unwrap_or_else(|p| p.into_inner()));
        let now = std::time::SystemTime::now();
        for path in paths {
            let f = std::fs::File::options().append(true).open(path);
            let _ = f.and_then(|f| f.set_modified(now));
        }
    }

    /// The cache folder (`<cache-dir>/content`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads every record, oldest use first, dropping what does not hold together: records
    /// that cannot be read, data without a record, and temporary files a crash left.
    fn load(&self) {
        let mut found = Vec::new();
        let mut data = Vec::new();
        for f in files(&self.dir) {
            let path = f.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".tmp") {
                let _ = std::fs::remove_file(&path);
            } else if let Some(key) = name.strip_suffix(".meta") {
                let used = f.metadata().and_then(|m| m.modified()).ok();
                found.push((used, key.to_owned(), path.clone()));
            } else if name.ends_with(".data") {
                data.push(path);
            }
        }
        for path in data {
            if !path.with_extension("meta").exists() {
                let _ = std::fs::remove_file(&path);
            }
        }
        found.sort();
        let mut index = self.index();
        for (_, key, path) in found {
            let meta = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Meta>(&b).ok());
            let entry = meta.and_then(|m| Entry::from_meta(&self.dir, key.clone(), m));
            let Some(entry) = entry.filter(|e| e.key == key) else {
                tracing::debug!(path = %path.display(), "dropping an unreadable cache record");
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::remove_file(path.with_extension("data"));
                continue;
            };
            let bytes = entry.present_bytes(&entry.lock());
            index.bytes += bytes;
            index.lru.put(key, Arc::new(entry));
        }
        self.evict(&mut index, None);
    }

    fn key(&self, doc: &str, version: &str) -> String {
        let mut h = Sha256::new();
        for part in [self.store.as_str(), doc, version] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(&h.finalize()[..20])
    }

    /// Whether a version of `size` bytes is cached at all: one over half the bound would flush
    /// everything else for itself.
    pub fn admits(&self, size: u64) -> bool {
        size > 0 && size <= self.limit / 2
    }

    /// Whether every byte of a version is cached, without making it the most recently used (or
    /// an entry for it).
    pub fn has_all(&self, doc: &str, version: &str, size: u64) -> bool {
        let key = self.key(doc, version);
        let e = self.index().lru.peek(&key).cloned();
        e.is_some_and(|e| e.size == size && self.is_complete(&e))
    }

    /// The entry of a version (made, empty, if the cache has none), now the most recently used.
    /// `digest` is what the store states (`Node::digest`).
    pub fn entry(&self, doc: &str, version: &str, size: u64, digest: Option<&str>) -> Arc<Entry> {
        let key = self.key(doc, version);
        let checksum = digest.and_then(Checksum::parse);
        let mut index = self.index();
        if let Some(e) = index.lru.get(&key).cloned() {
            // An entry put in from an upload may know no checksum yet: its block hashes hold.
            let fits = e.size == size
                && (checksum.is_none() || e.checksum.is_none() || e.checksum == checksum);
            if fits {
                let mut st = e.lock();
                if !st.touched {
                    st.touched = true;
                    // Its use, for the LRU order of later mounts: recorded later, in a batch
                    // (`flush_touches`), not on the path of the open that asks.
                    let mut touches = self.touches.lock().unwrap_or_else(|p| p.into_inner());
                    touches.push(e.meta_path().to_owned());
                }
                return e.clone();
            }
            tracing::debug!(
                doc,
                version,
                "cache entry does not fit the version; dropping it"
            );
            self.remove(&mut index, &e);
        }
        let e = Arc::new(Entry::new(
            &self.dir,
            key.clone(),
            doc,
            version,
            size,
            checksum,
        ));
        index.lru.put(key, e.clone());
        e
    }

    /// Whether every byte of the entry is cached (and it was not dropped).
    pub fn is_complete(&self, e: &Entry) -> bool {
        let st = e.lock();
        !st.gone && st.blocks.iter().all(Option::is_some)
    }

    /// Whether the entry was evicted or dropped (a fresh one must be asked for).
    pub fn is_gone(&self, e: &Entry) -> bool {
        e.lock().gone
    }

    /// Counts an open of a version that was (not) all cached.
    pub fn count_open(&self, hit: bool) {
        let c = if hit {
            &self.counters.hits
        } else {
            &self.counters.misses
        };
        c.fetch_add(1, Relaxed);
    }

    /// `min(len, size - offset)` bytes at `offset` when all of them are cached and check out;
    /// `None` when some are not (the caller reads from the store). A block that fails its check
    /// drops the whole entry.
    pub fn read(&self, e: &Entry, offset: u64, len: u32) -> Option<Bytes> {
        let end = offset.saturating_add(u64::from(len)).min(e.size);
        if offset >= end {
            return Some(Bytes::new());
        }
        let (first, last) = ((offset / BLOCK) as usize, ((end - 1) / BLOCK) as usize);
        let file = self.checked_file(e, first..last + 1)?;
        let mut buf = vec![0u8; (end - offset) as usize];
        if file.read_exact_at(&mut buf, offset).is_err() {
            self.drop_corrupt(e, "truncated");
            return None;
        }
        self.counters
            .bytes_served
            .fetch_add(buf.len() as u64, Relaxed);
        Some(Bytes::from(buf))
    }

    /// The entry's data file once blocks `blocks` are all present and checked (those this
    /// process had not checked yet are checked now); `None` when one is missing, or does not
    /// match its hash (the entry is then dropped).
    fn checked_file(
        &self,
        e: &Entry,
        blocks: std::ops::Range<usize>,
    ) -> Option<Arc<std::fs::File>> {
        let (file, unchecked) = {
            let mut st = e.lock();
            if st.gone || st.blocks[blocks.clone()].iter().any(Option::is_none) {
                return None;
            }
            let unchecked: Vec<(usize, u32)> = blocks
                .filter(|&i| !st.checked[i])
                .map(|i| (i, st.blocks[i].expect("present")))
                .collect();
            (Self::data_file(e, &mut st)?, unchecked)
        };
        for (i, want) in unchecked {
            if !self.check_block(e, &file, i, want) {
                return None;
            }
        }
        Some(file)
    }

    /// The entry's data file, opened for reading once per entry.
    fn data_file(e: &Entry, st: &mut entry::State) -> Option<Arc<std::fs::File>> {
        if let Some(f) = &st.file {
            return Some(f.clone());
        }
        let f = Arc::new(std::fs::File::open(e.data_path()).ok()?);
        st.file = Some(f.clone());
        Some(f)
    }

    /// Checks block `i` against its hash `want` (recording that it was); false, with the
    /// entry dropped, when it does not match or cannot be read whole.
    fn check_block(&self, e: &Entry, file: &std::fs::File, i: usize, want: u32) -> bool {
        let mut buf = vec![0u8; block_len(e.size, i) as usize];
        let ok = file.read_exact_at(&mut buf, i as u64 * BLOCK).is_ok();
        if !ok || block_hash(&buf) != want {
            let why = if ok {
                "a block does not match its hash"
            } else {
                "truncated"
            };
            self.drop_corrupt(e, why);
            return false;
        }
        e.lock().checked[i] = true;
        true
    }

    /// Checks a complete entry against the checksum the store states, once (the result is
    /// recorded). False when it does not match: the entry is dropped.
    pub fn check_whole(&self, e: &Entry) -> bool {
        let Some(checksum) = &e.checksum else {
            return true;
        };
        if e.lock().whole_checked {
            return true;
        }
        let mut h = checksum.hasher();
        let ok = std::fs::File::open(e.data_path()).and_then(|f| {
            let mut buf = vec![0u8; BLOCK as usize];
            for i in 0..block_count(e.size) {
                let b = &mut buf[..block_len(e.size, i) as usize];
                f.read_exact_at(b, i as u64 * BLOCK)?;
                h.update(b);
            }
            Ok(())
        });
        if ok.is_err() || !h.matches(checksum) {
            self.drop_corrupt(e, "the content does not match the store's checksum");
            return false;
        }
        let mut st = e.lock();
        st.whole_checked = true;
        let _ = e.write_meta(&mut st);
        true
    }

    /// Starts filling `e` from `offset` with a stream's bytes.
    pub fn writer(self: &Arc<Self>, e: &Arc<Entry>, offset: u64) -> Writer {
        Writer::new(self.clone(), e.clone(), offset)
    }

    /// Records a block a writer finished; false when the entry is gone.
    fn record(&self, e: &Entry, i: usize, hash: u32) -> bool {
        let mut index = self.index();
        let mut st = e.lock();
        if st.gone {
            return false;
        }
        if st.blocks[i].is_none() {
            index.bytes += block_len(e.size, i);
            self.counters
                .bytes_stored
                .fetch_add(block_len(e.size, i), Relaxed);
        }
        st.blocks[i] = Some(hash);
        st.checked[i] = true;
        st.dirty = true;
        if st.blocks.iter().all(Option::is_some) {
            let _ = e.write_meta(&mut st);
        }
        drop(st);
        self.evict(&mut index, Some(&e.key));
        true
    }

    /// A write into the cache failed: caching stops for that stream; said once.
    fn write_failed(&self, e: &Entry, err: &std::io::Error) {
        if !self.write_failed.swap(true, Relaxed) {
            tracing::warn!(error = %err, dir = %self.dir.display(),
                "cannot write to the content cache; reads go on from the store");
        } else {
            tracing::debug!(error = %err, key = %e.key, "content cache write failed");
        }
    }

    fn drop_corrupt(&self, e: &Entry, why: &str) {
        tracing::warn!(doc = %e.doc, version = %e.version, why,
            "cached content is corrupt; dropping it and fetching it again");
        self.counters.corrupt.fetch_add(1, Relaxed);
        let mut index = self.index();
        self.remove(&mut index, e);
    }

    /// Drops the entry from the index and the disk.
    fn remove(&self, index: &mut Index, e: &Entry) {
        let mut st = e.lock();
        if st.gone {
            return;
        }
        st.gone = true;
        let bytes = e.present_bytes(&st);
        drop(st);
        if index
            .lru
            .peek(&e.key)
            .is_some_and(|x| std::ptr::eq(&**x, e))
        {
            index.lru.pop(&e.key);
        }
        index.bytes -= bytes.min(index.bytes);
        e.remove_files();
    }

    /// Evicts least recently used entries while over the limit (`keep` last of all).
    fn evict(&self, index: &mut Index, keep: Option<&str>) {
        while index.bytes > self.limit {
            let victim = match index.lru.peek_lru() {
                Some((k, _)) if Some(k.as_str()) == keep && index.lru.len() > 1 => {
                    let k = k.clone();
                    index.lru.promote(&k);
                    continue;
                }
                Some((_, e)) => e.clone(),
                None => break,
            };
            self.counters.evictions.fetch_add(1, Relaxed);
            self.remove(index, &victim);
        }
    }

    /// Puts a version this mount uploaded into the cache, from the spool file that holds it (read
    /// once, written and hashed as a stream is).
    pub fn put_file(
        self: &Arc<Self>,
        doc: &str,
        version: &str,
        digest: Option<&str>,
        path: &Path,
        size: u64,
    ) {
        if !self.admits(size) {
            return;
        }
        let e = self.entry(doc, version, size, digest);
        let mut w = self.writer(&e, 0);
        let copied = (|| -> std::io::Result<()> {
            use std::io::Read;
            let mut f = std::fs::File::open(path)?;
            let mut buf = vec![0u8; BLOCK as usize];
            loop {
                match f.read(&mut buf)? {
                    0 => return Ok(()),
                    n => w.write(&buf[..n]),
                }
            }
        })();
        match copied {
            Ok(()) => drop(w.finish()),
            Err(err) => self.write_failed(&e, &err),
        }
    }

    pub fn report(&self) -> CacheReport {
        let index = self.index();
        let c = &self.counters;
        CacheReport {
            limit: self.limit,
            bytes: index.bytes,
            entries: index.lru.len() as u64,
            hits: c.hits.load(Relaxed),
            misses: c.misses.load(Relaxed),
            bytes_served: c.bytes_served.load(Relaxed),
            bytes_stored: c.bytes_stored.load(Relaxed),
            evictions: c.evictions.load(Relaxed),
            corrupt: c.corrupt.load(Relaxed),
            passthrough: self.passthrough.load(Relaxed),
            passthrough_opens: c.passthrough_opens.load(Relaxed),
        }
    }
}

/// Every file of the cache folder `dir` (`<hh>/<key>.{data,meta}`).
pub fn files(dir: &Path) -> impl Iterator<Item = std::fs::DirEntry> {
    let subs = std::fs::read_dir(dir).into_iter().flatten().flatten();
    subs.flat_map(|sub| {
        std::fs::read_dir(sub.path())
            .into_iter()
            .flatten()
            .flatten()
    })
}

/// The default `--cache-size`: [`DEFAULT_LIMIT`], or a share of the free space of the disk
/// holding `dir` when that is smaller.
pub fn default_limit(dir: &Path) -> u64 {
    let mut probe = dir.to_path_buf();
    while !probe.exists() {
        if !probe.pop() {
            break;
        }
    }
    match nix::sys::statvfs::statvfs(&probe) {
        Ok(s) => {
            let free = s.blocks_available().saturating_mul(s.fragment_size());
            DEFAULT_LIMIT.min((free as f64 * MAX_SHARE_OF_FREE) as u64)
        }
        Err(_) => DEFAULT_LIMIT,
    }
}

#[cfg(test)]
mod tests;
