//! `/services/rest/document/*`, the write side of LogicalDOC's `RestDocumentService`: `upload`
//! and `create` (multipart), `rename`, `move`, `delete` and `restore`. Documents and folders are
//! addressed through the caller's tree ([`super::doc_tree`], [`super::tree`]) and changed through
//! the store's own operations (`store::documents::{initiate_as, record_upload, activate}` and
//! `store::tree::update`), so both APIs share one set of rules (roles, recycle bin, activities).
//!
//! Content: the multipart file part is streamed into the blob store (hashed with SHA-256 on the
//! way, as a WorkDocs upload) under a fresh version id before anything is written to the
//! database; then one transaction creates the document or version, records the upload,
//! activates it and stores its `X.Y` label (`versions.ld_label`). A failure anywhere rolls the
//! transaction back and removes the blob.
//!
//! File names are made unique in their folder, case-insensitively, as LogicalDOC's
//! `setUniqueFilename` does: `base(1).ext`, `base(2).ext`, … when a live document (or folder:
//! the store keeps one namespace for both) already holds the name. Every failure is a 500 with
//! a text body, except `create`'s permission failures (401, as its explicit mapping).

use std::collections::HashSet;

use axum::Extension;
use axum::extract::multipart::{Field, Multipart};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, params};
use serde_json::Value;

use super::caller::LdCaller;
use super::doc_shapes::WsDocument;
use super::doc_tree::{self, LdDocument};
use super::documents::unknown_document;
use super::folder_writes::{folder_granted, no_alias};
use super::params::Params;
use super::{LdState, permissions, versions, wire};
use crate::clock::now_ms;
use crate::server::error::ApiError;
use crate::server::store::blobs::Stored;
use crate::server::store::documents::{self as store_docs, DEFAULT_CONTENT_TYPE, Initiate};
use crate::server::store::ld_ids::{self, ROOT, Target};
use crate::server::store::rows::{Caller, KIND_DOCUMENT, ResourceRow, UserRow, new_id};
use crate::server::store::tree::{self as store_tree, Update};

/// What a write answers.
pub(super) enum Written {
    /// A bare number (`upload`).
    Id(i64),
    /// Raw text (`deleteVersion`).
    Text(String),
    /// A `WSDocument` (`create`).
    Document(Box<LdDocument>),
    /// `void`: 204.
    Nothing,
}

/// Runs `f` for the caller in one write transaction; an error rolls everything back and answers
/// 500 with its message (store failures with the generic one; with `deny_401`, permission
/// failures are a bare 401).
pub(super) async fn write<F>(ld: &LdState, caller: LdCaller, deny_401: bool, f: F) -> Response
where
    F: FnOnce(&Connection, &UserRow, &Caller) -> Result<Written, ApiError> + Send + 'static,
{
    let user = caller.user;
    let result = ld
        .app
        .store
        .tx(move |c| {
            let who = Caller::User(user.clone());
            f(c, &user, &who)
        })
        .await;
    match result {
        Ok(Written::Id(id)) => wire::json(&id),
        Ok(Written::Text(text)) => wire::text(text),
        Ok(Written::Document(d)) => wire::json(&WsDocument::of(&d)),
        Ok(Written::Nothing) => wire::no_content(),
        Err(ApiError::Forbidden(_) | ApiError::NoAccess(_)) if deny_401 => {
            StatusCode::UNAUTHORIZED.into_response()
        }
        Err(e @ (ApiError::Storage(_) | ApiError::Io(_) | ApiError::Unavailable(_))) => {
            wire::store_failure(&e)
        }
        Err(e) => wire::failure(&e.to_string()),
    }
}

pub(super) fn refused(message: impl Into<String>) -> ApiError {
    ApiError::Prohibited(message.into())
}

/// Document `id` if the caller sees it and holds `permission` on it.
pub(super) fn doc_granted(
    c: &Connection,
    user: &UserRow,
    id: i64,
    permission: &str,
) -> Result<LdDocument, ApiError> {
    let (d, role) =
        doc_tree::resolve(c, user, id)?.ok_or_else(|| ApiError::NoAccess(unknown_document(id)))?;
    if permissions::granted(role, permission) != Some(true) {
        return Err(ApiError::Forbidden(format!(
            "Permission {permission} not granted on document {id}"
        )));
    }
    Ok(d)
}

