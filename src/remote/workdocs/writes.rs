//! The tree-changing operations of [`WorkDocsRemote`] other than uploads: CreateFolder,
//! UpdateFolder / UpdateDocument (rename, move, recycle, restore — the last with an optional
//! move in the same call), DeleteFolder / DeleteDocument, and modification times set after an
//! upload (a document label, see [`super::labels`]).

use std::time::SystemTime;

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{WorkDocsRemote, enc, wire};
use crate::remote::labels;
use crate::remote::{Node, NodeKind, Relocation, RemoteError, RemoteId};

/// The operation names and path of an item's Update*/Delete* routes.
fn item_route(id: &str, kind: NodeKind) -> (&'static str, &'static str, String) {
    match kind {
        // WorkDocs has no links; a folder route is as good an answer as any.
        NodeKind::Folder | NodeKind::Link => (
            "UpdateFolder",
            "DeleteFolder",
            format!("/api/v1/folders/{}", enc(id)),
        ),
        NodeKind::Document => (
            "UpdateDocument",
            "DeleteDocument",
            format!("/api/v1/documents/{}", enc(id)),
        ),
    }
}

/// The `Name` / `ParentFolderId` members of an Update* body.
fn relocation_body(to: &Relocation) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(name) = &to.name {
        body.insert("Name".into(), json!(name));
    }
    if let Some(parent) = &to.parent {
        body.insert("ParentFolderId".into(), json!(parent));
    }
    body
}

impl WorkDocsRemote {
    pub(super) async fn create_folder_at(
        &self,
        parent: &RemoteId,
        name: &str,
    ) -> Result<Node, RemoteError> {
        const OP: &str = "CreateFolder";
        let body = json!({ "Name": name, "ParentFolderId": parent });
        let answer: Result<wire::GetFolder, _> = self
            .transport
            .call(OP, Method::POST, "/api/v1/folders", Some(body))
            .await;
        match answer {
            Ok(answer) => answer.metadata.into_node(OP, false),
            // The answer was lost after the request went out: the folder may have been made.
            // Not sent again (a second one fails on the name); a folder of that name there now
            // is taken to be it — the one the caller asked for either way.
            Err(e) if e.is_transient() => self.child_folder(parent, name).await.ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// The folder named `name` in folder `parent`, if there is one.
    async fn child_folder(&self, parent: &RemoteId, name: &str) -> Option<Node> {
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .folder_page(parent, marker.as_deref(), false)
                .await
                .ok()?;
            let found = page
                .items
                .into_iter()
                .find(|n| n.kind == NodeKind::Folder && n.name == name);
            if let Some(found) = found {
                tracing::info!(folder = %found.id, "CreateFolder: the answer was lost, but the folder was made");
                return Some(found);
            }
            marker = Some(page.next_marker?);
        }
    }

    /// UpdateFolder / UpdateDocument with `body`.
    pub(super) async fn update_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        body: Map<String, Value>,
    ) -> Result<(), RemoteError> {
        let (op, _, path) = item_route(id, kind);
        let body = Some(Value::Object(body));
        self.transport.send(op, Method::PATCH, &path, body).await?;
        Ok(())
    }

    pub(super) async fn relocate_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        self.update_item(id, kind, relocation_body(to)).await
    }

    pub(super) async fn recycle_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<(), RemoteError> {
        let mut body = Map::new();
        body.insert("ResourceState".into(), json!("RECYCLED"));
        self.update_item(id, kind, body).await
    }

    /// Restores and, when `to` says so, renames and moves in one call.
    pub(super) async fn restore_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        let mut body = relocation_body(to);
        body.insert("ResourceState".into(), json!("ACTIVE"));
        self.update_item(id, kind, body).await
    }

    pub(super) async fn delete_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<(), RemoteError> {
        let (_, op, path) = item_route(id, kind);
        self.transport.send(op, Method::DELETE, &path, None).await?;
        Ok(())
    }

    /// Replaces the document's mtime label with one for `version`. A `version` that is no
    /// longer the latest is left alone (its label could never show); one that does not exist
    /// is NotFound.
    pub(super) async fn set_version_mtime(
        &self,
        doc: &RemoteId,
        version: &str,
        mtime: SystemTime,
    ) -> Result<(), RemoteError> {
        let label = labels::mtime_label(mtime, version).ok_or_else(|| {
            RemoteError::Invalid("set mtime: only times from 1970 to 2554 can be recorded".into())
        })?;
        let resource = format!("/api/v1/resources/{}/labels", enc(doc));
        // A document this client created: its labels are the ones it set.
        let known = self
            .created
            .lock()
            .expect("created lock")
            .get(doc)
            .and_then(|d| (d.version == version).then(|| d.labels.clone()));
        if let Some(existing) = known {
            self.replace_mtime_labels(&resource, &existing, &label)
                .await?;
            if let Some(d) = self.created.lock().expect("created lock").get_mut(doc) {
                d.labels = vec![label];
            }
            return Ok(());
        }
        let target = format!("/api/v1/documents/{}", enc(doc));
        let got: wire::GetDocument = self.transport.get("GetDocument", &target).await?;
        let latest = got.metadata.latest_version_metadata.as_ref();
        if latest.map(|v| v.id.as_str()) != Some(version) {
            let target = format!("/api/v1/documents/{}/versions/{}", enc(doc), enc(version));
            let _: wire::GetDocumentVersion =
                self.transport.get("GetDocumentVersion", &target).await?;
            tracing::debug!(%doc, version, "set mtime: not the latest version; nothing to do");
            return Ok(());
        }
        let existing = got.metadata.labels.unwrap_or_default();
        self.replace_mtime_labels(&resource, &existing, &label)
            .await
    }

    /// Deletes the mtime labels among `existing` other than `label`, and adds `label`.
    async fn replace_mtime_labels(
        &self,
        resource: &str,
        existing: &[String],
        label: &str,
    ) -> Result<(), RemoteError> {
        let stale: Vec<&String> = existing
            .iter()
            .filter(|l| l.starts_with(labels::PREFIX) && *l != label)
            .collect();
        if !stale.is_empty() {
            let query: Vec<String> = stale.iter().map(|l| format!("labels={}", enc(l))).collect();
            let target = format!("{resource}?{}", query.join("&"));
            self.transport
                .send("DeleteLabels", Method::DELETE, &target, None)
                .await?;
        }
        if !existing.iter().any(|l| l == label) {
            let body = json!({ "Labels": [label] });
            self.transport
                .send("CreateLabels", Method::PUT, resource, Some(body))
                .await?;
        }
        Ok(())
    }
}
