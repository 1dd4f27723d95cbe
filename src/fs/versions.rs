//! The read-only view of documents' previous versions. Every folder has a hidden `.versions`
//! folder: a lookup of that name answers (unless a real item has it, which wins), but no
//! `readdir` ever returns it — as ZFS's `.zfs` — so `ls -a`, `find` and `rsync -a` never walk
//! into it. `DIR/.versions/` lists one folder per document of `DIR`, under the same names;
//! `DIR/.versions/NAME/` lists that document's versions, the latest included, as read-only files
//! named `v<label>_<YYYYMMDDTHHMMSSZ><ext>` ([`file_name`]); a version id looks up too, unlisted.
//!
//! This module owns the view's inodes (`Origin::VersionsOf`, `VersionList`, `Version`), its
//! listings and their cache, and the names. The core's own paths do the rest: a view folder's
//! listing is a [`Listing`] that `fetch_page` fills from here in one go instead of from
//! `Remote::list`; a version file's inode carries a [`Node`] naming the document and the
//! version, so `open`/`read` stream it through the usual read-ahead (`read.rs` keys its state by
//! document and version, not by inode). Everything that would change the view is `ReadOnly`
//! (EROFS). It lives apart so the hooks elsewhere stay one line each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use super::dir::{Listing, ListingState};
use super::inode::{Ino, Inode, Origin};
use super::{Fs, FsError, FsResult, names};
use crate::remote::{Collection, Node, NodeKind, Remote, RemoteId, Role, Version};

/// The hidden folder's name in every folder.
pub const VERSIONS_NAME: &str = ".versions";

/// Cached version lists, by the inode of their `.versions/NAME` folder.
#[derive(Default)]
pub struct Views {
    lists: Mutex<HashMap<Ino, Arc<Listing>>>,
}

/// The file name of version `label` modified at `mtime`, of a document named `doc_name` (whose
/// extension it keeps, so that tools recognise the type): `v2_20261124T101503Z.txt`.
pub fn file_name(label: &str, mtime: SystemTime, doc_name: &str) -> String {
    let ms = mtime
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    // 2026-11-24T10:15:03.123Z → 20261124T101503Z
    let iso = crate::clock::format_iso8601_ms(ms);
    let stamp: String = iso[..19]
        .chars()
        .filter(|c| *c != '-' && *c != ':')
        .collect();
    let ext = std::path::Path::new(doc_name)
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let name = names::to_local(&format!("v{label}_{stamp}Z{ext}"));
    if name.len() > names::NAME_MAX {
        return names::to_local(&format!("v{label}_{stamp}Z"));
    }
    name
}

/// The label and the time stamp (`YYYYMMDDTHHMMSSZ`) of a name made by [`file_name`].
pub fn parse_file_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix('v')?;
    let (label, rest) = rest.split_once('_')?;
    let stamp = rest.get(..16)?;
    let well_formed = stamp.len() == 16
        && stamp.as_bytes()[8] == b'T'
        && stamp.ends_with('Z')
        && stamp[..8]
            .bytes()
            .chain(stamp[9..15].bytes())
            .all(|b| b.is_ascii_digit());
    (!label.is_empty() && well_formed).then_some((label, stamp))
}

impl<R: Remote> Fs<R> {
    /// What a lookup of `name` in `dir` finds when no listed entry has that name: the hidden
    /// `.versions` folder of a store folder, or a version of a version list by its id.
    pub(super) async fn hidden_entry(&self, dir: Ino, name: &str) -> FsResult<Option<Ino>> {
        let d = self.inode(dir)?;
        if d.kind != NodeKind::Folder {
            return Ok(None);
        }
        match &d.origin {
            Origin::VersionList(_) => {
                let listing = self.listing(dir)?;
                let mut state = listing.state.lock().await;
                if !state.complete {
                    self.fill_view(&listing, &mut state).await?;
                }
                let t = self.inodes.lock().expect("inode lock");
                Ok(state.entries.iter().map(|(_, ino)| *ino).find(|&ino| {
                    t.get(ino).is_some_and(
                        |i| matches!(&i.origin, Origin::Version { version, .. } if version == name),
                    )
                }))
            }
            _ if name != VERSIONS_NAME => Ok(None),
            Origin::Root => Ok(Some(self.versions_folder(dir, self.roots.root.clone()))),
            Origin::Remote(id) => Ok(Some(self.versions_folder(dir, id.clone()))),
            _ => Ok(None),
        }
    }

