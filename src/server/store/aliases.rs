//! LogicalDOC folder aliases (`createAlias`): folder rows whose `alias_of` names the folder they
//! stand for. They live only for the LogicalDOC API: `sharing::require` refuses them, so no
//! WorkDocs operation (and no store operation built on `require`) reaches one, listings skip
//! them, and they hold no name against WorkDocs items. This module makes, renames, moves and
//! deletes them; permissions are the LogicalDOC side's business. Nothing here is logged as an
//! activity, since the activity log is WorkDocs' and WorkDocs cannot see aliases.

use std::collections::HashSet;

use rusqlite::{Connection, params};

use super::rows::{Caller, KIND_FOLDER, ResourceRow, new_id};
use super::sharing;
use super::tree::validate_name;
use crate::server::error::ApiError;

/// The folder an alias in `parent_id` may stand for, given `target_id`: the target itself, or
/// the folder it stands for when it is an alias too. Fails for a cycle (the target is
/// `parent_id` or one of its ancestors) and for a target that is no folder.
pub fn resolve_target(
    c: &Connection,
    parent_id: &str,
    target_id: &str,
) -> Result<ResourceRow, ApiError> {
    let mut target = ResourceRow::by_id(c, target_id)?
        .ok_or_else(|| ApiError::not_found("folder", target_id))?;
    if let Some(real) = &target.alias_of {
        target = ResourceRow::by_id(c, real)?.ok_or_else(|| ApiError::not_found("folder", real))?;
    }
    if !target.is_folder() || target.special.as_deref() == Some("RECYCLE_BIN") {
        return Err(ApiError::Invalid(format!("{target_id} is not a folder")));
    }
    if sharing::ancestry(c, parent_id)?
        .iter()
        .any(|a| a.id == target.id)
    {
        return Err(ApiError::Invalid(
            "Cycle detected. The alias cannot reference a parent folder".into(),
        ));
    }
    Ok(target)
}

/// A folder that may hold an alias: a live folder that is no alias and no recycle bin.
fn holder(c: &Connection, parent_id: &str) -> Result<ResourceRow, ApiError> {
    let parent = ResourceRow::by_id(c, parent_id)?
        .ok_or_else(|| ApiError::not_found("folder", parent_id))?;
    if !parent.is_folder()
        || parent.is_alias()
        || parent.is_recycled()
        || parent.special.as_deref() == Some("RECYCLE_BIN")
    {
        return Err(ApiError::Invalid(format!(
            "folder {parent_id} cannot hold an alias"
        )));
    }
    Ok(parent)
}

/// Names of the live items of `parent` other than `except`, aliases included.
fn names_in(c: &Connection, parent: &str, except: &str) -> Result<HashSet<String>, ApiError> {
    let mut stmt = c.prepare_cached(
        "SELECT name FROM resources WHERE parent_id = ?1 AND id <> ?2 AND state = 'ACTIVE'",
    )?;
    let names = stmt.query_map(params![parent, except], |r| r.get::<_, String>(0))?;
    Ok(names.collect::<Result<_, _>>()?)
}

/// Creates an alias of folder `target_id` in folder `parent_id`, named after the target and made
/// unique among its siblings as LogicalDOC's `setUniqueName` does (`name(1)`, `name(2)`, …).
pub fn create(
    c: &Connection,
    caller: &Caller,
    parent_id: &str,
    target_id: &str,
    now: i64,
) -> Result<ResourceRow, ApiError> {
    let parent = holder(c, parent_id)?;
    let target = resolve_target(c, parent_id, target_id)?;
    let taken = names_in(c, parent_id, "")?;
    let name = match taken.contains(&target.name) {
        false => target.name.clone(),
        true => (1u64..)
            .map(|i| format!("{}({i})", target.name))
            .find(|n| !taken.contains(n))
            .expect("some name is free"),
    };
    let id = new_id(32);
    c.execute(
        "INSERT INTO resources (id, kind, name, parent_id, owner_id, creator_id, created_ms, \
         modified_ms, alias_of) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        params![
            id,
            KIND_FOLDER,
            name,
            parent_id,
            parent.owner_id,
            caller.actor_id(),
            now,
            target.id
        ],
    )?;
    ResourceRow::by_id(c, &id)?.ok_or_else(|| ApiError::not_found("folder", &id))
}

/// Renames alias `id`; a live sibling of exactly that name (aliases included) is a clash.
pub fn rename(c: &Connection, id: &str, name: &str, now: i64) -> Result<(), ApiError> {
    validate_name(name)?;
    let alias = alias(c, id)?;
    let parent = alias.parent_id.unwrap_or_default();
    if names_in(c, &parent, id)?.contains(name) {
        return Err(ApiError::AlreadyExists(format!(
            "an item named {name:?} already exists here"
        )));
    }
    c.execute(
        "UPDATE resources SET name = ?2, modified_ms = ?3 WHERE id = ?1",
        params![id, name, now],
    )?;
    Ok(())
}

/// Moves alias `id` into folder `parent_id`, refusing a cycle and a name clash there.
pub fn move_to(c: &Connection, id: &str, parent_id: &str, now: i64) -> Result<(), ApiError> {
    let alias = alias(c, id)?;
    holder(c, parent_id)?;
    resolve_target(c, parent_id, alias.alias_of.as_deref().unwrap_or_default())?;
    if names_in(c, parent_id, id)?.contains(&alias.name) {
        return Err(ApiError::AlreadyExists(format!(
            "an item named {:?} already exists there",
            alias.name
        )));
    }
    c.execute(
        "UPDATE resources SET parent_id = ?2, modified_ms = ?3 WHERE id = ?1",
        params![id, parent_id, now],
    )?;
    Ok(())
}

/// Deletes alias `id` for good; its target is untouched.
pub fn delete(c: &Connection, id: &str) -> Result<(), ApiError> {
    alias(c, id)?;
    c.execute("DELETE FROM resources WHERE id = ?1", [id])?;
    Ok(())
}

fn alias(c: &Connection, id: &str) -> Result<ResourceRow, ApiError> {
    ResourceRow::by_id(c, id)?
        .filter(ResourceRow::is_alias)
        .ok_or_else(|| ApiError::not_found("alias", id))
}
