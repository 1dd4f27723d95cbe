//! The blob folder: one file per document version, named by version id. Content is streamed to a
//! temporary file, hashed on the way (SHA-256 and SHA-1), fsynced, renamed into place and the
//! folder fsynced, so a version the server acknowledged survives a crash and a half-written one
//! never shows.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug)]
pub struct BlobDir {
    root: PathBuf,
    tmp: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("the body has more bytes than the declared {0}")]
    TooLong(u64),
    #[error("the body has {got} bytes, not the declared {declared}")]
    WrongLength { got: u64, declared: u64 },
    #[error("the request body broke off: {0}")]
    Body(String),
}

/// A stored blob: its size, SHA-256 and SHA-1 (hex; the SHA-1 is LogicalDOC's `digest`).
pub struct Stored {
    pub size: u64,
    pub sha256: String,
    pub sha1: String,
}

impl BlobDir {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        // Leftovers of uploads cut off by a crash are never referenced: drop them.
        for entry in std::fs::read_dir(&tmp)? {
            let _ = std::fs::remove_file(entry?.path());
        }
        Ok(Self {
            root: root.to_owned(),
            tmp,
        })
    }

    /// Where the content of `version_id` lives. Version ids are `[\w+-.@]+`; anything else
    /// (e.g. `..`) is refused by the caller before it gets here.
    pub fn path_of(&self, version_id: &str) -> PathBuf {
        self.root.join(version_id)
    }

    /// Streams `body` into the blob of `version_id`, requiring exactly `declared` bytes if given.
    pub async fn write<S, E>(
        &self,
        version_id: &str,
        body: S,
        declared: Option<u64>,
    ) -> Result<Stored, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let tmp_path = self
            .tmp
            .join(format!("{version_id}.{}", super::rows::new_id(6)));
        let result = self.write_tmp(&tmp_path, body, declared).await;
        let stored = match result {
            Ok(stored) => stored,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp_path).await;
                return Err(e);
            }
        };
        tokio::fs::rename(&tmp_path, self.path_of(version_id)).await?;
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || std::fs::File::open(root)?.sync_all())
            .await
            .map_err(|e| BlobError::Body(e.to_string()))??;
        Ok(stored)
    }

    async fn write_tmp<S, E>(
        &self,
        path: &Path,
        body: S,
        declared: Option<u64>,
    ) -> Result<Stored, BlobError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        // Whatever the frames' sizes, the file gets 1 MiB writes (each a blocking-pool trip).
        let mut file =
            tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::create(path).await?);
        let (mut sha256, mut sha1) = (Sha256::new(), Sha1::new());
        let mut size = 0u64;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| BlobError::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if let Some(limit) = declared.filter(|&l| size > l) {
                return Err(BlobError::TooLong(limit));
            }
            sha256.update(&chunk);
            sha1.update(&chunk);
            file.write_all(&chunk).await?;
        }
        if let Some(declared) = declared.filter(|&d| d != size) {
            return Err(BlobError::WrongLength {
                got: size,
                declared,
            });
        }
        file.flush().await?;
        file.get_ref().sync_all().await?;
        Ok(Stored {
            size,
            sha256: hex::encode(sha256.finalize()),
            sha1: hex::encode(sha1.finalize()),
        })
    }

    /// Stores a local file as the blob of `version_id` (used by `--import`).
    pub async fn copy_from(&self, version_id: &str, src: &Path) -> Result<Stored, BlobError> {
        let file = tokio::fs::File::open(src).await?;
        let stream = tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024);
        self.write(version_id, stream, None).await
    }

    /// Gives version `to` the content of version `from` without copying it where the file system
    /// allows: a hard link (blobs are only ever replaced by renaming a new file over the name,
    /// never written in place, so the two stay independent), else a copy. Blocking: for the
    /// store thread, which then calls [`Self::sync_root`].
    pub fn share_sync(&self, from: &str, to: &str) -> std::io::Result<()> {
        let (src, dst) = (self.path_of(from), self.path_of(to));
        if std::fs::hard_link(&src, &dst).is_ok() {
            return Ok(());
        }
        let tmp = self.tmp.join(format!("{to}.{}", super::rows::new_id(6)));
        let copied = std::fs::copy(&src, &tmp)
            .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
            .and_then(|_| std::fs::rename(&tmp, &dst));
        if copied.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        copied
    }

    /// Makes the blob of version `from` the content of version `to`, replacing what `to` held.
    /// Blocking, like [`Self::share_sync`].
    pub fn replace_sync(&self, from: &str, to: &str) -> std::io::Result<()> {
        std::fs::rename(self.path_of(from), self.path_of(to))?;
        self.sync_root()
    }

    /// Fsyncs the blob folder, so links and renames in it survive a crash. Blocking.
    pub fn sync_root(&self) -> std::io::Result<()> {
        std::fs::File::open(&self.root)?.sync_all()
    }

    /// Removes the blobs of these versions, blocking; missing files are fine.
    pub fn remove_sync(&self, version_ids: &[String]) {
        for id in version_ids {
            let _ = std::fs::remove_file(self.path_of(id));
        }
    }

    /// Removes the blobs of these versions; missing files are fine.
    pub async fn remove(&self, version_ids: &[String]) {
        for id in version_ids {
            if let Err(e) = tokio::fs::remove_file(self.path_of(id)).await {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(version = %id, error = %e, "could not remove blob");
                }
            }
        }
    }
}