/// The store id of a folder the caller may write (WRITE), never the root nor an alias.
pub(super) fn target_folder(c: &Connection, user: &UserRow, id: i64) -> Result<String, ApiError> {
    if id == ROOT {
        return Err(refused("documents cannot be stored in the root folder"));
    }
    let f = folder_granted(c, user, id, "WRITE")?;
    no_alias(&f)?;
    f.resource_id
        .ok_or_else(|| refused("documents cannot be stored in the root folder"))
}

/// `name`, or the first of `base(1).ext`, `base(2).ext`, … that no live item of folder `parent`
/// (other than `except`) holds, compared case-insensitively.
pub fn unique_name(
    c: &Connection,
    parent: &str,
    name: &str,
    except: &str,
) -> Result<String, ApiError> {
    let mut stmt = c.prepare_cached(
        "SELECT r.name FROM resources r WHERE r.parent_id = ?1 AND r.id <> ?2 \
         AND r.state = 'ACTIVE' AND (r.kind = 'FOLDER' OR EXISTS (SELECT 1 FROM versions v \
         WHERE v.document_id = r.id AND v.status = 'ACTIVE' AND v.deleted = 0))",
    )?;
    let taken: HashSet<String> = stmt
        .query_map(params![parent, except], |r| r.get::<_, String>(0))?
        .map(|n| n.map(|n| n.to_lowercase()))
        .collect::<Result<_, _>>()?;
    Ok(first_free(name, |n| taken.contains(&n.to_lowercase())))
}

/// `name` if it is free, else the first free `base(i).ext`.
fn first_free(name: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(name) {
        return name.to_owned();
    }
    let (base, ext) = match name.rsplit_once('.') {
        Some((base, ext)) => (base, format!(".{ext}")),
        None => (name, String::new()),
    };
    (1u64..)
        .map(|i| format!("{base}({i}){ext}"))
        .find(|n| !taken(n))
        .expect("some name is free")
}

/// What an upload adds: a new document in a folder, or a new version of a document.
pub(super) enum Dest {
    Folder(i64),
    Document(i64),
}

/// The stored file part of a multipart call, and what to record for it.
pub(super) struct Content {
    pub version_id: String,
    pub stored: Stored,
    pub content_type: String,
    /// The part's own file name, if it had one.
    pub file_name: Option<String>,
}

/// The multipart parts of `upload` or `create`: the text parts by name, and the file part
/// (`file_part`) streamed into the blob store. `Err` is the response to give.
pub(super) struct Parts {
    pub text: Vec<(String, String)>,
    pub content: Option<Content>,
}

impl Parts {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.text
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(super) async fn read_parts(
    ld: &LdState,
    mut mp: Multipart,
    file_part: &str,
) -> Result<Parts, Response> {
    let mut parts = Parts {
        text: Vec::new(),
        content: None,
    };
    let fail = |parts: &Parts, message: String| {
        (
            parts.content.as_ref().map(|c| c.version_id.clone()),
            wire::failure(&message),
        )
    };
    let result = loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break Ok(()),
            Err(e) => break Err(fail(&parts, e.to_string())),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == file_part {
            if parts.content.is_some() {
                break Err(fail(&parts, format!("more than one {file_part} part")));
            }
            match store_field(ld, field).await {
                Ok(c) => parts.content = Some(c),
                Err(message) => break Err(fail(&parts, message)),
            }
        } else {
            match field.text().await {
                Ok(v) => parts.text.push((name, v)),
                Err(e) => break Err(fail(&parts, e.to_string())),
            }
        }
    };
    match result {
        Ok(()) => Ok(parts),
        Err((blob, resp)) => {
            if let Some(id) = blob {
                ld.app.store.blobs().remove(&[id]).await;
            }
            Err(resp)
        }
    }
}

