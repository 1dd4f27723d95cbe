//! Crash-safe write-back. Before a written file's upload starts, its spool file gets a journal
//! entry (`<spool file>.json`): where the bytes go (a new document `name` in a folder, or a new
//! version of a document), how many, with which times, and the state (in flight, or failed with
//! the error). The entry goes when the upload succeeds. A file still being written has no entry
//! — its content is not complete, so it is never sent on anyone's behalf.
//!
//! If the daemon dies, the next mount on the same cache folder finds the entries of processes
//! that are gone and finishes their uploads ([`Fs::recover`]) before it serves anything. A new
//! document whose name is already taken by a document of the same size and time was uploaded
//! before the crash and is not sent again; one taken by other content gets the bytes as a new
//! version. Entries are replaced atomically (a temporary file renamed over), without fsync: they
//! survive the daemon dying, not the machine crashing.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Fs, FsError, FsResult};
use crate::remote::{Collection, Remote, RemoteError, Upload, UploadTarget};

const FORMAT: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Closed and safe on local disk; waiting for its upload (write-back, `writeback.rs`).
    Pending,
    InFlight,
    Failed,
}

/// Where an upload goes, as the journal keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    NewDocument { parent: String, name: String },
    NewVersion { doc: String },
}

impl From<&UploadTarget> for Target {
    fn from(t: &UploadTarget) -> Self {
        match t {
            UploadTarget::NewDocument { parent, name } => Self::NewDocument {
                parent: parent.clone(),
                name: name.clone(),
            },
            UploadTarget::NewVersion { doc } => Self::NewVersion { doc: doc.clone() },
        }
    }
}

impl From<&Target> for UploadTarget {
    fn from(t: &Target) -> Self {
        match t {
            Target::NewDocument { parent, name } => Self::NewDocument {
                parent: parent.clone(),
                name: name.clone(),
            },
            Target::NewVersion { doc } => Self::NewVersion { doc: doc.clone() },
        }
    }
}

/// One pending upload.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub format: u32,
    /// The daemon that wrote it (a live one is still working on it).
    pub pid: u32,
    pub state: State,
    /// The file's name on the mount, for people reading `docsfs status`.
    pub name: String,
    pub target: Target,
    pub size: u64,
    pub mtime_ns: u64,
    pub created_ns: Option<u64>,
    /// The mtime was set explicitly (to be kept to the nanosecond).
    pub exact_mtime: bool,
    pub error: Option<String>,
}

