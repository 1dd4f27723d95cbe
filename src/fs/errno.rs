//! The one map from filesystem-core errors to errno values. Every error the core can return is
//! matched here exhaustively, so adding a variant forces a deliberate choice.

use crate::fs::FsError;
use crate::remote::RemoteError;

/// The errno a FUSE reply carries for `e`.
pub fn errno(e: &FsError) -> i32 {
    match e {
        FsError::NotFound => libc::ENOENT,
        FsError::NotDir => libc::ENOTDIR,
        FsError::IsDir => libc::EISDIR,
        // The inode was never handed out, or the kernel kept it past our knowledge of it.
        FsError::Stale(_) => libc::ESTALE,
        FsError::BadHandle => libc::EBADF,
        FsError::Busy => libc::EBUSY,
        FsError::ReadOnly => libc::EROFS,
        FsError::Denied => libc::EACCES,
        FsError::NameTooLong => libc::ENAMETOOLONG,
        FsError::Unsupported(_) => libc::ENOTSUP,
        FsError::Exists => libc::EEXIST,
        FsError::NotEmpty => libc::ENOTEMPTY,
        FsError::Invalid(_) => libc::EINVAL,
        // `mv` answers EXDEV by copying and deleting, which is what such a move means.
        FsError::CrossDevice => libc::EXDEV,
        FsError::Io(_) => libc::EIO,
        FsError::NoAttribute => libc::ENODATA,
        FsError::NotPermitted(_) => libc::EPERM,
        FsError::Remote(r) => remote_errno(r),
    }
}

fn remote_errno(e: &RemoteError) -> i32 {
    match e {
        RemoteError::NotFound(_) => libc::ENOENT,
        RemoteError::AlreadyExists(_) => libc::EEXIST,
        RemoteError::Denied(_) => libc::EACCES,
        // A refused token is not the caller's file permission problem, but EACCES is what tools
        // print sensibly ("Permission denied"); the log says which it was.
        RemoteError::Unauthenticated(_) => libc::EACCES,
        RemoteError::Conflict(_) => libc::EBUSY,
        RemoteError::Invalid(_) => libc::EINVAL,
        // Throttling that outlasted the retries, a dead network, an answer we cannot read: the
        // operation failed for reasons outside the caller's control.
        // Content that twice failed the store's own checksum is never served as if it were
        // the file's.
        RemoteError::Unavailable { .. }
        | RemoteError::Network(_)
        | RemoteError::Protocol(_)
        | RemoteError::Corrupt(_) => libc::EIO,
        RemoteError::Timeout(_) => libc::ETIMEDOUT,
        RemoteError::Unsupported(_) => libc::ENOTSUP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn representative_errnos() {
        assert_eq!(errno(&FsError::NotFound), libc::ENOENT);
        assert_eq!(errno(&RemoteError::Denied("x".into()).into()), libc::EACCES);
        assert_eq!(
            errno(&RemoteError::Timeout(std::time::Duration::from_secs(1)).into()),
            libc::ETIMEDOUT
        );
        let unavailable = RemoteError::Unavailable {
            message: "busy".into(),
            retry_after: None,
        };
        assert_eq!(errno(&unavailable.into()), libc::EIO);
    }
}
