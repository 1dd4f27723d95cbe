//! `open`, `create` and `release` of files: the open flags the kernel gets (direct I/O for
//! write-only opens, keeping its page cache when the version is unchanged, passthrough to a
//! cache file), with the passthrough table (`passthrough.rs`) kept in step.

use std::sync::Arc;

use fuser::{
    FileHandle, FopenFlags, Generation, INodeNo, InitFlags, KernelConfig, OpenAccMode, OpenFlags,
    ReplyCreate, ReplyOpen,
};

use super::convert::{attr, fail};
use super::passthrough::{Answer, Want};
use super::{FuseAdapter, WRITE_ONLY};
use crate::fs::file::Access;
use crate::fs::{Fs, FsError};
use crate::remote::Remote;

impl<R: Remote> FuseAdapter<R> {
    /// Asks the kernel for passthrough at `init` when the mount wants it, and says in the log,
    /// once, whether reads of cached files will pass through.
    pub(super) fn offer_passthrough(&self, config: &mut KernelConfig) {
        let Some(c) = self.core.content_cache() else {
            return;
        };
        if !c.passthrough_on() {
            tracing::info!("passthrough off (--no-passthrough): every read goes through docsfs");
            return;
        }
        if !config.capabilities().contains(InitFlags::FUSE_PASSTHROUGH) {
            return c.passthrough_refused("the kernel does not offer it (Linux 6.9 or later)");
        }
        // A cache folder on a stacked filesystem (overlayfs, as in containers) needs one more
        // level; the kernel allows two at most, and a mount with two cannot itself be stacked.
        let stacked = nix::sys::statfs::statfs(c.dir())
            .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::OVERLAYFS_SUPER_MAGIC);
        let depth = if stacked { 2 } else { 1 };
        if config
            .add_capabilities(InitFlags::FUSE_PASSTHROUGH)
            .is_err()
            || config.set_max_stack_depth(depth).is_err()
        {
            return c.passthrough_refused("the kernel does not offer it (Linux 6.9 or later)");
        }
        if !nix::unistd::geteuid().is_root() {
            return c.passthrough_refused("the kernel allows it only with CAP_SYS_ADMIN (as root)");
        }
        tracing::info!("passthrough on: the kernel reads whole cached files by itself");
    }

    pub(super) fn open_file(&self, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let access = match flags.acc_mode() {
            OpenAccMode::O_RDONLY => Access::Read,
            OpenAccMode::O_WRONLY | OpenAccMode::O_RDWR if flags.0 & libc::O_TRUNC != 0 => {
                Access::Overwrite
            }
            OpenAccMode::O_WRONLY | OpenAccMode::O_RDWR => Access::Write,
        };
        let write_only = flags.acc_mode() == OpenAccMode::O_WRONLY;
        let (core, backings) = (self.core.clone(), self.backings.clone());
        self.rt.spawn(async move {
            if access != Access::Read {
                // A write's open changes things (O_TRUNC): settle first that it may happen.
                if !backings.claim(ino.0).await {
                    return reply.error(fail(&FsError::Busy));
                }
                return match core.open(ino.0, access).await {
                    Ok(fh) => {
                        backings.bind(ino.0, fh);
                        let flags = if write_only {
                            WRITE_ONLY
                        } else {
                            open_flags(&core, fh)
                        };
                        reply.opened(FileHandle(fh), flags)
                    }
                    Err(e) => {
                        backings.unclaim(ino.0);
                        reply.error(fail(&e))
                    }
                };
            }
            let fh = match core.open(ino.0, access).await {
                Ok(fh) => fh,
                Err(e) => return reply.error(fail(&e)),
            };
            let open = match core.open_file(fh) {
                Ok(open) => open,
                Err(e) => return reply.error(fail(&e)),
            };
            let want = Want {
                ino: ino.0,
                fh,
                version: open.version.as_deref(),
                file: open.backing.as_ref(),
            };
            let refused = |e: &std::io::Error| refused(&core, e);
            match backings
                .decide(want, |f| reply.open_backing(f), refused)
                .await
            {
                Answer::Through(id) => {
                    if let Some(c) = core.content_cache() {
                        c.count_passthrough();
                    }
                    reply.opened_passthrough(FileHandle(fh), READ_ONLY, &id);
                    backings.replied(id);
                }
                Answer::Daemon => reply.opened(FileHandle(fh), READ_ONLY | open_flags(&core, fh)),
                Answer::Busy => {
                    core.release(fh).await;
                    reply.error(fail(&FsError::Busy))
                }
            }
        });
    }

    pub(super) fn create_file(
        &self,
        parent: INodeNo,
        name: &std::ffi::OsStr,
        flags: i32,
        reply: ReplyCreate,
    ) {
        let open_flags = if flags & libc::O_ACCMODE == libc::O_WRONLY {
            WRITE_ONLY
        } else {
            FopenFlags::empty()
        };
        let backings = self.backings.clone();
        self.with_name(
            name,
            move |core, name| async move { core.create(parent.0, &name).await },
            move |outcome| match outcome {
                Ok((e, fh)) => {
                    backings.opened_by_daemon(e.stat.ino, fh);
                    reply.created(
                        &e.ttl,
                        &attr(&e.stat),
                        Generation(0),
                        FileHandle(fh),
                        open_flags,
                    )
                }
                Err(e) => reply.error(e),
            },
        );
    }

    pub(super) fn release_file(&self, fh: FileHandle, reply: fuser::ReplyEmpty) {
        let (core, backings) = (self.core.clone(), self.backings.clone());
        self.rt.spawn(async move {
            core.release(fh.0).await;
            backings.release(fh.0);
            reply.ok();
        });
    }
}

/// A read-only open has nothing to flush: the kernel need not send FLUSH at its close (a round
/// trip saved per file read).
const READ_ONLY: FopenFlags = FopenFlags::FOPEN_NOFLUSH;

/// Flags of an open the daemon serves: the kernel keeps its cached pages when the version is
/// the one it cached them from.
fn open_flags<R: Remote>(core: &Fs<R>, fh: u64) -> FopenFlags {
    if core.keeps_cache(fh) {
        FopenFlags::FOPEN_KEEP_CACHE
    } else {
        FopenFlags::empty()
    }
}

/// The kernel refused a backing file: without the privilege (EPERM) or the kernel's support,
/// no open will pass through, so passthrough goes off; other errors only fail this one.
fn refused<R: Remote>(core: &Arc<Fs<R>>, e: &std::io::Error) {
    let Some(c) = core.content_cache() else {
        return;
    };
    match e.raw_os_error() {
        Some(libc::EPERM) => c.passthrough_refused("the kernel allows it only with CAP_SYS_ADMIN"),
        Some(libc::ELOOP) => c.passthrough_refused("the cache folder is on a stacked filesystem"),
        Some(libc::ENOTTY | libc::EINVAL | libc::EOPNOTSUPP) => {
            c.passthrough_refused(&format!("the kernel refused a backing file ({e})"))
        }
        _ => tracing::debug!("no passthrough for this open: {e}"),
    }
}
