//! A document's version history through DescribeDocumentVersions: every page (markers), only
//! ACTIVE versions (INITIALIZED ones are uploads in progress, never asked for), oldest first by
//! CreatedTimestamp. WorkDocs has no version labels, so each version is labelled by its ordinal
//! in that order (`1` the oldest); a deleted version shifts the ordinals after it.

use serde::Deserialize;

use super::wire;
use super::{WorkDocsRemote, enc, marker_param};
use crate::remote::{RemoteError, Version};

const OP: &str = "DescribeDocumentVersions";

/// Pages read at most: a marker the server keeps repeating must not loop forever.
const MAX_PAGES: usize = 10_000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    #[serde(default)]
    document_versions: Option<Vec<Meta>>,
    marker: Option<String>,
}

/// The members of DocumentVersionMetadata read here.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Meta {
    id: String,
    size: Option<u64>,
    status: Option<String>,
    created_timestamp: Option<f64>,
    modified_timestamp: Option<f64>,
    content_modified_timestamp: Option<f64>,
    creator_id: Option<String>,
}

impl WorkDocsRemote {
    pub(super) async fn document_versions(&self, doc: &str) -> Result<Vec<Version>, RemoteError> {
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let target = format!(
                "/api/v1/documents/{}/versions?limit=999{}",
                enc(doc),
                marker_param(marker.as_deref())
            );
            let page: Page = self.transport.get(OP, &target).await?;
            for meta in page.document_versions.into_iter().flatten() {
                found.extend(version(meta)?);
            }
            match wire::next_marker(page.marker) {
                Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
                _ => return Ok(labelled(found)),
            }
        }
        Err(wire::protocol(OP, "the listing does not end"))
    }
}

/// (created, version) of an ACTIVE version; `None` for any other.
fn version(m: Meta) -> Result<Option<(std::time::SystemTime, Version)>, RemoteError> {
    if m.status.as_deref().is_some_and(|s| s != "ACTIVE") {
        return Ok(None);
    }
    let size = m
        .size
        .ok_or_else(|| wire::protocol(OP, "missing field `Size` of an ACTIVE version"))?;
    let created = wire::time(OP, "CreatedTimestamp", m.created_timestamp)?
        .or(wire::time(OP, "ModifiedTimestamp", m.modified_timestamp)?)
        .ok_or_else(|| wire::protocol(OP, "missing CreatedTimestamp"))?;
    let mtime = wire::time(OP, "ContentModifiedTimestamp", m.content_modified_timestamp)?;
    Ok(Some((
        created,
        Version {
            id: m.id,
            label: String::new(),
            size,
            mtime: mtime.unwrap_or(created),
            created,
            creator: m.creator_id.filter(|c| !c.is_empty()),
        },
    )))
}

/// Oldest first (the service lists newest first; ties keep the older listed later), each
/// labelled by its ordinal; a version listed twice (pages overlapping) counts once.
fn labelled(mut found: Vec<(std::time::SystemTime, Version)>) -> Vec<Version> {
    found.reverse();
    found.sort_by_key(|(created, _)| *created);
    let mut seen = std::collections::HashSet::new();
    found.retain(|(_, v)| seen.insert(v.id.clone()));
    found
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut v))| {
            v.label = (i + 1).to_string();
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_versions_oldest_first_with_ordinals() {
        let body = br#"{"DocumentVersions": [
            {"Id": "v3", "Size": 3, "Status": "INITIALIZED", "CreatedTimestamp": 30},
            {"Id": "v2", "Size": 20, "Status": "ACTIVE", "CreatedTimestamp": 20,
             "ContentModifiedTimestamp": 15.5, "CreatorId": "u"},
            {"Id": "v1", "Size": 10, "Status": "ACTIVE", "CreatedTimestamp": 10}
        ], "Marker": ""}"#;
        let page: Page = wire::parse(OP, body).unwrap();
        let mut found = Vec::new();
        for m in page.document_versions.into_iter().flatten() {
            found.extend(version(m).unwrap());
        }
        let v = labelled(found);
        let ids: Vec<_> = v
            .iter()
            .map(|v| (v.id.as_str(), v.label.as_str()))
            .collect();
        assert_eq!(ids, [("v1", "1"), ("v2", "2")]);
        let at = |s: f64| std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(s);
        assert_eq!(
            (v[1].size, v[1].mtime, v[1].created),
            (20, at(15.5), at(20.0))
        );
        assert_eq!(v[0].mtime, at(10.0));
        assert_eq!(v[1].creator.as_deref(), Some("u"));
    }

    #[test]
    fn an_active_version_without_a_size_is_a_protocol_error() {
        let m: Meta = wire::parse(
            OP,
            br#"{"Id": "v", "Status": "ACTIVE", "CreatedTimestamp": 1}"#,
        )
        .unwrap();
        assert!(matches!(version(m), Err(RemoteError::Protocol(_))));
    }
}
