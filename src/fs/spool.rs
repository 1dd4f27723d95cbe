//! The disk spool: where written files are buffered until they are uploaded, so no file is ever
//! held in RAM whatever its size. One spool file per written inode, created `0600` in a `0700`
//! directory under `--cache-dir`. A file whose upload failed stays on disk (with a `.json`
//! journal entry saying where it was going, `journal.rs`) so no acknowledged byte is lost.
//!
//! Uploaded spool files are not deleted but reused (up to a byte budget): overwriting pages the
//! kernel already has is several times cheaper than filling new ones, which dominates large
//! sequential writes. A reused file starts with the old content still in it, so each file tracks
//! how far its bytes are this life's (`valid`); a write or a size change past that first zeroes
//! the stale bytes in between, and nothing past the file's size is ever read or sent.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Spool files waiting to be reused, and how many bytes they may hold in all.
struct Pool {
    files: Vec<(PathBuf, File, u64)>,
    bytes: u64,
    budget: u64,
}

pub struct Spool {
    dir: PathBuf,
    /// Names files `<pid>-<n>` so two mounts can share a cache directory.
    prefix: String,
    next: AtomicU64,
    pool: Arc<Mutex<Pool>>,
    /// The folder itself, kept open: a commit syncs it (a new journal entry's name) without
    /// opening it each time.
    folder: Arc<File>,
}

impl Spool {
    /// A spool in `dir` (created if missing, owner-only) that keeps up to `reuse_bytes` of
    /// uploaded spool files for reuse.
    pub fn new(dir: &Path, reuse_bytes: u64) -> io::Result<Self> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let pool = Pool {
            files: Vec::new(),
            bytes: 0,
            budget: reuse_bytes,
        };
        Ok(Self {
            dir: dir.to_owned(),
            prefix: format!("{}-{}", std::process::id(), rand::random::<u32>()),
            next: AtomicU64::new(1),
            pool: Arc::new(Mutex::new(pool)),
            folder: Arc::new(File::open(dir)?),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// An empty spool file: a reused one (the largest waiting) or a new one.
    pub fn create(&self) -> io::Result<SpoolFile> {
        let reused = {
            let mut pool = self.pool.lock().expect("pool lock");
            let largest = (0..pool.files.len()).max_by_key(|&i| pool.files[i].2);
            largest.map(|i| {
                let entry = pool.files.swap_remove(i);
                pool.bytes -= entry.2;
                entry
            })
        };
        let (path, file, phys) = match reused {
            Some(entry) => entry,
            None => {
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                let path = self.dir.join(format!("{}-{n}", self.prefix));
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)?;
                (path, file, 0)
            }
        };
        Ok(SpoolFile {
            path,
            file,
            valid: 0,
            phys,
            pool: self.pool.clone(),
            folder: self.folder.clone(),
        })
    }
}

/// Unused spool files go with the last user of the pool (the core and its spool files).
impl Drop for Pool {
    fn drop(&mut self) {
        for (path, _, _) in self.files.drain(..) {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One spooled file. Dropping it leaves the file on disk; [`SpoolFile::remove`] gives it back
/// for reuse (or deletes it).
pub struct SpoolFile {
    path: PathBuf,
    file: File,
    /// Bytes `[0, valid)` are this file's (written, or zeroed); `[valid, phys)` are stale.
    valid: u64,
    /// The file's length on disk.
    phys: u64,
    pool: Arc<Mutex<Pool>>,
    folder: Arc<File>,
}

/// Zeroes are written this much at a time over stale bytes.
const ZEROES: usize = 1 << 20;

impl SpoolFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes `[valid, end)` zeroes where stale bytes are.
    fn zero_stale(&mut self, end: u64) -> io::Result<()> {
        let stop = end.min(self.phys);
        if self.valid < stop {
            let zeroes = vec![0u8; ZEROES.min((stop - self.valid) as usize)];
            let mut at = self.valid;
            while at < stop {
                let n = zeroes.len().min((stop - at) as usize);
                self.file.write_all_at(&zeroes[..n], at)?;
                at += n as u64;
            }
        }
        Ok(())
    }

    pub fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        if offset > self.valid {
            self.zero_stale(offset)?;
        }
        self.file.write_all_at(data, offset)?;
        let end = offset + data.len() as u64;
        self.valid = self.valid.max(end);
        self.phys = self.phys.max(end);
        Ok(())
    }

    /// Up to `len` bytes at `offset` (fewer at the end of the file).
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let len = len.min(self.valid.saturating_sub(offset) as usize);
        let mut buf = vec![0; len];
        let mut filled = 0;
        while filled < len {
            match self
                .file
                .read_at(&mut buf[filled..], offset + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf.truncate(filled);
        Ok(buf)
    }

    /// Sets the content's size: shorter drops the end, longer adds zeroes.
    pub fn set_len(&mut self, size: u64) -> io::Result<()> {
        if size > self.valid {
            self.zero_stale(size)?;
            if size > self.phys {
                self.file.set_len(size)?;
                self.phys = size;
            }
        }
        self.valid = size;
        Ok(())
    }

    /// Cuts the file on disk to its content (before it is kept, or read by another process).
    pub fn trim(&mut self) -> io::Result<()> {
        if self.phys != self.valid {
            self.file.set_len(self.valid)?;
            self.phys = self.valid;
        }
        Ok(())
    }

    /// Another handle on the file (for reads while an upload holds this one).
    pub fn clone_file(&self) -> io::Result<File> {
        self.file.try_clone()
    }

    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Done with: the file is kept for reuse if the budget allows, else deleted.
    pub fn remove(self) {
        self.forget_sidecar();
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if self.phys > 0 && pool.bytes + self.phys <= pool.budget {
            pool.bytes += self.phys;
            pool.files.push((self.path, self.file, self.phys));
            return;
        }
        drop(pool);
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a spool file");
        }
    }

    fn sidecar(&self) -> PathBuf {
        super::journal::entry_path(&self.path)
    }

    /// Before an upload: the journal entry saying where the data goes (see `journal.rs`).
    pub fn journal(&mut self, entry: &super::journal::Entry) {
        let _ = self.trim();
        // The data first: an entry must never point at bytes a machine crash could lose.
        if let Err(e) = self.file.sync_data() {
            tracing::warn!(path = %self.path.display(), error = %e, "could not sync a spool file");
        }
        if let Err(e) = super::journal::write(&self.path, entry) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not write a journal entry");
        }
    }

