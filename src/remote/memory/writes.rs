//! The write steps of the [`Remote`](crate::remote::Remote) trait on the in-memory store, built
//! from the same checked changes as the test-side API (`tree.rs`): each step either happens
//! whole or fails without a trace, as an upload at the real store does.

use std::time::SystemTime;

use bytes::Bytes;

use super::store::{Store, validate_name};
use super::tree::Names;
use crate::remote::{Node, NodeKind, Relocation, RemoteError, Upload, UploadTarget};

impl Store {
    pub fn create_folder(
        &mut self,
        user: &str,
        parent: &str,
        name: &str,
    ) -> Result<Node, RemoteError> {
        let id = self.mkdir(user, parent, name, Names::Unique)?;
        Ok(self.item(&id)?.node())
    }

    pub fn relocate(
        &mut self,
        user: &str,
        id: &str,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        let item = self.changeable(user, id)?;
        if item.kind != kind {
            return Err(RemoteError::NotFound(format!("no {kind:?} {id}")));
        }
        let parent = to
            .parent
            .clone()
            .or_else(|| item.parent.clone())
            .unwrap_or_default();
        let name = to.name.clone().unwrap_or_else(|| item.name.clone());
        validate_name(&name)?;
        // Check the whole change before making any of it.
        self.ensure_name_free(&parent, &name, id)?;
        if to.parent.is_some() {
            self.writable_folder(user, &parent)?;
            if self.ancestry(&parent).iter().any(|a| a.id == id) {
                return Err(RemoteError::Invalid(format!(
                    "{id} cannot move into itself"
                )));
            }
        }
        let now = self.tick();
        let item = self.item_mut(id)?;
        item.parent = Some(parent);
        item.name = name;
        item.modified = now;
        Ok(())
    }

    pub fn restore_to(&mut self, user: &str, id: &str, to: &Relocation) -> Result<(), RemoteError> {
        let item = self.require(user, id, crate::remote::Role::Contributor)?;
        if item.is_live() {
            return Err(RemoteError::Conflict(format!(
                "{id} is not in the recycle bin"
            )));
        }
        let parent = to
            .parent
            .clone()
            .or_else(|| item.parent.clone())
            .unwrap_or_default();
        let name = to.name.clone().unwrap_or_else(|| item.name.clone());
        validate_name(&name)?;
        self.writable_folder(user, &parent)?;
        self.ensure_name_free(&parent, &name, id)?;
        let now = self.tick();
        let item = self.item_mut(id)?;
        item.recycled_by = None;
        item.parent = Some(parent);
        item.name = name;
        item.modified = now;
        Ok(())
    }

    pub fn upload(&mut self, user: &str, up: &Upload, bytes: Bytes) -> Result<Node, RemoteError> {
        let id = match &up.target {
            UploadTarget::NewDocument { parent, name } => {
                validate_name(name)?;
                self.writable_folder(user, parent)?;
                self.ensure_name_free(parent, name, "")?;
                self.put(user, parent, name, (bytes, up.modified), Names::Unique)?
            }
            UploadTarget::NewVersion { doc } => {
                self.new_version(user, doc, bytes, up.modified)?;
                doc.clone()
            }
        };
        Ok(self.item(&id)?.node())
    }

    pub fn set_mtime(
        &mut self,
        user: &str,
        doc: &str,
        version: &str,
        mtime: SystemTime,
    ) -> Result<(), RemoteError> {
        self.require(user, doc, crate::remote::Role::Contributor)?;
        let item = self.item_mut(doc)?;
        let v = item
            .versions
            .iter_mut()
            .find(|v| v.id == version)
            .ok_or_else(|| RemoteError::NotFound(format!("no version {version} of {doc}")))?;
        v.mtime = mtime;
        Ok(())
    }
}
