//! FUSE passthrough bookkeeping: which open files the kernel reads from a cache file by itself,
//! under which backing id, and the rules the kernel sets for mixing them with other opens.
//!
//! The kernel (fs/fuse/iomode.c) lets an inode be open through one backing file at a time, and
//! while it is, every other open of that inode must pass through the same backing file; an
//! inode open in the page-cache mode cannot be opened for passthrough at all. An open that breaks
//! either rule fails in the kernel with EIO. So, per inode:
//! - a read of a version whose backing file is live shares it;
//! - a read that may pass through does so only when no other open of the inode is live;
//! - any other open (a write, a read of another version, a read not passed through) while a
//!   backing file is live waits up to [`RELEASE_WAIT`] for the readers' `release` (which the
//!   kernel sends after `close` has returned), and then fails with EBUSY, documented in
//!   SEMANTICS.md. `--no-passthrough` avoids it.
//!
//! The table's lock is a leaf; no other lock is taken, and nothing waits, while it is held.

use std::collections::HashMap;
use std::fs::File;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use fuser::BackingId;

/// How long an open that cannot share a live backing file waits for it to be released.
pub const RELEASE_WAIT: Duration = Duration::from_secs(1);

/// What an open wants.
pub struct Want<'a> {
    pub ino: u64,
    pub fh: u64,
    /// The version it opens (`None`: a file the store does not have yet).
    pub version: Option<&'a str>,
    /// The checked cache file it may pass through to.
    pub file: Option<&'a Arc<File>>,
}

/// How to answer an open.
pub enum Answer {
    /// Pass through to this backing id.
    Through(Arc<BackingId>),
    /// An ordinary open, served by the daemon.
    Daemon,
    /// Another version of the file, or a write, while readers pass through: EBUSY.
    Busy,
}

struct Live {
    version: String,
    id: Weak<BackingId>,
}

#[derive(Default)]
struct Table {
    /// Inodes with a backing file, and the version it holds.
    live: HashMap<u64, Live>,
    /// Open handles passed through, by handle: they keep their backing id.
    through: HashMap<u64, Arc<BackingId>>,
    /// Other open handles, by handle (their inode), and their count per inode (no entry:
    /// none).
    daemon: HashMap<u64, u64>,
    daemon_per_ino: HashMap<u64, usize>,
}

impl Table {
    fn live(&mut self, ino: u64) -> Option<(&str, Arc<BackingId>)> {
        let id = self.live.get(&ino).and_then(|l| l.id.upgrade());
        match id {
            Some(id) => Some((self.live[&ino].version.as_str(), id)),
            None => {
                self.live.remove(&ino);
                None
            }
        }
    }

    fn add_daemon(&mut self, ino: u64, fh: u64) {
        self.daemon.insert(fh, ino);
        *self.daemon_per_ino.entry(ino).or_default() += 1;
    }

    fn forget_daemon(&mut self, ino: u64) {
        if let Some(n) = self.daemon_per_ino.get_mut(&ino) {
            *n -= 1;
            if *n == 0 {
                self.daemon_per_ino.remove(&ino);
            }
        }
    }
}

#[derive(Default)]
pub struct Backings {
    table: Mutex<Table>,
    released: tokio::sync::Notify,
}

impl Backings {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `step` on the table until it gives an answer, waiting for a release between tries;
    /// `None` when there is none within [`RELEASE_WAIT`].
    async fn until<T>(&self, mut step: impl FnMut(&mut Table) -> Option<T>) -> Option<T> {
        let deadline = tokio::time::Instant::now() + RELEASE_WAIT;
        loop {
            let released = self.released.notified();
            if let Some(answer) = step(&mut self.table()) {
                return Some(answer);
            }
            tokio::time::timeout_at(deadline, released).await.ok()?;
        }
    }

    /// Decides how to answer a read open already made, registering it. `open_backing` makes a
    /// backing id of a file (the kernel's ioctl); when it fails, the open is served by the
    /// daemon and `refused` hears why.
    pub async fn decide(
        &self,
        want: Want<'_>,
        open_backing: impl Fn(&File) -> std::io::Result<BackingId>,
        refused: impl Fn(&std::io::Error),
    ) -> Answer {
        let step = |t: &mut Table| match t.live(want.ino) {
            Some((version, id)) if want.version == Some(version) => {
                t.through.insert(want.fh, id.clone());
                Some(Answer::Through(id))
            }
            // Another version passes through: wait for its release.
            Some(_) => None,
            None => {
                let alone = !t.daemon_per_ino.contains_key(&want.ino);
                if let (Some(file), Some(version), true) = (want.file, want.version, alone) {
                    match open_backing(file) {
                        Ok(id) => {
                            let id = Arc::new(id);
                            let live = Live {
                                version: version.to_owned(),
                                id: Arc::downgrade(&id),
                            };
                            t.live.insert(want.ino, live);
                            t.through.insert(want.fh, id.clone());
                            return Some(Answer::Through(id));
                        }
                        Err(e) => refused(&e),
                    }
                }
                t.add_daemon(want.ino, want.fh);
                Some(Answer::Daemon)
            }
        };
        self.until(step).await.unwrap_or(Answer::Busy)
    }

    /// Claims a place for an open served by the daemon before it is made (a write, whose
    /// open changes things and so must not be undone): waits for a live backing file of the
    /// inode to be released; false when it is not within [`RELEASE_WAIT`] (EBUSY). Then
    /// [`Backings::bind`] or [`Backings::unclaim`].
    pub async fn claim(&self, ino: u64) -> bool {
        let step = |t: &mut Table| {
            t.live(ino).is_none().then(|| {
                *t.daemon_per_ino.entry(ino).or_default() += 1;
            })
        };
        self.until(step).await.is_some()
    }

    /// The handle of a claimed open.
    pub fn bind(&self, ino: u64, fh: u64) {
        self.table().daemon.insert(fh, ino);
    }

    /// A claimed open that failed.
    pub fn unclaim(&self, ino: u64) {
        let mut t = self.table();
        t.forget_daemon(ino);
    }

    /// Registers an open made without asking (`create`).
    pub fn opened_by_daemon(&self, ino: u64, fh: u64) {
        self.table().add_daemon(ino, fh);
    }

    /// The open's reply went out with `id`: drops the open's own reference, waking opens that
    /// wait if the handle was released meanwhile.
    pub fn replied(&self, id: Arc<BackingId>) {
        drop(id);
        self.released.notify_waiters();
    }

    /// Forgets a released handle; its backing id is closed with its last handle.
    pub fn release(&self, fh: u64) {
        let mut t = self.table();
        let through = t.through.remove(&fh);
        if let Some(ino) = t.daemon.remove(&fh) {
            t.forget_daemon(ino);
        }
        drop(t);
        // The backing id (the kernel's reference to the file) closes here when this was the
        // last handle using it, outside the table's lock.
        drop(through);
        self.released.notify_waiters();
    }
}
