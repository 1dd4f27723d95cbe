//! Between the core's types and the kernel's: attributes, file types, errors as errno (through
//! the one map, `errno.rs`), names, and the size-or-bytes answer of the xattr calls.

use std::ffi::OsStr;

use fuser::{Errno, FileAttr, FileType, INodeNo};

use crate::fs::errno::errno;
use crate::fs::{FileKind, FsError, Stat};

pub(super) fn attr(s: &Stat) -> FileAttr {
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

pub(super) fn file_type(k: FileKind) -> FileType {
    match k {
        FileKind::Directory => FileType::Directory,
        FileKind::File => FileType::RegularFile,
        FileKind::Symlink => FileType::Symlink,
    }
}

pub(super) fn fail(e: &FsError) -> Errno {
    if matches!(e, FsError::Remote(_)) {
        tracing::warn!(error = %e, "remote operation failed");
    }
    Errno::from_i32(errno(e))
}

/// An attribute name from the kernel; one that is not UTF-8 is none of ours.
pub(super) fn xattr_name(name: &OsStr) -> Result<String, Errno> {
    name.to_str()
        .map(str::to_owned)
        .ok_or(Errno::from_i32(libc::EOPNOTSUPP))
}

/// getxattr's and listxattr's answer: the size when asked with size 0, else the bytes if they
/// fit (ERANGE if not).
pub(super) fn reply_xattr(reply: fuser::ReplyXattr, size: u32, value: Result<Vec<u8>, Errno>) {
    match value {
        Err(e) => reply.error(e),
        Ok(v) if size == 0 => match u32::try_from(v.len()) {
            Ok(n) => reply.size(n),
            Err(_) => reply.error(Errno::from_i32(libc::E2BIG)),
        },
        Ok(v) if v.len() > size as usize => reply.error(Errno::from_i32(libc::ERANGE)),
        Ok(v) => reply.data(&v),
    }
}

/// A file name from the kernel; names that are not UTF-8 cannot exist in the store.
pub(super) fn utf8(name: &OsStr) -> Result<String, Errno> {
    name.to_str().map(str::to_owned).ok_or(Errno::ENOENT)
}
