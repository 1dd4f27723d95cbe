//! An item's labels, custom metadata, owner and signature for [`WorkDocsRemote`] (the mount's
//! extended attributes): read with GetDocument / GetFolder `includeCustomMetadata=true`,
//! written with CreateLabels / DeleteLabels (a new set is the difference to the current one)
//! and CreateCustomMetadata / DeleteCustomMetadata. The owner is the item's `CreatorId`, shown
//! as a user name: the caller's own from GetCurrentUser, others' from DescribeUsers (remembered;
//! the id itself when the lookup fails). The signature is the latest version's `Signature` for a
//! document, the folder's own `Signature` for a folder when the store sends one.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{WorkDocsRemote, enc};
use crate::remote::{ItemMetadata, NodeKind, RemoteError, RemoteId};

/// User names remembered per client.
pub(super) const NAMES_REMEMBERED: usize = 1024;

/// GetDocument / GetFolder with their custom metadata: the members read here only.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetItem {
    metadata: ItemShape,
    #[serde(default)]
    custom_metadata: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ItemShape {
    creator_id: Option<String>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    /// A folder's.
    signature: Option<String>,
    latest_version_metadata: Option<VersionShape>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VersionShape {
    signature: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeUsers {
    #[serde(default)]
    users: Option<Vec<UserShape>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserShape {
    id: String,
    username: Option<String>,
}

/// The operation and path reading an item (folder or document).
fn item_target(id: &str, kind: NodeKind) -> (&'static str, String) {
    match kind {
        NodeKind::Document => (
            "GetDocument",
            format!("/api/v1/documents/{}?includeCustomMetadata=true", enc(id)),
        ),
        // WorkDocs has no links; a folder route is as good an answer as any.
        NodeKind::Folder | NodeKind::Link => (
            "GetFolder",
            format!("/api/v1/folders/{}?includeCustomMetadata=true", enc(id)),
        ),
    }
}

/// `(added, removed)` going from `current` to `wanted`.
fn label_changes<'a>(
    current: &'a [String],
    wanted: &'a [String],
) -> (Vec<&'a String>, Vec<&'a String>) {
    let added = wanted.iter().filter(|l| !current.contains(l)).collect();
    let removed = current.iter().filter(|l| !wanted.contains(l)).collect();
    (added, removed)
}

fn not_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl WorkDocsRemote {
    async fn get_item(&self, id: &str, kind: NodeKind) -> Result<GetItem, RemoteError> {
        let (op, target) = item_target(id, kind);
        self.transport.get(op, &target).await
    }

    pub(super) async fn item_metadata(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<ItemMetadata, RemoteError> {
        let item = self.get_item(id, kind).await?;
        let m = item.metadata;
        let signature = match kind {
            NodeKind::Document => m.latest_version_metadata.and_then(|v| v.signature),
            NodeKind::Folder | NodeKind::Link => m.signature,
        };
        let owner = match not_empty(m.creator_id) {
            Some(creator) => Some(self.user_name(creator).await),
            None => None,
        };
        Ok(ItemMetadata {
            labels: m.labels.unwrap_or_default(),
            custom: item.custom_metadata.unwrap_or_default(),
            owner,
            signature: not_empty(signature),
        })
    }

    /// The user name of `user_id`, else the id (a failed lookup is not the caller's problem).
    async fn user_name(&self, user_id: String) -> String {
        if let Some(me) = self.identity.get() {
            if me.user_id == user_id {
                return me.username.clone().unwrap_or(user_id);
            }
        }
        if let Some(name) = self
            .user_names
            .lock()
            .expect("user name lock")
            .get(&user_id)
        {
            return name.clone();
        }
        let target = format!("/api/v1/users?userIds={}", enc(&user_id));
        let found: Result<DescribeUsers, _> = self.transport.get("DescribeUsers", &target).await;
        let name = match found {
            Ok(d) => d
                .users
                .into_iter()
                .flatten()
                .find(|u| u.id == user_id)
                .and_then(|u| not_empty(u.username)),
            Err(e) => {
                tracing::debug!(error = %e, "DescribeUsers: the owner is shown as an id");
                return user_id;
            }
        };
        match name {
            Some(name) => {
                self.user_names
                    .lock()
                    .expect("user name lock")
                    .put(user_id, name.clone());
                name
            }
            None => user_id,
        }
    }

    /// Makes `wanted` the item's labels: DeleteLabels for those to go, CreateLabels for the new.
    pub(super) async fn replace_labels(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        wanted: &[String],
    ) -> Result<(), RemoteError> {
        let current = self
            .get_item(id, kind)
            .await?
            .metadata
            .labels
            .unwrap_or_default();
        let (added, removed) = label_changes(&current, wanted);
        let resource = format!("/api/v1/resources/{}/labels", enc(id));
        // Deleted first: the store's limit counts the labels held at once.
        if !removed.is_empty() {
            let query: Vec<String> = removed
                .iter()
                .map(|l| format!("labels={}", enc(l)))
                .collect();
            let target = format!("{resource}?{}", query.join("&"));
            self.transport
                .send("DeleteLabels", Method::DELETE, &target, None)
                .await?;
        }
        if !added.is_empty() {
            let body = json!({ "Labels": added });
            self.transport
                .send("CreateLabels", Method::PUT, &resource, Some(body))
                .await?;
        }
        // What `set_mtime` knows of a document this client created stays true.
        if let Some(d) = self.created.lock().expect("created lock").get_mut(id) {
            d.labels = wanted.to_vec();
        }
        Ok(())
    }

    pub(super) async fn write_custom(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), RemoteError> {
        let _ = kind;
        let resource = format!("/api/v1/resources/{}/customMetadata", enc(id));
        match value {
            Some(value) => {
                let body = json!({ "CustomMetadata": { key: value } });
                self.transport
                    .send("CreateCustomMetadata", Method::PUT, &resource, Some(body))
                    .await?;
            }
            None => {
                let target = format!("{resource}?keys={}", enc(key));
                self.transport
                    .send("DeleteCustomMetadata", Method::DELETE, &target, None)
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_sets_change_by_difference() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let current = s(&["a", "b", "mtime=x"]);
        let wanted = s(&["b", "c", "mtime=x"]);
        let (added, removed) = label_changes(&current, &wanted);
        assert_eq!(added, [&"c".to_string()]);
        assert_eq!(removed, [&"a".to_string()]);
    }

    #[test]
    fn answers_parse_with_and_without_metadata() {
        let doc: GetItem = serde_json::from_str(
            r#"{"Metadata":{"Id":"d","CreatorId":"u1","Labels":["x"],
                "LatestVersionMetadata":{"Id":"v","Signature":"abc"}},
                "CustomMetadata":{"k":"v"}}"#,
        )
        .unwrap();
        assert_eq!(doc.metadata.labels.as_deref(), Some(&["x".to_string()][..]));
        assert_eq!(
            doc.metadata
                .latest_version_metadata
                .unwrap()
                .signature
                .as_deref(),
            Some("abc")
        );
        assert_eq!(doc.custom_metadata.unwrap()["k"], "v");
        let folder: GetItem = serde_json::from_str(r#"{"Metadata":{"Id":"f"}}"#).unwrap();
        assert!(folder.custom_metadata.is_none() && folder.metadata.labels.is_none());
    }
}
