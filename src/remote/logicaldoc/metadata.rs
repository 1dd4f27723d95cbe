//! An item's tags, string attributes, creator and digest for [`LogicalDocRemote`] (the mount's
//! extended attributes). Read from `document/getDocument` or `folder/getFolder`; written by
//! read-modify-write of that whole description through `document/update` (PUT) or
//! `folder/update` (POST), because both overwrite every field they are sent (`tags` and
//! `attributes` included), so a field left out would be lost. Custom metadata is the string
//! attributes (`type` 0, `stringValue`); attributes of other types are shown by none of the
//! names and kept as they are, unless one of the same name is set, which makes it a string.

use std::collections::BTreeMap;

use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use super::{LogicalDocRemote, json, number, wire};
use crate::remote::{ItemMetadata, NodeKind, RemoteError, RemoteId};

/// WSAttribute `type` of a string.
const STRING: i64 = 0;

/// The attributes of a WSDocument / WSFolder: an array, or what Jettison makes of a short one
/// (a single object, or an object wrapping the array).
fn attributes(v: &Value) -> Vec<&Value> {
    match v.get("attributes") {
        Some(a @ Value::Object(o)) if o.contains_key("name") => vec![a],
        Some(a) => json::items(a),
        None => Vec::new(),
    }
}

/// Whether an attribute holds a string.
fn is_string(a: &Value) -> bool {
    match json::int(a, "type") {
        Some(t) => t == STRING,
        None => a.get("stringValue").is_some(),
    }
}

/// The string attributes, by name.
fn custom_of(v: &Value) -> BTreeMap<String, String> {
    attributes(v)
        .into_iter()
        .filter(|a| is_string(a))
        .filter_map(|a| Some((json::string(a, "name")?, json::string(a, "stringValue")?)))
        .collect()
}

/// `v`'s attributes with `key` set to the string `value` (`None`: removed), as an array.
fn with_attribute(v: &Value, key: &str, value: Option<&str>) -> Vec<Value> {
    let mut out: Vec<Value> = attributes(v)
        .into_iter()
        .filter(|a| json::string(a, "name").as_deref() != Some(key))
        .cloned()
        .collect();
    if let Some(value) = value {
        out.push(json!({ "name": key, "type": STRING, "stringValue": value }));
    }
    out
}

fn item_metadata_of(v: &Value, kind: NodeKind) -> ItemMetadata {
    let owner = json::string(v, "creator")
        .filter(|c| !c.is_empty())
        .or_else(|| json::int(v, "creatorId").map(|id| id.to_string()));
    let signature = match kind {
        NodeKind::Document => json::string(v, "digest").filter(|d| !d.is_empty()),
        NodeKind::Folder | NodeKind::Link => None,
    };
    ItemMetadata {
        labels: json::strings(v, "tags"),
        custom: custom_of(v),
        owner,
        signature,
    }
}

impl LogicalDocRemote {
    /// The item's whole description as the server gives it.
    async fn describe(&self, id: &str, kind: NodeKind) -> Result<Value, RemoteError> {
        match kind {
            NodeKind::Document => self.document(id).await,
            NodeKind::Folder | NodeKind::Link => {
                let path = format!("folder/getFolder?folderId={}", number(id)?);
                self.described("folder/getFolder", &path, "folder", id)
                    .await
            }
        }
    }

    /// Sends `v` back as the item's whole description.
    pub(super) async fn overwrite(&self, kind: NodeKind, v: &Value) -> Result<(), RemoteError> {
        let body = v.to_string();
        match kind {
            NodeKind::Document => {
                const OP: &str = "document/update";
                let url = self.session.rest_url("document/update");
                self.session
                    .send(OP, true, |c| {
                        c.put(&url)
                            .header(CONTENT_TYPE, "application/json")
                            .body(body.clone())
                    })
                    .await
            }
            NodeKind::Folder | NodeKind::Link => {
                // POST, not PUT (the class-level annotation wins); sending the same description
                // twice changes nothing, so it may be resent.
                const OP: &str = "folder/update";
                let url = self.session.rest_url("folder/update");
                self.session
                    .send(OP, true, |c| {
                        c.post(&url)
                            .header(CONTENT_TYPE, "application/json")
                            .body(body.clone())
                    })
                    .await
            }
        }
        .map(drop)
    }

    pub(super) async fn item_metadata(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<ItemMetadata, RemoteError> {
        let v = self.describe(id, kind).await?;
        Ok(item_metadata_of(&v, kind))
    }

    pub(super) async fn replace_tags(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        tags: &[String],
    ) -> Result<(), RemoteError> {
        if number(id)? == wire::ROOT {
            return Err(RemoteError::Unsupported(
                "the root folder is virtual and keeps no tags or attributes".into(),
            ));
        }
        let mut v = self.describe(id, kind).await?;
        v["tags"] = json!(tags);
        self.overwrite(kind, &v).await
    }

    pub(super) async fn write_attribute(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), RemoteError> {
        if number(id)? == wire::ROOT {
            return Err(RemoteError::Unsupported(
                "the root folder is virtual and keeps no tags or attributes".into(),
            ));
        }
        let mut v = self.describe(id, kind).await?;
        v["attributes"] = Value::Array(with_attribute(&v, key, value));
        self.overwrite(kind, &v).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_in_every_form() {
        let one = json!({"attributes": {"name": "a", "type": 0, "stringValue": "x"}});
        assert_eq!(custom_of(&one)["a"], "x");
        let wrapped = json!({"attributes": {"attribute": [
            {"name": "a", "type": "0", "stringValue": "x"},
            {"name": "n", "type": 1, "intValue": 3},
            {"name": "s", "stringValue": 12}
        ]}});
        let c = custom_of(&wrapped);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!((c["a"].as_str(), c["s"].as_str()), ("x", "12"));
        assert!(custom_of(&json!({"attributes": []})).is_empty());
        assert!(custom_of(&json!({})).is_empty());
    }

    #[test]
    fn setting_replaces_and_keeps_the_rest() {
        let v = json!({"attributes": [
            {"name": "a", "type": 0, "stringValue": "x"},
            {"name": "n", "type": 1, "intValue": 3}
        ]});
        let set = with_attribute(&v, "a", Some("y"));
        assert_eq!(set.len(), 2);
        assert_eq!(set[0]["name"], "n");
        assert_eq!(set[1], json!({"name": "a", "type": 0, "stringValue": "y"}));
        let gone = with_attribute(&v, "a", None);
        assert_eq!(gone.len(), 1);
    }

    #[test]
    fn owner_and_digest() {
        let d = json!({"id": 1, "creator": "alice", "creatorId": 10, "digest": "ab",
                       "tags": "t"});
        let m = item_metadata_of(&d, NodeKind::Document);
        assert_eq!(m.owner.as_deref(), Some("alice"));
        assert_eq!(m.signature.as_deref(), Some("ab"));
        assert_eq!(m.labels, ["t"]);
        let f = json!({"id": 1, "creatorId": 10, "digest": "ab"});
        let m = item_metadata_of(&f, NodeKind::Folder);
        assert_eq!((m.owner.as_deref(), m.signature), (Some("10"), None));
    }
}
