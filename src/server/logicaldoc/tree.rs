//! The caller's LogicalDOC folder tree over the store (docs/ARCHITECTURE.md, "LogicalDOC over the
//! same store"). The virtual root (5, `/`) lists the workspaces: `Default` (4, the caller's own
//! root folder) and each folder shared with the caller directly (WorkDocs' SHARED_WITH_ME
//! folders). Below a workspace the store's folders appear as they are. A folder is visible when
//! it lies under one of the caller's workspaces and neither it nor an ancestor is recycled. A
//! directly shared folder that lies inside another of the caller's workspaces stays where it is
//! rather than becoming a second workspace, so every folder has one parent and one path.
//! Aliases (type 2, `store::aliases`) are folders of their own in this tree that list their
//! target's subfolders.

use rusqlite::{Connection, OptionalExtension, params};

use crate::server::error::ApiError;
use crate::server::store::ld_ids::{self, DEFAULT_WORKSPACE, ROOT, Target};
use crate::server::store::rows::{Caller, RESOURCE_COLUMNS, ResourceRow, Role, UserRow};
use crate::server::store::sharing;

/// The name the caller's own root folder goes by.
pub const DEFAULT_NAME: &str = "Default";
/// The creator shown for the virtual root, which nobody created.
pub const ROOT_CREATOR: &str = "system";

/// One folder as the caller sees it through LogicalDOC.
#[derive(Clone, Debug)]
pub struct LdFolder {
    pub ld_id: i64,
    pub parent_ld: i64,
    /// Type 1 (the root and the workspaces) rather than 0.
    pub workspace: bool,
    pub name: String,
    /// The creator's user name.
    pub creator: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The store's resource; `None` for the virtual root.
    pub resource_id: Option<String>,
    /// For an alias (type 2): the folder it stands for, as (number, store id).
    pub alias_of: Option<(i64, String)>,
    /// Its tags (the store's labels) and string attributes (custom metadata).
    pub tags: Vec<String>,
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl LdFolder {
    pub fn is_root(&self) -> bool {
        self.resource_id.is_none()
    }

    pub fn is_alias(&self) -> bool {
        self.alias_of.is_some()
    }
}

/// The virtual root; its dates are the caller's account's.
pub fn root(user: &UserRow) -> LdFolder {
    LdFolder {
        ld_id: ROOT,
        parent_ld: ROOT,
        workspace: true,
        name: "/".into(),
        creator: ROOT_CREATOR.into(),
        created_ms: user.created_ms,
        modified_ms: user.modified_ms,
        resource_id: None,
        alias_of: None,
        tags: Vec::new(),
        attributes: Default::default(),
    }
}

/// The folder `ld_id` if the caller can see it.
pub fn resolve(c: &Connection, user: &UserRow, ld_id: i64) -> Result<Option<LdFolder>, ApiError> {
    match ld_ids::resource_of(c, user, ld_id)? {
        None => Ok(None),
        Some(Target::Root) => Ok(Some(root(user))),
        Some(Target::Resource(id)) => by_resource(c, user, &id),
    }
}

/// The store folder `id` as the caller sees it, if visible (no number is assigned otherwise).
pub fn by_resource(c: &Connection, user: &UserRow, id: &str) -> Result<Option<LdFolder>, ApiError> {
    let Some(chain) = locate(c, user, id)? else {
        return Ok(None);
    };
    let parent_ld = match chain.len() {
        1 => ROOT,
        n => ld_ids::ld_id_for(c, user, &chain[n - 2].id)?,
    };
    let last = &chain[chain.len() - 1];
    Ok(Some(folder(c, user, last, parent_ld, chain.len() == 1)?))
}

/// The path of a visible folder, root first, the folder last.
pub fn path(c: &Connection, user: &UserRow, f: &LdFolder) -> Result<Vec<LdFolder>, ApiError> {
    let mut out = vec![root(user)];
    let Some(id) = &f.resource_id else {
        return Ok(out);
    };
    let chain = locate(c, user, id)?.ok_or_else(|| ApiError::not_found("folder", id))?;
    let mut parent_ld = ROOT;
    for (i, r) in chain.iter().enumerate() {
        let f = folder(c, user, r, parent_ld, i == 0)?;
        parent_ld = f.ld_id;
        out.push(f);
    }
    Ok(out)
}

/// The visible subfolders of a visible folder, sorted by name (case-sensitive), then id, aliases
/// among them. Those of the root are the workspaces; those of an alias are its target's (none
/// when the caller cannot see the target).
pub fn children(c: &Connection, user: &UserRow, f: &LdFolder) -> Result<Vec<LdFolder>, ApiError> {
    if let Some((_, target)) = &f.alias_of {
        return match by_resource(c, user, target)? {
            Some(t) if !t.is_alias() => children(c, user, &t),
            _ => Ok(Vec::new()),
        };
    }
    let Some(id) = &f.resource_id else {
        return workspaces(c, user);
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE parent_id = ?1 AND state = 'ACTIVE' \
         AND kind = 'FOLDER'"
    ))?;
    let rows = stmt.query_map([id], ResourceRow::from_row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(folder(c, user, &r?, f.ld_id, false)?);
    }
    sort(&mut out);
    Ok(out)
}

