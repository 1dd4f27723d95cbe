//! The tree-changing operations of [`LogicalDocRemote`] other than uploads: `folder/create`,
//! renames and moves (`folder/rename|move`, `document/rename|move`), deletion and the recycle
//! bin (`document/delete` recorded in [`super::trash`], `document/restore`), and modification
//! times kept as an mtime tag (`document/update` with the document's full description, since
//! `update` overwrites every field it is given). LogicalDOC renames a document whose new name is
//! taken to `base(1).ext` instead of refusing; a document's rename or move is therefore read
//! back, and a name that came out different is undone and reported as taken.

use std::time::SystemTime;

use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use super::trash::Deleted;
use super::{LogicalDocRemote, enc, json, number, wire};
use crate::remote::{Node, NodeKind, Relocation, RemoteError, RemoteId, labels};

impl LogicalDocRemote {
    /// PUT `rest/{path}` with no body; 204 expected. Not resent once the server may have
    /// acted: a second move, rename or restore fails ("No Changes", an unknown id) where the
    /// first one worked.
    pub(super) async fn put(&self, op: &'static str, path: &str) -> Result<(), RemoteError> {
        let url = self.session.rest_url(path);
        self.session
            .send(op, false, |c| c.put(&url))
            .await
            .map(drop)
    }

    async fn delete_call(&self, op: &'static str, path: &str) -> Result<(), RemoteError> {
        let url = self.session.rest_url(path);
        self.session
            .send(op, false, |c| c.delete(&url))
            .await
            .map(drop)
    }

