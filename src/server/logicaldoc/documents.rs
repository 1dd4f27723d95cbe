//! `/services/rest/document/*`, the read side of LogicalDOC's `RestDocumentService` (metadata;
//! content is in [`super::download`]): a folder's documents (whole, filtered by file name, or
//! sorted and paged), one or several documents, a document's versions and permission checks.
//! Documents are seen through the caller's tree ([`super::doc_tree`]). A document the caller
//! cannot see (unknown, recycled, someone else's) is a 401 for `getDocument` and a 500 with a
//! text body elsewhere, as on the real server; a folder it cannot see is a 500.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;

use super::caller::LdCaller;
use super::doc_shapes::{self, WsDocument};
use super::doc_tree::{self, LdDocument};
use super::params::Params;
use super::tree;
use super::{LdState, paging, permissions, versions, wire};
use crate::server::error::ApiError;
use crate::server::store::ld_ids;
use crate::server::store::rows::{Role, UserRow};
use crate::server::workdocs::params::Query;

/// What a document method answers, decided inside one store transaction.
enum Answer {
    Document(Box<LdDocument>),
    Documents(Vec<LdDocument>),
    Shapes(Vec<WsDocument>),
    Bool(bool),
    /// `getDocument` of a document the caller cannot see: 401, no body, no challenge.
    Unauthorized,
    /// An exception: 500 with this text.
    Failure(String),
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        match self {
            Answer::Document(d) => wire::json(&WsDocument::of(&d)),
            Answer::Documents(list) => wire::json(&doc_shapes::documents(&list)),
            Answer::Shapes(list) => wire::json(&list),
            Answer::Bool(b) => wire::boolean(b),
            Answer::Unauthorized => StatusCode::UNAUTHORIZED.into_response(),
            Answer::Failure(message) => wire::failure(&message),
        }
    }
}

/// The failure for a document the caller cannot see.
pub fn unknown_document(id: i64) -> String {
    format!("Document {id} not found or not readable")
}

/// The documents of folder `folderId` if the caller may read it, else a READ failure. `Err` is a
/// 404: a `folderId` that is not a number.
fn folder_documents(
    c: &Connection,
    user: &UserRow,
    folder_id: i64,
) -> Result<Result<Vec<LdDocument>, String>, ApiError> {
    let denied = || {
        Ok(Err(format!(
            "Permission READ not granted on folder {folder_id}"
        )))
    };
    let Some(folder) = tree::resolve(c, user, folder_id)? else {
        return denied();
    };
    if tree::role(c, user, &folder)?.is_none() {
        return denied();
    }
    Ok(Ok(doc_tree::in_folder(c, user, &folder)?))
}

/// Lists folder `folderId`'s documents, then lets `then` filter, sort and page them.
async fn listing<F>(ld: &LdState, caller: LdCaller, params: Params, then: F) -> Response
where
    F: FnOnce(Vec<LdDocument>, &Params) -> Answer + Send + 'static,
{
    let folder_id = match params.long("folderId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    wire::in_transaction(ld, caller, move |c, user| {
        Ok(match folder_documents(c, user, folder_id)? {
            Ok(list) => then(list, &params),
            Err(message) => Answer::Failure(message),
        })
    })
    .await
}

/// Keeps the documents whose file name matches `fileName` (Ant wildcards), if given.
fn filtered(list: Vec<LdDocument>, params: &Params) -> Vec<LdDocument> {
    match params.string("fileName").filter(|p| !p.is_empty()) {
        None => list,
        Some(pattern) => list
            .into_iter()
            .filter(|d| paging::wildcard(&pattern, &d.name))
            .collect(),
    }
}

/// `GET list?folderId=` [READ]: the folder's documents, sorted by file name.
pub async fn list(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    listing(&ld, caller, params, |list, _| Answer::Documents(list)).await
}

/// `GET listDocuments?folderId=&fileName=` [READ]: those whose name matches `fileName`.
pub async fn list_documents(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    listing(&ld, caller, params, |list, params| {
        Answer::Documents(filtered(list, params))
    })
    .await
}

