//! The fuser adapter: each FUSE request becomes a task on the tokio runtime that calls the core
//! and replies — a slow listing never holds up a read, and no handler blocks the session thread.
//! Handlers make no decisions: translate arguments, call the core, reply or send the errno.

use std::ffi::OsStr;
use std::sync::Arc;

use fuser::{
    Errno, FileHandle, Filesystem, FopenFlags, Generation, INodeNo, InitFlags, KernelConfig,
    OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyDirectoryPlus,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow,
};

mod convert;
mod open;
mod passthrough;

use super::{Fs, FsError};
use crate::remote::Remote;
use convert::{attr, fail, file_type, reply_xattr, utf8, xattr_name};

/// Entries handed to the kernel per readdir call before its buffer is full.
const READDIR_BATCH: usize = 128;

/// Write-only opens bypass the kernel's page cache: every write comes to the spool anyway,
/// and not filling a second copy of the file in memory is what makes large writes fast.
const WRITE_ONLY: FopenFlags = FopenFlags::FOPEN_DIRECT_IO;

pub struct FuseAdapter<R: Remote> {
    core: Arc<Fs<R>>,
    rt: tokio::runtime::Handle,
    /// Open files the kernel reads from cache files by itself.
    backings: Arc<passthrough::Backings>,
}

impl<R: Remote> FuseAdapter<R> {
    pub fn new(core: Arc<Fs<R>>, rt: tokio::runtime::Handle) -> Self {
        Self {
            core,
            rt,
            backings: Arc::default(),
        }
    }
}

impl<R: Remote> FuseAdapter<R> {
    /// Runs `op` on the runtime with `name` as UTF-8 (a name that is not cannot exist in the
    /// store: ENOENT), and hands its outcome, errors as errno, to `done`.
    fn with_name<T, Fut>(
        &self,
        name: &OsStr,
        op: impl FnOnce(Arc<Fs<R>>, String) -> Fut + Send + 'static,
        done: impl FnOnce(Result<T, Errno>) + Send + 'static,
    ) where
        Fut: std::future::Future<Output = super::FsResult<T>> + Send,
    {
        let core = self.core.clone();
        let name = utf8(name);
        self.rt.spawn(async move {
            let outcome = match name {
                Ok(name) => op(core, name).await.map_err(|e| fail(&e)),
                Err(e) => Err(e),
            };
            done(outcome);
        });
    }
}

