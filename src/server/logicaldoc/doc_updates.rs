//! `/services/rest/document/{update,copy,replaceFile}`: the document writes that are neither
//! uploads nor plain renames and moves ([`super::doc_writes`]). `update` renames and moves in one
//! step through `store::tree::update`; `copy` makes a new document from the live version
//! (`store::copies`, the blob shared, not duplicated); `replaceFile` puts new bytes under an
//! existing version label without making a version. Names are made unique as LogicalDOC's
//! `setUniqueFilename` does; every failure is a 500 with a text body.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::multipart::Multipart;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use rusqlite::params;
use serde_json::Value;

use super::caller::LdCaller;
use super::doc_tree;
use super::doc_writes::{
    Written, doc_granted, number, query_ids, read_parts, refused, target_folder, unique_name,
    write, write_content,
};
use super::folder_writes::bad_request;
use super::{LdState, versions, wire};
use crate::clock::now_ms;
use crate::server::error::ApiError;
use crate::server::store::copies::Copier;
use crate::server::store::ld_ids;
use crate::server::store::locks;
use crate::server::store::rows::{KIND_DOCUMENT, ResourceRow};
use crate::server::store::tree::{self as store_tree, Update};

/// A `WSDocument` in a JSON body: `id`, and `fileName` and `folderId` when present (numbers may
/// come as strings); `None` when it is not a JSON object or a field has the wrong type.
struct DocBody {
    id: i64,
    file_name: Option<String>,
    folder_id: Option<i64>,
    /// The whole new tag set, when `tags` is given.
    tags: Option<Vec<String>>,
    /// The whole new set of string attributes, when `attributes` is given.
    attributes: Option<std::collections::BTreeMap<String, String>>,
}

fn doc_body(body: &[u8]) -> Option<DocBody> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let obj = v.as_object()?;
    let long = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => n.as_i64().map(Some),
        Some(Value::String(s)) => s.trim().parse().ok().map(Some),
        Some(_) => None,
    };
    let file_name = match obj.get("fileName") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return None,
    };
    Some(DocBody {
        id: long("id")?.unwrap_or(0),
        file_name,
        folder_id: long("folderId")?,
        tags: super::doc_tags::parse(&v).ok()?,
        attributes: super::doc_tags::parse_attributes(&v).ok()?,
    })
}

/// `PUT update`, a JSON `WSDocument` with `id` [WRITE; a move also MOVE on the document and
/// WRITE on the target]: 204. A different `fileName` renames the document and a different
/// `folderId` moves it (the name made unique where it lands), `tags` replace the tags (the
/// store's labels) and `attributes` the string attributes (its custom metadata); every other
/// field is ignored, and a missing `folderId` moves nothing.
pub async fn update(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let Some(b) = doc_body(&body) else {
        return bad_request();
    };
    write(&ld, caller, false, move |c, user, who| {
        let d = doc_granted(c, user, b.id, "WRITE")?;
        locks::ensure_writable(c, who, &d.resource_id)?;
        let res = ResourceRow::by_id(c, &d.resource_id)?
            .ok_or_else(|| ApiError::not_found("document", &d.resource_id))?;
        let mut parent = res.parent_id.clone().unwrap_or_default();
        let moving = b.folder_id.is_some_and(|f| f != d.folder_ld);
        if let Some(folder) = b.folder_id.filter(|_| moving) {
            doc_granted(c, user, b.id, "MOVE")?;
            parent = target_folder(c, user, folder)?;
        }
        if let Some(tags) = &b.tags {
            super::doc_tags::replace(c, who, &res.id, tags)?;
        }
        if let Some(attributes) = &b.attributes {
            super::doc_tags::replace_attributes(c, who, &res.id, attributes)?;
        }
        let wanted = b.file_name.filter(|n| !n.is_empty() && *n != res.name);
        if wanted.is_none() && !moving {
            return Ok(Written::Nothing);
        }
        if let Some(name) = &wanted {
            store_tree::validate_name(name)?;
        }
        let name = wanted.unwrap_or_else(|| res.name.clone());
        let up = Update {
            name: Some(unique_name(c, &parent, &name, &res.id)?),
            parent_id: moving.then_some(parent),
            ..Update::default()
        };
        store_tree::update(c, who, &res.id, KIND_DOCUMENT, up, now_ms())?;
        Ok(Written::Nothing)
    })
    .await
}

/// `PUT copy?docId=&folderId=&links=&notes=&security=` [READ on the document, WRITE on the
/// target; not the root]: the new document (`1.0`, the live version's content, the name made
/// unique in the target). `security=true` also gives it the source's direct shares; `links` and
/// `notes` are accepted (this server has neither).
pub async fn copy(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (params, id, folder) = match query_ids(raw.as_deref(), Some("folderId")) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    // A Java `boolean` query parameter: only `true` (any case) is true.
    let security = params
        .string("security")
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("true"));
    let blobs = ld.app.store.blobs().clone();
    write(&ld, caller, false, move |c, user, who| {
        let d = doc_granted(c, user, id, "READ")?;
        let dest = target_folder(c, user, folder)?;
        let name = unique_name(c, &dest, &d.name, "")?;
        let mut copier = Copier::new(c, who, &blobs, now_ms());
        let copied = copier
            .document(&d.resource_id, &dest, &name)
            .and_then(|row| {
                if security {
                    copier.replicate_shares(&d.resource_id, &row.id)?;
                }
                copier.finish()?;
                Ok(row)
            });
        let row = match copied {
            Ok(row) => row,
            Err(e) => {
                copier.discard();
                return Err(e);
            }
        };
        let new_id = ld_ids::ld_id_for(c, user, &row.id)?;
        let (copy, _) = doc_tree::resolve(c, user, new_id)?
            .ok_or_else(|| ApiError::not_found("document", &row.id))?;
        Ok(Written::Document(Box::new(copy)))
    })
    .await
}

/// `POST replaceFile`, multipart `docId`, `fileVersion`, `comment`, `filedata` [WRITE]: 204. The
/// file part becomes the content of version `fileVersion` (size and SHA-256 follow); no version
/// is made and the labels stay. The old bytes are gone for good (a copy made from them keeps
/// its own). `comment` is accepted and not kept.
pub async fn replace_file(
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
    let label = parts
        .get("fileVersion")
        .unwrap_or_default()
        .trim()
        .to_owned();
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
    let blobs = ld.app.store.blobs().clone();
    write_content(&ld, caller, false, content, move |c, user, who, content| {
        let d = doc_granted(c, user, id, "WRITE")?;
        locks::ensure_writable(c, who, &d.resource_id)?;
        let v = versions::live(c, &d.resource_id)?
            .into_iter()
            .find(|v| v.label == label)
            .ok_or_else(|| refused(format!("Unexisting version {label:?} of document {id}")))?;
        let (size, now) = (content.stored.size as i64, now_ms());
        c.execute(
            "UPDATE versions SET size = ?2, declared_size = ?2, sha256 = ?3, sha1 = ?4, \
             modified_ms = ?5 WHERE id = ?1",
            params![v.id, size, content.stored.sha256, content.stored.sha1, now],
        )?;
        c.execute(
            "UPDATE resources SET modified_ms = ?2 WHERE id = ?1",
            params![d.resource_id, now],
        )?;
        blobs.replace_sync(&content.version_id, &v.id)?;
        Ok(Written::Nothing)
    })
    .await
}
