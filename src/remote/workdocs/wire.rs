//! The WorkDocs JSON this client reads, as serde types holding exactly the members it uses
//! (unknown members are ignored), and their translation into [`Node`]s. Member names are the
//! service model's; timestamps are epoch seconds. A document's mtime is its latest version's
//! ContentModifiedTimestamp unless an `mtime=` label bound to that version says otherwise
//! ([`super::labels`]). A shape that does not parse, or lacks a member
//! the translation needs, becomes a `Protocol` error naming the operation and the member only:
//! bodies carry signed URLs, so no value is ever quoted.

use std::collections::HashMap;
use std::time::SystemTime;

use serde::Deserialize;

use crate::clock;
use crate::remote::labels;
use crate::remote::{Node, NodeKind, RemoteError, Role};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetCurrentUser {
    pub user: User,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub id: String,
    pub username: Option<String>,
    pub root_folder_id: String,
    pub recycle_bin_folder_id: Option<String>,
    pub organization_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetFolder {
    pub metadata: Folder,
}

/// DescribeFolderContents and GetResources answer the same shape.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listing {
    #[serde(default)]
    pub folders: Option<Vec<Folder>>,
    #[serde(default)]
    pub documents: Option<Vec<Document>>,
    pub marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Folder {
    pub id: String,
    pub name: Option<String>,
    pub parent_folder_id: Option<String>,
    pub created_timestamp: Option<f64>,
    pub modified_timestamp: Option<f64>,
    pub resource_state: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Document {
    pub id: String,
    pub parent_folder_id: Option<String>,
    pub created_timestamp: Option<f64>,
    pub modified_timestamp: Option<f64>,
    pub resource_state: Option<String>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    pub latest_version_metadata: Option<Version>,
}

/// GetDocument.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetDocument {
    pub metadata: Document,
}

/// The answer of InitiateDocumentVersionUpload: the document with its new, INITIALIZED version
/// as `LatestVersionMetadata`, and where to PUT the bytes.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateUpload {
    pub metadata: Document,
    pub upload_metadata: Option<UploadMetadata>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UploadMetadata {
    pub upload_url: Option<String>,
    #[serde(default)]
    pub signed_headers: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Version {
    pub id: String,
    pub name: Option<String>,
    pub size: Option<u64>,
    pub status: Option<String>,
    pub content_modified_timestamp: Option<f64>,
    /// May carry the exact mtime (`labels::content_type_with_mtime`).
    pub content_type: Option<String>,
    pub source: Option<HashMap<String, String>>,
    pub signature: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetDocumentVersion {
    pub metadata: Version,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Permissions {
    #[serde(default)]
    pub principals: Option<Vec<Principal>>,
    pub marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    pub id: String,
    #[serde(default)]
    pub roles: Option<Vec<PermissionInfo>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionInfo {
    pub role: Option<String>,
}

/// The body of an error response (`Message`, or `message` from some AWS front ends).
#[derive(Deserialize, Default)]
pub struct ErrorBody {
    #[serde(alias = "message", rename = "Message")]
    pub message: Option<String>,
    #[serde(rename = "__type")]
    pub error_type: Option<String>,
}

/// Parses a success body of operation `op`.
pub fn parse<T: serde::de::DeserializeOwned>(op: &str, body: &[u8]) -> Result<T, RemoteError> {
    serde_json::from_slice(body).map_err(|e| {
        // serde's data errors may quote values (signed URLs); "missing field `X`" quotes a name.
        let what = e.to_string();
        let what = match e.classify() {
            serde_json::error::Category::Data if what.starts_with("missing field") => what
                .split(" at line")
                .next()
                .unwrap_or("missing field")
                .to_owned(),
            serde_json::error::Category::Data => "a member has an unexpected type".to_owned(),
            serde_json::error::Category::Eof => "the body is truncated".to_owned(),
            _ => "the body is not JSON".to_owned(),
        };
        protocol(op, &what)
    })
}

pub fn protocol(op: &str, what: &str) -> RemoteError {
    RemoteError::Protocol(format!("{op}: unexpected response: {what}"))
}

/// A non-empty marker, or `None` (some services send `""` on the last page).
pub fn next_marker(m: Option<String>) -> Option<String> {
    m.filter(|m| !m.is_empty())
}

pub fn role(s: &str) -> Option<Role> {
    match s {
        "OWNER" => Some(Role::Owner),
        "COOWNER" => Some(Role::Coowner),
        "CONTRIBUTOR" => Some(Role::Contributor),
        "VIEWER" => Some(Role::Viewer),
        _ => None,
    }
}

/// A timestamp member as a time (millisecond precision), if present.
pub fn time(op: &str, member: &str, secs: Option<f64>) -> Result<Option<SystemTime>, RemoteError> {
    secs.map(|s| {
        clock::epoch_seconds_to_ms(s)
            .map(clock::ms_to_system_time)
            .ok_or_else(|| protocol(op, &format!("{member} is not a valid timestamp")))
    })
    .transpose()
}

fn is_recycled(state: Option<&str>) -> bool {
    matches!(state, Some("RECYCLED" | "RECYCLING"))
}

/// `mtime` from the first present of `mtimes`, `ctime` from `created` (else `mtime`).
fn times(
    op: &str,
    mtimes: &[(&str, Option<f64>)],
    created: Option<f64>,
) -> Result<(SystemTime, SystemTime), RemoteError> {
    let mut mtime = None;
    for &(member, secs) in mtimes {
        if let Some(t) = time(op, member, secs)? {
            mtime = Some(t);
            break;
        }
    }
    let ctime = time(op, "CreatedTimestamp", created)?;
    let mtime = mtime
        .or(ctime)
        .ok_or_else(|| protocol(op, "missing ModifiedTimestamp"))?;
    Ok((mtime, ctime.unwrap_or(mtime)))
}

impl Folder {
    pub fn into_node(self, op: &str, recycled: bool) -> Result<Node, RemoteError> {
        let name = self
            .name
            .ok_or_else(|| protocol(op, "missing field `Name` of a folder"))?;
        let mtimes = [("ModifiedTimestamp", self.modified_timestamp)];
        let (mtime, ctime) = times(op, &mtimes, self.created_timestamp)?;
        Ok(Node {
            id: self.id,
            kind: NodeKind::Folder,
            name,
            parent: self.parent_folder_id,
            size: 0,
            mtime,
            ctime,
            version: None,
            recycled: recycled || is_recycled(self.resource_state.as_deref()),
            role: None,
            link: None,
            digest: None,
        })
    }
}

impl Document {
    /// `None` for a document without an ACTIVE latest version (nothing to show yet).
    pub fn into_node(self, op: &str, recycled: bool) -> Result<Option<Node>, RemoteError> {
        let Some(v) = self.latest_version_metadata else {
            tracing::debug!(op, id = %self.id, "skipped a document without a latest version");
            return Ok(None);
        };
        if v.status.as_deref().is_some_and(|s| s != "ACTIVE") {
            tracing::debug!(op, id = %self.id, "skipped a document whose latest version is not ACTIVE");
            return Ok(None);
        }
        let missing = |m: &str| protocol(op, &format!("missing field `{m}` of a document version"));
        let name = v.name.ok_or_else(|| missing("Name"))?;
        let size = v.size.ok_or_else(|| missing("Size"))?;
        let mtimes = [
            ("ContentModifiedTimestamp", v.content_modified_timestamp),
            ("ModifiedTimestamp", self.modified_timestamp),
        ];
        let (mut mtime, ctime) = times(op, &mtimes, self.created_timestamp)?;
        if v.content_modified_timestamp.is_some() {
            if let Some(exact) = v
                .content_type
                .as_deref()
                .and_then(|ct| labels::mtime_of_content_type(ct, mtime))
            {
                mtime = exact;
            }
        }
        if let Some(set) = labels::mtime_of(self.labels.as_deref().unwrap_or_default(), &v.id) {
            mtime = set;
        }
        Ok(Some(Node {
            id: self.id,
            kind: NodeKind::Document,
            name,
            parent: self.parent_folder_id,
            size,
            mtime,
            ctime,
            version: Some(v.id),
            recycled: recycled || is_recycled(self.resource_state.as_deref()),
            role: None,
            link: None,
            digest: v.signature.filter(|s| !s.is_empty()),
        }))
    }
}

impl Listing {
    /// Folders then documents, as [`Node`]s; `recycled` marks every item (the recycle bin).
    pub fn into_nodes(self, op: &str, recycled: bool) -> Result<Vec<Node>, RemoteError> {
        let folders = self.folders.unwrap_or_default();
        let documents = self.documents.unwrap_or_default();
        let mut items = Vec::with_capacity(folders.len() + documents.len());
        for f in folders {
            items.push(f.into_node(op, recycled)?);
        }
        for d in documents {
            items.extend(d.into_node(op, recycled)?);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_folders() {
        let body = br#"{"Folders":[{"Id":"f","Name":"a/b","CreatedTimestamp":10,
            "ModifiedTimestamp":20.5,"ResourceState":"ACTIVE","Extra":1}],
            "Documents":[{"Id":"d","ParentFolderId":"p","CreatedTimestamp":1,"ModifiedTimestamp":2,
            "LatestVersionMetadata":{"Id":"v","Name":"n.txt","Size":7,"Status":"ACTIVE",
            "ContentModifiedTimestamp":3}},{"Id":"e","ModifiedTimestamp":2}],"Marker":""}"#;
        let l: Listing = parse("DescribeFolderContents", body).unwrap();
        assert_eq!(next_marker(l.marker.clone()), None);
        let nodes = l.into_nodes("DescribeFolderContents", false).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(
            (nodes[0].name.as_str(), nodes[0].kind),
            ("a/b", NodeKind::Folder)
        );
        let ms = |n: u64| std::time::UNIX_EPOCH + std::time::Duration::from_millis(n);
        assert_eq!((nodes[0].mtime, nodes[0].ctime), (ms(20_500), ms(10_000)));
        let d = &nodes[1];
        assert_eq!(
            (d.size, d.version.as_deref(), d.mtime),
            (7, Some("v"), ms(3000))
        );
        assert_eq!(
            (d.ctime, d.parent.as_deref(), d.recycled),
            (ms(1000), Some("p"), false)
        );
    }

    #[test]
    fn malformed_bodies_never_quote_values() {
        let err = parse::<GetCurrentUser>("GetCurrentUser", br#"{"User": "https://s?sig=1"}"#);
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("GetCurrentUser") && !msg.contains("sig="),
            "{msg}"
        );
        let err = parse::<GetCurrentUser>("GetCurrentUser", br#"{"User": {"Id": "u"}}"#);
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("missing field `RootFolderId`"), "{msg}");
        let no_name = br#"{"Documents":[{"Id":"d","LatestVersionMetadata":{"Id":"v","Size":1}}]}"#;
        let l: Listing = parse("X", no_name).unwrap();
        assert!(matches!(
            l.into_nodes("X", false),
            Err(RemoteError::Protocol(_))
        ));
    }

    #[test]
    fn an_mtime_label_of_the_latest_version_wins() {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(1_700_000_000_123_456_789);
        let bound = labels::mtime_label(at, "v2").expect("label");
        let stale = labels::mtime_label(at, "v1").expect("label");
        let doc = |labels: &[&str]| {
            let body = serde_json::json!({"Documents": [{"Id": "d", "CreatedTimestamp": 1,
                "Labels": labels, "LatestVersionMetadata": {"Id": "v2", "Name": "n", "Size": 1,
                "Status": "ACTIVE", "ContentModifiedTimestamp": 3.5}}]});
            let l: Listing = parse("X", body.to_string().as_bytes()).unwrap();
            l.into_nodes("X", false).unwrap().remove(0).mtime
        };
        let ms = std::time::UNIX_EPOCH + std::time::Duration::from_millis(3_500);
        assert_eq!(doc(&["project", &bound]), at);
        assert_eq!(doc(&[&stale]), ms, "bound to another version");
        assert_eq!(doc(&["mtime=zz"]), ms);
        assert_eq!(doc(&[]), ms);
    }
}
