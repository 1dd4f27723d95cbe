//! The folder tree: creating folders, renaming, moving, recycling and restoring any resource,
//! deleting for good, and paths. Names follow the model's `ResourceNameType` and are unique among
//! the live items of a folder; the recycle bin may hold many items of one name.

use rusqlite::{Connection, OptionalExtension, params};

use super::activities::{self, NewActivity};
use super::rows::{Caller, KIND_DOCUMENT, KIND_FOLDER, Need, ResourceRow, new_id};
use super::sharing::{self, Access};
use crate::server::error::ApiError;

/// Checks a resource name against the model: 1–255 characters, none below U+0020 and no U+202E
/// (right-to-left override). `/` is allowed, as in WorkDocs.
pub fn validate_name(name: &str) -> Result<(), ApiError> {
    let count = name.chars().count();
    if count == 0 || count > 255 {
        return Err(ApiError::Invalid(format!(
            "a name has 1 to 255 characters, not {count}"
        )));
    }
    if let Some(bad) = name.chars().find(|&ch| ch < '\u{20}' || ch == '\u{202E}') {
        return Err(ApiError::Invalid(format!(
            "a name may not contain {:?}",
            bad
        )));
    }
    Ok(())
}

/// A live (ACTIVE, visible) sibling named `name` in `parent`, other than `except`. LogicalDOC
/// folder aliases do not count: the WorkDocs API cannot see them, so they hold no name against
/// it.
pub fn live_sibling(
    c: &Connection,
    parent: &str,
    name: &str,
    except: &str,
) -> Result<Option<String>, ApiError> {
    Ok(c.query_row(
        "SELECT r.id FROM resources r WHERE r.parent_id = ?1 AND r.name = ?2 AND r.id <> ?3 \
         AND r.state = 'ACTIVE' AND r.alias_of IS NULL AND (r.kind = 'FOLDER' OR EXISTS (SELECT 1 FROM versions v \
         WHERE v.document_id = r.id AND v.status = 'ACTIVE' AND v.deleted = 0)) LIMIT 1",
        params![parent, name, except],
        |r| r.get(0),
    )
    .optional()?)
}

pub fn ensure_name_free(
    c: &Connection,
    parent: &str,
    name: &str,
    except: &str,
) -> Result<(), ApiError> {
    match live_sibling(c, parent, name, except)? {
        Some(_) => Err(ApiError::AlreadyExists(format!(
            "an item named {name:?} already exists here"
        ))),
        None => Ok(()),
    }
}

/// Checks that the caller may create items in folder `parent_id` and returns it.
pub fn writable_folder(
    c: &Connection,
    caller: &Caller,
    parent_id: &str,
) -> Result<Access, ApiError> {
    let parent = sharing::require(c, caller, parent_id, Need::Write)?;
    if !parent.res.is_folder() {
        return Err(ApiError::Invalid(format!("{parent_id} is not a folder")));
    }
    if parent.in_recycle_bin || parent.res.special.as_deref() == Some("RECYCLE_BIN") {
        return Err(ApiError::Prohibited(format!(
            "folder {parent_id} is in the recycle bin"
        )));
    }
    Ok(parent)
}

pub fn create_folder(
    c: &Connection,
    caller: &Caller,
    parent_id: &str,
    name: &str,
    now: i64,
) -> Result<ResourceRow, ApiError> {
    validate_name(name)?;
    let parent = writable_folder(c, caller, parent_id)?;
    ensure_name_free(c, parent_id, name, "")?;
    let id = new_id(32);
    c.execute(
        "INSERT INTO resources (id, kind, name, parent_id, owner_id, creator_id, created_ms, \
         modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            id,
            KIND_FOLDER,
            name,
            parent_id,
            parent.res.owner_id,
            caller.actor_id(),
            now
        ],
    )?;
    let row = ResourceRow::by_id(c, &id)?.ok_or_else(|| ApiError::not_found("folder", &id))?;
    activities::record(c, NewActivity::on(&row, caller, "CREATED", now))?;
    Ok(row)
}

