//! Document operations: GetDocument, GetDocumentPath, UpdateDocument, DeleteDocument, and the
//! version family — InitiateDocumentVersionUpload (returns the signed upload URL and headers),
//! UpdateDocumentVersion (activate), AbortDocumentVersionUpload, GetDocumentVersion (SOURCE gives
//! the signed download URL), DescribeDocumentVersions, DeleteDocumentVersion and
//! RestoreDocumentVersions.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::folders::{delete_resource, path_body, update_resource};
use super::params::{self, Query};
use super::wire;
use crate::clock::now_ms;
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::store::documents::{self, Initiate};
use crate::server::store::listing::parse_limit;
use crate::server::store::rows::{Caller, KIND_DOCUMENT, VersionRow};
use crate::server::store::{tags, tree};

pub async fn get_document(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &id)?;
    let q = Query::parse(raw.as_deref());
    let with_meta = q.bool("includeCustomMetadata")?.unwrap_or(false);
    let body = app
        .store
        .call(move |c| {
            let access = tree::get(c, &caller, &id, KIND_DOCUMENT)?;
            let latest = VersionRow::latest_of(c, &id)?;
            let meta = wire::document(&access.res, latest.as_ref(), tags::labels_of(c, &id)?);
            let mut body = json!({ "Metadata": meta });
            if with_meta {
                let custom = tags::metadata_of(c, &id, None)?;
                if !custom.is_empty() {
                    body["CustomMetadata"] = json!(custom);
                }
            }
            Ok(body)
        })
        .await?;
    Ok(axum::Json(body).into_response())
}

pub async fn get_document_path(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &id)?;
    let q = Query::parse(raw.as_deref());
    parse_limit(q.get("limit"), 100)?;
    let names = q.has_field("fields", "NAME");
    let chain = app
        .store
        .call(move |c| tree::path(c, &caller, &id, KIND_DOCUMENT))
        .await?;
    Ok(axum::Json(path_body(&chain, names)).into_response())
}

pub async fn update_document(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    update_resource(&app, caller, id, KIND_DOCUMENT, &body).await
}

pub async fn delete_document(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    delete_resource(&app, caller, id, KIND_DOCUMENT).await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateBody {
    id: Option<String>,
    name: Option<String>,
    parent_folder_id: Option<String>,
    content_type: Option<String>,
    document_size_in_bytes: Option<i64>,
    content_created_timestamp: Option<f64>,
    content_modified_timestamp: Option<f64>,
}

pub async fn initiate_upload(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: InitiateBody = params::body(&body)?;
    for (key, id) in [("Id", &b.id), ("ParentFolderId", &b.parent_folder_id)] {
        if let Some(id) = id {
            params::resource_id(key, id)?;
        }
    }
    let req = Initiate {
        document_id: b.id,
        parent_id: b.parent_folder_id,
        name: b.name,
        content_type: b.content_type,
        size: b.document_size_in_bytes,
        content_created_ms: params::body_time_ms(
            "ContentCreatedTimestamp",
            b.content_created_timestamp,
        )?,
        content_modified_ms: params::body_time_ms(
            "ContentModifiedTimestamp",
            b.content_modified_timestamp,
        )?,
    };
    let (doc, version) = app
        .store
        .tx(move |c| documents::initiate(c, &caller, req, now_ms()))
        .await?;
    let (url, headers) = app.upload_url(&version);
    let body = json!({
        "Metadata": wire::document(&doc, Some(&version), vec![]),
        "UploadMetadata": { "UploadUrl": url, "SignedHeaders": headers },
    });
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

pub async fn get_document_version(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((doc_id, version_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &doc_id)?;
    params::resource_id("VersionId", &version_id)?;
    let q = Query::parse(raw.as_deref());
    let with_source = q.has_field("fields", "SOURCE");
    let with_meta = q.bool("includeCustomMetadata")?.unwrap_or(false);
    let (access, v, custom) = app
        .store
        .call(move |c| {
            let (access, v) = documents::get_version(c, &caller, &doc_id, &version_id)?;
            let custom = if with_meta {
                tags::metadata_of(c, &doc_id, Some(&version_id))?
            } else {
                Default::default()
            };
            Ok((access, v, custom))
        })
        .await?;
    let source = (with_source && v.size.is_some()).then(|| app.download_url(&v));
    let mut body = json!({ "Metadata": wire::version(&v, &access.res.name, source) });
    if !custom.is_empty() {
        body["CustomMetadata"] = json!(custom);
    }
    Ok(axum::Json(body).into_response())
}

pub async fn describe_document_versions(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(doc_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &doc_id)?;
    let q = Query::parse(raw.as_deref());
    let limit = parse_limit(q.get("limit"), 100)?;
    let marker = q.marker()?;
    let with_source = q.has_field("fields", "SOURCE");
    let initialized = q.has_field("include", "INITIALIZED");
    let (access, versions, next) = app
        .store
        .call(move |c| {
            documents::describe_versions(c, &caller, &doc_id, initialized, limit, marker.as_deref())
        })
        .await?;
    let list: Vec<_> = versions
        .iter()
        .map(|v| {
            let source = (with_source && v.size.is_some()).then(|| app.download_url(v));
            wire::version(v, &access.res.name, source)
        })
        .collect();
    let mut body = json!({ "DocumentVersions": list });
    if let Some(m) = next {
        body["Marker"] = json!(m);
    }
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateVersionBody {
    version_status: Option<String>,
}

pub async fn update_document_version(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((doc_id, version_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &doc_id)?;
    params::resource_id("VersionId", &version_id)?;
    let b: UpdateVersionBody = params::body(&body)?;
    match b.version_status.as_deref() {
        Some("ACTIVE") => {}
        Some(other) => {
            return Err(ApiError::InvalidOperation(format!(
                "VersionStatus may only be ACTIVE, not {other}"
            )));
        }
        None => {
            return Err(ApiError::InvalidOperation(
                "VersionStatus is required".into(),
            ));
        }
    }
    app.store
        .tx(move |c| documents::activate(c, &caller, &doc_id, &version_id, now_ms()))
        .await?;
    Ok(StatusCode::OK.into_response())
}

pub async fn abort_upload(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((doc_id, version_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &doc_id)?;
    params::resource_id("VersionId", &version_id)?;
    let gone = app
        .store
        .tx(move |c| documents::abort(c, &caller, &doc_id, &version_id))
        .await?;
    app.store.blobs().remove(&[gone]).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn delete_document_version(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((doc_id, version_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &doc_id)?;
    params::resource_id("VersionId", &version_id)?;
    let q = Query::parse(raw.as_deref());
    let prior = q
        .bool("deletePriorVersions")?
        .ok_or_else(|| ApiError::Invalid("deletePriorVersions is required".into()))?;
    app.store
        .tx(move |c| documents::delete_version(c, &caller, &doc_id, &version_id, prior, now_ms()))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn restore_document_versions(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(doc_id): Path<String>,
) -> Result<Response, ApiError> {
    params::resource_id("DocumentId", &doc_id)?;
    app.store
        .tx(move |c| documents::restore_versions(c, &caller, &doc_id, now_ms()))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