impl<R: Remote> Filesystem for FuseAdapter<R> {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        let wanted = InitFlags::FUSE_DO_READDIRPLUS
            | InitFlags::FUSE_READDIRPLUS_AUTO
            | InitFlags::FUSE_PARALLEL_DIROPS
            | InitFlags::FUSE_ATOMIC_O_TRUNC
            | InitFlags::FUSE_BIG_WRITES
            // We keep no setuid bits, so the kernel need not ask for security.capability on
            // every write (it sets SB_NOSEC with this flag).
            | InitFlags::FUSE_HANDLE_KILLPRIV_V2;
        let _ = config.add_capabilities(wanted & config.capabilities());
        if let Err(max) = config.set_max_readahead(1 << 20) {
            // The kernel offers less at init; the mount raises it afterwards through sysfs.
            let _ = config.set_max_readahead(max);
        }
        if let Err(max) = config.set_max_write(1 << 20) {
            let _ = config.set_max_write(max);
        }
        self.offer_passthrough(config);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        self.with_name(
            name,
            move |core, name| async move { core.lookup(parent.0, &name).await },
            move |outcome| match outcome {
                Ok(e) => reply.entry(&e.ttl, &attr(&e.stat), Generation(0)),
                Err(e) => reply.error(e),
            },
        );
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        self.core.forget(ino.0, nlookup);
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let core = self.core.clone();
        self.rt.spawn(async move {
            match core.getattr(ino.0).await {
                Ok(s) => reply.attr(&core.ttl(), &attr(&s)),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        let core = self.core.clone();
        self.rt.spawn(async move {
            match core.readlink(ino.0).await {
                Ok(target) => reply.data(target.as_bytes()),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        self.open_file(ino, flags, reply);
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        self.create_file(parent, name, flags, reply);
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: fuser::WriteFlags,
        _flags: OpenFlags,
        lock_owner: Option<fuser::LockOwner>,
        reply: ReplyWrite,
    ) {
        if let Some(owner) = lock_owner {
            self.core.note_writer(fh.0, owner.0);
        }
        // The common case (the spool holds the file) is a pwrite, done here without a copy.
        match self.core.write_now(fh.0, offset, data) {
            Some(Ok(n)) => return reply.written(n),
            Some(Err(e)) => return reply.error(fail(&e)),
            None => {}
        }
        let core = self.core.clone();
        let data = data.to_vec();
        self.rt.spawn(async move {
            match core.write(fh.0, offset, &data).await {
                Ok(n) => reply.written(n),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<std::time::SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<std::time::SystemTime>,
        _chgtime: Option<std::time::SystemTime>,
        _bkuptime: Option<std::time::SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let core = self.core.clone();
        let mtime = mtime.map(|t| match t {
            TimeOrNow::SpecificTime(t) => t,
            TimeOrNow::Now => std::time::SystemTime::now(),
        });
        // Mode and owner have no place at the store: accepted, not kept (SEMANTICS.md).
        self.rt.spawn(async move {
            let done = async {
                if let Some(size) = size {
                    core.truncate(ino.0, size, fh.map(|f| f.0)).await?;
                }
                if let Some(mtime) = mtime {
                    core.set_mtime(ino.0, mtime).await?;
                }
                core.getattr(ino.0).await
            };
            match done.await {
                Ok(s) => reply.attr(&core.ttl(), &attr(&s)),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        self.with_name(
            name,
            move |core, name| async move { core.mkdir(parent.0, &name).await },
            move |outcome| match outcome {
                Ok(e) => reply.entry(&e.ttl, &attr(&e.stat), Generation(0)),
                Err(e) => reply.error(e),
            },
        );
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.with_name(
            name,
            move |core, name| async move { core.unlink(parent.0, &name).await },
            move |outcome| match outcome {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(e),
            },
        );
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.with_name(
            name,
            move |core, name| async move { core.rmdir(parent.0, &name).await },
            move |outcome| match outcome {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(e),
            },
        );
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if flags.intersects(RenameFlags::RENAME_EXCHANGE | RenameFlags::RENAME_WHITEOUT) {
            return reply.error(Errno::from_i32(libc::EINVAL));
        }
        let no_replace = flags.contains(RenameFlags::RENAME_NOREPLACE);
        let core = self.core.clone();
        let names = utf8(name).and_then(|n| Ok((n, utf8(newname)?)));
        self.rt.spawn(async move {
            let (name, newname) = match names {
                Ok(n) => n,
                Err(e) => return reply.error(e),
            };
            match core
                .rename(parent.0, &name, newparent.0, &newname, no_replace)
                .await
            {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn symlink(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _link_name: &OsStr,
        _target: &std::path::Path,
        reply: ReplyEntry,
    ) {
        // Stores hold folders and documents only (SEMANTICS.md).
        reply.error(Errno::EPERM);
    }

    fn link(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _newparent: INodeNo,
        _newname: &OsStr,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EPERM);
    }

    fn mknod(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        // Regular files arrive through `create`; devices, FIFOs and sockets cannot be stored.
        reply.error(Errno::EPERM);
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        let core = self.core.clone();
        self.rt.spawn(async move {
            match core.sync_file(fh.0).await {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn read(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        reply: ReplyData,
    ) {
        let core = self.core.clone();
        self.rt.spawn(async move {
            match core.read(fh.0, offset, size).await {
                Ok(bytes) => reply.data(&bytes),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<fuser::LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.release_file(fh, reply);
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        lock_owner: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        // Every `close` flushes: a written file is uploaded before `close` returns.
        let core = self.core.clone();
        self.rt.spawn(async move {
            match core.flush(fh.0, lock_owner.0).await {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn getxattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        name: &OsStr,
        size: u32,
        reply: fuser::ReplyXattr,
    ) {
        let core = self.core.clone();
        let name = xattr_name(name);
        self.rt.spawn(async move {
            let value = match name {
                Ok(name) => core.getxattr(ino.0, &name).await.map_err(|e| fail(&e)),
                Err(e) => Err(e),
            };
            reply_xattr(reply, size, value);
        });
    }

    fn listxattr(&self, _req: &Request, ino: INodeNo, size: u32, reply: fuser::ReplyXattr) {
        let core = self.core.clone();
        self.rt.spawn(async move {
            let names = core.listxattr(ino.0).await.map_err(|e| fail(&e));
            reply_xattr(reply, size, names);
        });
    }

    fn setxattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        name: &OsStr,
        value: &[u8],
        flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        let core = self.core.clone();
        let name = xattr_name(name);
        let value = value.to_vec();
        self.rt.spawn(async move {
            let done = match name {
                Ok(name) => core
                    .setxattr(ino.0, &name, &value, flags)
                    .await
                    .map_err(|e| fail(&e)),
                Err(e) => Err(e),
            };
            match done {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(e),
            }
        });
    }

    fn removexattr(&self, _req: &Request, ino: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let core = self.core.clone();
        let name = xattr_name(name);
        self.rt.spawn(async move {
            let done = match name {
                Ok(name) => core.removexattr(ino.0, &name).await.map_err(|e| fail(&e)),
                Err(e) => Err(e),
            };
            match done {
                Ok(()) => reply.ok(),
                Err(e) => reply.error(e),
            }
        });
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.core.is_dir(ino.0).and_then(|d| {
            if d {
                self.core.opendir(ino.0)
            } else {
                Err(FsError::NotDir)
            }
        }) {
            Ok(fh) => reply.opened(FileHandle(fh), FopenFlags::empty()),
            Err(e) => reply.error(fail(&e)),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let core = self.core.clone();
        self.rt.spawn(async move {
            match core.readdir(ino.0, fh.0, offset, READDIR_BATCH).await {
                Ok(entries) => {
                    for e in entries {
                        if reply.add(
                            INodeNo(e.stat.ino),
                            e.next_offset,
                            file_type(e.stat.kind),
                            &e.name,
                        ) {
                            break;
                        }
                    }
                    reply.ok();
                }
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn readdirplus(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectoryPlus,
    ) {
        let core = self.core.clone();
        self.rt.spawn(async move {
            match core.readdir(ino.0, fh.0, offset, READDIR_BATCH).await {
                Ok(entries) => {
                    let ttl = core.ttl();
                    for e in entries {
                        if reply.add(
                            INodeNo(e.stat.ino),
                            e.next_offset,
                            &e.name,
                            &ttl,
                            &attr(&e.stat),
                            Generation(0),
                        ) {
                            break;
                        }
                        // Every entry but `.` and `..` counts as a lookup the kernel will forget.
                        if e.name != "." && e.name != ".." {
                            core.note_lookup(e.stat.ino);
                        }
                    }
                    reply.ok();
                }
                Err(e) => reply.error(fail(&e)),
            }
        });
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        self.core.releasedir(fh.0);
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let s = self.core.statfs();
        reply.statfs(
            s.blocks, s.bfree, s.bavail, s.files, s.ffree, s.bsize, s.namelen, s.bsize,
        );
    }
}
