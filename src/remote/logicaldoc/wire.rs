//! LogicalDOC's shapes (WSFolder, WSDocument) as [`Node`]s, and its dates. Ids are numbers on
//! the wire and strings in the model. A document's version is its `fileVersion` (which changes
//! only with the content; `version` also moves with metadata edits). Its mtime is the time an
//! mtime tag records for that version, else `date` (the file's publication), else
//! `lastModified`; dates have whole seconds and an offset: `2024-05-21 14:03:11 +0200`.

use std::time::SystemTime;

use serde_json::Value;

use super::json;
use crate::clock;
use crate::remote::{Node, NodeKind, RemoteError, labels};

/// The root folder (`/`): its children are the workspaces.
pub const ROOT: i64 = 5;
/// WSFolder `type` of an alias.
const ALIAS: i64 = 2;

pub fn protocol(op: &str, what: &str) -> RemoteError {
    RemoteError::Protocol(format!("{op}: {what}"))
}

/// A LogicalDOC date as a time; `None` if absent or unreadable.
pub fn date(v: &Value, key: &str) -> Option<SystemTime> {
    let s = json::string(v, key)?;
    parse_date(&s).map(clock::ms_to_system_time)
}

/// `yyyy-MM-dd HH:mm:ss[.SSS] Z` (offset `+0200`), or a bare `yyyy-MM-dd`, to epoch ms.
pub fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return clock::parse_iso8601_ms(&format!("{s}T00:00:00Z"));
    }
    // The offset follows a space, which the ISO 8601 parser does not expect.
    let joined = match s.rsplit_once(' ') {
        Some((time, zone)) if zone.starts_with(['+', '-']) => format!("{time}{zone}"),
        _ => s.to_owned(),
    };
    clock::parse_iso8601_ms(&joined)
}

/// The folder or alias `v`; `None` for the root itself (listed as its own child).
pub fn folder(op: &str, v: &Value) -> Result<Option<Node>, RemoteError> {
    let id = json::int(v, "id").ok_or_else(|| protocol(op, "a folder without an id"))?;
    let parent = json::int(v, "parentId");
    if id == ROOT || parent == Some(id) {
        return Ok(None);
    }
    let name = json::string(v, "name").filter(|n| !n.is_empty());
    let name = name.ok_or_else(|| protocol(op, "a folder without a name"))?;
    let changed = date(v, "lastModified");
    let created = date(v, "creation");
    let epoch = SystemTime::UNIX_EPOCH;
    let alias = json::int(v, "type") == Some(ALIAS) || json::int(v, "foldRef").is_some();
    Ok(Some(Node {
        id: id.to_string(),
        kind: if alias {
            NodeKind::Link
        } else {
            NodeKind::Folder
        },
        name,
        parent: parent.map(|p| p.to_string()),
        size: 0,
        mtime: changed.or(created).unwrap_or(epoch),
        ctime: created.or(changed).unwrap_or(epoch),
        version: None,
        recycled: false,
        role: None,
        link: None,
        digest: None,
    }))
}

/// The target folder of an alias.
pub fn alias_target(v: &Value) -> Option<i64> {
    json::int(v, "foldRef")
}

/// The document `v`.
pub fn document(op: &str, v: &Value) -> Result<Node, RemoteError> {
    let id = json::int(v, "id").ok_or_else(|| protocol(op, "a document without an id"))?;
    let name = json::string(v, "fileName").filter(|n| !n.is_empty());
    let name = name.ok_or_else(|| protocol(op, "a document without a fileName"))?;
    let size = json::int(v, "fileSize").unwrap_or(0).max(0) as u64;
    let version = json::version(v, "fileVersion").or_else(|| json::version(v, "version"));
    let epoch = SystemTime::UNIX_EPOCH;
    let created = date(v, "creation");
    let published = date(v, "date").or_else(|| date(v, "lastModified"));
    let mut mtime = published.or(created).unwrap_or(epoch);
    if let Some(version) = &version {
        if let Some(set) = labels::mtime_of(&json::strings(v, "tags"), version) {
            mtime = set;
        }
    }
    Ok(Node {
        id: id.to_string(),
        kind: NodeKind::Document,
        name,
        parent: json::int(v, "folderId").map(|p| p.to_string()),
        size,
        mtime,
        ctime: created.unwrap_or(mtime),
        version,
        recycled: false,
        role: None,
        link: None,
        digest: json::string(v, "digest").filter(|d| !d.is_empty()),
    })
}

/// Who holds a lock on the document, if it is checked out (1) or locked (2).
pub fn lock_holder(v: &Value) -> Option<i64> {
    match json::int(v, "status") {
        Some(1 | 2) => Some(json::int(v, "lockUserId").unwrap_or(-1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01 00:00:01 +0000"), Some(1000));
        assert_eq!(parse_date("1970-01-01 02:00:01 +0200"), Some(1000));
        assert_eq!(parse_date("1970-01-01 00:00:01.250 +0000"), Some(1250));
        assert_eq!(parse_date("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn folders_aliases_and_the_root() {
        let root = json!({"id": 5, "name": "/", "parentId": 5, "type": 1});
        assert!(folder("t", &root).unwrap().is_none());
        let ws = json!({"id": "4", "name": "Default", "parentId": 5, "type": 1,
                        "creation": "2024-05-21 14:03:11 +0000"});
        let n = folder("t", &ws).unwrap().unwrap();
        assert_eq!((n.id.as_str(), n.kind), ("4", NodeKind::Folder));
        let alias = json!({"id": 120, "name": "Docs", "parentId": 4, "type": 2, "foldRef": 110});
        assert_eq!(folder("t", &alias).unwrap().unwrap().kind, NodeKind::Link);
        assert_eq!(alias_target(&alias), Some(110));
        assert!(folder("t", &json!({"name": "x"})).is_err());
    }

    #[test]
    fn documents_with_tolerated_fields() {
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::new(5, 7);
        let tag = labels::mtime_label(at, "1.1").unwrap();
        let d = json!({"id": 130, "fileName": "a.txt", "folderId": "4", "fileSize": "12",
                       "fileVersion": 1.1, "version": "1.2", "date": "1970-01-01 00:00:09 +0000",
                       "tags": tag, "status": 1, "lockUserId": 11});
        let n = document("t", &d).unwrap();
        assert_eq!(n.size, 12);
        assert_eq!(n.version.as_deref(), Some("1.1"));
        assert_eq!(n.mtime, at);
        assert_eq!(n.parent.as_deref(), Some("4"));
        assert_eq!(lock_holder(&d), Some(11));
        let stale = json!({"id": 1, "fileName": "b", "fileVersion": "1.2", "tags": [tag],
                           "date": "1970-01-01 00:00:09 +0000"});
        let n = document("t", &stale).unwrap();
        assert_eq!(
            n.mtime,
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(9)
        );
    }
}
