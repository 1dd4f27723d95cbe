//! Changes to the in-memory store, each made as a given user and checked as the embedded server
//! checks them (see docs/SEMANTICS.md): creating folders and documents, new versions, rename,
//! move, recycle, restore, delete for good, share and unshare. Contributor is needed to create
//! or change, Coowner to delete or (un)share; nothing in a recycle bin can be changed.

use std::time::SystemTime;

use bytes::Bytes;

use super::store::{Item, Store, Version, validate_name};
use crate::remote::{NodeKind, RemoteError, RemoteId, Role};

/// Whether a new item must take a name no live sibling has (the normal case), or may repeat
/// one (what real stores sometimes hold, and the filesystem must still show).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Names {
    Unique,
    MayRepeat,
}

impl Store {
    /// Creates an item in `parent`, owned by the parent's owner (as the server does).
    fn create(
        &mut self,
        user: &str,
        parent: &str,
        name: &str,
        kind: NodeKind,
        names: Names,
    ) -> Result<RemoteId, RemoteError> {
        validate_name(name)?;
        let owner = self.writable_folder(user, parent)?.owner.clone();
        if names == Names::Unique {
            self.ensure_name_free(parent, name, "")?;
        }
        let id = self.fresh_id(if kind == NodeKind::Folder { "f" } else { "d" });
        let now = self.tick();
        let item = Item {
            id: id.clone(),
            kind,
            name: name.to_owned(),
            parent: Some(parent.to_owned()),
            owner,
            ctime: now,
            modified: now,
            recycled_by: None,
            versions: Vec::new(),
            link: None,
        };
        self.items.insert(id.clone(), item);
        Ok(id)
    }

    /// A link `name` in `parent` to the folder at `target` (names from the root), as a
    /// LogicalDOC folder alias appears.
    pub fn link(
        &mut self,
        user: &str,
        parent: &str,
        name: &str,
        target: &[&str],
    ) -> Result<RemoteId, RemoteError> {
        let id = self.create(user, parent, name, NodeKind::Link, Names::Unique)?;
        let item = self.items.get_mut(&id).expect("just made");
        item.link = Some(target.iter().map(|s| s.to_string()).collect());
        Ok(id)
    }

    pub fn mkdir(
        &mut self,
        user: &str,
        parent: &str,
        name: &str,
        names: Names,
    ) -> Result<RemoteId, RemoteError> {
        self.create(user, parent, name, NodeKind::Folder, names)
    }

    /// A new document, or (with `Names::Unique`) a new version of the live document of that
    /// name; a live folder of that name is AlreadyExists.
    pub fn put(
        &mut self,
        user: &str,
        parent: &str,
        name: &str,
        content: (Bytes, SystemTime),
        names: Names,
    ) -> Result<RemoteId, RemoteError> {
        validate_name(name)?;
        self.writable_folder(user, parent)?;
        let existing = match names {
            Names::Unique => self.live_named(parent, name, ""),
            Names::MayRepeat => None,
        };
        let id = match existing {
            Some(item) if item.kind == NodeKind::Folder => {
                return Err(RemoteError::AlreadyExists(format!(
                    "{name:?} in {parent} is a folder"
                )));
            }
            Some(doc) => doc.id.clone(),
            None => self.create(user, parent, name, NodeKind::Document, names)?,
        };
        self.new_version(user, &id, content.0, content.1)?;
        Ok(id)
    }

    /// Adds a version to `doc`; returns the version's id.
    pub fn new_version(
        &mut self,
        user: &str,
        doc: &str,
        bytes: Bytes,
        mtime: SystemTime,
    ) -> Result<String, RemoteError> {
        let item = self.require(user, doc, Role::Contributor)?;
        if item.kind != NodeKind::Document {
            return Err(RemoteError::NotFound(format!("no document {doc}")));
        }
        if self.in_bin(doc) {
            return Err(RemoteError::Conflict(format!(
                "{doc} is in the recycle bin"
            )));
        }
        let id = self.fresh_id("v");
        let now = self.tick();
        let item = self.item_mut(doc)?;
        item.modified = now;
        let version = Version {
            id: id.clone(),
            bytes,
            mtime,
            created: now,
        };
        item.versions.push(version);
        Ok(id)
    }