/// What UpdateFolder / UpdateDocument asked for.
#[derive(Default)]
pub struct Update {
    pub name: Option<String>,
    pub parent_id: Option<String>,
    pub state: Option<String>,
}

/// Renames, moves, recycles or restores a folder or document (`kind` says which the caller
/// addressed: a folder id on a document route is "not found").
pub fn update(
    c: &Connection,
    caller: &Caller,
    id: &str,
    kind: &str,
    up: Update,
    now: i64,
) -> Result<ResourceRow, ApiError> {
    let access = sharing::require(c, caller, id, Need::Write)?;
    super::locks::ensure_writable(c, caller, id)?;
    let mut res = access.res;
    if res.kind != kind {
        return Err(ApiError::not_found(&kind.to_lowercase(), id));
    }
    if res.special.is_some() {
        return Err(ApiError::Prohibited(
            "root and recycle-bin folders cannot be changed".into(),
        ));
    }
    let target_state = match up.state.as_deref() {
        None => None,
        Some(s @ ("ACTIVE" | "RECYCLED")) => Some(s),
        Some(other) => {
            return Err(ApiError::Invalid(format!(
                "ResourceState may be ACTIVE or RECYCLED, not {other}"
            )));
        }
    };
    if let Some(name) = &up.name {
        validate_name(name)?;
    }
    let recycling = target_state == Some("RECYCLED") && !res.is_recycled();
    let restoring = target_state == Some("ACTIVE") && res.is_recycled();
    if res.is_recycled() && !restoring && (up.name.is_some() || up.parent_id.is_some()) {
        return Err(ApiError::Prohibited(format!(
            "{id} is in the recycle bin; restore it first"
        )));
    }
    let old = res.clone();
    let parent_id = up
        .parent_id
        .clone()
        .or_else(|| res.parent_id.clone())
        .unwrap_or_default();
    let name = up.name.clone().unwrap_or_else(|| res.name.clone());
    let moving = res.parent_id.as_deref() != Some(parent_id.as_str());
    if moving {
        writable_folder(c, caller, &parent_id)?;
        if sharing::ancestry(c, &parent_id)?
            .iter()
            .any(|a| a.id == res.id)
        {
            return Err(ApiError::Invalid("a folder cannot move into itself".into()));
        }
    }
    if !recycling && (restoring || moving || name != res.name) {
        ensure_name_free(c, &parent_id, &name, &res.id)?;
    }
    if recycling {
        c.execute(
            "UPDATE resources SET state = 'RECYCLED', recycled_by = ?2, recycled_ms = ?3, \
             modified_ms = ?3 WHERE id = ?1",
            params![id, caller.actor_id(), now],
        )?;
        activities::record(c, NewActivity::on(&res, caller, "RECYCLED", now))?;
    }
    res.name = name;
    res.parent_id = Some(parent_id);
    c.execute(
        "UPDATE resources SET name = ?2, parent_id = ?3, modified_ms = ?4 WHERE id = ?1",
        params![id, res.name, res.parent_id, now],
    )?;
    if restoring {
        c.execute(
            "UPDATE resources SET state = 'ACTIVE', recycled_by = NULL, recycled_ms = NULL \
             WHERE id = ?1",
            [id],
        )?;
        activities::record(
            c,
            NewActivity::on(&res, caller, "RESTORED", now).moved_from(old.parent_id.as_deref()),
        )?;
    }
    if res.name != old.name {
        activities::record(
            c,
            NewActivity::on(&res, caller, "RENAMED", now).renamed_from(&old.name),
        )?;
    }
    if moving {
        activities::record(
            c,
            NewActivity::on(&res, caller, "MOVED", now).moved_from(old.parent_id.as_deref()),
        )?;
    }
    ResourceRow::by_id(c, id)?.ok_or_else(|| ApiError::not_found("resource", id))
}