fn ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn time(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

impl Entry {
    pub fn new(shown_name: &str, up: &Upload, exact_mtime: bool) -> Self {
        Self {
            format: FORMAT,
            pid: std::process::id(),
            state: State::InFlight,
            name: shown_name.to_owned(),
            target: Target::from(&up.target),
            size: up.size,
            mtime_ns: ns(up.modified),
            created_ns: up.created.map(ns),
            exact_mtime,
            error: None,
        }
    }

    /// The upload this entry stands for, from spool file `path`.
    pub fn upload(&self, path: &Path) -> Upload {
        Upload {
            target: UploadTarget::from(&self.target),
            path: path.to_owned(),
            size: self.size,
            modified: time(self.mtime_ns),
            created: self.created_ns.map(time),
        }
    }
}

/// The journal entry of spool file `spool`.
pub fn entry_path(spool: &Path) -> PathBuf {
    spool.with_extension("json")
}

/// Writes `entry` for spool file `spool`, replacing any earlier one atomically and durably (the
/// entry and its folder are synced: it survives the machine, not only the daemon).
pub fn write(spool: &Path, entry: &Entry) -> std::io::Result<()> {
    use std::io::Write;
    let path = entry_path(spool);
    let tmp = path.with_extension("json.tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&serde_json::to_vec_pretty(entry).expect("plain data"))?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// A commit's entry for spool file `spool`, which has none: written under its own name and
/// synced, then its folder (`folder`, open) synced. No temporary and rename are needed: until
/// the sync returns, `close` has not returned, and a torn entry (unreadable, left alone) stands
/// for bytes nobody was promised. Falls back to [`write`] if an entry is there after all.
pub fn write_new(spool: &Path, entry: &Entry, folder: &std::fs::File) -> std::io::Result<()> {
    use std::io::Write;
    let path = entry_path(spool);
    let mut f = match std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return write(spool, entry),
        Err(e) => return Err(e),
    };
    f.write_all(&serde_json::to_vec(entry).expect("plain data"))?;
    f.sync_data()?;
    folder.sync_all()
}

/// Rewrites the entry of spool file `spool` in place, without syncing: for changes to a pending
/// upload's name, folder or time, which (as a rename or `utimens` on any filesystem) survive
/// the daemon dying but are durable against a machine crash only after an `fsync`. One
/// `pwrite` from the start, padded with spaces to the old length, so the file is always one
/// whole entry to a reader and to a daemon killed at any point (JSON allows trailing spaces).
pub fn rewrite(spool: &Path, entry: &Entry) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let path = entry_path(spool);
    let f = std::fs::File::options().write(true).open(&path)?;
    let old = f.metadata()?.len() as usize;
    let mut body = serde_json::to_vec(entry).expect("plain data");
    if body.len() < old {
        body.resize(old, b' ');
    }
    f.write_all_at(&body, 0)
}

/// Every readable entry in spool folder `dir`, with its spool file.
pub fn entries(dir: &Path) -> Vec<(PathBuf, Entry)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in read.flatten() {
        let path = item.path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let parsed = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Entry>(&b).ok())
            .filter(|e| e.format == FORMAT);
        match parsed {
            Some(entry) => out.push((path.with_extension(""), entry)),
            None => {
                tracing::warn!(path = %path.display(), "an unreadable journal entry is left alone")
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Whether process `pid` is alive (and not this one).
pub fn other_process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    // SAFETY: signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Uploads a recovery runs at a time (a killed write-back daemon can leave thousands).
const RECOVER_AT_ONCE: usize = 8;

/// What [`Fs::recover`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Uploads finished now.
    pub sent: usize,
    /// Uploads found done already (the crash came after the store had them).
    pub already_stored: usize,
    /// Uploads that failed again (kept for the next try).
    pub failed: usize,
    /// Entries of a live daemon, left to it.
    pub left_to_others: usize,
}

impl<R: Remote> Fs<R> {
    /// Finishes the uploads that dead daemons left in this cache folder's spool.
    /// Up to [`RECOVER_AT_ONCE`] at a time.
    pub async fn recover(&self) -> Recovery {
        use futures_util::StreamExt;
        let mut report = Recovery::default();
        let mine: Vec<_> = entries(self.spool.dir())
            .into_iter()
            .filter(|(_, entry)| {
                let alive = other_process_alive(entry.pid);
                report.left_to_others += usize::from(alive);
                !alive
            })
            .collect();
        let mut done = futures_util::stream::iter(mine)
            .map(|(spool, entry)| async move {
                let result = self.finish(&spool, &entry).await;
                (spool, entry, result)
            })
            .buffer_unordered(RECOVER_AT_ONCE);
        while let Some((spool, entry, result)) = done.next().await {
            match result {
                Ok(true) => report.sent += 1,
                Ok(false) => report.already_stored += 1,
                Err(e) => {
                    report.failed += 1;
                    tracing::error!(file = %entry.name, error = %e, "a pending upload failed again; its data stays in the spool");
                    let failed = Entry {
                        pid: std::process::id(),
                        state: State::Failed,
                        error: Some(e.to_string()),
                        ..entry.clone()
                    };
                    let _ = write(&spool, &failed);
                    continue;
                }
            }
            let _ = std::fs::remove_file(entry_path(&spool));
            let _ = std::fs::remove_file(&spool);
        }
        if report != Recovery::default() {
            tracing::info!(?report, "pending uploads of an earlier run");
        }
        report
    }

    /// Sends one pending upload; `false` if the store has it already.
    async fn finish(&self, spool: &Path, entry: &Entry) -> FsResult<bool> {
        let mut up = entry.upload(spool);
        if let Target::NewDocument { parent, name } = &entry.target {
            if let Some(existing) = self.document_named(parent, name).await? {
                let same_time =
                    super::write::to_millis(existing.mtime) == super::write::to_millis(up.modified);
                if existing.size == entry.size && same_time {
                    return Ok(false);
                }
                up.target = UploadTarget::NewVersion { doc: existing.id };
            }
        }
        let meta = std::fs::metadata(spool)
            .map_err(|e| FsError::Io(format!("{}: {e}", spool.display())))?;
        if meta.len() < entry.size {
            return Err(RemoteError::Invalid(format!(
                "{}: the spool holds {} of {} bytes",
                spool.display(),
                meta.len(),
                entry.size
            ))
            .into());
        }
        self.upload_and_stamp(&up, entry.exact_mtime).await?;
        Ok(true)
    }

    /// The live document named `name` in folder `parent`, if any.
    pub(super) async fn document_named(
        &self,
        parent: &str,
        name: &str,
    ) -> FsResult<Option<crate::remote::Node>> {
        let folder = Collection::Folder(parent.to_owned());
        let mut marker: Option<String> = None;
        loop {
            let page = self.remote.list(&folder, marker.as_deref()).await?;
            if let Some(n) = page.items.into_iter().find(|n| n.name == name) {
                return Ok(Some(n));
            }
            match page.next_marker {
                Some(m) => marker = Some(m),
                None => return Ok(None),
            }
        }
    }
}
