//! A document's version history through `document/getVersions` (newest first, one record per
//! version record). Each version is named by its `fileVersion`, which is also what the
//! `/download` servlet takes, so reading an old version is the same ranged, streamed request as
//! reading the current one. A real server also keeps a record for each metadata edit (only
//! `version` moves, `fileVersion` stays): records of one `fileVersion` are one version here,
//! the oldest of them standing for it.

use std::collections::HashSet;

use serde_json::Value;

use super::{LogicalDocRemote, json, number, wire};
use crate::remote::{RemoteError, Version, labels};

const OP: &str = "document/getVersions";

impl LogicalDocRemote {
    pub(super) async fn document_versions(&self, doc: &str) -> Result<Vec<Version>, RemoteError> {
        let answer = self
            .get_json(OP, &format!("document/getVersions?docId={}", number(doc)?))
            .await
            .map_err(|e| match e {
                // A missing or unreadable document is a 401 here, as for bad credentials.
                RemoteError::Unauthenticated(m) => RemoteError::NotFound(m),
                other => other,
            })?;
        versions(&answer)
    }
}

/// The versions in a `getVersions` answer, oldest first, one per `fileVersion`.
fn versions(answer: &Value) -> Result<Vec<Version>, RemoteError> {
    let mut out: Vec<Version> = Vec::new();
    let mut seen = HashSet::new();
    for v in json::items(answer).into_iter().rev() {
        let label = json::version(v, "fileVersion").or_else(|| json::version(v, "version"));
        let label = label.ok_or_else(|| wire::protocol(OP, "a version without a fileVersion"))?;
        if !seen.insert(label.clone()) {
            continue;
        }
        let size = json::int(v, "fileSize").unwrap_or(0).max(0) as u64;
        let published = wire::date(v, "date").or_else(|| wire::date(v, "lastModified"));
        let created = published
            .or_else(|| wire::date(v, "creation"))
            .unwrap_or(std::time::UNIX_EPOCH);
        let mtime = labels::mtime_of(&json::strings(v, "tags"), &label).unwrap_or(created);
        let creator = json::string(v, "publisher")
            .or_else(|| json::string(v, "creator"))
            .filter(|c| !c.is_empty());
        out.push(Version {
            id: label.clone(),
            label,
            size,
            mtime,
            created,
            creator,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn oldest_first_one_per_file_version() {
        let answer = json!([
            {"id": 103, "fileVersion": "1.1", "version": "1.2", "fileSize": 7,
             "date": "2026-11-24 10:15:03 +0000", "publisher": "alice"},
            {"id": 102, "fileVersion": "1.1", "version": "1.1", "fileSize": 7,
             "date": "2026-11-24 10:15:03 +0000", "publisher": "alice"},
            {"id": 101, "fileVersion": 1, "version": 1, "fileSize": 3,
             "date": "2026-11-24 10:00:00 +0000", "creator": "bob"}
        ]);
        let v = versions(&answer).unwrap();
        let labels: Vec<_> = v
            .iter()
            .map(|v| (v.id.as_str(), v.label.as_str()))
            .collect();
        assert_eq!(labels, [("1.0", "1.0"), ("1.1", "1.1")]);
        assert_eq!((v[0].size, v[1].size), (3, 7));
        assert_eq!(v[0].creator.as_deref(), Some("bob"));
        assert_eq!(v[1].creator.as_deref(), Some("alice"));
        assert!(v[0].mtime < v[1].mtime);
    }

    #[test]
    fn a_version_without_a_label_is_a_protocol_error() {
        let answer = json!([{"id": 1, "fileSize": 1}]);
        assert!(matches!(versions(&answer), Err(RemoteError::Protocol(_))));
    }
}
