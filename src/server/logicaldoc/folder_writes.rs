//! `/services/rest/folder/*`, the write side of LogicalDOC's `RestFolderService`: `create`,
//! `createFolder`, `createPath`, `rename`, `move`, `update` and `delete`. Folders are addressed
//! through the caller's tree ([`super::tree`]) and changed through the store's own tree
//! operations (`store::tree::create_folder`, `store::tree::update`), so both APIs share one set of
//! rules (names, roles, recycle bin, activities). Every failure is LogicalDOC's unmapped
//! exception: 500 with a text body; the whole call runs in one transaction, so a failure leaves
//! nothing behind. The mapping's own refusals: nothing is created in, moved into or moved out of
//! the root (workspaces are the caller's root folder and folders shared with it, never made
//! here), and `Default` and the root are never renamed, moved or deleted. An alias is renamed,
//! moved and deleted itself (`store::aliases`; a delete removes it for good), and nothing is
//! created in or moved into one.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::Value;

use super::caller::LdCaller;
use super::params::Params;
use super::shapes::WsFolder;
use super::tree::{self, LdFolder};
use super::{LdState, permissions, wire};
use crate::clock::now_ms;
use crate::server::error::ApiError;
use crate::server::store::aliases;
use crate::server::store::ld_ids::{DEFAULT_WORKSPACE, ROOT};
use crate::server::store::rows::{Caller, KIND_FOLDER, UserRow};
use crate::server::store::tree::{self as store_tree, Update};

/// What a write answers.
pub(super) enum Written {
    /// A bare number (`createFolder`).
    Id(i64),
    /// A `WSFolder`.
    Folder(LdFolder),
    /// `void`: 204.
    Nothing,
}

/// The caller, as LogicalDOC and as the store see it.
pub(super) struct Who<'a> {
    pub user: &'a UserRow,
    pub caller: Caller,
    pub now: i64,
}

