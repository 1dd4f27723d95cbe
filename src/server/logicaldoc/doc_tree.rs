//! The caller's LogicalDOC documents over the store. A document is visible when it is live (not
//! recycled), has at least one live ACTIVE version, and its folder is visible in the caller's
//! tree ([`super::tree`]); its `folderId` is that folder's number as the caller sees it (4 for
//! the caller's own root). Documents never activated, recycled ones and those in recycled
//! folders are hidden, as LogicalDOC hides deleted documents. There are no document aliases yet,
//! so every document is listed where it lies; a folder alias holds none. A document's lock
//! (`store::locks`) shows as its status. Versions carry `X.Y` labels ([`super::versions`]).

use rusqlite::Connection;

use super::tree::{self, LdFolder};
use super::versions::{self, LdVersion};
use crate::server::error::ApiError;
use crate::server::store::ld_ids::{self, Target};
use crate::server::store::rows::{
    Caller, KIND_DOCUMENT, RESOURCE_COLUMNS, ResourceRow, Role, UserRow,
};
use crate::server::store::{locks, sharing};

/// One document as the caller sees it, with its live (latest) version.
#[derive(Clone, Debug)]
pub struct LdDocument {
    pub ld_id: i64,
    /// The number of its folder as the caller sees it.
    pub folder_ld: i64,
    pub resource_id: String,
    pub name: String,
    /// The creator's user name and number (none for an admin key).
    pub creator: String,
    pub creator_ld: Option<i64>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The live version (the newest ACTIVE one that is not deleted).
    pub latest: LdVersion,
    /// A lock on it: LogicalDOC's `status` (1 checked out, 2 locked) and the holder's number.
    pub lock: Option<(i32, i64)>,
    /// Its tags (the store's labels).
    pub tags: Vec<String>,
    /// Its string attributes (the store's custom metadata).
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl LdDocument {
    /// `type`: the extension after the last `.`, lower case; `""` if there is none.
    pub fn extension(&self) -> String {
        self.name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_lowercase())
            .unwrap_or_default()
    }
}

/// The document `ld_id` if the caller can see it, with the caller's role on it.
pub fn resolve(
    c: &Connection,
    user: &UserRow,
    ld_id: i64,
) -> Result<Option<(LdDocument, Role)>, ApiError> {
    let Some(Target::Resource(id)) = ld_ids::resource_of(c, user, ld_id)? else {
        return Ok(None);
    };
    let Some(r) = ResourceRow::by_id(c, &id)? else {
        return Ok(None);
    };
    if r.kind != KIND_DOCUMENT || r.is_recycled() {
        return Ok(None);
    }
    let Some(folder) = r.parent_id.as_deref() else {
        return Ok(None);
    };
    let Some(folder) = tree::by_resource(c, user, folder)? else {
        return Ok(None);
    };
    let Some(role) = sharing::role_of(c, &Caller::User(user.clone()), &r.id)? else {
        return Ok(None);
    };
    Ok(document(c, user, &r, folder.ld_id)?.map(|d| (d, role)))
}

/// The visible documents of a visible folder, sorted by file name (case-sensitive), then id.
/// The root has none.
pub fn in_folder(
    c: &Connection,
    user: &UserRow,
    folder: &LdFolder,
) -> Result<Vec<LdDocument>, ApiError> {
    let Some(id) = &folder.resource_id else {
        return Ok(Vec::new());
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM resources WHERE parent_id = ?1 AND state = 'ACTIVE' \
         AND kind = 'DOCUMENT'"
    ))?;
    let rows: Vec<ResourceRow> = stmt
        .query_map([id], ResourceRow::from_row)?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for r in rows {
        if let Some(d) = document(c, user, &r, folder.ld_id)? {
            out.push(d);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.ld_id.cmp(&b.ld_id)));
    Ok(out)
}

/// The document of row `r` in folder `folder_ld`, or `None` if it has no live ACTIVE version.
fn document(
    c: &Connection,
    user: &UserRow,
    r: &ResourceRow,
    folder_ld: i64,
) -> Result<Option<LdDocument>, ApiError> {
    let Some(latest) = versions::live(c, &r.id)?.pop() else {
        return Ok(None);
    };
    let lock = match locks::lock_of(c, &r.id)? {
        Some(l) => Some((l.kind.status(), ld_ids::ld_user_id_of(c, &l.user_id)?)),
        None => None,
    };
    Ok(Some(LdDocument {
        ld_id: ld_ids::ld_id_for(c, user, &r.id)?,
        folder_ld,
        resource_id: r.id.clone(),
        name: r.name.clone(),
        creator: tree::user_name(c, &r.creator_id)?,
        creator_ld: user_number(c, &r.creator_id)?,
        created_ms: r.created_ms,
        modified_ms: r.modified_ms,
        latest,
        lock,
        tags: crate::server::store::tags::labels_of(c, &r.id)?,
        attributes: super::doc_tags::attributes_of(c, &r.id)?,
    }))
}

/// The number of user `id`; `None` for an actor that is no user (an admin key).
pub fn user_number(c: &Connection, id: &str) -> Result<Option<i64>, ApiError> {
    match UserRow::by_id(c, id)? {
        Some(_) => Ok(Some(ld_ids::ld_user_id_of(c, id)?)),
        None => Ok(None),
    }
}
