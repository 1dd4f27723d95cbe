//! The background loops of a live mount. The change feed: every `--poll-interval` it asks the
//! core for other clients' changes ([`Fs::poll_changes`]) and passes what the kernel must forget
//! to the FUSE session's notifier. Notifications are sent from a thread of their own: the kernel
//! may make one wait for a lock that a request in flight holds, and that request needs the
//! runtime. A store that cannot be reached is logged once, not at every poll, and polling goes
//! on. Reconnecting: while the store is unreachable it is probed (every 1 s at first, then less
//! often, up to every 30 s); once it answers, files whose upload failed meanwhile are uploaded.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use fuser::{INodeNo, Notifier};
use tokio::sync::watch;

use crate::fs::Fs;
use crate::fs::changes::{FeedState, Invalidation};
use crate::remote::Remote;

/// Starts the loops on `rt` until `ended` turns true; the change feed only with an interval.
pub fn start<R: Remote>(
    core: Arc<Fs<R>>,
    rt: &tokio::runtime::Handle,
    interval: Option<Duration>,
    notifier: Notifier,
    ended: watch::Receiver<bool>,
) -> std::io::Result<()> {
    rt.spawn(reconnect(core.clone(), ended.clone()));
    match interval {
        Some(interval) => feed(core, rt, interval, notifier, ended),
        None => Ok(()),
    }
}

/// While offline: probe; after: upload what waited. Pending uploads are retried with backoff.
async fn reconnect<R: Remote>(core: Arc<Fs<R>>, mut ended: watch::Receiver<bool>) {
    const FIRST: Duration = Duration::from_secs(1);
    const LONGEST: Duration = Duration::from_secs(30);
    let mut pause = FIRST;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = ended.wait_for(|e| *e) => return,
        }
        if core.remote().offline() && core.remote().probe().await.is_err() {
            pause = (pause * 2).min(LONGEST);
            continue;
        }
        pause = if core.upload_pending().await > 0 {
            (pause * 2).min(LONGEST)
        } else {
            FIRST
        };
    }
}

/// The change feed; the first poll only finds where the store's feed starts.
fn feed<R: Remote>(
    core: Arc<Fs<R>>,
    rt: &tokio::runtime::Handle,
    interval: Duration,
    notifier: Notifier,
    mut ended: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let (tx, rx) = mpsc::channel::<Invalidation>();
    std::thread::Builder::new()
        .name("docsfs-notify".into())
        .spawn(move || notify_kernel(&notifier, &rx))?;
    rt.spawn(async move {
        let mut feed = FeedState::Start;
        let mut failing = false;
        loop {
            match core.poll_changes(&mut feed).await {
                Ok(invalidations) => {
                    if failing {
                        tracing::info!("the change feed is back");
                        failing = false;
                    }
                    if !invalidations.is_empty() {
                        tracing::debug!(count = invalidations.len(), "changes at the store");
                    }
                    for i in invalidations {
                        if tx.send(i).is_err() {
                            return;
                        }
                    }
                }
                Err(e) if !failing => {
                    tracing::warn!(error = %e, "cannot read the store's changes; retrying every poll");
                    failing = true;
                }
                Err(_) => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = ended.wait_for(|e| *e) => return,
            }
        }
    });
    Ok(())
}

fn notify_kernel(notifier: &Notifier, rx: &mpsc::Receiver<Invalidation>) {
    for i in rx {
        // ENOENT: the kernel does not hold that name or inode, which is fine.
        let _ = match &i {
            Invalidation::Entry { parent, name } => {
                notifier.inval_entry(INodeNo(*parent), std::ffi::OsStr::new(name))
            }
            Invalidation::Inode(ino) => notifier.inval_inode(INodeNo(*ino), 0, 0),
        };
    }
}
