//! Folder operations: GetFolder, GetFolderPath, CreateFolder, UpdateFolder, DeleteFolder,
//! DeleteFolderContents and DescribeFolderContents (which also lists the recycle bin).

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::params::{self, Query};
use super::wire;
use crate::clock::now_ms;
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::store::listing::{self, Kinds, ListOptions, SortBy, Source};
use crate::server::store::rows::{Caller, KIND_FOLDER, ResourceRow};
use crate::server::store::{tags, tree};

pub async fn get_folder(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("FolderId", &id)?;
    let q = Query::parse(raw.as_deref());
    let with_meta = q.bool("includeCustomMetadata")?.unwrap_or(false);
    let body = app
        .store
        .call(move |c| {
            let access = tree::get(c, &caller, &id, KIND_FOLDER)?;
            let mut body =
                json!({ "Metadata": wire::folder(&access.res, tags::labels_of(c, &id)?) });
            if with_meta {
                let meta = tags::metadata_of(c, &id, None)?;
                if !meta.is_empty() {
                    body["CustomMetadata"] = json!(meta);
                }
            }
            Ok(body)
        })
        .await?;
    Ok(axum::Json(body).into_response())
}

/// The `ResourcePath` of a chain of resources, root first; names only when `fields=NAME`.
pub fn path_body(chain: &[ResourceRow], with_names: bool) -> serde_json::Value {
    let components: Vec<_> = chain
        .iter()
        .map(|r| {
            if with_names {
                json!({ "Id": r.id, "Name": r.name })
            } else {
                json!({ "Id": r.id })
            }
        })
        .collect();
    json!({ "Path": { "Components": components } })
}

pub async fn get_folder_path(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("FolderId", &id)?;
    let q = Query::parse(raw.as_deref());
    listing::parse_limit(q.get("limit"), 100)?;
    let names = q.has_field("fields", "NAME");
    let chain = app
        .store
        .call(move |c| tree::path(c, &caller, &id, KIND_FOLDER))
        .await?;
    Ok(axum::Json(path_body(&chain, names)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateFolderBody {
    name: Option<String>,
    parent_folder_id: Option<String>,
}

pub async fn create_folder(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: CreateFolderBody = params::body(&body)?;
    let parent = b
        .parent_folder_id
        .ok_or_else(|| ApiError::Invalid("ParentFolderId is required".into()))?;
    params::resource_id("ParentFolderId", &parent)?;
    let name = b
        .name
        .ok_or_else(|| ApiError::Invalid("Name is required".into()))?;
    let body = app
        .store
        .tx(move |c| {
            let row = tree::create_folder(c, &caller, &parent, &name, now_ms())?;
            Ok(json!({ "Metadata": wire::folder(&row, vec![]) }))
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateBody {
    name: Option<String>,
    parent_folder_id: Option<String>,
    resource_state: Option<String>,
}

impl UpdateBody {
    pub fn into_update(self) -> Result<tree::Update, ApiError> {
        if let Some(p) = &self.parent_folder_id {
            params::resource_id("ParentFolderId", p)?;
        }
        Ok(tree::Update {
            name: self.name,
            parent_id: self.parent_folder_id,
            state: self.resource_state,
        })
    }
}

/// UpdateFolder and UpdateDocument share everything but the kind they address.
pub async fn update_resource(
    app: &AppState,
    caller: Caller,
    id: String,
    kind: &'static str,
    body: &[u8],
) -> Result<Response, ApiError> {
    params::resource_id("Id", &id)?;
    let up = params::body::<UpdateBody>(body)?.into_update()?;
    app.store
        .tx(move |c| tree::update(c, &caller, &id, kind, up, now_ms()))
        .await?;
    Ok(StatusCode::OK.into_response())
}

pub async fn update_folder(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    update_resource(&app, caller, id, KIND_FOLDER, &body).await
}

/// DeleteFolder and DeleteDocument: delete for good, then drop the blobs.
pub async fn delete_resource(
    app: &AppState,
    caller: Caller,
    id: String,
    kind: &'static str,
) -> Result<Response, ApiError> {
    params::resource_id("Id", &id)?;
    let gone = app
        .store
        .tx(move |c| tree::delete(c, &caller, &id, kind, now_ms()))
        .await?;
    app.store.blobs().remove(&gone).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn delete_folder(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    delete_resource(&app, caller, id, KIND_FOLDER).await
}

pub async fn delete_folder_contents(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    params::resource_id("FolderId", &id)?;
    let gone = app
        .store
        .tx(move |c| tree::delete_contents(c, &caller, &id, now_ms()))
        .await?;
    app.store.blobs().remove(&gone).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Folders and documents of a listing page as the model's two lists.
pub fn page_body(
    c: &rusqlite::Connection,
    page: listing::Page,
) -> Result<serde_json::Value, ApiError> {
    let (mut folders, mut documents) = (vec![], vec![]);
    for item in &page.items {
        let labels = tags::labels_of(c, &item.res.id)?;
        if item.res.is_folder() {
            folders.push(json!(wire::folder(&item.res, labels)));
        } else {
            documents.push(json!(wire::document(
                &item.res,
                item.latest.as_ref(),
                labels
            )));
        }
    }
    let mut body = json!({ "Folders": folders, "Documents": documents });
    if let Some(m) = page.next_marker {
        body["Marker"] = json!(m);
    }
    Ok(body)
}

pub async fn describe_folder_contents(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("FolderId", &id)?;
    let q = Query::parse(raw.as_deref());
    let opts = ListOptions {
        sort: match q.one_of("sort", &["DATE", "NAME"], "NAME")? {
            "DATE" => SortBy::Date,
            _ => SortBy::Name,
        },
        descending: q.one_of("order", &["ASCENDING", "DESCENDING"], "ASCENDING")? == "DESCENDING",
        kinds: match q.one_of("type", &["ALL", "DOCUMENT", "FOLDER"], "ALL")? {
            "DOCUMENT" => Kinds::Documents,
            "FOLDER" => Kinds::Folders,
            _ => Kinds::All,
        },
        include_initialized: q.has_field("include", "INITIALIZED"),
        limit: listing::parse_limit(q.get("limit"), 100)?,
        marker: q.marker()?,
    };
    let body = app
        .store
        .call(move |c| {
            let access = tree::get(c, &caller, &id, KIND_FOLDER)?;
            let source = match access.res.special.as_deref() {
                Some("RECYCLE_BIN") => Source::RecycleBin(access.res.owner_id.clone()),
                _ => Source::Folder(id),
            };
            page_body(c, listing::list(c, &source, &opts)?)
        })
        .await?;
    Ok(axum::Json(body).into_response())
}