/// Streams a file part into the blob of a fresh version id.
async fn store_field(ld: &LdState, field: Field<'_>) -> Result<Content, String> {
    let version_id = format!("{}-{}", now_ms(), new_id(8));
    let file_name = field.file_name().map(str::to_owned);
    let content_type = field
        .content_type()
        .filter(|t| !t.is_empty() && t.chars().count() <= 128)
        .unwrap_or(DEFAULT_CONTENT_TYPE)
        .to_owned();
    let stored = ld
        .app
        .store
        .blobs()
        .write(&version_id, field, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Content {
        version_id,
        stored,
        content_type,
        file_name,
    })
}

/// Stores `content` as a new document `name` in folder `into`, or as a new version of a
/// document (a major one for `release`), in one transaction; the document's row.
pub(super) fn store_content(
    c: &Connection,
    user: &UserRow,
    caller: &Caller,
    into: Dest,
    name: Option<String>,
    release: bool,
    content: &Content,
) -> Result<ResourceRow, ApiError> {
    let now = now_ms();
    let size = Some(content.stored.size as i64);
    let content_type = Some(content.content_type.clone());
    let (req, label) = match into {
        Dest::Folder(folder) => {
            let parent = target_folder(c, user, folder)?;
            let name = name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ApiError::Invalid("a file name is required".into()))?;
            store_tree::validate_name(&name)?;
            let name = unique_name(c, &parent, &name, "")?;
            let req = Initiate {
                parent_id: Some(parent),
                name: Some(name),
                content_type,
                size,
                ..Initiate::default()
            };
            (req, "1.0".to_owned())
        }
        Dest::Document(id) => {
            let d = doc_granted(c, user, id, "WRITE")?;
            let label = versions::next_label(c, &d.resource_id, release)?;
            let req = Initiate {
                document_id: Some(d.resource_id),
                content_type,
                size,
                ..Initiate::default()
            };
            (req, label)
        }
    };
    let vid = &content.version_id;
    let (doc, _) = store_docs::initiate_as(c, caller, req, vid, now)?;
    let (size, stored) = (content.stored.size as i64, &content.stored);
    store_docs::record_upload(c, vid, size, &stored.sha256, Some(&stored.sha1), now)?;
    store_docs::activate(c, caller, &doc.id, vid, now)?;
    c.execute(
        "UPDATE versions SET ld_label = ?2 WHERE id = ?1",
        params![vid, label],
    )?;
    Ok(doc)
}

/// A multipart number: `Err` is the response (an empty value is a 500, anything else that is no
/// number a 400).
pub(super) fn number(parts: &Parts, name: &str) -> Result<Option<i64>, Box<Response>> {
    match parts.get(name).map(str::trim) {
        None => Ok(None),
        Some("") => Err(Box::new(wire::failure(&format!("{name} is empty")))),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| Box::new(StatusCode::BAD_REQUEST.into_response())),
    }
}

/// Runs a content write and removes the blob if it failed.
pub(super) async fn write_content<F>(
    ld: &LdState,
    caller: LdCaller,
    deny_401: bool,
    content: Content,
    f: F,
) -> Response
where
    F: FnOnce(&Connection, &UserRow, &Caller, &Content) -> Result<Written, ApiError>
        + Send
        + 'static,
{
    let version_id = content.version_id.clone();
    let resp = write(ld, caller, deny_401, move |c, user, who| {
        f(c, user, who, &content)
    })
    .await;
    if !resp.status().is_success() {
        ld.app.store.blobs().remove(&[version_id]).await;
    }
    resp
}

