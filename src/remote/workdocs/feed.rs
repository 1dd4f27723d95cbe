//! The change feed of a WorkDocs mount: DescribeActivities polled from the last activity seen.
//! Activities come newest first and carry the store's own timestamps, so the cursor is the newest
//! timestamp seen plus the activities at the last [`OVERLAP_MS`] before it; each poll asks from
//! that much earlier (a store may record an activity a little after its timestamp) and drops
//! what it saw already. Activities that change nothing a listing shows (views, downloads,
//! comments, share links) are left out. An admin mount reads the activities under its root
//! folder only.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{WorkDocsRemote, enc, marker_param};
use crate::clock;
use crate::remote::{Change, ChangeBatch, FeedCursor, NodeKind, RemoteError};

/// How far before the newest activity seen each poll asks from, in ms.
pub const OVERLAP_MS: i64 = 5_000;
/// Activities per page (the model's maximum).
const PAGE: usize = 999;
/// Pages one poll reads; more changes than that is an overflow (everything is refreshed).
const MAX_PAGES: usize = 10;

const OP: &str = "DescribeActivities";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Activities {
    pub user_activities: Option<Vec<Activity>>,
    pub marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Activity {
    #[serde(rename = "Type")]
    pub activity_type: Option<String>,
    pub time_stamp: Option<f64>,
    pub initiator: Option<Principal>,
    pub resource_metadata: Option<Resource>,
    pub original_parent: Option<Resource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Principal {
    pub id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub resource_type: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub version_id: Option<String>,
    pub parent_id: Option<String>,
}

/// An activity read off the wire: when, a key telling it apart from others at that instant,
/// and what it changed (`None`: nothing a listing shows).
struct Seen {
    time_ms: i64,
    key: String,
    change: Option<Change>,
}

fn read(a: Activity) -> Result<Seen, RemoteError> {
    let protocol = |m: &str| super::wire::protocol(OP, &format!("an activity without {m}"));
    let kind_name = a.activity_type.ok_or_else(|| protocol("Type"))?;
    let time_ms = a
        .time_stamp
        .and_then(clock::epoch_seconds_to_ms)
        .ok_or_else(|| protocol("a valid TimeStamp"))?;
    let res = a
        .resource_metadata
        .ok_or_else(|| protocol("ResourceMetadata"))?;
    let id = res.id.ok_or_else(|| protocol("ResourceMetadata.Id"))?;
    let key = format!(
        "{kind_name}/{id}/{}/{}",
        res.version_id.as_deref().unwrap_or(""),
        a.initiator.and_then(|i| i.id).unwrap_or_default()
    );
    let kind = match res.resource_type.as_deref() {
        Some("FOLDER") => Some(NodeKind::Folder),
        Some("DOCUMENT") => Some(NodeKind::Document),
        _ => None,
    };
    let irrelevant = [
        "VIEWED",
        "DOWNLOADED",
        "COMMENT",
        "SHAREABLE_LINK",
        "ANNOTATION",
    ]
    .iter()
    .any(|w| kind_name.contains(w));
    // A document deleted for good is logged as DOCUMENT_VERSION_DELETED without a version.
    let removed = matches!(
        kind_name.as_str(),
        "DOCUMENT_RECYCLED" | "FOLDER_RECYCLED" | "FOLDER_DELETED"
    ) || (kind_name == "DOCUMENT_VERSION_DELETED" && res.version_id.is_none());
    let change = kind.filter(|_| !irrelevant).map(|kind| Change {
        id,
        kind,
        name: res.name,
        folders: res
            .parent_id
            .into_iter()
            .chain(a.original_parent.and_then(|p| p.id))
            .collect(),
        version: res.version_id,
        bin: removed || kind_name.ends_with("_RESTORED"),
        removed,
        shares: kind_name.contains("SHARE"),
    });
    Ok(Seen {
        time_ms,
        key,
        change,
    })
}

/// The cursor after `seen` (newest first) was read from `old`.
fn advance(old: &FeedCursor, seen: &[Seen]) -> FeedCursor {
    let newest = seen.iter().map(|s| s.time_ms).max();
    let time_ms = match (old.time_ms, newest) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let mut keys: BTreeSet<(i64, String)> = old.seen.clone();
    keys.extend(seen.iter().map(|s| (s.time_ms, s.key.clone())));
    if let Some(t) = time_ms {
        keys.retain(|(at, _)| *at >= t - OVERLAP_MS);
    }
    FeedCursor {
        time_ms,
        seen: keys,
    }
}

impl WorkDocsRemote {
    /// One page of activities from `start_ms` on (all, with none), newest first.
    async fn activity_page(
        &self,
        start_ms: Option<i64>,
        limit: usize,
        marker: Option<&str>,
    ) -> Result<Activities, RemoteError> {
        let mut target = format!("/api/v1/activities?limit={limit}");
        if let Some(ms) = start_ms {
            target.push_str(&format!(
                "&startTime={}",
                enc(&clock::format_iso8601_ms(ms))
            ));
        }
        if let Some(root) = &self.admin_root {
            target.push_str(&format!(
                "&resourceId={}&includeIndirectActivities=true",
                enc(root)
            ));
        }
        target.push_str(&marker_param(marker));
        self.transport.get(OP, &target).await
    }

    /// Implements [`crate::remote::Remote::changes`].
    pub(super) async fn activity_changes(
        &self,
        cursor: Option<&FeedCursor>,
    ) -> Result<ChangeBatch, RemoteError> {
        let Some(cursor) = cursor else {
            // The feed starts at the newest activity there is.
            let page = self.activity_page(None, 1, None).await?;
            let newest = page.user_activities.unwrap_or_default();
            let seen = newest
                .into_iter()
                .map(read)
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(ChangeBatch {
                changes: vec![],
                cursor: advance(&FeedCursor::default(), &seen),
                overflow: false,
            });
        };
        let start = cursor.time_ms.map(|t| t - OVERLAP_MS);
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        let mut overflow = true;
        for _ in 0..MAX_PAGES {
            let page = self.activity_page(start, PAGE, marker.as_deref()).await?;
            for a in page.user_activities.unwrap_or_default() {
                let s = read(a)?;
                if !cursor.seen.contains(&(s.time_ms, s.key.clone())) {
                    seen.push(s);
                }
            }
            match super::wire::next_marker(page.marker) {
                Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
                _ => {
                    overflow = false;
                    break;
                }
            }
        }
        let next = advance(cursor, &seen);
        let changes = seen.into_iter().rev().filter_map(|s| s.change).collect();
        Ok(ChangeBatch {
            changes,
            cursor: next,
            overflow,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Vec<Seen> {
        let a: Activities = super::super::wire::parse(OP, body.as_bytes()).unwrap();
        a.user_activities
            .unwrap_or_default()
            .into_iter()
            .map(|a| read(a).unwrap())
            .collect()
    }

    #[test]
    fn a_move_names_both_folders_and_a_view_changes_nothing() {
        let seen = parse(
            r#"{"UserActivities":[
              {"Type":"DOCUMENT_MOVED","TimeStamp":1700000000.5,"Initiator":{"Id":"u1"},
               "ResourceMetadata":{"Type":"DOCUMENT","Id":"d1","Name":"a.txt","ParentId":"f2"},
               "OriginalParent":{"Type":"FOLDER","Id":"f1"}},
              {"Type":"DOCUMENT_VERSION_VIEWED","TimeStamp":1700000000.25,
               "ResourceMetadata":{"Type":"DOCUMENT","Id":"d1"}},
              {"Type":"FOLDER_RECYCLED","TimeStamp":1700000000,
               "ResourceMetadata":{"Type":"FOLDER","Id":"f3","Name":"old","ParentId":"f1"}}
            ]}"#,
        );
        let moved = seen[0].change.as_ref().unwrap();
        assert_eq!(seen[0].time_ms, 1_700_000_000_500);
        assert_eq!(moved.folders, vec!["f2".to_owned(), "f1".to_owned()]);
        assert_eq!(moved.name.as_deref(), Some("a.txt"));
        assert!(!moved.bin);
        assert!(seen[1].change.is_none());
        let recycled = seen[2].change.as_ref().unwrap();
        assert!(recycled.bin && recycled.kind == NodeKind::Folder);
    }

    #[test]
    fn the_cursor_keeps_only_the_overlap_and_never_goes_back() {
        let seen = parse(
            r#"{"UserActivities":[
              {"Type":"DOCUMENT_RENAMED","TimeStamp":100,"ResourceMetadata":{"Type":"DOCUMENT","Id":"d"}},
              {"Type":"DOCUMENT_RENAMED","TimeStamp":90,"ResourceMetadata":{"Type":"DOCUMENT","Id":"e"}}
            ]}"#,
        );
        let c = advance(&FeedCursor::default(), &seen);
        assert_eq!(c.time_ms, Some(100_000));
        assert_eq!(c.seen.len(), 1, "90 s is outside the overlap: {:?}", c.seen);
        let later = advance(&c, &[]);
        assert_eq!(later, c);
    }

    #[test]
    fn an_activity_without_a_resource_is_a_protocol_error() {
        let a: Activities = super::super::wire::parse(
            OP,
            br#"{"UserActivities":[{"Type":"DOCUMENT_RENAMED","TimeStamp":1}]}"#,
        )
        .unwrap();
        let err = read(a.user_activities.unwrap().remove(0)).err().unwrap();
        assert!(matches!(err, RemoteError::Protocol(_)), "{err:?}");
    }
}
