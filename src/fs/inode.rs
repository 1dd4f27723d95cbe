//! The inode table: inode numbers ↔ what they stand for (the mount root, a special folder, or a
//! remote item by id), with the attributes last seen in a listing, the caller's role, and the
//! kernel's lookup count. A remote id keeps its inode number for the life of the mount, even
//! after the kernel forgets it, so numbers are stable; an entry costs a few hundred bytes.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use crate::remote::{Node, NodeKind, RemoteId, Role};

pub type Ino = u64;

/// The mount root's inode number (FUSE's fixed root).
/// Parent hops from a folder to the mount root; a walk longer than this means a broken table.
const MAX_DEPTH: usize = 4096;

pub const ROOT: Ino = 1;

/// What an inode stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The mount root: the caller's root folder plus the special folders.
    Root,
    RecycleBin,
    SharedWithMe,
    Remote(RemoteId),
    /// A file created on this mount and not uploaded yet (numbered per mount).
    Local(u64),
    /// An item deleted or replaced while the kernel may still hold its number.
    Gone,
    /// The hidden `.versions` folder of a folder (its remote id): one folder per document
    /// (`fs/versions.rs`).
    VersionsOf(RemoteId),
    /// `.versions/NAME`: the versions of a document (its remote id).
    VersionList(RemoteId),
    /// One version of a document, as a read-only file.
    Version {
        doc: RemoteId,
        version: String,
    },
}

impl Origin {
    /// Whether the inode belongs to the read-only versions view.
    pub fn in_versions_view(&self) -> bool {
        matches!(
            self,
            Origin::VersionsOf(_) | Origin::VersionList(_) | Origin::Version { .. }
        )
    }
}

#[derive(Clone, Debug)]
pub struct Inode {
    pub origin: Origin,
    pub kind: NodeKind,
    pub parent: Ino,
    /// The name shown in the parent (escaped and disambiguated).
    pub name: String,
    /// Remote attributes (`None` for the root and the special folders).
    pub node: Option<Node>,
    pub role: Role,
    /// When `node` was last confirmed by the store.
    pub fetched: Instant,
    /// The store reported a change: `node` must be confirmed before it is trusted again.
    pub expired: bool,
    pub lookups: u64,
    /// For a link: its target as shown (relative to the link's folder).
    pub link_target: Option<String>,
}

impl Inode {
    pub fn size(&self) -> u64 {
        self.node.as_ref().map_or(0, |n| n.size)
    }

    pub fn mtime(&self, fallback: SystemTime) -> SystemTime {
        self.node.as_ref().map_or(fallback, |n| n.mtime)
    }

    pub fn remote_id(&self) -> Option<&RemoteId> {
        match &self.origin {
            Origin::Remote(id) => Some(id),
            _ => None,
        }
    }
}

pub struct InodeTable {
    inodes: HashMap<Ino, Inode>,
    by_origin: HashMap<Origin, Ino>,
    next: Ino,
}

impl InodeTable {
    /// A table holding only the root, with the caller's role on the root folder.
    pub fn new(root_role: Role) -> Self {
        let root = Inode {
            origin: Origin::Root,
            kind: NodeKind::Folder,
            parent: ROOT,
            name: String::new(),
            node: None,
            role: root_role,
            fetched: Instant::now(),
            lookups: 1,
            link_target: None,
            expired: false,
        };
        Self {
            inodes: HashMap::from([(ROOT, root)]),
            by_origin: HashMap::from([(Origin::Root, ROOT)]),
            next: ROOT + 1,
        }
    }

    pub fn get(&self, ino: Ino) -> Option<&Inode> {
        self.inodes.get(&ino)
    }

    /// The inode of a remote item, if it has been seen.
    pub fn ino_of(&self, id: &str) -> Option<Ino> {
        self.by_origin.get(&Origin::Remote(id.to_owned())).copied()
    }

    pub fn len(&self) -> usize {
        self.inodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inodes.is_empty()
    }

    fn allocate(&mut self, origin: Origin, make: impl FnOnce(Ino) -> Inode) -> Ino {
        if let Some(&ino) = self.by_origin.get(&origin) {
            return ino;
        }
        let ino = self.next;
        self.next += 1;
        self.inodes.insert(ino, make(ino));
        self.by_origin.insert(origin, ino);
        ino
    }

