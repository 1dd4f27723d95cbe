//! Links: items a backend reports as [`NodeKind::Link`] (LogicalDOC's folder aliases) are shown
//! as symbolic links whose target is the aliased folder's path, relative to the link's own
//! folder so that it resolves under any mountpoint. The backend gives the target as store
//! names from the root of the caller's tree; they are shown escaped as every name is.

use super::inode::{Ino, Inode, ROOT};
use super::{Fs, FsError, FsResult, names};
use crate::remote::{NodeKind, Remote};

/// Parent hops from a folder to the mount root; a walk longer than this means a broken table.
const MAX_DEPTH: usize = 4096;

impl<R: Remote> Fs<R> {
    /// The target a link inode shows (`None` for other inodes, or a link whose target the
    /// backend did not give).
    pub(super) fn link_target(&self, i: &Inode) -> Option<String> {
        if i.kind != NodeKind::Link {
            return None;
        }
        let segments = i.node.as_ref()?.link.as_ref()?;
        let depth = self.depth(i.parent)?;
        let mut target = "../".repeat(depth);
        let shown: Vec<String> = segments.iter().map(|s| names::to_local(s)).collect();
        target.push_str(&shown.join("/"));
        if target.is_empty() {
            target.push('.');
        }
        Some(target.trim_end_matches('/').to_owned())
    }

    /// How many folders lie between `dir` and the mount root (0 for the root).
    fn depth(&self, mut dir: Ino) -> Option<usize> {
        let t = self.inodes.lock().expect("inode lock");
        let mut depth = 0;
        while dir != ROOT {
            dir = t.get(dir)?.parent;
            depth += 1;
            if depth > MAX_DEPTH {
                return None;
            }
        }
        Some(depth)
    }

    /// `readlink`: the target of a link inode.
    pub async fn readlink(&self, ino: Ino) -> FsResult<String> {
        let i = self.inode(ino)?;
        if i.kind != NodeKind::Link {
            return Err(FsError::Invalid("not a symbolic link"));
        }
        self.link_target(&i).ok_or(FsError::NotFound)
    }
}
