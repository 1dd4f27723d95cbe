//! Listing look-ahead: when the kernel reads a directory, the first page of each subfolder not
//! yet listed is fetched in the background by a few workers. Tools like `find` and file
//! managers walk a tree one folder at a time; with a store 20 ms away that is 20 ms per folder,
//! so listing the next level ahead, in parallel, hides most of it. Each folder is still listed
//! once; the cost is that `ls` of a folder also lists its subfolders' first pages.

use std::sync::{Arc, Weak};

use tokio::sync::mpsc;

use super::Fs;
use super::inode::Ino;
use crate::remote::Remote;

/// Folders waiting to be listed ahead; beyond this, new ones are simply not looked ahead.
const QUEUE: usize = 4096;

pub type Sender = mpsc::Sender<Ino>;

impl<R: Remote> Fs<R> {
    /// Starts `workers` background listers (none when 0). Call once, inside a tokio runtime.
    pub fn start_lookahead(self: &Arc<Self>, workers: usize) {
        if workers == 0 {
            return;
        }
        let (tx, rx) = mpsc::channel::<Ino>(QUEUE);
        if self.lookahead.set(tx).is_err() {
            return;
        }
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..workers {
            let (fs, rx) = (Arc::downgrade(self), rx.clone());
            tokio::spawn(async move { work(fs, rx).await });
        }
    }

    /// Asks for `dir` to be listed ahead, unless its listing is already cached.
    pub(super) fn look_ahead(&self, dir: Ino) {
        let Some(tx) = self.lookahead.get() else {
            return;
        };
        if self
            .listing_age(dir)
            .is_some_and(|age| age < self.config.metadata_ttl)
        {
            return;
        }
        let _ = tx.try_send(dir);
    }

    /// Fetches the first page of `dir` if nobody has yet.
    async fn list_ahead(&self, dir: Ino) {
        let Ok(listing) = self.listing(dir) else {
            return;
        };
        let mut state = listing.state.lock().await;
        if state.marker.is_some() || state.complete || !state.entries.is_empty() {
            return;
        }
        if let Err(e) = self.fetch_page(&listing, &mut state).await {
            tracing::debug!(dir, error = %e, "look-ahead listing failed");
        }
    }
}

async fn work<R: Remote>(fs: Weak<Fs<R>>, rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Ino>>>) {
    loop {
        let Some(dir) = rx.lock().await.recv().await else {
            return;
        };
        let Some(fs) = fs.upgrade() else { return };
        fs.list_ahead(dir).await;
    }
}