    /// Write-back's commit at `close`: the data, cut to its size, and then the entry are made
    /// durable (the data first: an entry must never point at bytes a machine crash could lose).
    /// An error means the bytes are not safe, and `close` must say so.
    pub fn commit(&mut self, entry: &super::journal::Entry) -> io::Result<()> {
        self.trim()?;
        self.file.sync_data()?;
        super::journal::write_new(&self.path, entry, &self.folder)
    }

    /// A pending upload's entry rewritten after a rename or a time change (not synced).
    pub fn rejournal(&self, entry: &super::journal::Entry) {
        if let Err(e) = super::journal::rewrite(&self.path, entry) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not rewrite a journal entry");
        }
    }

    /// After a failed upload: the entry says so (with the error), and the data (cut to its
    /// size) is synced, so it survives the daemon and the machine.
    pub fn keep_failed(&mut self, entry: &super::journal::Entry) {
        self.journal(entry);
        let _ = self.file.sync_all();
        tracing::error!(
            path = %self.path.display(),
            "an upload failed; the written data is kept in the spool"
        );
    }

    /// The upload succeeded after all: the sidecar goes.
    pub fn forget_sidecar(&self) {
        let _ = std::fs::remove_file(self.sidecar());
    }
}

/// Spool files of recently closed, uploaded files, kept a while (within a byte budget) so that
/// the rename that usually follows (`rsync`, editors) can re-send them without downloading.
pub struct Recent {
    entries: std::collections::VecDeque<(u64, Option<String>, u64, SpoolFile)>,
    bytes: u64,
    budget: u64,
}

impl Recent {
    pub fn new(budget: u64) -> Self {
        Self {
            entries: Default::default(),
            bytes: 0,
            budget,
        }
    }

    /// Keeps the spool of `ino` at `version` (`size` bytes), evicting the oldest over budget.
    pub fn keep(&mut self, ino: u64, version: Option<String>, size: u64, spool: SpoolFile) {
        self.forget(ino);
        if version.is_none() || size > self.budget {
            spool.remove();
            return;
        }
        self.entries.push_back((ino, version, size, spool));
        self.bytes += size;
        while self.bytes > self.budget || self.entries.len() > 256 {
            let Some((_, _, size, old)) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= size;
            old.remove();
        }
    }

    /// Takes the spool of `ino` if it holds `version`.
    pub fn take(&mut self, ino: u64, version: &str) -> Option<(u64, SpoolFile)> {
        let at = self.entries.iter().position(|e| e.0 == ino)?;
        let (_, v, size, spool) = self.entries.remove(at)?;
        self.bytes -= size;
        if v.as_deref() == Some(version) {
            Some((size, spool))
        } else {
            spool.remove();
            None
        }
    }

    pub fn forget(&mut self, ino: u64) {
        while let Some(at) = self.entries.iter().position(|e| e.0 == ino) {
            if let Some((_, _, size, spool)) = self.entries.remove(at) {
                self.bytes -= size;
                spool.remove();
            }
        }
    }
}

impl Drop for Recent {
    fn drop(&mut self) {
        for (_, _, _, spool) in self.entries.drain(..) {
            spool.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_file_never_shows_its_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), 1 << 20).unwrap();
        let mut first = spool.create().unwrap();
        first.write_at(0, &[b'x'; 1000]).unwrap();
        let path = first.path().to_owned();
        first.remove();
        let mut second = spool.create().unwrap();
        assert_eq!(second.path(), path, "the file is reused");
        assert!(second.read_at(0, 100).unwrap().is_empty());
        // A write past the content zeroes the gap instead of showing stale bytes.
        second.write_at(50, b"y").unwrap();
        let mut expected = vec![0u8; 50];
        expected.push(b'y');
        assert_eq!(second.read_at(0, 4096).unwrap(), expected);
        // Cut, then grown again: zeroes, not the old bytes.
        second.set_len(10).unwrap();
        second.set_len(600).unwrap();
        assert_eq!(second.read_at(0, 4096).unwrap(), vec![0u8; 600]);
        second.set_len(1500).unwrap();
        assert_eq!(second.read_at(0, 4096).unwrap(), vec![0u8; 1500]);
        // Kept after a failure: cut to its content on disk.
        second.set_len(3).unwrap();
        let up = crate::remote::Upload {
            target: crate::remote::UploadTarget::NewVersion { doc: "d1".into() },
            path: path.clone(),
            size: 3,
            modified: std::time::SystemTime::now(),
            created: None,
        };
        second.keep_failed(&crate::fs::journal::Entry::new("f", &up, false));
        assert_eq!(super::super::journal::entries(dir.path()).len(), 1);
        assert_eq!(std::fs::read(&path).unwrap(), vec![0u8; 3]);
        second.remove();
        drop(spool);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_reuse_budget_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::new(dir.path(), 1500).unwrap();
        let mut a = spool.create().unwrap();
        let mut b = spool.create().unwrap();
        a.write_at(0, &[1; 1000]).unwrap();
        b.write_at(0, &[2; 1000]).unwrap();
        a.remove();
        b.remove();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