    pub fn rename(&mut self, user: &str, id: &str, name: &str) -> Result<(), RemoteError> {
        validate_name(name)?;
        let item = self.changeable(user, id)?;
        let parent = item.parent.clone().unwrap_or_default();
        self.ensure_name_free(&parent, name, id)?;
        let now = self.tick();
        let item = self.item_mut(id)?;
        if item.name != name {
            item.name = name.to_owned();
            item.modified = now;
        }
        Ok(())
    }

    pub fn move_to(&mut self, user: &str, id: &str, parent: &str) -> Result<(), RemoteError> {
        let item = self.changeable(user, id)?;
        if item.parent.as_deref() == Some(parent) {
            return Ok(());
        }
        let name = item.name.clone();
        self.writable_folder(user, parent)?;
        if self.ancestry(parent).iter().any(|a| a.id == id) {
            return Err(RemoteError::Invalid(format!(
                "{id} cannot move into itself"
            )));
        }
        self.ensure_name_free(parent, &name, id)?;
        let now = self.tick();
        let item = self.item_mut(id)?;
        item.parent = Some(parent.to_owned());
        item.modified = now;
        Ok(())
    }

    /// Moves the item (with its contents) to the recycle bin; recycling it again is a no-op.
    pub fn recycle(&mut self, user: &str, id: &str) -> Result<(), RemoteError> {
        if !self.require(user, id, Role::Contributor)?.is_live() {
            return Ok(());
        }
        self.changeable(user, id)?;
        let now = self.tick();
        let item = self.item_mut(id)?;
        item.recycled_by = Some(user.to_owned());
        item.modified = now;
        Ok(())
    }

    /// Brings a recycled item back to its folder; restoring a live item is a no-op.
    pub fn restore(&mut self, user: &str, id: &str) -> Result<(), RemoteError> {
        let item = self.require(user, id, Role::Contributor)?;
        if item.is_live() {
            return Ok(());
        }
        let (parent, name) = (item.parent.clone().unwrap_or_default(), item.name.clone());
        self.ensure_name_free(&parent, &name, id)?;
        let now = self.tick();
        let item = self.item_mut(id)?;
        item.recycled_by = None;
        item.modified = now;
        Ok(())
    }

    /// Deletes the item and everything under it for good, with their shares.
    pub fn delete(&mut self, user: &str, id: &str) -> Result<(), RemoteError> {
        if self.require(user, id, Role::Coowner)?.parent.is_none() {
            return Err(RemoteError::Conflict(format!("{id} is a root folder")));
        }
        let mut doomed = vec![id.to_owned()];
        let mut at = 0;
        while let Some(next) = doomed.get(at).cloned() {
            doomed.extend(self.children(&next).map(|c| c.id.clone()));
            at += 1;
        }
        for gone in &doomed {
            self.items.remove(gone);
        }
        self.shares.retain(|(item, _), _| !doomed.contains(item));
        self.tick();
        Ok(())
    }

    /// Grants `with` the role `role` on the item (replacing an earlier grant).
    pub fn share(
        &mut self,
        user: &str,
        id: &str,
        with: &str,
        role: Role,
    ) -> Result<(), RemoteError> {
        let owner = self.require(user, id, Role::Coowner)?.owner.clone();
        if role == Role::Owner {
            return Err(RemoteError::Invalid(
                "Owner cannot be granted; use Coowner".into(),
            ));
        }
        if !self.users.contains_key(with) {
            return Err(RemoteError::NotFound(format!("user {with}")));
        }
        if with == owner {
            return Err(RemoteError::Invalid(format!("{with} owns {id}")));
        }
        self.shares.insert((id.to_owned(), with.to_owned()), role);
        self.tick();
        Ok(())
    }

    /// Removes the direct share of the item with `with`, if any.
    pub fn unshare(&mut self, user: &str, id: &str, with: &str) -> Result<(), RemoteError> {
        self.require(user, id, Role::Coowner)?;
        self.shares.remove(&(id.to_owned(), with.to_owned()));
        self.tick();
        Ok(())
    }
}
