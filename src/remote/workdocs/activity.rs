//! `docsfs activity` through the WorkDocs API: DescribeActivities on an item (with
//! `includeIndirectActivities` for a folder, so what happened inside it counts) or on everything
//! the caller may see, from a start time on, page by page with markers until the limit. The
//! answer is newest first; entries are handed back oldest first, with who did it by user name,
//! the old name of a rename, the folder a move left, the version and the participants of a
//! share. The change feed (`feed.rs`) reads the same operation for another purpose.

use std::time::SystemTime;

use serde::Deserialize;

use super::{WorkDocsRemote, enc, marker_param, wire};
use crate::clock;
use crate::remote::{ActivityEntry, NodeKind, RemoteError, RemoteId};

const OP: &str = "DescribeActivities";
/// Activities per page (the model's maximum).
const PAGE: usize = 999;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Activities {
    user_activities: Option<Vec<Activity>>,
    marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Activity {
    #[serde(rename = "Type")]
    activity_type: Option<String>,
    time_stamp: Option<f64>,
    initiator: Option<UserMetadata>,
    resource_metadata: Option<Resource>,
    original_parent: Option<Resource>,
    participants: Option<Participants>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserMetadata {
    id: Option<String>,
    username: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Resource {
    #[serde(rename = "Type")]
    resource_type: Option<String>,
    id: Option<String>,
    name: Option<String>,
    original_name: Option<String>,
    version_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Participants {
    users: Option<Vec<UserMetadata>>,
    groups: Option<Vec<GroupMetadata>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupMetadata {
    id: Option<String>,
    name: Option<String>,
}

/// A user as shown: the user name, else the full name, else the id.
fn user_name(u: UserMetadata) -> String {
    if let Some(n) = u.username.filter(|n| !n.is_empty()) {
        return n;
    }
    let full = [u.given_name, u.surname]
        .into_iter()
        .flatten()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !full.is_empty() {
        return full;
    }
    u.id.unwrap_or_else(|| "(unknown)".into())
}

fn entry(a: Activity) -> Result<ActivityEntry, RemoteError> {
    let action = a
        .activity_type
        .ok_or_else(|| wire::protocol(OP, "an activity without a Type"))?;
    let time = a
        .time_stamp
        .and_then(clock::epoch_seconds_to_ms)
        .map(clock::ms_to_system_time)
        .ok_or_else(|| wire::protocol(OP, "an activity without a valid TimeStamp"))?;
    let res = a.resource_metadata;
    let item_kind = match res.as_ref().and_then(|r| r.resource_type.as_deref()) {
        Some("FOLDER") => Some(NodeKind::Folder),
        Some("DOCUMENT") => Some(NodeKind::Document),
        _ => None,
    };
    let (item_id, item_name, old_name, version) = match res {
        Some(r) => (r.id, r.name, r.original_name, r.version_id),
        None => (None, None, None, None),
    };
    let old_parent = a.original_parent.and_then(|p| p.name.or(p.id));
    let mut participants: Vec<String> = Vec::new();
    if let Some(p) = a.participants {
        participants.extend(p.users.into_iter().flatten().map(user_name));
        participants.extend(
            p.groups
                .into_iter()
                .flatten()
                .filter_map(|g| g.name.or(g.id)),
        );
    }
    Ok(ActivityEntry {
        time,
        actor: a.initiator.map_or_else(|| "(unknown)".into(), user_name),
        action,
        item_name,
        item_kind,
        item_id,
        old_name: old_name.filter(|n| !n.is_empty()),
        old_parent,
        version,
        participants,
    })
}

impl WorkDocsRemote {
    /// Implements [`crate::remote::Remote::activity`].
    pub(super) async fn describe_activity(
        &self,
        item: Option<(&RemoteId, NodeKind)>,
        since: Option<SystemTime>,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, RemoteError> {
        // An admin key reads the activities under its root folder only.
        let item = item.or(self.admin_root.as_ref().map(|r| (r, NodeKind::Folder)));
        let mut query = String::new();
        if let Some(since) = since {
            let ms = match since.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(d) => d.as_millis() as i64,
                Err(e) => -(e.duration().as_millis() as i64),
            };
            query.push_str(&format!(
                "&startTime={}",
                enc(&clock::format_iso8601_ms(ms))
            ));
        }
        if let Some((id, kind)) = item {
            query.push_str(&format!("&resourceId={}", enc(id)));
            if kind != NodeKind::Document {
                query.push_str("&includeIndirectActivities=true");
            }
        }
        let mut found = Vec::new();
        let mut marker: Option<String> = None;
        while found.len() < limit {
            let target = format!(
                "/api/v1/activities?limit={}{query}{}",
                (limit - found.len()).min(PAGE),
                marker_param(marker.as_deref())
            );
            let page: Activities = self.transport.get(OP, &target).await?;
            for a in page.user_activities.into_iter().flatten() {
                if found.len() < limit {
                    found.push(entry(a)?);
                }
            }
            match wire::next_marker(page.marker) {
                Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
                _ => break,
            }
        }
        found.reverse();
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_a_move_and_a_share_read_with_their_details() {
        let a: Activities = wire::parse(
            OP,
            br#"{"UserActivities":[
              {"Type":"SHARED","TimeStamp":1700000002,"Initiator":{"Id":"u1","Username":"alice"},
               "ResourceMetadata":{"Type":"FOLDER","Id":"f1","Name":"Team"},
               "Participants":{"Users":[{"Id":"u2","Username":"bob"}],"Groups":[{"Id":"g1"}]}},
              {"Type":"DOCUMENT_MOVED","TimeStamp":1700000001,"Initiator":{"Id":"u3",
               "GivenName":"Carol","Surname":"King"},
               "ResourceMetadata":{"Type":"DOCUMENT","Id":"d1","Name":"b.txt"},
               "OriginalParent":{"Type":"FOLDER","Id":"f0","Name":"Old"}},
              {"Type":"DOCUMENT_RENAMED","TimeStamp":1700000000.5,"Initiator":{"Id":"u9"},
               "ResourceMetadata":{"Type":"DOCUMENT","Id":"d1","Name":"b.txt",
               "OriginalName":"a.txt","VersionId":"v1"}}
            ]}"#,
        )
        .unwrap();
        let e: Vec<ActivityEntry> = a
            .user_activities
            .unwrap()
            .into_iter()
            .map(|a| entry(a).unwrap())
            .collect();
        assert_eq!(e[0].actor, "alice");
        assert_eq!(e[0].participants, ["bob", "g1"]);
        assert_eq!(e[0].item_kind, Some(NodeKind::Folder));
        assert_eq!(e[1].actor, "Carol King");
        assert_eq!(e[1].old_parent.as_deref(), Some("Old"));
        assert_eq!(e[2].actor, "u9");
        assert_eq!(e[2].old_name.as_deref(), Some("a.txt"));
        assert_eq!(e[2].version.as_deref(), Some("v1"));
        assert_eq!(
            e[2].time,
            SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_500)
        );
    }

    #[test]
    fn an_activity_without_a_type_is_a_protocol_error() {
        let a: Activities = wire::parse(OP, br#"{"UserActivities":[{"TimeStamp":1}]}"#).unwrap();
        let err = entry(a.user_activities.unwrap().remove(0)).unwrap_err();
        assert!(matches!(err, RemoteError::Protocol(_)), "{err:?}");
    }
}