/// Runs `f` for the caller in one write transaction; an error rolls everything back and answers
/// 500 with its message (store failures with the generic one).
pub(super) async fn write<F>(ld: &LdState, caller: LdCaller, f: F) -> Response
where
    F: FnOnce(&Connection, &Who<'_>) -> Result<Written, ApiError> + Send + 'static,
{
    let user = caller.user;
    let result = ld
        .app
        .store
        .tx(move |c| {
            let who = Who {
                user: &user,
                caller: Caller::User(user.clone()),
                now: now_ms(),
            };
            f(c, &who)
        })
        .await;
    match result {
        Ok(Written::Id(id)) => wire::json(&id),
        Ok(Written::Folder(f)) => wire::json(&WsFolder::of(&f)),
        Ok(Written::Nothing) => wire::no_content(),
        Err(e @ (ApiError::Storage(_) | ApiError::Io(_) | ApiError::Unavailable(_))) => {
            wire::store_failure(&e)
        }
        Err(e) => wire::failure(&e.to_string()),
    }
}

/// A form or JSON body that cannot be read into the method's arguments: 400, no body.
pub(super) fn bad_request() -> Response {
    StatusCode::BAD_REQUEST.into_response()
}

/// An `application/x-www-form-urlencoded` body, decoded like a query string.
pub(super) fn form(body: &[u8]) -> Params {
    Params::parse(Some(&String::from_utf8_lossy(body)))
}

pub(super) fn refused(message: impl Into<String>) -> ApiError {
    ApiError::Prohibited(message.into())
}

/// Folder `id` if the caller sees it and holds `permission` there (as `isGranted` answers).
pub(super) fn granted(
    c: &Connection,
    who: &Who<'_>,
    id: i64,
    permission: &str,
) -> Result<LdFolder, ApiError> {
    folder_granted(c, who.user, id, permission)
}

/// Folder `id` if `user` sees it and holds `permission` there (as `isGranted` answers); also used
/// by the document writes ([`super::doc_writes`]).
pub(super) fn folder_granted(
    c: &Connection,
    user: &UserRow,
    id: i64,
    permission: &str,
) -> Result<LdFolder, ApiError> {
    let denied = || {
        ApiError::Forbidden(format!(
            "Permission {permission} not granted on folder {id}"
        ))
    };
    let f = tree::resolve(c, user, id)?.ok_or_else(denied)?;
    let role = tree::role(c, user, &f)?.ok_or_else(denied)?;
    if permissions::granted(role, permission) != Some(true) {
        return Err(denied());
    }
    Ok(f)
}

/// The store id of a folder other than the root (callers rule the root out first).
pub(super) fn resource(f: &LdFolder) -> Result<String, ApiError> {
    f.resource_id
        .clone()
        .ok_or_else(|| refused("the root folder cannot be changed"))
}

/// Refuses the root and `Default`, which are never renamed, moved or deleted.
fn changeable(id: i64, what: &str) -> Result<(), ApiError> {
    match id {
        ROOT => Err(refused(format!("the root folder cannot be {what}"))),
        DEFAULT_WORKSPACE => Err(refused(format!("the Default workspace cannot be {what}"))),
        _ => Ok(()),
    }
}

/// Creates folder `name` in the caller's folder `parent` [ADD]; answers it as the caller sees it.
fn create_in(c: &Connection, who: &Who<'_>, parent: i64, name: &str) -> Result<LdFolder, ApiError> {
    if parent == ROOT {
        return Err(refused(
            "workspaces cannot be created: the root holds only Default and shared folders",
        ));
    }
    let parent = granted(c, who, parent, "ADD")?;
    created(c, who, &parent, name)
}

/// Creates `name` in a folder already checked for ADD (never an alias: nothing lives in one).
pub(super) fn created(
    c: &Connection,
    who: &Who<'_>,
    parent: &LdFolder,
    name: &str,
) -> Result<LdFolder, ApiError> {
    no_alias(parent)?;
    let row = store_tree::create_folder(c, &who.caller, &resource(parent)?, name, who.now)?;
    tree::by_resource(c, who.user, &row.id)?.ok_or_else(|| ApiError::not_found("folder", &row.id))
}

/// Refuses an alias as the place of a new item: its contents are its target's.
pub(super) fn no_alias(f: &LdFolder) -> Result<(), ApiError> {
    match f.is_alias() {
        true => Err(refused(format!(
            "folder {} is an alias; use the folder it references",
            f.ld_id
        ))),
        false => Ok(()),
    }
}

/// Renames a folder other than the root and `Default` [RENAME]; an alias is renamed itself.
fn rename(c: &Connection, who: &Who<'_>, id: i64, name: String) -> Result<(), ApiError> {
    changeable(id, "renamed")?;
    let f = granted(c, who, id, "RENAME")?;
    if f.is_alias() {
        return aliases::rename(c, &resource(&f)?, &name, who.now);
    }
    let up = Update {
        name: Some(name),
        ..Update::default()
    };
    store_tree::update(c, &who.caller, &resource(&f)?, KIND_FOLDER, up, who.now)?;
    Ok(())
}

/// `POST createFolder`, form `parentId`, `name` [ADD on the parent]: the new folder's id.
pub async fn create_folder(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let Ok(parent) = form.long("parentId") else {
        return bad_request();
    };
    let name = form.string("name").unwrap_or_default();
    write(&ld, caller, move |c, who| {
        Ok(Written::Id(create_in(c, who, parent, &name)?.ld_id))
    })
    .await
}

/// A `WSFolder` in a JSON body: its `id`, `name` and `parentId` (numbers may come as strings);
/// `None` when the body is not a JSON object or a number field is not a number.
struct FolderBody {
    id: i64,
    name: Option<String>,
    parent_id: i64,
    /// The whole new tag set, when `tags` is given.
    tags: Option<Vec<String>>,
    /// The whole new set of string attributes, when `attributes` is given.
    attributes: Option<std::collections::BTreeMap<String, String>>,
}

fn folder_body(body: &[u8]) -> Option<FolderBody> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let obj = v.as_object()?;
    let long = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => Some(0),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    let name = match obj.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    Some(FolderBody {
        id: long("id")?,
        name,
        parent_id: long("parentId")?,
        tags: super::doc_tags::parse(&v).ok()?,
        attributes: super::doc_tags::parse_attributes(&v).ok()?,
    })
}

/// `POST create`, a JSON `WSFolder` with `name` and `parentId` [ADD on the parent]: the new
/// folder. Other fields (description, colour, template, …) are ignored.
pub async fn create(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let Some(b) = folder_body(&body) else {
        return bad_request();
    };
    let name = b.name.unwrap_or_default();
    write(&ld, caller, move |c, who| {
        Ok(Written::Folder(create_in(c, who, b.parent_id, &name)?))
    })
    .await
}

/// `POST createPath`, form `parentId`, `path` (`a/b`) [ADD on the parent]: the deepest folder,
/// creating the missing levels and reusing existing ones (empty segments are skipped; an empty
/// path answers the parent).
pub async fn create_path(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let Ok(parent) = form.long("parentId") else {
        return bad_request();
    };
    let path = form.string("path").unwrap_or_default();
    write(&ld, caller, move |c, who| {
        if parent == ROOT {
            return Err(refused(
                "workspaces cannot be created: the root holds only Default and shared folders",
            ));
        }
        let mut current = granted(c, who, parent, "ADD")?;
        for name in path.split('/').filter(|s| !s.is_empty()) {
            let existing = tree::children(c, who.user, &current)?
                .into_iter()
                .find(|f| f.name == name && !f.is_alias());
            current = match existing {
                Some(f) => f,
                None => created(c, who, &current, name)?,
            };
        }
        Ok(Written::Folder(current))
    })
    .await
}