/// `Default` and the folders shared with the caller directly that are not inside another of
/// its workspaces, sorted like [`children`].
pub fn workspaces(c: &Connection, user: &UserRow) -> Result<Vec<LdFolder>, ApiError> {
    let home = ResourceRow::by_id(c, &user.root_id)?
        .ok_or_else(|| ApiError::not_found("folder", &user.root_id))?;
    let mut out = vec![folder(c, user, &home, ROOT, true)?];
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE kind = 'FOLDER' AND state = 'ACTIVE' \
         AND alias_of IS NULL AND owner_id <> ?1 AND id IN (SELECT resource_id FROM permissions \
         WHERE principal_type = 'USER' AND principal_id = ?1)"
    ))?;
    let shared: Vec<ResourceRow> = stmt
        .query_map([&user.id], ResourceRow::from_row)?
        .collect::<Result<_, _>>()?;
    for r in shared {
        if locate(c, user, &r.id)?.is_some_and(|chain| chain.len() == 1) {
            out.push(folder(c, user, &r, ROOT, true)?);
        }
    }
    sort(&mut out);
    Ok(out)
}

/// The folder at `path` (`/Default/a/b`, relative to the root; `/` is the root), if visible.
/// Empty segments are skipped; in the root the first workspace of that name in listing order
/// wins. Aliases are not followed (nor found), as in LogicalDOC.
pub fn find_by_path(
    c: &Connection,
    user: &UserRow,
    path: &str,
) -> Result<Option<LdFolder>, ApiError> {
    if path.is_empty() {
        return Ok(None);
    }
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let Some(first) = segments.next() else {
        return Ok(Some(root(user)));
    };
    let workspaces = workspaces(c, user)?;
    let Some(mut current) = workspaces.into_iter().find(|w| w.name == first) else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE parent_id = ?1 AND name = ?2 \
         AND state = 'ACTIVE' AND kind = 'FOLDER' AND alias_of IS NULL ORDER BY id LIMIT 1"
    ))?;
    for name in segments {
        let parent = current.resource_id.clone().unwrap_or_default();
        let Some(r) = stmt
            .query_row(params![parent, name], ResourceRow::from_row)
            .optional()?
        else {
            return Ok(None);
        };
        current = folder(c, user, &r, current.ld_id, false)?;
    }
    Ok(Some(current))
}

/// The caller's role on a visible folder (the root is read-only: VIEWER); `None` if it has none.
pub fn role(c: &Connection, user: &UserRow, f: &LdFolder) -> Result<Option<Role>, ApiError> {
    match &f.resource_id {
        None => Ok(Some(Role::Viewer)),
        Some(id) => sharing::role_of(c, &Caller::User(user.clone()), id),
    }
}

fn sort(folders: &mut [LdFolder]) {
    folders.sort_by(|a, b| a.name.cmp(&b.name).then(a.ld_id.cmp(&b.ld_id)));
}

/// The chain from the caller's workspace down to folder `id` (workspace first), if the folder is
/// visible: a folder (not a recycle bin), nothing recycled on the way up, under a workspace.
fn locate(c: &Connection, user: &UserRow, id: &str) -> Result<Option<Vec<ResourceRow>>, ApiError> {
    let mut chain = sharing::ancestry(c, id)?;
    let Some(target) = chain.first() else {
        return Ok(None);
    };
    if !target.is_folder() || target.special.as_deref() == Some("RECYCLE_BIN") {
        return Ok(None);
    }
    if chain.iter().any(ResourceRow::is_recycled) {
        return Ok(None);
    }
    chain.reverse();
    for i in 0..chain.len() {
        if is_workspace(c, user, &chain[i])? {
            return Ok(Some(chain.split_off(i)));
        }
    }
    Ok(None)
}

/// Whether `r` is one of the caller's workspaces, wherever it lies.
fn is_workspace(c: &Connection, user: &UserRow, r: &ResourceRow) -> Result<bool, ApiError> {
    if r.id == user.root_id {
        return Ok(true);
    }
    if !r.is_folder() || r.owner_id == user.id || r.special.as_deref() == Some("RECYCLE_BIN") {
        return Ok(false);
    }
    Ok(c.prepare_cached(
        "SELECT 1 FROM permissions WHERE resource_id = ?1 AND principal_type = 'USER' \
         AND principal_id = ?2",
    )?
    .query_row(params![r.id, user.id], |_| Ok(()))
    .optional()?
    .is_some())
}

fn folder(
    c: &Connection,
    user: &UserRow,
    r: &ResourceRow,
    parent_ld: i64,
    workspace: bool,
) -> Result<LdFolder, ApiError> {
    let ld_id = ld_ids::ld_id_for(c, user, &r.id)?;
    let name = if ld_id == DEFAULT_WORKSPACE {
        DEFAULT_NAME.to_owned()
    } else {
        r.name.clone()
    };
    let alias_of = match &r.alias_of {
        Some(target) => Some((ld_ids::ld_id_for(c, user, target)?, target.clone())),
        None => None,
    };
    Ok(LdFolder {
        ld_id,
        parent_ld,
        workspace: workspace && alias_of.is_none(),
        name,
        creator: user_name(c, &r.creator_id)?,
        created_ms: r.created_ms,
        modified_ms: r.modified_ms,
        resource_id: Some(r.id.clone()),
        alias_of,
        tags: crate::server::store::tags::labels_of(c, &r.id)?,
        attributes: super::doc_tags::attributes_of(c, &r.id)?,
    })
}

/// A user's name, or the actor id itself for admin keys (`admin-<key id>`).
pub fn user_name(c: &Connection, user_id: &str) -> Result<String, ApiError> {
    let name = c
        .prepare_cached("SELECT username FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get::<_, String>(0))
        .optional()?;
    Ok(name.unwrap_or_else(|| user_id.to_owned()))
}
