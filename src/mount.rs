//! Running a mount: hands the filesystem core to a FUSE session on the mountpoint, serves it on
//! a background thread, and unmounts cleanly when asked (signal, `docsfs` exiting) or notices
//! when someone else unmounted it (`fusermount3 -u`, `umount`).

pub mod control;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fuser::{Config, MountOption, Session, SessionACL, SessionUnmounter};
use tokio::sync::oneshot;

use crate::fs::Fs;
use crate::fs::fuse::FuseAdapter;
use crate::remote::Remote;

#[derive(Clone, Debug)]
pub struct MountOptions {
    pub mountpoint: PathBuf,
    /// Let other users (and root) see the mount; needs `user_allow_other` in /etc/fuse.conf for
    /// non-root users.
    pub allow_other: bool,
    /// Mounted read-only: the kernel refuses every change (EROFS).
    pub read_only: bool,
    /// What `mount` and `df` show as the source.
    pub fs_name: String,
    /// How often other clients' changes are asked for (`None`: never; the TTL alone applies).
    pub poll_interval: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("mountpoint {0} does not exist or is not a directory")]
    NoMountpoint(PathBuf),
    #[error("cannot mount on {0}: {1} (is FUSE available? is fuse3 installed?)")]
    Fuse(PathBuf, std::io::Error),
}

/// A live mount. Dropping it without [`Mounted::unmount`] leaves the session thread to end when
/// the mount goes away.
pub struct Mounted {
    unmounter: SessionUnmounter,
    ended: Option<oneshot::Receiver<std::io::Result<()>>>,
    pub mountpoint: PathBuf,
}

/// Mounts `core` on the mountpoint; FUSE requests are served on `rt`.
pub fn mount<R: Remote>(
    core: Arc<Fs<R>>,
    rt: tokio::runtime::Handle,
    opts: &MountOptions,
) -> Result<Mounted, MountError> {
    if !Path::new(&opts.mountpoint).is_dir() {
        return Err(MountError::NoMountpoint(opts.mountpoint.clone()));
    }
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName(opts.fs_name.clone()),
        MountOption::Subtype("docsfs".into()),
        // fusermount3 turns the subtype into the type `fuse.docsfs`; a mount made directly (as
        // root) must hand it to the kernel itself, or /proc/mounts says plain `fuse` and
        // mount(8) cannot match the mount to its `fuse.docsfs` fstab line.
        MountOption::CUSTOM("subtype=docsfs".into()),
        MountOption::NoDev,
        MountOption::NoSuid,
        MountOption::NoAtime,
        MountOption::DefaultPermissions,
    ];
    if opts.read_only {
        config.mount_options.push(MountOption::RO);
    }
    config.acl = if opts.allow_other {
        SessionACL::All
    } else {
        SessionACL::Owner
    };
    config.n_threads = Some(2);
    let adapter = FuseAdapter::new(core.clone(), rt.clone());
    let mut session = Session::new(adapter, &opts.mountpoint, &config)
        .map_err(|e| MountError::Fuse(opts.mountpoint.clone(), e))?;
    let unmounter = session.unmount_callable();
    raise_readahead(&opts.mountpoint);
    let (stop_watch, watching) = tokio::sync::watch::channel(false);
    watch::start(core, &rt, opts.poll_interval, session.notifier(), watching)
        .map_err(|e| MountError::Fuse(opts.mountpoint.clone(), e))?;
    let (done, ended) = oneshot::channel();
    std::thread::Builder::new()
        .name("docsfs-fuse".into())
        .spawn(move || {
            let result = session.run();
            let _ = stop_watch.send(true);
            let _ = done.send(result);
        })
        .map_err(|e| MountError::Fuse(opts.mountpoint.clone(), e))?;
    Ok(Mounted {
        unmounter,
        ended: Some(ended),
        mountpoint: opts.mountpoint.clone(),
    })
}

impl Mounted {
    /// Waits until the mount goes away (unmounted from outside, or [`Mounted::unmount`]).
    pub async fn wait(&mut self) -> std::io::Result<()> {
        match self.ended.as_mut() {
            Some(rx) => {
                let r = rx.await.unwrap_or(Ok(()));
                self.ended = None;
                r
            }
            None => Ok(()),
        }
    }

    /// Unmounts and waits for the session to end. Fails (without waiting) if the kernel refuses,
    /// e.g. because the mount is busy.
    pub async fn unmount(mut self) -> std::io::Result<()> {
        if let Err(e) = self.unmounter.unmount() {
            if is_mounted(&self.mountpoint) {
                return Err(e);
            }
        }
        self.wait().await
    }
}

/// The kernel's read-ahead for this mount, in KiB. FUSE mounts start at 128 KiB, which splits
/// sequential reads into 128 KiB requests; 1 MiB requests cost a third less CPU per byte.
const READ_AHEAD_KB: u32 = 1024;

/// Raises the mount's read-ahead (`/sys/class/bdi/MAJOR:MINOR/read_ahead_kb`). Needs root; for
/// other users it stays at the kernel's default and the log says how to raise it.
fn raise_readahead(mountpoint: &Path) {
    // From mountinfo rather than stat(2): the session is not serving requests yet.
    let Some(dev) = mount_field(mountpoint, 2) else {
        return;
    };
    let path = format!("/sys/class/bdi/{dev}/read_ahead_kb");
    if let Err(e) = std::fs::write(&path, READ_AHEAD_KB.to_string()) {
        tracing::info!(%path, error = %e, "cannot raise the read-ahead to {READ_AHEAD_KB} KiB (as root: echo {READ_AHEAD_KB} > {path})");
    }
}

/// Field `index` of the /proc/self/mountinfo line of the FUSE mount at `path`.
fn mount_field(path: &Path, index: usize) -> Option<String> {
    // Canonicalise the parent only: resolving the mountpoint itself would ask the mount.
    let canonical = match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        })
        .map(|p| p.join(name))
        .unwrap_or_else(|_| path.to_path_buf()),
        _ => path.to_path_buf(),
    };
    let target = canonical.to_string_lossy().replace(' ', "\\040");
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    info.lines()
        .filter(|l| l.contains(" fuse"))
        .find(|l| l.split(' ').nth(4) == Some(target.as_str()))
        .and_then(|l| l.split(' ').nth(index).map(str::to_owned))
}

/// Whether a FUSE filesystem is mounted at `path` (per /proc/self/mountinfo).
pub fn is_mounted(path: &Path) -> bool {
    mount_field(path, 4).is_some()
}

/// A background task that serves a file (the control socket, the content-cache counters for
/// `docsfs status`): dropping it stops the task and removes the file.
pub struct FileTask {
    pub path: PathBuf,
    pub task: tokio::task::JoinHandle<()>,
}

impl Drop for FileTask {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}