/// `PUT rename?folderId=&name=` [RENAME]: 204. A sibling of that name, the root or `Default`:
/// 500.
pub async fn rename_folder(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let id = match params.long("folderId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    let name = params.string("name").unwrap_or_default();
    write(&ld, caller, move |c, who| {
        rename(c, who, id, name)?;
        Ok(Written::Nothing)
    })
    .await
}

/// `PUT move?folderId=&parentId=` [MOVE on the folder, ADD on the target]: 204. Moving to the
/// current parent ("No Changes"), into the root, into its own subtree, or moving a workspace:
/// 500.
pub async fn move_folder(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let (id, target) = match (params.long("folderId"), params.long("parentId")) {
        (Ok(id), Ok(target)) => (id, target),
        (Err(e), _) | (_, Err(e)) => return e.into(),
    };
    write(&ld, caller, move |c, who| {
        changeable(id, "moved")?;
        if target == ROOT {
            return Err(refused("folders cannot be moved into the root"));
        }
        let f = granted(c, who, id, "MOVE")?;
        if f.workspace {
            return Err(refused(format!(
                "folder {id} is a workspace and cannot be moved"
            )));
        }
        let to = granted(c, who, target, "ADD")?;
        if f.parent_ld == to.ld_id {
            return Err(refused("No Changes"));
        }
        no_alias(&to)?;
        if f.is_alias() {
            aliases::move_to(c, &resource(&f)?, &resource(&to)?, who.now)?;
            return Ok(Written::Nothing);
        }
        let up = Update {
            parent_id: Some(resource(&to)?),
            ..Update::default()
        };
        store_tree::update(c, &who.caller, &resource(&f)?, KIND_FOLDER, up, who.now)?;
        Ok(Written::Nothing)
    })
    .await
}

/// `POST update`, a JSON `WSFolder` with `id` [RENAME; WRITE to change tags or attributes]:
/// 204. A different `name` renames the folder (as `rename`); `tags` replace its tags (the store's
/// labels) and `attributes` its string attributes (custom metadata), as LogicalDOC overwrites
/// both with what it is sent; everything else is ignored. The root and aliases keep neither.
pub async fn update(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let Some(b) = folder_body(&body) else {
        return bad_request();
    };
    write(&ld, caller, move |c, who| {
        let f = granted(c, who, b.id, "RENAME")?;
        // Only what differs is written: sending back what getFolder gave changes nothing.
        let tags = b.tags.filter(|t| {
            let mut wanted: Vec<&String> = t.iter().filter(|t| !t.is_empty()).collect();
            wanted.sort();
            wanted.dedup();
            wanted != f.tags.iter().collect::<Vec<_>>()
        });
        let attributes = b.attributes.filter(|a| *a != f.attributes);
        if (tags.is_some() || attributes.is_some()) && (f.is_alias() || f.is_root()) {
            return Err(refused(format!(
                "folder {} keeps no tags or attributes",
                f.ld_id
            )));
        }
        if let Some(tags) = &tags {
            super::doc_tags::replace(c, &who.caller, &resource(&f)?, tags)?;
        }
        if let Some(attributes) = &attributes {
            super::doc_tags::replace_attributes(c, &who.caller, &resource(&f)?, attributes)?;
        }
        match b.name {
            Some(name) if name != f.name => rename(c, who, b.id, name)?,
            _ => {}
        }
        Ok(Written::Nothing)
    })
    .await
}

/// `DELETE delete?folderId=` [DELETE]: 204. The folder goes to its owner's recycle bin (WorkDocs'
/// `RECYCLED`) and leaves LogicalDOC's listings with everything in it. The root or `Default`:
/// 500.
pub async fn delete(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let id = match Params::parse(raw.as_deref()).long("folderId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    write(&ld, caller, move |c, who| {
        changeable(id, "deleted")?;
        let f = granted(c, who, id, "DELETE")?;
        if f.is_alias() {
            aliases::delete(c, &resource(&f)?)?;
            return Ok(Written::Nothing);
        }
        let up = Update {
            state: Some("RECYCLED".into()),
            ..Update::default()
        };
        store_tree::update(c, &who.caller, &resource(&f)?, KIND_FOLDER, up, who.now)?;
        Ok(Written::Nothing)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_bodies_are_read_tolerantly() {
        let b = folder_body(br#"{"id":"12","name":"a","parentId":4,"tags":[]}"#).unwrap();
        assert_eq!((b.id, b.name.as_deref(), b.parent_id), (12, Some("a"), 4));
        let b = folder_body(br#"{"name":null}"#).unwrap();
        assert_eq!((b.id, b.name, b.parent_id), (0, None, 0));
        assert!(folder_body(b"name=a").is_none());
        assert!(folder_body(br#"{"parentId":"x"}"#).is_none());
        assert!(folder_body(br#"{"name":3}"#).is_none());
        assert!(folder_body(b"[]").is_none());
    }
}
