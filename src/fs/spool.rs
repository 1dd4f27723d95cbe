//! The disk spool: where written files are buffered until they are uploaded, so no file is ever
//! held in RAM whatever its size. One spool file per written inode, created `0600` in a `0700`
//! directory under `--cache-dir`. A file whose upload failed stays on disk (with a `.json`
//! sidecar saying where it was going) so no acknowledged byte is lost; clean ones are removed.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub struct Spool {
    dir: PathBuf,
    /// Names files `<pid>-<n>` so two mounts can share a cache directory.
    prefix: String,
    next: AtomicU64,
}

impl Spool {
    /// A spool in `dir` (created if missing, owner-only).
    pub fn new(dir: &Path) -> io::Result<Self> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
            prefix: format!("{}-{}", std::process::id(), rand::random::<u32>()),
            next: AtomicU64::new(1),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new, empty spool file.
    pub fn create(&self) -> io::Result<SpoolFile> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = self.dir.join(format!("{}-{n}", self.prefix));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        Ok(SpoolFile { path, file })
    }
}

/// One spooled file. Dropping it leaves the file on disk; [`SpoolFile::remove`] deletes it.
pub struct SpoolFile {
    path: PathBuf,
    file: File,
}

impl SpoolFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, offset)
    }

    /// Up to `len` bytes at `offset` (fewer at the end of the file).
    pub fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
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

    pub fn set_len(&self, size: u64) -> io::Result<()> {
        self.file.set_len(size)
    }

    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Deletes the file (and its sidecar, if any).
    pub fn remove(self) {
        self.forget_sidecar();
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not remove a spool file");
        }
    }

    fn sidecar(&self) -> PathBuf {
        self.path.with_extension("json")
    }

    /// After a failed upload: a sidecar says where the data was going, and the data is synced,
    /// so it survives the daemon.
    pub fn describe(&self, description: &serde_json::Value) {
        let text = serde_json::to_vec_pretty(description).unwrap_or_default();
        if let Err(e) = std::fs::write(self.sidecar(), text) {
            tracing::warn!(path = %self.path.display(), error = %e, "could not write a spool sidecar");
        }
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
