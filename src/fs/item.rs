//! Which store item an inode number stands for, for commands that act on an item by path
//! (`docsfs share`, `shares`, `activity`, through the mount's control socket): the kernel's
//! `st_ino` is the core's own inode number, so the table answers directly. The mount root is
//! the caller's root folder; the special folders, the `.versions` views and files not uploaded
//! yet have no item.

use super::inode::{Ino, Origin};
use super::versions::VERSIONS_NAME;
use super::{Fs, RECYCLE_BIN_NAME, SHARED_WITH_ME_NAME};
use crate::remote::{NodeKind, Remote, RemoteId};

/// A store item behind an inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRef {
    pub id: RemoteId,
    pub kind: NodeKind,
    /// The name shown in its folder (empty for the mount root).
    pub name: String,
    /// It is the mount root (the caller's root folder).
    pub root: bool,
}

/// Why an inode has no store item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemError {
    #[error("this mount knows no such file (inode {0}); was it just deleted?")]
    Unknown(Ino),
    #[error("{0} is a view of this mount, not an item of the store")]
    Special(&'static str),
    #[error("the file has not been uploaded yet (it reaches the store when closed)")]
    NotUploaded,
    #[error("the item was deleted or replaced")]
    Gone,
}

impl<R: Remote> Fs<R> {
    /// The store item inode `ino` stands for.
    pub fn item_of(&self, ino: Ino) -> Result<ItemRef, ItemError> {
        let table = self.inodes.lock().expect("inode lock");
        let i = table.get(ino).ok_or(ItemError::Unknown(ino))?;
        match &i.origin {
            Origin::Root => Ok(ItemRef {
                id: self.roots.root.clone(),
                kind: NodeKind::Folder,
                name: String::new(),
                root: true,
            }),
            Origin::RecycleBin => Err(ItemError::Special(RECYCLE_BIN_NAME)),
            Origin::SharedWithMe => Err(ItemError::Special(SHARED_WITH_ME_NAME)),
            Origin::VersionsOf(_) | Origin::VersionList(_) | Origin::Version { .. } => {
                Err(ItemError::Special(VERSIONS_NAME))
            }
            Origin::Local(_) => Err(ItemError::NotUploaded),
            Origin::Gone => Err(ItemError::Gone),
            Origin::Remote(id) => Ok(ItemRef {
                id: id.clone(),
                kind: i.kind,
                name: i.name.clone(),
                root: false,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::fs::FsConfig;
    use crate::fs::inode::ROOT;
    use crate::remote::memory::MemoryRemote;

    #[tokio::test]
    async fn inodes_name_store_items_and_views_do_not() {
        let remote = MemoryRemote::new("alice");
        let spool = tempfile::tempdir().unwrap();
        let config = FsConfig {
            spool_dir: spool.path().to_path_buf(),
            ..FsConfig::default()
        };
        let fs = Fs::new(Arc::new(remote.clone()), config).await.unwrap();
        let root = fs.item_of(ROOT).unwrap();
        assert!(root.root && root.id == remote.root_id() && root.kind == NodeKind::Folder);
        let dir = fs.mkdir(ROOT, "Team").await.unwrap();
        let item = fs.item_of(dir.stat.ino).unwrap();
        assert_eq!(
            (item.name.as_str(), item.kind, item.root),
            ("Team", NodeKind::Folder, false)
        );
        let (file, _) = fs.create(dir.stat.ino, "new.txt").await.unwrap();
        assert_eq!(fs.item_of(file.stat.ino), Err(ItemError::NotUploaded));
        let bin = fs.lookup(ROOT, RECYCLE_BIN_NAME).await.unwrap();
        assert_eq!(
            fs.item_of(bin.stat.ino),
            Err(ItemError::Special(RECYCLE_BIN_NAME))
        );
        assert_eq!(fs.item_of(999_999), Err(ItemError::Unknown(999_999)));
    }
}
