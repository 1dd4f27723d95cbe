//! `/services/rest/document/{checkout,checkin,lock,unlock}`: LogicalDOC's document locks over
//! `store::locks`. A checkout (status 1) or a lock (status 2) makes the caller the holder; while
//! it holds, every write by anyone else fails through either API (the store's document writes
//! check it), while the holder's own writes work. `checkin` adds the new version and releases
//! the checkout in one transaction. As in LogicalDOC (`DocumentManager.lock`), taking the lock one
//! already holds changes nothing, and a document locked in any other way (by someone else, or by
//! the caller in the other kind) is refused: 500, like every failure here.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::multipart::Multipart;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use rusqlite::Connection;

use super::caller::LdCaller;
use super::doc_writes::{
    Dest, Written, doc_granted, number, query_ids, read_parts, refused, store_content, unique_name,
    write, write_content,
};
use super::folder_writes::{bad_request, form};
use super::{LdState, wire};
use crate::clock::now_ms;
use crate::server::error::ApiError;
use crate::server::store::locks::{self, LockKind};
use crate::server::store::rows::{KIND_DOCUMENT, ResourceRow, Role, UserRow};
use crate::server::store::tree::{self as store_tree, Update};

/// Makes the caller hold a lock of `kind` on document `id` [WRITE; a checkout also DOWNLOAD].
fn take(c: &Connection, user: &UserRow, id: i64, kind: LockKind) -> Result<Written, ApiError> {
    let d = doc_granted(c, user, id, "WRITE")?;
    if kind == LockKind::CheckedOut {
        doc_granted(c, user, id, "DOWNLOAD")?;
    }
    match locks::lock_of(c, &d.resource_id)? {
        None => locks::set(c, &d.resource_id, kind, &user.id, now_ms())?,
        Some(l) if l.kind == kind && l.user_id == user.id => {}
        Some(_) => {
            return Err(ApiError::Locked(format!(
                "Document {id} is already locked and cannot be locked by {}",
                user.username
            )));
        }
    }
    Ok(Written::Nothing)
}

/// `POST checkout`, form `docId` [WRITE, DOWNLOAD]: 204; the document's status becomes 1.
pub async fn checkout(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let Ok(id) = form(&body).long("docId") else {
        return bad_request();
    };
    write(&ld, caller, false, move |c, user, _| {
        take(c, user, id, LockKind::CheckedOut)
    })
    .await
}

/// `PUT lock?docId=` [WRITE]: 204; the document's status becomes 2.
pub async fn lock(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (_, id, _) = match query_ids(raw.as_deref(), None) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    write(&ld, caller, false, move |c, user, _| {
        take(c, user, id, LockKind::Locked)
    })
    .await
}

/// `PUT unlock?docId=` [READ]: 204; the status goes back to 0, whichever kind of lock it was. The
/// holder may unlock, and so may the document's owner (this server's stand-in for LogicalDOC's
/// administrators); anyone else: 500. An unlocked document stays as it is.
pub async fn unlock(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (_, id, _) = match query_ids(raw.as_deref(), None) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    write(&ld, caller, false, move |c, user, who| {
        let d = doc_granted(c, user, id, "READ")?;
        let Some(lock) = locks::lock_of(c, &d.resource_id)? else {
            return Ok(Written::Nothing);
        };
        let owner = crate::server::store::sharing::role_of(c, who, &d.resource_id)?;
        if lock.user_id != user.id && owner != Some(Role::Owner) {
            return Err(ApiError::Locked(format!(
                "The document {id} is locked by another user and cannot be unlocked by {}",
                user.username
            )));
        }
        locks::clear(c, &d.resource_id)?;
        Ok(Written::Nothing)
    })
    .await
}

/// `POST checkin`, multipart `docId`, `filename`, `filedata`, optional `comment`, `release`
/// [WRITE]: 204. The document must be checked out by the caller. The file becomes a new version
/// (the next major with `release=true`, else the next minor), the document takes `filename`
/// (made unique in its folder; without a `filename` part, the file part's own name) and its
/// status goes back to 0. `comment` is accepted and not kept.
pub async fn checkin(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    mp: Multipart,
) -> Response {
    let parts = match read_parts(&ld, mp, "filedata").await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let id = match number(&parts, "docId") {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(wire::failure("docId is required")),
        Err(resp) => Err(*resp),
    };
    let release = parts
        .get("release")
        .is_some_and(|r| r.trim().eq_ignore_ascii_case("true"));
    let name = parts.get("filename").map(str::to_owned);
    let Some(content) = parts.content else {
        return wire::failure("the filedata part is missing");
    };
    let id = match id {
        Ok(id) => id,
        Err(resp) => {
            ld.app.store.blobs().remove(&[content.version_id]).await;
            return resp;
        }
    };
    let name = name
        .filter(|n| !n.is_empty())
        .or_else(|| content.file_name.clone());
    write_content(&ld, caller, false, content, move |c, user, who, content| {
        let d = doc_granted(c, user, id, "WRITE")?;
        let held = locks::lock_of(c, &d.resource_id)?;
        if !held.is_some_and(|l| l.kind == LockKind::CheckedOut && l.user_id == user.id) {
            return Err(refused(format!("document {id} is not checked out by you")));
        }
        let name = name.ok_or_else(|| ApiError::Invalid("File name is mandatory".into()))?;
        store_content(c, user, who, Dest::Document(id), None, release, content)?;
        if name != d.name {
            let res = ResourceRow::by_id(c, &d.resource_id)?
                .ok_or_else(|| ApiError::not_found("document", &d.resource_id))?;
            let parent = res.parent_id.unwrap_or_default();
            let up = Update {
                name: Some(unique_name(c, &parent, &name, &res.id)?),
                ..Update::default()
            };
            store_tree::update(c, who, &res.id, KIND_DOCUMENT, up, now_ms())?;
        }
        locks::clear(c, &d.resource_id)?;
        Ok(Written::Nothing)
    })
    .await
}