    fn versions_folder(&self, dir: Ino, folder: RemoteId) -> Ino {
        self.inodes.lock().expect("inode lock").view_item(
            Origin::VersionsOf(folder),
            NodeKind::Folder,
            dir,
            VERSIONS_NAME.to_owned(),
            None,
        )
    }

    /// The listing of a view folder: a version list younger than the TTL (and still ending at
    /// the document's latest version as this mount knows it) is reused; a `.versions` folder is
    /// listed afresh each time from its folder's (cached) listing.
    pub(super) fn view_listing(&self, dir: Ino, i: &Inode) -> FsResult<Arc<Listing>> {
        let doc = match &i.origin {
            Origin::VersionsOf(folder) => {
                return Ok(Listing::new(dir, Collection::Folder(folder.clone()), &[]));
            }
            Origin::VersionList(doc) => doc,
            _ => return Err(FsError::NotDir),
        };
        let ttl = self.config.metadata_ttl;
        let mut lists = self.views.lists.lock().expect("views lock");
        if let Some(l) = lists.get(&dir) {
            if (l.started.elapsed() < ttl && self.ends_at_latest(l, doc)) || self.remote.offline() {
                return Ok(l.clone());
            }
        }
        lists.retain(|_, l| l.started.elapsed() < ttl);
        // Never listed through `Remote::list`: `fill_view` fills it (the collection only names
        // the document the listing is about).
        let fresh = Listing::new(dir, Collection::Folder(doc.clone()), &[]);
        lists.insert(dir, fresh.clone());
        Ok(fresh)
    }

    /// Whether a version list (being filled, or complete) ends at the version of `doc` this
    /// mount last saw, so that a version written through this mount shows at once.
    fn ends_at_latest(&self, l: &Listing, doc: &RemoteId) -> bool {
        let Ok(state) = l.state.try_lock() else {
            return true;
        };
        if !state.complete {
            return true;
        }
        let t = self.inodes.lock().expect("inode lock");
        let latest = t
            .ino_of(doc)
            .and_then(|ino| t.get(ino)?.node.as_ref()?.version.clone());
        let last = state
            .entries
            .last()
            .and_then(|(_, ino)| match &t.get(*ino)?.origin {
                Origin::Version { version, .. } => Some(version.clone()),
                _ => None,
            });
        latest.is_none_or(|latest| last.as_ref() == Some(&latest))
    }

    /// Fills a view folder's listing completely.
    pub(super) async fn fill_view(
        &self,
        listing: &Listing,
        state: &mut ListingState,
    ) -> FsResult<()> {
        let me = self.inode(listing.dir)?;
        match &me.origin {
            Origin::VersionsOf(_) => {
                for (name, doc) in self.documents_of(me.parent).await? {
                    let ino = self.inodes.lock().expect("inode lock").view_item(
                        Origin::VersionList(doc),
                        NodeKind::Folder,
                        listing.dir,
                        name.clone(),
                        None,
                    );
                    state.push(name, ino);
                }
            }
            Origin::VersionList(doc) => {
                let versions = self.remote.versions(doc).await?;
                let mut t = self.inodes.lock().expect("inode lock");
                let current = t.ino_of(doc).and_then(|ino| t.get(ino)?.node.clone());
                for v in versions {
                    let node = version_node(doc, &v, current.as_ref());
                    let name = file_name(&v.label, node.mtime, &me.name);
                    let origin = Origin::Version {
                        doc: doc.clone(),
                        version: v.id,
                    };
                    let ino = t.view_item(
                        origin,
                        NodeKind::Document,
                        listing.dir,
                        name.clone(),
                        Some(node),
                    );
                    state.push(name, ino);
                }
            }
            _ => return Err(FsError::NotDir),
        }
        state.marker = None;
        state.complete = true;
        Ok(())
    }