    /// The inode of a special folder under the root, created on first use.
    pub fn special(&mut self, origin: Origin, name: &str) -> Ino {
        let name = name.to_owned();
        self.allocate(origin.clone(), |_| Inode {
            origin,
            kind: NodeKind::Folder,
            parent: ROOT,
            name,
            node: None,
            role: Role::Viewer,
            fetched: Instant::now(),
            lookups: 0,
            link_target: None,
            expired: false,
        })
    }

    /// Records `node` as seen in the listing of `parent` under `name`; returns its inode, the
    /// same one as before if the item was seen already (it may have moved or changed).
    pub fn upsert(&mut self, node: Node, parent: Ino, name: String, role: Role) -> Ino {
        let origin = Origin::Remote(node.id.clone());
        let now = Instant::now();
        let ino = self.allocate(origin.clone(), |_| Inode {
            origin,
            kind: node.kind,
            parent,
            name: name.clone(),
            node: None,
            role,
            fetched: now,
            lookups: 0,
            link_target: None,
            expired: false,
        });
        let inode = self.inodes.get_mut(&ino).expect("allocated above");
        inode.kind = node.kind;
        inode.parent = parent;
        inode.name = name;
        inode.role = role;
        inode.node = Some(node);
        inode.fetched = now;
        inode.expired = false;
        self.refresh_link(ino);
        ino
    }

    /// The inode of a versions-view item (see [`Origin::in_versions_view`]), created on first
    /// use, shown as `name` in `parent` with `node`'s attributes (none for its folders), read-only.
    pub fn view_item(
        &mut self,
        origin: Origin,
        kind: NodeKind,
        parent: Ino,
        name: String,
        node: Option<Node>,
    ) -> Ino {
        debug_assert!(origin.in_versions_view());
        let now = Instant::now();
        let ino = self.allocate(origin.clone(), |_| Inode {
            origin,
            kind,
            parent,
            name: name.clone(),
            node: None,
            role: Role::Viewer,
            fetched: now,
            lookups: 0,
            link_target: None,
            expired: false,
        });
        let inode = self.inodes.get_mut(&ino).expect("allocated above");
        inode.parent = parent;
        inode.name = name;
        inode.node = node;
        inode.fetched = now;
        ino
    }

    /// A new local file `name` in `parent`, not at the store yet.
    pub fn add_local(&mut self, parent: Ino, name: String, role: Role) -> Ino {
        let origin = Origin::Local(self.next);
        self.allocate(origin.clone(), |_| Inode {
            origin,
            kind: NodeKind::Document,
            parent,
            name,
            node: None,
            role,
            fetched: Instant::now(),
            lookups: 0,
            link_target: None,
            expired: false,
        })
    }

    /// Makes `ino` stand for `node` (a local file just uploaded, or the item that a rename put
    /// at this inode's name). Another inode that stood for the same remote item loses it and
    /// is returned: it now stands for nothing the store has.
    pub fn bind(&mut self, ino: Ino, node: Node) -> Option<Ino> {
        let origin = Origin::Remote(node.id.clone());
        let displaced = self
            .by_origin
            .insert(origin.clone(), ino)
            .filter(|&o| o != ino);
        if let Some(old) = displaced {
            if let Some(i) = self.inodes.get_mut(&old) {
                i.origin = Origin::Gone;
            }
        }
        if let Some(i) = self.inodes.get_mut(&ino) {
            if i.origin != origin {
                self.by_origin.remove(&i.origin);
            }
            i.origin = origin;
            i.kind = node.kind;
            i.node = Some(node);
            i.fetched = Instant::now();
            i.expired = false;
        }
        displaced
    }