    pub(super) async fn create_folder_in(
        &self,
        parent: &RemoteId,
        name: &str,
    ) -> Result<Node, RemoteError> {
        const OP: &str = "folder/create";
        let body = json!({ "name": name, "parentId": number(parent)? }).to_string();
        let url = self.session.rest_url("folder/create");
        let answer = self
            .session
            .send(OP, false, |c| {
                c.post(&url)
                    .header(CONTENT_TYPE, "application/json")
                    .body(body.clone())
            })
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            // The answer was lost after the request went out: the folder may have been made.
            // Not sent again (a second one fails on the name); a folder of that name there now
            // is taken to be it — the one the caller asked for either way.
            Err(e) if e.is_transient() => return self.child_folder(parent, name).await.ok_or(e),
            Err(e) => return Err(e),
        };
        let v = super::parse_json(OP, &answer)?;
        let node =
            wire::folder(OP, &v)?.ok_or_else(|| wire::protocol(OP, "the answer is the root"))?;
        if node.name != name {
            return Err(wire::protocol(
                OP,
                "the folder was created under another name",
            ));
        }
        Ok(node)
    }

    /// The folder (not an alias) named `name` in folder `parent`, if there is one.
    async fn child_folder(&self, parent: &RemoteId, name: &str) -> Option<Node> {
        const OP: &str = "folder/listChildren";
        let path = format!("folder/listChildren?folderId={}", number(parent).ok()?);
        let listed = self.get_json(OP, &path).await.ok()?;
        let found = json::items(&listed).into_iter().find_map(|item| {
            let node = wire::folder(OP, item).ok()??;
            (node.name == name && wire::alias_target(item).is_none()).then_some(node)
        })?;
        tracing::info!(folder = %found.id, "folder/create: the answer was lost, but the folder was made");
        Some(found)
    }

    /// [`LogicalDocRemote::put`] of a change to document `id` that can be read back: when the
    /// answer is lost after the request went out, the document is read again, and the change
    /// counts as made if `done` holds for it (it is not sent again: a second move or rename
    /// fails where the first worked).
    async fn put_verified(
        &self,
        op: &'static str,
        path: &str,
        id: &RemoteId,
        done: impl Fn(&Value) -> bool,
    ) -> Result<(), RemoteError> {
        match self.put(op, path).await {
            Err(e) if e.is_transient() => match self.document(id).await {
                Ok(now) if done(&now) => {
                    tracing::info!(op, doc = %id, "the answer was lost, but the change was made");
                    Ok(())
                }
                _ => Err(e),
            },
            other => other,
        }
    }

    pub(super) async fn relocate_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        let n = number(id)?;
        match kind {
            NodeKind::Folder | NodeKind::Link => {
                if let Some(parent) = &to.parent {
                    let path = format!("folder/move?folderId={n}&parentId={}", number(parent)?);
                    self.put("folder/move", &path).await?;
                }
                if let Some(name) = &to.name {
                    let path = format!("folder/rename?folderId={n}&name={}", enc(name));
                    self.put("folder/rename", &path).await?;
                }
                Ok(())
            }
            NodeKind::Document => {
                let before = self.document(id).await?;
                let old_name = json::string(&before, "fileName").ok_or_else(|| {
                    wire::protocol("document/getDocument", "a document without a fileName")
                })?;
                let old_folder = json::int(&before, "folderId").map(|f| f.to_string());
                let wanted = to.name.clone().unwrap_or_else(|| old_name.clone());
                if let Some(folder) = to.parent.as_ref().or(old_folder.as_ref()) {
                    if self.name_taken(folder, &wanted, Some(id)).await? {
                        return Err(RemoteError::AlreadyExists(format!(
                            "{wanted:?} is taken in folder {folder}"
                        )));
                    }
                }
                if let Some(parent) = &to.parent {
                    let folder = number(parent)?;
                    let path = format!("document/move?docId={n}&folderId={folder}");
                    let moved = |d: &Value| json::int(d, "folderId") == Some(folder);
                    self.put_verified("document/move", &path, id, moved).await?;
                }
                if to.name.is_some() {
                    let path = format!("document/rename?docId={n}&name={}", enc(&wanted));
                    let renamed = |d: &Value| json::string(d, "fileName") == Some(wanted.clone());
                    self.put_verified("document/rename", &path, id, renamed)
                        .await?;
                }
                let actual = self.file_name(id).await?;
                if actual == wanted {
                    return Ok(());
                }
                // Another client took the name meanwhile: put the document back as it was.
                let undo = async {
                    if let (Some(_), Some(folder)) = (&to.parent, &old_folder) {
                        let path = format!("document/move?docId={n}&folderId={folder}");
                        self.put("document/move", &path).await?;
                    }
                    let path = format!("document/rename?docId={n}&name={}", enc(&old_name));
                    self.put("document/rename", &path).await
                };
                if let Err(e) = undo.await {
                    tracing::warn!(doc = %id, error = %e, "cannot undo a rename the server changed");
                }
                Err(RemoteError::AlreadyExists(format!(
                    "{wanted:?} is taken; the server named the document {actual:?}"
                )))
            }
        }
    }

    /// The current file name of document `id`.
    async fn file_name(&self, id: &str) -> Result<String, RemoteError> {
        let now = self.document(id).await?;
        json::string(&now, "fileName")
            .ok_or_else(|| wire::protocol("document/getDocument", "a document without a fileName"))
    }

    pub(super) async fn recycle_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<(), RemoteError> {
        let n = number(id)?;
        match kind {
            NodeKind::Folder | NodeKind::Link => {
                self.delete_call("folder/delete", &format!("folder/delete?folderId={n}"))
                    .await
            }
            NodeKind::Document => {
                let node = wire::document("document/getDocument", &self.document(id).await?)?;
                // Recorded first: a crash after the delete must not lose the item from the bin.
                if let Some(trash) = &self.trash {
                    trash.record(id, Deleted::of(&node))?;
                }
                let deleted = self
                    .delete_call("document/delete", &format!("document/delete?docId={n}"))
                    .await;
                if let (Err(_), Some(trash)) = (&deleted, &self.trash) {
                    trash.forget(id)?;
                }
                deleted
            }
        }
    }

    pub(super) async fn restore_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        if kind != NodeKind::Document {
            return Err(RemoteError::Unsupported(
                "LogicalDOC's API cannot restore a deleted folder".into(),
            ));
        }
        let recorded = self.trash.as_ref().and_then(|t| t.get(id));
        let recorded = recorded.ok_or_else(|| {
            RemoteError::NotFound(format!("document {id} is not in the recycle-bin record"))
        })?;
        let folder = to
            .parent
            .clone()
            .or(recorded.folder.clone())
            .ok_or_else(|| {
                RemoteError::Invalid(format!(
                    "the folder document {id} was deleted from is unknown"
                ))
            })?;
        let path = format!(
            "document/restore?docId={}&folderId={}",
            number(id)?,
            number(&folder)?
        );
        self.put("document/restore", &path).await?;
        if let Some(trash) = &self.trash {
            trash.forget(id)?;
        }
        match &to.name {
            Some(name) if *name != recorded.name => {
                let rename = Relocation {
                    name: Some(name.clone()),
                    parent: None,
                };
                self.relocate_item(id, NodeKind::Document, &rename).await
            }
            _ => Ok(()),
        }
    }

    pub(super) async fn delete_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<(), RemoteError> {
        // A recorded document is in LogicalDOC's own trash already: forgetting it is all the
        // API allows.
        if let Some(trash) = &self.trash {
            if trash.forget(id)? {
                return Ok(());
            }
        }
        let n = number(id)?;
        match kind {
            NodeKind::Folder | NodeKind::Link => {
                self.delete_call("folder/delete", &format!("folder/delete?folderId={n}"))
                    .await
            }
            NodeKind::Document => {
                self.delete_call("document/delete", &format!("document/delete?docId={n}"))
                    .await
            }
        }
    }

    pub(super) async fn set_version_mtime(
        &self,
        doc: &RemoteId,
        version: &str,
        mtime: SystemTime,
    ) -> Result<(), RemoteError> {
        let current = self.document(doc).await?;
        self.tag_mtime(current, version, mtime).await
    }

    /// Stores the mtime tag of `version` on the document `current` describes (replacing older
    /// mtime tags), through `document/update` with the whole description.
    pub(super) async fn tag_mtime(
        &self,
        mut current: Value,
        version: &str,
        mtime: SystemTime,
    ) -> Result<(), RemoteError> {
        const OP: &str = "document/update";
        let label = labels::mtime_label(mtime, version).ok_or_else(|| {
            RemoteError::Invalid(format!("{OP}: the time cannot be recorded (before 1970?)"))
        })?;
        let mut tags: Vec<String> = json::strings(&current, "tags")
            .into_iter()
            .filter(|t| !t.starts_with(labels::PREFIX))
            .collect();
        tags.push(label);
        current["tags"] = json!(tags);
        self.overwrite(NodeKind::Document, &current).await
    }
}
