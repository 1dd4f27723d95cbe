//! `/services/rest/document/{deleteVersion,promoteVersion}`: versions addressed by their `X.Y`
//! labels ([`super::versions`]). `deleteVersion` is WorkDocs' `DeleteDocumentVersion` (a soft
//! delete the WorkDocs API can undo; the label keeps its place); `promoteVersion` is a new
//! version with the old one's content, as LogicalDOC does it (a checkin of that content), its
//! blob shared with the old one (`store::copies`). Both need WRITE, respect other users' locks
//! (through the store) and fail with a 500 text body.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use rusqlite::{Connection, params};

use super::caller::LdCaller;
use super::doc_writes::{Written, doc_granted, query_ids, refused, write};
use super::versions::{self, LdVersion};
use super::{LdState, params::Params};
use crate::clock::now_ms;
use crate::server::error::ApiError;
use crate::server::store::copies::Copier;
use crate::server::store::documents as store_docs;
use crate::server::store::rows::{UserRow, VersionRow};

/// Document `id` [WRITE], its live versions (oldest first) and the one labelled `label`.
fn labelled(
    c: &Connection,
    user: &UserRow,
    id: i64,
    label: &str,
) -> Result<(String, Vec<LdVersion>, LdVersion), ApiError> {
    let d = doc_granted(c, user, id, "WRITE")?;
    let live = versions::live(c, &d.resource_id)?;
    let v = live
        .iter()
        .find(|v| v.label == label)
        .cloned()
        .ok_or_else(|| refused(format!("Unexisting version {label} of document {id}")))?;
    Ok((d.resource_id, live, v))
}

/// The query's `docId` and `version`; `Err` is the 404 of a non-numeric `docId`.
fn doc_and_version(raw: Option<&str>) -> Result<(i64, String), Box<Response>> {
    let (_, id, _) = query_ids(raw, None)?;
    let label = Params::parse(raw).string("version").unwrap_or_default();
    Ok((id, label))
}

/// `DELETE deleteVersion?docId=&version=X.Y` [WRITE]: the label of the version that is current
/// afterwards, as raw text. Deleting the current version makes the one before it current;
/// deleting the only one, or an unknown label: 500.
pub async fn delete_version(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (id, label) = match doc_and_version(raw.as_deref()) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    write(&ld, caller, false, move |c, user, who| {
        let (doc, live, v) = labelled(c, user, id, &label)?;
        if live.len() == 1 {
            return Err(refused(format!(
                "version {label} is the only version of document {id}"
            )));
        }
        store_docs::delete_version(c, who, &doc, &v.id, false, now_ms())?;
        let current = versions::live(c, &doc)?
            .pop()
            .ok_or_else(|| refused("no version is left"))?;
        Ok(Written::Text(current.label))
    })
    .await
}

/// `PUT promoteVersion?docId=&version=X.Y` [WRITE]: 204. A new version (the next minor) with the
/// content of version `X.Y` becomes the current one; `X.Y` stays as it is.
pub async fn promote_version(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (id, label) = match doc_and_version(raw.as_deref()) {
        Ok(v) => v,
        Err(resp) => return *resp,
    };
    let blobs = ld.app.store.blobs().clone();
    write(&ld, caller, false, move |c, user, who| {
        let (doc, _, v) = labelled(c, user, id, &label)?;
        let from = VersionRow::by_id(c, &doc, &v.id)?
            .ok_or_else(|| ApiError::not_found("version", &v.id))?;
        let next = versions::next_label(c, &doc, false)?;
        let mut copier = Copier::new(c, who, &blobs, now_ms());
        let promoted = copier.version(&doc, &from).and_then(|vid| {
            c.execute(
                "UPDATE versions SET ld_label = ?2 WHERE id = ?1",
                params![vid, next],
            )?;
            copier.finish()
        });
        if promoted.is_err() {
            copier.discard();
        }
        promoted.map(|()| Written::Nothing)
    })
    .await
}
