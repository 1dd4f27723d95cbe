//! The activity log behind DescribeActivities: every mutation appends one row in the same
//! transaction as the change (so the log never disagrees with the data), and queries filter it by
//! time, type, resource and user, newest first, with seq-number markers.

use rusqlite::{Connection, params};

use super::rows::{Caller, ResourceRow};
use super::sharing;
use crate::server::error::ApiError;

/// An activity about to be recorded.
pub struct NewActivity {
    pub time_ms: i64,
    pub activity_type: String,
    pub actor_id: String,
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub original_name: Option<String>,
    pub parent_id: Option<String>,
    pub original_parent_id: Option<String>,
    pub version_id: Option<String>,
    pub owner_id: String,
    pub participants: Vec<String>,
}

impl NewActivity {
    /// `verb` is the type without its `FOLDER_`/`DOCUMENT_` prefix, e.g. `RENAMED`.
    pub fn on(res: &ResourceRow, caller: &Caller, verb: &str, now: i64) -> Self {
        Self {
            time_ms: now,
            activity_type: format!("{}_{verb}", res.kind),
            actor_id: caller.actor_id(),
            resource_id: res.id.clone(),
            resource_type: res.kind.clone(),
            resource_name: res.name.clone(),
            original_name: None,
            parent_id: res.parent_id.clone(),
            original_parent_id: None,
            version_id: None,
            owner_id: res.owner_id.clone(),
            participants: vec![],
        }
    }

    pub fn with_participant(mut self, principal: &str) -> Self {
        self.participants.push(principal.to_owned());
        self
    }

    pub fn with_version(mut self, version_id: &str) -> Self {
        self.version_id = Some(version_id.to_owned());
        self
    }

    pub fn renamed_from(mut self, old: &str) -> Self {
        self.original_name = Some(old.to_owned());
        self
    }

    pub fn moved_from(mut self, old_parent: Option<&str>) -> Self {
        self.original_parent_id = old_parent.map(str::to_owned);
        self
    }
}

pub fn record(c: &Connection, a: NewActivity) -> Result<(), ApiError> {
    let participants = (!a.participants.is_empty())
        .then(|| serde_json::to_string(&a.participants).unwrap_or_default());
    c.prepare_cached(
        "INSERT INTO activities (time_ms, type, actor_id, resource_id, resource_type, \
         resource_name, original_name, parent_id, original_parent_id, version_id, owner_id, \
         participants) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        a.time_ms,
        a.activity_type,
        a.actor_id,
        a.resource_id,
        a.resource_type,
        a.resource_name,
        a.original_name,
        a.parent_id,
        a.original_parent_id,
        a.version_id,
        a.owner_id,
        participants,
    ])?;
    Ok(())
}

/// A recorded activity.
#[derive(Clone, Debug)]
pub struct ActivityRow {
    pub seq: i64,
    pub time_ms: i64,
    pub activity_type: String,
    pub actor_id: String,
    pub resource_id: String,
    pub resource_type: String,
    pub resource_name: String,
    pub original_name: Option<String>,
    pub parent_id: Option<String>,
    pub original_parent_id: Option<String>,
    pub version_id: Option<String>,
    pub owner_id: String,
    pub participants: Vec<String>,
    /// Recorded on a descendant of the filtered resource.
    pub indirect: bool,
}

#[derive(Default)]
pub struct ActivityQuery {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub types: Vec<String>,
    pub resource_id: Option<String>,
    pub include_indirect: bool,
    pub user_id: Option<String>,
    /// Return activities with `seq` below this (the marker).
    pub before_seq: Option<i64>,
    pub limit: usize,
}

/// Activities the caller may see, newest first; the second value is the next marker.
pub fn describe(
    c: &Connection,
    caller: &Caller,
    q: &ActivityQuery,
) -> Result<(Vec<ActivityRow>, Option<i64>), ApiError> {
    if let Some(rid) = &q.resource_id {
        // Access to a live resource is checked; a deleted one's history is judged row by row.
        if ResourceRow::by_id(c, rid)?.is_some() {
            sharing::require(c, caller, rid, super::rows::Need::Read)?;
        }
    }
    let mut stmt = c.prepare_cached(
        "SELECT seq, time_ms, type, actor_id, resource_id, resource_type, resource_name, \
         original_name, parent_id, original_parent_id, version_id, owner_id, participants \
         FROM activities WHERE seq < ?1 AND time_ms >= ?2 AND time_ms <= ?3 \
         AND (?4 IS NULL OR actor_id = ?4) ORDER BY seq DESC",
    )?;
    let rows = stmt.query_map(
        params![
            q.before_seq.unwrap_or(i64::MAX),
            q.start_ms.unwrap_or(i64::MIN),
            q.end_ms.unwrap_or(i64::MAX),
            q.user_id,
        ],
        |r| {
            let participants: Option<String> = r.get(12)?;
            Ok(ActivityRow {
                seq: r.get(0)?,
                time_ms: r.get(1)?,
                activity_type: r.get(2)?,
                actor_id: r.get(3)?,
                resource_id: r.get(4)?,
                resource_type: r.get(5)?,
                resource_name: r.get(6)?,
                original_name: r.get(7)?,
                parent_id: r.get(8)?,
                original_parent_id: r.get(9)?,
                version_id: r.get(10)?,
                owner_id: r.get(11)?,
                participants: participants
                    .and_then(|p| serde_json::from_str(&p).ok())
                    .unwrap_or_default(),
                indirect: false,
            })
        },
    )?;
    let mut out = Vec::new();
    let mut next = None;
    for row in rows {
        let mut row = row?;
        if !q.types.is_empty() && !q.types.contains(&row.activity_type) {
            continue;
        }
        if let Some(rid) = &q.resource_id {
            if row.resource_id != *rid {
                if !q.include_indirect || !is_under(c, &row, rid)? {
                    continue;
                }
                row.indirect = true;
            }
        }
        if !visible(c, caller, &row)? {
            continue;
        }
        if out.len() == q.limit {
            next = out.last().map(|r: &ActivityRow| r.seq);
            break;
        }
        out.push(row);
    }
    Ok((out, next))
}

fn is_under(c: &Connection, row: &ActivityRow, ancestor: &str) -> Result<bool, ApiError> {
    if row.parent_id.as_deref() == Some(ancestor)
        || row.original_parent_id.as_deref() == Some(ancestor)
    {
        return Ok(true);
    }
    let start = row.parent_id.as_deref().unwrap_or(&row.resource_id);
    Ok(sharing::ancestry(c, start)?
        .iter()
        .any(|r| r.id == ancestor))
}

fn visible(c: &Connection, caller: &Caller, row: &ActivityRow) -> Result<bool, ApiError> {
    let Some(user) = caller.user() else {
        return Ok(true);
    };
    if row.actor_id == user.id || row.owner_id == user.id || row.participants.contains(&user.id) {
        return Ok(true);
    }
    let probe = if ResourceRow::by_id(c, &row.resource_id)?.is_some() {
        Some(row.resource_id.as_str())
    } else {
        row.parent_id.as_deref()
    };
    match probe {
        Some(id) => Ok(sharing::role_of(c, caller, id)?.is_some()),
        None => Ok(false),
    }
}