    /// Moves an inode to another name (a rename done at the store, or of a local file).
    pub fn relocate(&mut self, ino: Ino, parent: Ino, name: String) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.parent = parent;
            i.name = name;
        }
        let moved_folder = self
            .inodes
            .get(&ino)
            .is_some_and(|i| i.kind == NodeKind::Folder);
        if moved_folder {
            // Links below it now climb a different number of folders.
            let links: Vec<Ino> = self
                .inodes
                .iter()
                .filter(|(_, i)| i.kind == NodeKind::Link)
                .map(|(&n, _)| n)
                .collect();
            for link in links {
                self.refresh_link(link);
            }
        } else {
            self.refresh_link(ino);
        }
    }

    /// How many folders lie between `dir` and the mount root (0 for the root).
    fn depth(&self, mut dir: Ino) -> Option<usize> {
        let mut depth = 0;
        while dir != ROOT {
            dir = self.inodes.get(&dir)?.parent;
            depth += 1;
            if depth > MAX_DEPTH {
                return None;
            }
        }
        Some(depth)
    }

    /// Works out the target a link inode shows from where it now is (links only).
    fn refresh_link(&mut self, ino: Ino) {
        let Some(i) = self.inodes.get(&ino).filter(|i| i.kind == NodeKind::Link) else {
            return;
        };
        let segments = i.node.as_ref().and_then(|n| n.link.clone());
        let target = segments
            .zip(self.depth(i.parent))
            .map(|(segments, depth)| super::link::relative_target(depth, &segments));
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.link_target = target;
        }
    }

    /// Updates what is known of an inode's remote attributes.
    pub fn update_node(&mut self, ino: Ino, f: impl FnOnce(&mut Node)) {
        if let Some(n) = self.inodes.get_mut(&ino).and_then(|i| i.node.as_mut()) {
            f(n);
        }
    }

    /// Detaches an inode from what it stood for (deleted): it keeps its number for the kernel
    /// but no longer answers for the remote id.
    pub fn detach(&mut self, ino: Ino) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            if self.by_origin.get(&i.origin) == Some(&ino) {
                self.by_origin.remove(&i.origin);
            }
            i.origin = Origin::Gone;
        }
    }

    /// Local (not yet uploaded) files whose parent is `dir`, with their names.
    pub fn local_children(&self, dir: Ino) -> Vec<(String, Ino)> {
        self.inodes
            .iter()
            .filter(|(_, i)| i.parent == dir && matches!(i.origin, Origin::Local(_)))
            .map(|(&ino, i)| (i.name.clone(), ino))
            .collect()
    }

    /// The inode of an origin, if it has one.
    pub fn find_origin(&self, origin: &Origin) -> Option<Ino> {
        self.by_origin.get(origin).copied()
    }

    pub fn set_role(&mut self, ino: Ino, role: Role) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.role = role;
        }
    }

    /// Marks the inode as confirmed now (its listing was refreshed and it was still there).
    pub fn touch(&mut self, ino: Ino) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.fetched = Instant::now();
            i.expired = false;
        }
    }

    /// Marks what is known of the inode as out of date (the store reported a change).
    pub fn expire(&mut self, ino: Ino) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.expired = true;
        }
    }

    /// Every inode that stands for something the store has.
    pub fn remote_inodes(&self) -> Vec<Ino> {
        self.inodes
            .iter()
            .filter(|(_, i)| matches!(i.origin, Origin::Remote(_)))
            .map(|(&ino, _)| ino)
            .collect()
    }

    pub fn add_lookups(&mut self, ino: Ino, n: u64) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.lookups += n;
        }
    }

    pub fn forget(&mut self, ino: Ino, n: u64) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.lookups = i.lookups.saturating_sub(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str) -> Node {
        Node {
            id: id.into(),
            kind: NodeKind::Document,
            name: name.into(),
            parent: Some("p".into()),
            size: 3,
            mtime: SystemTime::UNIX_EPOCH,
            ctime: SystemTime::UNIX_EPOCH,
            version: Some("v1".into()),
            recycled: false,
            role: None,
            link: None,
            digest: None,
        }
    }

    #[test]
    fn inode_numbers_are_stable_per_remote_id() {
        let mut t = InodeTable::new(Role::Owner);
        let a = t.upsert(node("a", "x"), ROOT, "x".into(), Role::Owner);
        let b = t.upsert(node("b", "y"), ROOT, "y".into(), Role::Owner);
        assert_ne!(a, b);
        assert!(a > ROOT && b > ROOT);
        t.add_lookups(a, 2);
        t.forget(a, 2);
        let again = t.upsert(node("a", "renamed"), b, "renamed".into(), Role::Viewer);
        assert_eq!(again, a);
        let i = t.get(a).unwrap();
        assert_eq!(
            (i.name.as_str(), i.parent, i.role),
            ("renamed", b, Role::Viewer)
        );
        let bin = t.special(Origin::RecycleBin, "Recycle Bin");
        assert_eq!(t.special(Origin::RecycleBin, "Recycle Bin"), bin);
    }
}
