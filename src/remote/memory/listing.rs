//! What the in-memory store answers to [`Remote`](crate::remote::Remote) queries: roots, paged
//! listings (a folder, the recycle bin, shared-with-me), roles and version content.
//!
//! Paging is keyset paging, as the embedded server does it. A listing is ordered folders first,
//! then documents, each by name then id; a marker stands for the position (kind, name, id) of
//! the last item of its page, and the next page is the items after that position *at the time
//! it is asked for*. So across a paged walk:
//! - every item present for the whole walk and not renamed or moved is returned exactly once,
//!   and the items come in listing order;
//! - an item added between pages is returned iff it sorts after the marker it is paged past
//!   with; an item removed between pages is not returned after its removal;
//! - a renamed item may be seen twice or not at all (its position crossed the marker).
//!
//! Markers are opaque strings; the store remembers each it issued with the collection it pages,
//! and any other string (or a marker of another collection) is Invalid.

use std::ops::Range;

use bytes::Bytes;

use super::store::{Item, Position, Store};
use crate::remote::{Collection, NodeKind, Page, RemoteError, Role, Roots};

impl Store {
    pub fn roots(&self, user: &str) -> Result<Roots, RemoteError> {
        Ok(Roots {
            user_id: Some(user.to_owned()),
            root: self.root_of(user)?.clone(),
            has_recycle_bin: true,
            has_shared_with_me: true,
            root_role: Role::Owner,
        })
    }

    /// One page of `what` as `user` sees it, at most `page_size` items after `marker`.
    pub fn list(
        &mut self,
        user: &str,
        what: &Collection,
        marker: Option<&str>,
        page_size: usize,
    ) -> Result<Page, RemoteError> {
        let page_size = page_size.max(1);
        let members = self.members(user, what)?;
        let after = marker.map(|m| self.resume_after(what, m)).transpose()?;
        let mut rest: Vec<(Position, &Item)> = members
            .into_iter()
            .map(|i| (i.position(), i))
            .filter(|(pos, _)| after.as_ref().is_none_or(|a| pos > a))
            .collect();
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        let more = rest.len() > page_size;
        rest.truncate(page_size);
        let items = rest.iter().map(|(_, i)| i.node()).collect();
        let last = rest.pop().filter(|_| more).map(|(pos, _)| pos);
        let next_marker = last.map(|pos| self.issue_marker(what, pos));
        Ok(Page { items, next_marker })
    }

    /// The items a collection holds for `user`, unordered.
    fn members(&self, user: &str, what: &Collection) -> Result<Vec<&Item>, RemoteError> {
        self.root_of(user)?;
        Ok(match what {
            Collection::Folder(id) => {
                let folder = self.require(user, id, Role::Viewer)?;
                if folder.kind != NodeKind::Folder {
                    return Err(RemoteError::NotFound(format!("no folder {id}")));
                }
                self.children(id).filter(|i| i.is_live()).collect()
            }
            Collection::RecycleBin => self
                .items
                .values()
                .filter(|i| {
                    i.recycled_by
                        .as_ref()
                        .is_some_and(|by| by == user || i.owner == user)
                })
                .collect(),
            Collection::SharedWithMe => self
                .shares
                .keys()
                .filter(|(_, with)| with == user)
                .filter_map(|(id, _)| self.items.get(id))
                .filter(|i| i.is_live() && i.owner != user)
                .collect(),
        })
    }

    fn resume_after(&self, what: &Collection, marker: &str) -> Result<Position, RemoteError> {
        self.markers
            .get(&(what.clone(), marker.to_owned()))
            .cloned()
            .ok_or_else(|| RemoteError::Invalid(format!("marker {marker:?} was not issued here")))
    }

    fn issue_marker(&mut self, what: &Collection, pos: Position) -> String {
        let marker = format!("after:{}:{}:{}", pos.0, pos.2, pos.1);
        self.markers.insert((what.clone(), marker.clone()), pos);
        marker
    }

    /// The content of version `version` of `doc`, when `user` may read it.
    pub fn version_bytes(
        &self,
        user: &str,
        doc: &str,
        version: &str,
    ) -> Result<Bytes, RemoteError> {
        let item = self.require(user, doc, Role::Viewer)?;
        if item.kind != NodeKind::Document {
            return Err(RemoteError::NotFound(format!("no document {doc}")));
        }
        item.versions
            .iter()
            .find(|v| v.id == version)
            .map(|v| v.bytes.clone())
            .ok_or_else(|| RemoteError::NotFound(format!("no version {version} of {doc}")))
    }
}

/// `range` of `bytes`, clamped to its length, cut into pieces of at most `chunk` bytes.
pub(super) fn chunks(bytes: &Bytes, range: Range<u64>, chunk: usize) -> Vec<Bytes> {
    let len = bytes.len() as u64;
    let end = range.end.min(len) as usize;
    let start = range.start.min(end as u64) as usize;
    (start..end)
        .step_by(chunk.max(1))
        .map(|at| bytes.slice(at..end.min(at + chunk.max(1))))
        .collect()
}