/// `POST upload`, multipart `filename`, `filedata` and either `folderId` (a new document
/// [WRITE on the folder; not in the root]) or `docId` (a new version [WRITE on the document]),
/// optional `release` (`true`: the next major `X+1.0`, else the next minor): the document's id.
/// `language` is ignored; a new version keeps the document's name. Any failure: 500.
pub async fn upload(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    mp: Multipart,
) -> Response {
    let parts = match read_parts(&ld, mp, "filedata").await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let fields = (number(&parts, "docId"), number(&parts, "folderId"));
    let into = match fields {
        (Err(resp), _) | (_, Err(resp)) => Err(*resp),
        (Ok(Some(doc)), _) => Ok(Dest::Document(doc)),
        (Ok(None), Ok(Some(folder))) => Ok(Dest::Folder(folder)),
        (Ok(None), Ok(None)) => Err(wire::failure("folderId or docId is required")),
    };
    let release = parts
        .get("release")
        .is_some_and(|r| r.trim().eq_ignore_ascii_case("true"));
    let Parts { text, content } = parts;
    let Some(content) = content else {
        return wire::failure("the filedata part is missing");
    };
    let into = match into {
        Ok(into) => into,
        Err(resp) => {
            ld.app.store.blobs().remove(&[content.version_id]).await;
            return resp;
        }
    };
    let name = text
        .into_iter()
        .find(|(n, _)| n == "filename")
        .map(|(_, v)| v)
        .or_else(|| content.file_name.clone());
    write_content(&ld, caller, false, content, move |c, user, who, content| {
        let doc = store_content(c, user, who, into, name, release, content)?;
        Ok(Written::Id(ld_ids::ld_id_for(c, user, &doc.id)?))
    })
    .await
}

/// `POST create`, multipart `document` (a JSON WSDocument: `folderId`, `fileName`, `tags`) and `content`
/// [WRITE on the folder; not in the root]: the new document. A permission failure is a 401 (the
/// method's explicit mapping), anything else a 500.
pub async fn create(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    mp: Multipart,
) -> Response {
    let parts = match read_parts(&ld, mp, "content").await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    type Described = (i64, Option<String>, Option<Vec<String>>);
    let body: Option<Described> = parts
        .get("document")
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|v| {
            let folder = match v.get("folderId")? {
                Value::Number(n) => n.as_i64()?,
                Value::String(s) => s.trim().parse().ok()?,
                _ => return None,
            };
            let tags = super::doc_tags::parse(&v).ok()?;
            Some((folder, v.get("fileName")?.as_str().map(str::to_owned), tags))
        });
    let Some(content) = parts.content else {
        return wire::failure("the content part is missing");
    };
    let Some((folder, name, tags)) = body else {
        ld.app.store.blobs().remove(&[content.version_id]).await;
        return StatusCode::BAD_REQUEST.into_response();
    };
    let name = name.or_else(|| content.file_name.clone());
    write_content(&ld, caller, true, content, move |c, user, who, content| {
        let doc = store_content(c, user, who, Dest::Folder(folder), name, false, content)?;
        if let Some(tags) = &tags {
            super::doc_tags::replace(c, who, &doc.id, tags)?;
        }
        let id = ld_ids::ld_id_for(c, user, &doc.id)?;
        let (d, _) = doc_tree::resolve(c, user, id)?
            .ok_or_else(|| ApiError::not_found("document", &doc.id))?;
        Ok(Written::Document(Box::new(d)))
    })
    .await
}

/// The query's `docId` and, if named, another number; `Err` is the 404 of a non-number.
pub(super) fn query_ids(
    raw: Option<&str>,
    other: Option<&str>,
) -> Result<(Params, i64, i64), Box<Response>> {
    let params = Params::parse(raw);
    let doc = params.long("docId").map_err(|e| Box::new(e.into()))?;
    let other = match other {
        Some(name) => params.long(name).map_err(|e| Box::new(e.into()))?,
        None => 0,
    };
    Ok((params, doc, other))
}

/// `PUT rename?docId=&name=` [RENAME]: 204. The name is made unique in the folder (read it back).
pub async fn rename(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (params, id, _) = match query_ids(raw.as_deref(), None) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let name = params.string("name").unwrap_or_default();
    write(&ld, caller, false, move |c, user, who| {
        let d = doc_granted(c, user, id, "RENAME")?;
        store_tree::validate_name(&name)?;
        let res = ResourceRow::by_id(c, &d.resource_id)?
            .ok_or_else(|| ApiError::not_found("document", &d.resource_id))?;
        let parent = res.parent_id.unwrap_or_default();
        let name = unique_name(c, &parent, &name, &res.id)?;
        let up = Update {
            name: Some(name),
            ..Update::default()
        };
        store_tree::update(c, who, &res.id, KIND_DOCUMENT, up, now_ms())?;
        Ok(Written::Nothing)
    })
    .await
}

