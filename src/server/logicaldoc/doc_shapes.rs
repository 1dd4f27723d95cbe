//! `WSDocument` as LogicalDOC writes it (keys are the getter names; nulls and fields this server
//! has nothing for are left out). `digest` is LogicalDOC's SHA-1 (hex) of the content of the
//! version shown, which the store computes as it stores a blob; versions stored before the store
//! kept SHA-1s have none, and their `digest` is left out (rather than reading every file to make
//! one). The `sort` fields of `listPaginated` are implemented here too ([`Sortable`]).

use std::cmp::Ordering;

use serde::Serialize;
use serde_json::Value;

use super::doc_tree::LdDocument;
use super::paging::{Sortable, by_name};
use super::shapes::date;
use super::versions::LdVersion;

/// The language every document has.
pub const LANGUAGE: &str = "en";

/// `WSDocument`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WsDocument {
    pub id: i64,
    pub file_name: String,
    #[serde(rename = "type")]
    pub file_type: String,
    pub folder_id: i64,
    pub file_size: i64,
    pub version: String,
    pub file_version: String,
    /// The SHA-1 (hex) of the version's content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// 0 unlocked, 1 checked out, 2 locked, 3 archived.
    pub status: i32,
    /// Who checked it out or locked it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lock_user_id: Option<i64>,
    pub immutable: i32,
    pub published: i32,
    pub indexed: i32,
    pub creation: String,
    pub last_modified: String,
    /// When the file was last published (its version activated).
    pub date: String,
    pub creator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_id: Option<i64>,
    pub publisher: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher_id: Option<i64>,
    pub language: String,
    pub tags: Vec<String>,
    pub attributes: Vec<Value>,
}

impl WsDocument {
    /// The document with its live version.
    pub fn of(d: &LdDocument) -> Self {
        Self::with_version(d, &d.latest, d.ld_id)
    }

    /// The document as it was at version `v`, under the id `id` (a version record's number in
    /// `getVersions`).
    pub fn with_version(d: &LdDocument, v: &LdVersion, id: i64) -> Self {
        Self {
            id,
            file_name: d.name.clone(),
            file_type: d.extension(),
            folder_id: d.folder_ld,
            file_size: v.size,
            version: v.label.clone(),
            file_version: v.label.clone(),
            digest: v.sha1.clone(),
            status: d.lock.map_or(0, |(status, _)| status),
            lock_user_id: d.lock.map(|(_, user)| user),
            immutable: 0,
            published: 1,
            indexed: 0,
            creation: date(d.created_ms),
            last_modified: date(d.modified_ms.max(v.date_ms)),
            date: date(v.date_ms),
            creator: d.creator.clone(),
            creator_id: d.creator_ld,
            publisher: v.publisher.clone(),
            publisher_id: v.publisher_ld,
            language: LANGUAGE.to_owned(),
            tags: d.tags.clone(),
            attributes: super::doc_tags::attributes_json(&d.attributes),
        }
    }
}

/// A list of `WSDocument`s.
pub fn documents(list: &[LdDocument]) -> Vec<WsDocument> {
    list.iter().map(WsDocument::of).collect()
}

/// `DocumentComparator`'s fields that this server has.
impl Sortable for LdDocument {
    fn compare_on(&self, other: &Self, field: &str, case_sensitive: bool) -> Option<Ordering> {
        Some(match field {
            "fileName" | "filename" => by_name(&self.name, &other.name, case_sensitive),
            "type" => self.extension().cmp(&other.extension()),
            "id" => self.ld_id.cmp(&other.ld_id),
            "fileSize" | "size" => self.latest.size.cmp(&other.latest.size),
            "date" => self.latest.date_ms.cmp(&other.latest.date_ms),
            "lastModified" => self.modified_ms.cmp(&other.modified_ms),
            "creation" => self.created_ms.cmp(&other.created_ms),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::server::logicaldoc::paging;

    fn doc(ld_id: i64, name: &str, date_ms: i64) -> LdDocument {
        LdDocument {
            ld_id,
            folder_ld: 4,
            resource_id: format!("r{ld_id}"),
            name: name.into(),
            creator: "alice".into(),
            creator_ld: Some(10),
            created_ms: 0,
            modified_ms: 1000,
            latest: LdVersion {
                id: format!("v{ld_id}"),
                label: "1.0".into(),
                size: 3,
                sha256: None,
                sha1: None,
                content_type: "text/plain".into(),
                publisher: "bob".into(),
                publisher_ld: None,
                date_ms,
            },
            lock: None,
            tags: Vec::new(),
            attributes: Default::default(),
        }
    }

    #[test]
    fn documents_have_jackson_keys() {
        let v = serde_json::to_value(WsDocument::of(&doc(100, "Notes.TXT", 2000))).unwrap();
        assert_eq!(v["fileName"], "Notes.TXT");
        assert_eq!(v["type"], "txt");
        assert_eq!(v["folderId"], 4);
        assert_eq!(
            (&v["version"], &v["fileVersion"]),
            (&"1.0".into(), &"1.0".into())
        );
        assert_eq!(v["creatorId"], 10);
        assert!(v.get("publisherId").is_none());
        assert!(
            v.get("digest").is_none(),
            "a version stored without a SHA-1 has no digest"
        );
        assert!(v.get("lockUserId").is_none() && v["status"] == 0);
        assert_eq!(v["date"], "1970-01-01 00:00:02 +0000");
        assert_eq!(v["lastModified"], "1970-01-01 00:00:02 +0000");
        assert_eq!(doc(1, "README", 0).extension(), "");
        assert_eq!(doc(1, "a.tar.GZ", 0).extension(), "gz");
        let mut locked = doc(100, "a", 0);
        locked.lock = Some((2, 11));
        let v = serde_json::to_value(WsDocument::of(&locked)).unwrap();
        assert_eq!((&v["status"], &v["lockUserId"]), (&json!(2), &json!(11)));
        let mut hashed = doc(100, "a", 0);
        hashed.latest.sha1 = Some("f572d396fae9206628714fb2ce00f72e94f2258f".into());
        let v = serde_json::to_value(WsDocument::of(&hashed)).unwrap();
        assert_eq!(v["digest"], "f572d396fae9206628714fb2ce00f72e94f2258f");
    }

    #[test]
    fn sorts_like_document_comparator() {
        let mut l = vec![doc(1, "b", 1), doc(2, "a", 2), doc(3, "B", 2)];
        paging::sort(&mut l, "date desc, fileName asc").unwrap();
        let names: Vec<&str> = l.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["B", "a", "b"]);
        paging::sort(&mut l, "lower(fileName) desc").unwrap();
        let names: Vec<&str> = l.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            ["B", "b", "a"],
            "stable: equal names keep their order"
        );
    }
}
