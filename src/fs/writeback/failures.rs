//! Write-back's uploads: one queued upload, what a failure means (retry with backoff, take
//! over a name another client took, or give up), and `lost+found` for what can never be sent.

use std::time::Duration;

use super::super::inode::{Ino, Origin};
use super::super::journal;
use super::super::write::Spooled;
use super::super::{Fs, FsError, FsResult};
use super::LostFile;
use crate::remote::{Remote, RemoteError};

/// Failures of a kind the store may get over by itself are retried at most this far apart.
const LONGEST_RETRY: Duration = Duration::from_secs(15);
/// Refusals (permission, a lock, credentials) are retried at most this far apart.
const LONGEST_REFUSED_RETRY: Duration = Duration::from_secs(300);

/// What to do with a job whose upload did not happen.
enum Retry {
    After(Duration),
    Now,
    Never,
}

/// The journal entry beside a file in `lost+found` (`NAME.json`: the name keeps its own
/// extension there).
pub fn lost_entry(file: &std::path::Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".json");
    name.into()
}

/// How long to wait before the next attempt after `failures` failed ones.
fn backoff(failures: u32, longest: Duration) -> Duration {
    let secs = 1u64 << failures.min(10);
    Duration::from_secs(secs).min(longest)
}

impl<R: Remote> Fs<R> {
    /// One queued upload.
    pub(super) async fn upload_job(&self, ino: Ino) {
        let Some(state) = self.write_state(ino) else {
            self.writeback.done(ino, None);
            return;
        };
        // Committed means nothing was written since the commit, even if a handle is still open
        // (the closing one itself, while its `close` waits for room): the bytes are complete.
        let mut d = state.data.lock().await;
        if !d.dirty || !(d.committed || d.sealed) {
            drop(d);
            self.writeback.done(ino, None);
            self.drop_if_idle(ino, &state).await;
            return;
        }
        let bytes = d.size;
        state.set_uploading(Some(&d));
        let result = self.upload(ino, &mut d).await;
        state.set_uploading(None);
        let retry = match &result {
            Ok(()) => None,
            Err(e) => Some(self.retry_rule(ino, e).await),
        };
        match (result, retry) {
            (Ok(()), _) | (Err(_), None) => {
                drop(d);
                self.writeback.done(ino, Some(bytes));
                self.drop_if_idle(ino, &state).await;
            }
            (Err(e), Some(Retry::Never)) => {
                self.lose(ino, &mut d, &e.to_string()).await;
                drop(d);
                self.writeback.done(ino, None);
                self.drop_if_idle(ino, &state).await;
            }
            (Err(e), Some(Retry::Now)) => {
                tracing::info!(ino, error = %e, "retrying an upload at once");
                self.writeback.failed(ino, Duration::ZERO, e.to_string());
            }
            (Err(e), Some(Retry::After(after))) => {
                tracing::warn!(ino, error = %e, retry_in = ?after, "an upload failed; its data stays in the spool and it is retried");
                self.writeback.failed(ino, after, e.to_string());
            }
        }
    }

    /// What to do after upload failure `e` of `ino`.
    async fn retry_rule(&self, ino: Ino, e: &FsError) -> Retry {
        let failures = self.writeback.failures(ino);
        let FsError::Remote(r) = e else {
            return Retry::After(backoff(failures, LONGEST_RETRY));
        };
        match r {
            _ if r.is_transient() => Retry::After(backoff(failures, LONGEST_RETRY)),
            RemoteError::Denied(_) | RemoteError::Conflict(_) | RemoteError::Unauthenticated(_) => {
                Retry::After(backoff(failures + 2, LONGEST_REFUSED_RETRY))
            }
            // A name taken by a document of another name's case (LogicalDOC compares names
            // without case), or by a folder: it cannot be sent under that name.
            RemoteError::AlreadyExists(_) => match self.take_over_name(ino).await {
                Ok(true) => Retry::Now,
                Ok(false) if failures >= 2 => Retry::Never,
                Ok(false) => Retry::After(backoff(failures, LONGEST_RETRY)),
                Err(_) => Retry::After(backoff(failures + 2, LONGEST_REFUSED_RETRY)),
            },
            RemoteError::NotFound(_)
            | RemoteError::Invalid(_)
            | RemoteError::Unsupported(_)
            | RemoteError::Protocol(_)
            | RemoteError::Corrupt(_) => {
                if failures >= 2 {
                    Retry::Never
                } else {
                    Retry::After(backoff(failures, LONGEST_RETRY))
                }
            }
            _ => Retry::After(backoff(failures, LONGEST_RETRY)),
        }
    }

    /// A new file's name was taken at the store meanwhile (another client): the pending bytes
    /// become a new version of that document, as the journal's recovery does.
    async fn take_over_name(&self, ino: Ino) -> FsResult<bool> {
        let i = self.inode(ino)?;
        if !matches!(i.origin, Origin::Local(_)) {
            return Ok(false);
        }
        let parent = self.folder_id(i.parent)?;
        let name = super::super::names::to_remote(&i.name);
        let Some(node) = self.document_named(&parent, &name).await? else {
            return Ok(false);
        };
        tracing::warn!(file = %i.name, doc = %node.id, "the name was taken at the store meanwhile; the file is sent as a new version of that document");
        self.inodes.lock().expect("inode lock").bind(ino, node);
        Ok(true)
    }

    /// Moves a file whose upload can never succeed to `lost+found` beside the spool, with its
    /// journal entry, and takes it off the mount.
    async fn lose(&self, ino: Ino, d: &mut Spooled, reason: &str) {
        let Some(spool) = d.spool.take() else {
            return;
        };
        let (name, parent) = match self.inode(ino) {
            Ok(i) => (i.name.clone(), Some(i.parent)),
            Err(_) => (format!("inode-{ino}"), None),
        };
        let dir = self
            .spool
            .dir()
            .parent()
            .unwrap_or(self.spool.dir())
            .join("lost+found");
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_secs());
        let safe: String = name
            .chars()
            .map(|c| if c == '/' || c.is_control() { '_' } else { c })
            .collect();
        let to = dir.join(format!("{stamp}-{ino}-{safe}"));
        let moved = std::fs::DirBuilder::new()
            .recursive(true)
            .create(&dir)
            .and_then(|()| std::fs::rename(spool.path(), &to));
        let place = match moved {
            Ok(()) => {
                let _ = std::fs::rename(journal::entry_path(spool.path()), lost_entry(&to));
                // The spool file now lives in lost+found: dropping the handle leaves it.
                drop(spool);
                to
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot move to lost+found; the data stays in the spool");
                let path = spool.path().to_owned();
                drop(spool);
                path
            }
        };
        tracing::error!(file = %name, reason, kept = %place.display(), "an upload can never succeed; the file is kept in lost+found and taken off the mount");
        d.dirty = false;
        d.committed = false;
        d.size = 0;
        self.inodes.lock().expect("inode lock").detach(ino);
        if let Some(parent) = parent {
            self.edit_listing(parent, |s| {
                s.remove(&name);
            })
            .await;
        }
        self.writeback.queue().lost.push(LostFile {
            name,
            path: place,
            reason: reason.to_owned(),
        });
    }
}