/// Ids of every version under `root_id` (itself included), for removing their blobs.
fn versions_under(c: &Connection, root_id: &str) -> Result<Vec<String>, ApiError> {
    let mut stmt = c.prepare_cached(
        "WITH RECURSIVE sub(id) AS (SELECT ?1 UNION ALL \
         SELECT r.id FROM resources r JOIN sub ON r.parent_id = sub.id) \
         SELECT v.id FROM versions v JOIN sub ON v.document_id = sub.id",
    )?;
    let ids = stmt.query_map([root_id], |r| r.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

/// Deletes `res` and everything under it for good; returns the version ids whose blobs to remove.
fn delete_tree(
    c: &Connection,
    caller: &Caller,
    res: &ResourceRow,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    let versions = versions_under(c, &res.id)?;
    c.execute("DELETE FROM resources WHERE id = ?1", [&res.id])?;
    let verb = if res.kind == KIND_DOCUMENT {
        "VERSION_DELETED"
    } else {
        "DELETED"
    };
    activities::record(c, NewActivity::on(res, caller, verb, now))?;
    Ok(versions)
}

/// DeleteFolder / DeleteDocument: removes the resource and its contents for good.
pub fn delete(
    c: &Connection,
    caller: &Caller,
    id: &str,
    kind: &str,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    let access = sharing::require(c, caller, id, Need::Manage)?;
    if access.res.kind != kind {
        return Err(ApiError::not_found(&kind.to_lowercase(), id));
    }
    if access.res.special.is_some() {
        return Err(ApiError::Prohibited(
            "root and recycle-bin folders cannot be deleted".into(),
        ));
    }
    super::locks::ensure_writable(c, caller, id)?;
    delete_tree(c, caller, &access.res, now)
}

/// DeleteFolderContents: deletes every item in the folder for good (on a recycle bin: empties it).
pub fn delete_contents(
    c: &Connection,
    caller: &Caller,
    id: &str,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    let access = sharing::require(c, caller, id, Need::Manage)?;
    if !access.res.is_folder() {
        return Err(ApiError::not_found("folder", id));
    }
    let children = if access.res.special.as_deref() == Some("RECYCLE_BIN") {
        super::listing::recycle_bin_items(c, &access.res.owner_id)?
    } else {
        // LogicalDOC aliases in the folder go too, silently (nothing logs them).
        c.execute(
            "DELETE FROM resources WHERE parent_id = ?1 AND alias_of IS NOT NULL",
            [id],
        )?;
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {} FROM resources WHERE parent_id = ?1",
            super::rows::RESOURCE_COLUMNS
        ))?;
        let rows = stmt.query_map([id], ResourceRow::from_row)?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    let mut versions = Vec::new();
    for child in children {
        versions.extend(delete_tree(c, caller, &child, now)?);
    }
    Ok(versions)
}

/// The resource's path from its owner's root folder down to itself.
pub fn path(
    c: &Connection,
    caller: &Caller,
    id: &str,
    kind: &str,
) -> Result<Vec<ResourceRow>, ApiError> {
    let access = sharing::require(c, caller, id, Need::Read)?;
    if access.res.kind != kind {
        return Err(ApiError::not_found(&kind.to_lowercase(), id));
    }
    let mut chain = sharing::ancestry(c, id)?;
    chain.reverse();
    Ok(chain)
}

/// Gets a resource of the given kind the caller may read.
pub fn get(c: &Connection, caller: &Caller, id: &str, kind: &str) -> Result<Access, ApiError> {
    let access = sharing::require(c, caller, id, Need::Read)?;
    if access.res.kind != kind {
        return Err(ApiError::not_found(&kind.to_lowercase(), id));
    }
    Ok(access)
}

/// A fresh resource id.
pub fn new_resource_id() -> String {
    new_id(32)
}
