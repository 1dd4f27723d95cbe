//! Links: items a backend reports as [`NodeKind::Link`] (LogicalDOC's folder aliases) are shown
//! as symbolic links whose target is the aliased folder's path, relative to the link's own
//! folder so that it resolves under any mountpoint. The backend gives the target as store
//! names from the root of the caller's tree; they are shown escaped as every name is. The
//! inode table works the target out when it learns of the link or moves it
//! ([`relative_target`]).

use super::inode::Ino;
use super::{Fs, FsError, FsResult, names};
use crate::remote::{NodeKind, Remote};

/// The target of a link `depth` folders below the mount root to the folder at `segments`.
pub fn relative_target(depth: usize, segments: &[String]) -> String {
    let mut parts: Vec<String> = vec!["..".to_owned(); depth];
    parts.extend(segments.iter().map(|s| names::to_local(s)));
    if parts.is_empty() {
        return ".".to_owned();
    }
    parts.join("/")
}

impl<R: Remote> Fs<R> {
    /// `readlink`: the target of a link inode.
    pub async fn readlink(&self, ino: Ino) -> FsResult<String> {
        let i = self.inode(ino)?;
        if i.kind != NodeKind::Link {
            return Err(FsError::Invalid("not a symbolic link"));
        }
        i.link_target.ok_or(FsError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_climb_then_descend() {
        let segs = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(relative_target(0, &segs(&["Default", "a"])), "Default/a");
        assert_eq!(relative_target(2, &segs(&["b"])), "../../b");
        assert_eq!(relative_target(1, &[]), "..");
        assert_eq!(relative_target(0, &[]), ".");
        assert_eq!(relative_target(0, &segs(&["x/y"])), "x／y");
    }
}