/// `GET listPaginated?folderId=&fileName=&sort=&page=&max=` [READ]: filtered, sorted, then
/// sliced as [`paging::page`] says. `page` or `max` that is not a number is a 404.
pub async fn list_paginated(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let (page, max) = match (params.integer("page"), params.integer("max")) {
        (Ok(page), Ok(max)) => (page, max),
        (Err(e), _) | (_, Err(e)) => return e.into(),
    };
    listing(&ld, caller, params, move |list, params| {
        let mut list = filtered(list, params);
        let sort = params.string("sort").unwrap_or_default();
        if let Err(message) = paging::sort(&mut list, &sort) {
            return Answer::Failure(message);
        }
        match paging::page(list, page, max) {
            Ok(list) => Answer::Documents(list),
            Err(message) => Answer::Failure(message),
        }
    })
    .await
}

/// Runs `then` on document `docId` if the caller can see it; else `missing`. A `docId` that is
/// not a number is a 404.
async fn with_document<F>(
    ld: &LdState,
    caller: LdCaller,
    raw: Option<String>,
    missing: fn(i64) -> Answer,
    then: F,
) -> Response
where
    F: FnOnce(&Connection, LdDocument, Role) -> Result<Answer, ApiError> + Send + 'static,
{
    let id = match Params::parse(raw.as_deref()).long("docId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    wire::in_transaction(ld, caller, move |c, user| {
        match doc_tree::resolve(c, user, id)? {
            Some((d, role)) => then(c, d, role),
            None => Ok(missing(id)),
        }
    })
    .await
}

fn failure(id: i64) -> Answer {
    Answer::Failure(unknown_document(id))
}

/// `GET getDocument?docId=` [READ]: 401 when the document is missing or not readable.
pub async fn get_document(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let missing = |_| Answer::Unauthorized;
    with_document(&ld, caller, raw, missing, |_, d, _| {
        Ok(Answer::Document(Box::new(d)))
    })
    .await
}

/// `GET getDocuments?docIds=&docIds=` [READ]: those the caller can see, in the order asked,
/// each once; the others are left out.
pub async fn get_documents(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut ids: Vec<i64> = Vec::new();
    for v in Query::parse(raw.as_deref()).all("docIds") {
        match v.trim().parse() {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(_) => return wire::not_found_now(),
        }
    }
    wire::in_transaction(&ld, caller, move |c, user| {
        let mut out = Vec::new();
        for id in ids {
            if let Some((d, _)) = doc_tree::resolve(c, user, id)? {
                out.push(d);
            }
        }
        Ok(Answer::Documents(out))
    })
    .await
}

/// `GET getVersions?docId=` [READ]: every live version, newest first, each under its version
/// record's own number.
pub async fn get_versions(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    with_document(&ld, caller, raw, failure, |c, d, _| {
        let mut out = Vec::new();
        for v in versions::live(c, &d.resource_id)?.iter().rev() {
            let id = ld_ids::ld_version_id_of(c, &v.id)?;
            out.push(WsDocument::with_version(&d, v, id));
        }
        Ok(Answer::Shapes(out))
    })
    .await
}

/// Answers whether the caller holds `permission` on document `docId`; `false` for a document
/// it cannot see or a permission name that does not exist.
async fn check(
    ld: &LdState,
    caller: LdCaller,
    raw: Option<String>,
    permission: Option<String>,
) -> Response {
    let no = |_| Answer::Bool(false);
    with_document(ld, caller, raw, no, move |_, _, role| {
        let granted = permission.and_then(|name| permissions::granted(role, &name));
        Ok(Answer::Bool(granted.unwrap_or(false)))
    })
    .await
}

/// `GET isRead?docId=`.
pub async fn is_read(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    check(&ld, caller, raw, Some("READ".into())).await
}

/// `GET isWrite?docId=`.
pub async fn is_write(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    check(&ld, caller, raw, Some("WRITE".into())).await
}

/// `GET isDownload?docId=`.
pub async fn is_download(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    check(&ld, caller, raw, Some("DOWNLOAD".into())).await
}

/// `GET isGranted?docId=&permission=NAME` (names as in LogicalDOC 8.9.1+, case-sensitive).
pub async fn is_granted(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let permission = Params::parse(raw.as_deref()).string("permission");
    check(&ld, caller, raw, permission).await
}