/// `PUT move?docId=&folderId=` [MOVE on the document, WRITE on the target; not the root]: 204.
/// The name is made unique in the target folder. Moving into its own folder changes nothing.
pub async fn move_document(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (_, id, folder) = match query_ids(raw.as_deref(), Some("folderId")) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    write(&ld, caller, false, move |c, user, who| {
        let d = doc_granted(c, user, id, "MOVE")?;
        let target = target_folder(c, user, folder)?;
        let res = ResourceRow::by_id(c, &d.resource_id)?
            .ok_or_else(|| ApiError::not_found("document", &d.resource_id))?;
        if res.parent_id.as_deref() == Some(target.as_str()) {
            return Ok(Written::Nothing);
        }
        let name = unique_name(c, &target, &res.name, &res.id)?;
        let up = Update {
            name: Some(name),
            parent_id: Some(target),
            ..Update::default()
        };
        store_tree::update(c, who, &res.id, KIND_DOCUMENT, up, now_ms())?;
        Ok(Written::Nothing)
    })
    .await
}

/// `DELETE delete?docId=` [DELETE]: 204. The document goes to its owner's recycle bin (WorkDocs'
/// `RECYCLED`) and vanishes from LogicalDOC's lists and `getDocument`.
pub async fn delete(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (_, id, _) = match query_ids(raw.as_deref(), None) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    write(&ld, caller, false, move |c, user, who| {
        let d = doc_granted(c, user, id, "DELETE")?;
        let up = Update {
            state: Some("RECYCLED".into()),
            ..Update::default()
        };
        store_tree::update(c, who, &d.resource_id, KIND_DOCUMENT, up, now_ms())?;
        Ok(Written::Nothing)
    })
    .await
}

/// `PUT restore?docId=&folderId=`: 204. Brings a recycled document back (WorkDocs' `ACTIVE`)
/// into folder `folderId`, its name made unique there. Unlike LogicalDOC, which checks only the
/// session, the caller must be able to write the document (the store's rule for restoring) and
/// hold WRITE on the target folder. A document that is not recycled, or an unknown id: 500.
pub async fn restore(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (_, id, folder) = match query_ids(raw.as_deref(), Some("folderId")) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    write(&ld, caller, false, move |c, user, who| {
        let unknown = || ApiError::NoAccess(unknown_document(id));
        let Some(Target::Resource(rid)) = ld_ids::resource_of(c, user, id)? else {
            return Err(unknown());
        };
        let res = ResourceRow::by_id(c, &rid)?.ok_or_else(unknown)?;
        if res.kind != KIND_DOCUMENT {
            return Err(unknown());
        }
        if !res.is_recycled() {
            return Err(refused(format!("document {id} is not deleted")));
        }
        let target = target_folder(c, user, folder)?;
        let name = unique_name(c, &target, &res.name, &res.id)?;
        let up = Update {
            name: Some(name),
            parent_id: Some(target),
            state: Some("ACTIVE".into()),
        };
        store_tree::update(c, who, &res.id, KIND_DOCUMENT, up, now_ms())?;
        Ok(Written::Nothing)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_names_get_a_counter_before_the_extension() {
        let taken = ["a.txt", "a(1).txt", "notes", "x.tar.gz"];
        let is_taken = |n: &str| taken.contains(&n.to_lowercase().as_str());
        assert_eq!(first_free("b.txt", is_taken), "b.txt");
        assert_eq!(first_free("A.TXT", is_taken), "A(2).TXT");
        assert_eq!(first_free("notes", is_taken), "notes(1)");
        assert_eq!(first_free("x.tar.gz", is_taken), "x.tar(1).gz");
    }
}
