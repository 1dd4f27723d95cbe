//! The test-side API of [`MemoryRemote`]: building and changing the store as the view's user,
//! with the store's checks (roles, unique live names, the recycle bin), plus uncounted
//! inspection (`node`, `content`, `list_all`) and the logical clock. None of these count as
//! `Remote` calls or feel the knobs.

use std::time::SystemTime;

use bytes::Bytes;

use super::MemoryRemote;
use super::tree::Names;
use crate::remote::{Collection, Node, RemoteError, RemoteId, Role};

type Result<T> = std::result::Result<T, RemoteError>;

impl MemoryRemote {
    /// This user's root folder. Panics for a user the store does not know.
    pub fn root_id(&self) -> RemoteId {
        self.with(|s| s.store.root_of(&self.user).cloned())
            .unwrap_or_else(|e| panic!("root_id: {e}"))
    }

    /// A new folder; AlreadyExists if a live item of `parent` has that name.
    pub fn mkdir(&self, parent: &str, name: &str) -> Result<RemoteId> {
        self.with(|s| s.store.mkdir(&self.user, parent, name, Names::Unique))
    }

    /// A link to the folder at `target` (names from the root), like a LogicalDOC folder alias.
    pub fn link(&self, parent: &str, name: &str, target: &[&str]) -> Result<RemoteId> {
        self.with(|s| s.store.link(&self.user, parent, name, target))
    }

    /// A new folder even if a live sibling has that name (real stores can hold such pairs).
    pub fn mkdir_duplicate(&self, parent: &str, name: &str) -> Result<RemoteId> {
        self.with(|s| s.store.mkdir(&self.user, parent, name, Names::MayRepeat))
    }

    /// A new document, or a new version of the live document of that name (its id is
    /// returned); AlreadyExists if a live folder has that name. `mtime` is the content's.
    pub fn put(
        &self,
        parent: &str,
        name: &str,
        bytes: impl AsRef<[u8]>,
        mtime: SystemTime,
    ) -> Result<RemoteId> {
        let content = (Bytes::copy_from_slice(bytes.as_ref()), mtime);
        self.with(|s| {
            s.store
                .put(&self.user, parent, name, content, Names::Unique)
        })
    }

    /// A new document even if a live sibling has that name.
    pub fn put_duplicate(
        &self,
        parent: &str,
        name: &str,
        bytes: impl AsRef<[u8]>,
        mtime: SystemTime,
    ) -> Result<RemoteId> {
        let content = (Bytes::copy_from_slice(bytes.as_ref()), mtime);
        self.with(|s| {
            s.store
                .put(&self.user, parent, name, content, Names::MayRepeat)
        })
    }

    /// A new version of `doc`, which becomes its content; returns the version id.
    pub fn new_version(
        &self,
        doc: &str,
        bytes: impl AsRef<[u8]>,
        mtime: SystemTime,
    ) -> Result<String> {
        let bytes = Bytes::copy_from_slice(bytes.as_ref());
        self.with(|s| s.store.new_version(&self.user, doc, bytes, mtime))
    }

    pub fn rename(&self, id: &str, new_name: &str) -> Result<()> {
        self.with(|s| s.store.rename(&self.user, id, new_name))
    }

    /// Moves the item into folder `new_parent` (Contributor needed on both).
    pub fn move_to(&self, id: &str, new_parent: &str) -> Result<()> {
        self.with(|s| s.store.move_to(&self.user, id, new_parent))
    }

    /// Moves the item, with its contents, to the recycle bin (a no-op if it is there).
    pub fn recycle(&self, id: &str) -> Result<()> {
        self.with(|s| s.store.recycle(&self.user, id))
    }

    /// Brings a recycled item back to its folder; AlreadyExists if a live item there has its
    /// name. A no-op for a live item.
    pub fn restore(&self, id: &str) -> Result<()> {
        self.with(|s| s.store.restore(&self.user, id))
    }

    /// Deletes the item and everything under it for good (Coowner needed).
    pub fn delete(&self, id: &str) -> Result<()> {
        self.with(|s| s.store.delete(&self.user, id))
    }

    /// Grants `with_user` `role` on the item (Coowner needed; `Role::Owner` is Invalid).
    pub fn share(&self, id: &str, with_user: &str, role: Role) -> Result<()> {
        self.with(|s| s.store.share(&self.user, id, with_user, role))
    }

    /// Removes the direct share of the item with `user` (Coowner needed).
    pub fn unshare(&self, id: &str, user: &str) -> Result<()> {
        self.with(|s| s.store.unshare(&self.user, id, user))
    }

    /// The latest version's content of `doc`, whoever may read it. Panics if `doc` is not a
    /// document of the store.
    pub fn content(&self, doc: &str) -> Vec<u8> {
        self.with(|s| {
            let item = s.store.item(doc).unwrap_or_else(|e| panic!("content: {e}"));
            let latest = item.versions.last();
            latest
                .unwrap_or_else(|| panic!("content: {doc} is a folder"))
                .bytes
                .to_vec()
        })
    }

    /// How many versions `doc` has (0 if there is no such document).
    pub fn version_count(&self, doc: &str) -> usize {
        self.with(|s| s.store.item(doc).map_or(0, |i| i.versions.len()))
    }

    /// The item as a listing would report it, whoever may see it; `None` if there is none.
    pub fn node(&self, id: &str) -> Option<Node> {
        self.with(|s| s.store.item(id).ok().map(|i| i.node()))
    }

    /// The whole collection as this user sees it, in listing order, in one go.
    pub fn list_all(&self, what: &Collection) -> Result<Vec<Node>> {
        self.with(|s| {
            let page = s.store.list(&self.user, what, None, usize::MAX)?;
            Ok(page.items)
        })
    }

    /// The logical clock: the stamp of the last change (the next one gets a second more).
    pub fn now(&self) -> SystemTime {
        self.with(|s| s.store.now())
    }

    /// Sets the logical clock (later changes are stamped after `now`).
    pub fn set_now(&self, now: SystemTime) {
        self.with(|s| s.store.set_now(now));
    }
}
