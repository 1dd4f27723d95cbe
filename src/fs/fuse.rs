//! The fuser adapter: each FUSE request becomes a task on the tokio runtime that calls the core
//! and replies — a slow listing never holds up a read, and no handler blocks the session thread.
//! Handlers make no decisions: translate arguments, call the core, reply or send the errno.

use std::ffi::OsStr;
use std::sync::Arc;

use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags,
    KernelConfig, OpenAccMode, OpenFlags, ReplyAttr, ReplyData, ReplyDirectory, ReplyDirectoryPlus,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, Request,
};

use super::errno::errno;
use super::file::Access;
use super::{FileKind, Fs, FsError, Stat};
use crate::remote::Remote;

/// Entries handed to the kernel per readdir call before its buffer is full.
const READDIR_BATCH: usize = 128;

pub struct FuseAdapter<R: Remote> {
    core: Arc<Fs<R>>,
    rt: tokio::runtime::Handle,
}

impl<R: Remote> FuseAdapter<R> {
    pub fn new(core: Arc<Fs<R>>, rt: tokio::runtime::Handle) -> Self {
        Self { core, rt }
    }
}

fn attr(s: &Stat) -> FileAttr {
    FileAttr {
        ino: INodeNo(s.ino),
        size: s.size,
        blocks: s.size.div_ceil(512),
        atime: s.mtime,
        mtime: s.mtime,
        ctime: s.ctime,
        crtime: s.ctime,
        kind: file_type(s.kind),
        perm: s.perm,
        nlink: s.nlink,
        uid: s.uid,
        gid: s.gid,
        rdev: 0,
        blksize: 128 * 1024,
        flags: 0,
    }
}

fn file_type(k: FileKind) -> FileType {
    match k {
        FileKind::Directory => FileType::Directory,
        FileKind::File => FileType::RegularFile,
    }
}

fn fail(e: &FsError) -> Errno {
    if matches!(e, FsError::Remote(_)) {
        tracing::warn!(error = %e, "remote operation failed");
    }
    Errno::from_i32(errno(e))
}

/// A file name from the kernel; names that are not UTF-8 cannot exist in the store.
fn utf8(name: &OsStr) -> Result<String, Errno> {
    name.to_str().map(str::to_owned).ok_or(Errno::ENOENT)
}

impl<R: Remote> Filesystem for FuseAdapter<R> {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        let wanted = InitFlags::FUSE_DO_READDIRPLUS
            | InitFlags::FUSE_READDIRPLUS_AUTO
            | InitFlags::FUSE_PARALLEL_DIROPS;
        let _ = config.add_capabilities(wanted & config.capabilities());
        if let Err(max) = config.set_max_readahead(1 << 20) {
            // The kernel offers less at init; the mount raises it afterwards through sysfs.
            let _ = config.set_max_readahead(max);
        }
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let core = self.core.clone();
        let name = utf8(name);
        self.rt.spawn(async move {
            let name = match name {
                Ok(n) => n,
                Err(e) => return reply.error(e),
            };
            match core.lookup(parent.0, &name).await {
                Ok(e) => reply.entry(&e.ttl, &attr(&e.stat), Generation(0)),
                Err(e) => reply.error(fail(&e)),
            }
        });
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

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let access = match flags.acc_mode() {
            OpenAccMode::O_RDONLY => Access::Read,
            OpenAccMode::O_WRONLY | OpenAccMode::O_RDWR => Access::Write,
        };
        match self.core.open(ino.0, access) {
            Ok(fh) => {
                let flags = if self.core.keeps_cache(fh) {
                    FopenFlags::FOPEN_KEEP_CACHE
                } else {
                    FopenFlags::empty()
                };
                reply.opened(FileHandle(fh), flags)
            }
            Err(e) => reply.error(fail(&e)),
        }
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
        self.core.release(fh.0);
        reply.ok();
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: fuser::LockOwner,
        reply: ReplyEmpty,
    ) {
        // Nothing is buffered for writing yet, so there is nothing to flush.
        reply.ok();
    }

    fn getxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _size: u32,
        reply: fuser::ReplyXattr,
    ) {
        // No extended attributes are exposed yet: every name is absent.
        reply.error(Errno::from_i32(libc::ENODATA));
    }

    fn listxattr(&self, _req: &Request, _ino: INodeNo, size: u32, reply: fuser::ReplyXattr) {
        if size == 0 {
            reply.size(0)
        } else {
            reply.data(&[])
        }
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