    /// The documents of folder `dir` that the store has, with their names there.
    async fn documents_of(&self, dir: Ino) -> FsResult<Vec<(String, RemoteId)>> {
        let listing = self.listing(dir)?;
        let mut state = listing.state.lock().await;
        while !state.complete {
            self.fetch_page(&listing, &mut state).await?;
        }
        let t = self.inodes.lock().expect("inode lock");
        Ok(state
            .entries
            .iter()
            .filter(|(name, ino)| state.names.get(name) == Some(ino))
            .filter_map(|(name, ino)| {
                let i = t.get(*ino)?;
                match (&i.origin, i.kind) {
                    (Origin::Remote(id), NodeKind::Document) => Some((name.clone(), id.clone())),
                    _ => None,
                }
            })
            .collect())
    }

    /// EROFS for a change inside the view.
    pub(super) fn refuse_in_view(&self, ino: Ino) -> FsResult<()> {
        if self.inode(ino)?.origin.in_versions_view() {
            return Err(FsError::ReadOnly);
        }
        Ok(())
    }

    /// The entry `name` of `dir` that a change (unlink, rmdir, rename) is about: EROFS inside
    /// the view and for the hidden `.versions` folder itself, ENOENT when there is none.
    pub(super) async fn find_to_change(&self, dir: Ino, name: &str) -> FsResult<Ino> {
        self.refuse_in_view(dir)?;
        match self.find(dir, name).await? {
            Some(ino) => Ok(ino),
            None if self.hidden_entry(dir, name).await?.is_some() => Err(FsError::ReadOnly),
            None => Err(FsError::NotFound),
        }
    }
}

/// The attributes of a version file: the version's size and times; the latest version shows
/// the document's own mtime (which may come from an mtime label the version list lacks).
fn version_node(doc: &RemoteId, v: &Version, current: Option<&Node>) -> Node {
    let mtime = match current {
        Some(n) if n.version.as_deref() == Some(v.id.as_str()) => n.mtime,
        _ => v.mtime,
    };
    Node {
        id: doc.clone(),
        kind: NodeKind::Document,
        name: current.map_or_else(String::new, |n| n.name.clone()),
        parent: None,
        size: v.size,
        mtime,
        ctime: v.created,
        version: Some(v.id.clone()),
        recycled: false,
        role: Some(Role::Viewer),
        link: None,
        digest: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_carry_label_time_and_extension() {
        let at = UNIX_EPOCH + Duration::from_millis(1_795_515_303_999);
        assert_eq!(file_name("2", at, "notes.txt"), "v2_20261124T101503Z.txt");
        assert_eq!(
            file_name("1.1", at, "archive.tar.gz"),
            "v1.1_20261124T101503Z.gz"
        );
        assert_eq!(file_name("3", at, "Makefile"), "v3_20261124T101503Z");
        assert_eq!(file_name("3", at, ".bashrc"), "v3_20261124T101503Z");
        let long = format!("a.{}", "x".repeat(250));
        assert_eq!(file_name("1", at, &long), "v1_20261124T101503Z");
    }

    #[test]
    fn names_parse_back() {
        assert_eq!(
            parse_file_name("v1.1_20261124T101503Z.txt"),
            Some(("1.1", "20261124T101503Z"))
        );
        assert_eq!(
            parse_file_name("v12_20261124T101503Z"),
            Some(("12", "20261124T101503Z"))
        );
        for bad in [
            "x1_20261124T101503Z",
            "v_20261124T101503Z",
            "v1_2026",
            "v1_20261124X101503Z",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }
}
