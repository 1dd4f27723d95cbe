//! `/services/rest/folder/*`, the read side of LogicalDOC's `RestFolderService`: the root, the
//! Default workspace and the workspaces, one folder, its children (whole or paged), lookups by
//! path, paths, permission checks and the access-control list. Every folder is seen
//! through the caller's tree ([`super::tree`]); a folder the caller cannot see (unknown id,
//! recycled, someone else's) fails as LogicalDOC's permission check does: 500 with a text body.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;

use super::caller::LdCaller;
use super::params::Params;
use super::shapes::{self, AccessControlEntry, WsFolder};
use super::tree::{self, LdFolder};
use super::{LdState, acl, paging, permissions, wire};
use crate::server::error::ApiError;
use crate::server::store::ld_ids::DEFAULT_WORKSPACE;
use crate::server::store::rows::{Role, UserRow};

/// What a folder method answers, decided inside one store transaction.
enum Answer {
    Folder(LdFolder),
    Folders(Vec<LdFolder>),
    Entries(Vec<AccessControlEntry>),
    Bool(bool),
    /// `null`: 204.
    Nothing,
    /// An exception: 500 with this text.
    Failure(String),
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Folder(f) => wire::json(&WsFolder::of(&f)),
            Answer::Folders(list) => wire::json(&shapes::folders(&list)),
            Answer::Entries(list) => wire::json(&list),
            Answer::Bool(b) => wire::boolean(b),
            Answer::Nothing => wire::no_content(),
            Answer::Failure(message) => wire::failure(&message),
        }
    }
}

fn denied(permission: &str, id: i64) -> Answer {
    Answer::Failure(format!(
        "Permission {permission} not granted on folder {id}"
    ))
}

/// The folder `id` and the caller's role on it, if the caller can see it.
fn visible(c: &Connection, user: &UserRow, id: i64) -> Result<Option<(LdFolder, Role)>, ApiError> {
    let Some(f) = tree::resolve(c, user, id)? else {
        return Ok(None);
    };
    Ok(tree::role(c, user, &f)?.map(|role| (f, role)))
}

/// Runs `then` on folder `folderId` if the caller may read it; else a READ failure. A
/// `folderId` that is not a number is a 404.
async fn with_readable<F>(ld: &LdState, caller: LdCaller, raw: Option<String>, then: F) -> Response
where
    F: FnOnce(&Connection, &UserRow, LdFolder, Role, &Params) -> Result<Answer, ApiError>
        + Send
        + 'static,
{
    let params = Params::parse(raw.as_deref());
    let id = match params.long("folderId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    wire::in_transaction(ld, caller, move |c, user| match visible(c, user, id)? {
        Some((f, role)) => then(c, user, f, role, &params),
        None => Ok(denied("READ", id)),
    })
    .await
}

/// `GET getRootFolder`: the virtual root (5, `/`).
pub async fn get_root_folder(Extension(caller): Extension<LdCaller>) -> Response {
    wire::json(&WsFolder::of(&tree::root(&caller.user)))
}

/// `GET getDefaultWorkspace`: the caller's own root folder as `Default` (4).
pub async fn get_default_workspace(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
) -> Response {
    wire::in_transaction(&ld, caller, |c, user| {
        Ok(match tree::resolve(c, user, DEFAULT_WORKSPACE)? {
            Some(f) => Answer::Folder(f),
            None => denied("READ", DEFAULT_WORKSPACE),
        })
    })
    .await
}

/// `GET listWorkspaces`: `Default` and the folders shared with the caller directly.
pub async fn list_workspaces(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
) -> Response {
    wire::in_transaction(&ld, caller, |c, user| {
        Ok(Answer::Folders(tree::workspaces(c, user)?))
    })
    .await
}

/// `GET getFolder?folderId=` [READ].
pub async fn get_folder(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    with_readable(&ld, caller, raw, |_, _, f, _, _| Ok(Answer::Folder(f))).await
}

/// `GET listChildren?folderId=` [READ]: the subfolders, sorted by name.
pub async fn list_children(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    with_readable(&ld, caller, raw, |c, user, f, _, _| {
        Ok(Answer::Folders(tree::children(c, user, &f)?))
    })
    .await
}

/// `GET list?folderId=&sort=&page=&max=` [READ]: the subfolders, sorted and paged as
/// [`paging`] says. `page` or `max` that is not a number is a 404.
pub async fn list(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    if let Err(e) = params.integer("page").and(params.integer("max")) {
        return e.into();
    }
    with_readable(&ld, caller, raw, |c, user, f, _, params| {
        let mut children = tree::children(c, user, &f)?;
        if let Err(message) =
            paging::sort(&mut children, &params.string("sort").unwrap_or_default())
        {
            return Ok(Answer::Failure(message));
        }
        let (page, max) = (params.integer("page"), params.integer("max"));
        let (page, max) = (page.ok().flatten(), max.ok().flatten());
        Ok(match paging::page(children, page, max) {
            Ok(list) => Answer::Folders(list),
            Err(message) => Answer::Failure(message),
        })
    })
    .await
}

/// `GET findByPath?path=/Default/a` [READ]: 204 when there is no such folder.
pub async fn find_by_path(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let path = Params::parse(raw.as_deref())
        .string("path")
        .unwrap_or_default();
    wire::in_transaction(&ld, caller, move |c, user| {
        Ok(match tree::find_by_path(c, user, &path)? {
            Some(f) => Answer::Folder(f),
            None => Answer::Nothing,
        })
    })
    .await
}

/// `GET getPath?folderId=` [READ]: the folders from the root down to this one.
pub async fn get_path(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    with_readable(&ld, caller, raw, |c, user, f, _, _| {
        Ok(Answer::Folders(tree::path(c, user, &f)?))
    })
    .await
}

/// Answers whether the caller holds `permission` on folder `folderId`; `false` for a folder it
/// cannot see or a permission name that does not exist.
async fn check(
    ld: &LdState,
    caller: LdCaller,
    raw: Option<String>,
    permission: Option<String>,
) -> Response {
    let id = match Params::parse(raw.as_deref()).long("folderId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    wire::in_transaction(ld, caller, move |c, user| {
        let granted = match (visible(c, user, id)?, permission) {
            (Some((_, role)), Some(name)) => permissions::granted(role, &name).unwrap_or(false),
            _ => false,
        };
        Ok(Answer::Bool(granted))
    })
    .await
}

/// `GET isReadable?folderId=`.
pub async fn is_readable(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    check(&ld, caller, raw, Some("READ".into())).await
}

/// `GET isWritable?folderId=`.
pub async fn is_writable(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    check(&ld, caller, raw, Some("WRITE".into())).await
}

/// `GET isGranted?folderId=&permission=NAME` (names as in LogicalDOC 8.9.1+, case-sensitive).
pub async fn is_granted(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let permission = Params::parse(raw.as_deref()).string("permission");
    check(&ld, caller, raw, permission).await
}

/// `GET getAccessControlList?folderId=` [READ]: the whole list for who may change it, else the
/// caller's own entry ([`acl::entries`]).
pub async fn get_access_control_list(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    with_readable(&ld, caller, raw, |c, user, f, role, _| {
        Ok(Answer::Entries(acl::entries(c, user, &f, role)?))
    })
    .await
}
