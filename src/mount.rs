//! Running a mount: hands the filesystem core to a FUSE session on the mountpoint, serves it on
//! a background thread, and unmounts cleanly when asked (signal, `docsfs` exiting) or notices
//! when someone else unmounted it (`fusermount3 -u`, `umount`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// What `mount` and `df` show as the source.
    pub fs_name: String,
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
        MountOption::NoDev,
        MountOption::NoSuid,
        MountOption::NoAtime,
        MountOption::DefaultPermissions,
    ];
    config.acl = if opts.allow_other {
        SessionACL::All
    } else {
        SessionACL::Owner
    };
    config.n_threads = Some(2);
    let adapter = FuseAdapter::new(core, rt);
    let mut session = Session::new(adapter, &opts.mountpoint, &config)
        .map_err(|e| MountError::Fuse(opts.mountpoint.clone(), e))?;
    let unmounter = session.unmount_callable();
    let (done, ended) = oneshot::channel();
    std::thread::Builder::new()
        .name("docsfs-fuse".into())
        .spawn(move || {
            let _ = done.send(session.run());
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

/// Whether a FUSE filesystem is mounted at `path` (per /proc/self/mountinfo).
pub fn is_mounted(path: &Path) -> bool {
    let Ok(canonical) =
        std::fs::canonicalize(path).or_else(|_| Ok::<_, std::io::Error>(path.to_path_buf()))
    else {
        return false;
    };
    let target = canonical.to_string_lossy().replace(' ', "\\040");
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|m| {
            m.lines()
                .any(|l| l.split(' ').nth(4) == Some(target.as_str()) && l.contains(" fuse"))
        })
        .unwrap_or(false)
}
