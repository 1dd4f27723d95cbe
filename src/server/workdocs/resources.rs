//! Resource-wide operations: GetResources (shared with me), the permission family
//! (Add/Describe/Remove/RemoveAll ResourcePermission(s)), labels and custom metadata.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::folders::page_body;
use super::params::{self, Query};
use crate::clock::now_ms;
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::store::listing::{self, Kinds, ListOptions, SortBy, Source};
use crate::server::store::rows::Caller;
use crate::server::store::sharing::{self, ShareRequest};
use crate::server::store::tags;

pub async fn get_resources(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref());
    q.one_of("collectionType", &["SHARED_WITH_ME"], "SHARED_WITH_ME")?;
    let opts = ListOptions {
        sort: SortBy::Name,
        descending: false,
        kinds: Kinds::All,
        include_initialized: false,
        limit: listing::parse_limit(q.get("limit"), 100)?,
        marker: q.marker()?,
    };
    let user_id = match (&caller, q.get("userId")) {
        (Caller::User(u), None) => u.id.clone(),
        (Caller::User(u), Some(id)) if id == u.id => u.id.clone(),
        (Caller::User(_), Some(_)) => {
            return Err(ApiError::Forbidden(
                "a user may only list what is shared with itself".into(),
            ));
        }
        (Caller::Admin { .. }, Some(id)) => id.to_owned(),
        (Caller::Admin { .. }, None) => {
            return Err(ApiError::Invalid(
                "userId is required with an admin key".into(),
            ));
        }
    };
    let body = app
        .store
        .call(move |c| page_body(c, listing::list(c, &Source::SharedWith(user_id), &opts)?))
        .await?;
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SharePrincipal {
    id: String,
    #[serde(rename = "Type")]
    principal_type: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AddPermissionsBody {
    principals: Option<Vec<SharePrincipal>>,
}

pub async fn add_permissions(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    let b: AddPermissionsBody = params::body(&body)?;
    let principals = b
        .principals
        .ok_or_else(|| ApiError::Invalid("Principals is required".into()))?;
    let requests = principals
        .into_iter()
        .map(|p| ShareRequest {
            principal_id: p.id,
            principal_type: p.principal_type,
            role: p.role,
        })
        .collect();
    let results = app
        .store
        .tx(move |c| sharing::add_permissions(c, &caller, &id, requests, now_ms()))
        .await?;
    let results: Vec<_> = results
        .into_iter()
        .map(|r| {
            let mut v = json!({
                "PrincipalId": r.principal_id,
                "Role": r.role,
                "Status": if r.status_ok { "SUCCESS" } else { "FAILURE" },
            });
            if let Some(m) = r.message {
                v["StatusMessage"] = json!(m);
            }
            if let Some(s) = r.share_id {
                v["ShareId"] = json!(s);
            }
            v
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({ "ShareResults": results })),
    )
        .into_response())
}

pub async fn describe_permissions(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    let q = Query::parse(raw.as_deref());
    let limit = listing::parse_limit(q.get("limit"), 100)?;
    let start = match q.marker()? {
        None => 0,
        Some(m) => m
            .strip_prefix('o')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| ApiError::Invalid("the marker is not one this service issued".into()))?,
    };
    let filter = q.get("principalId").map(str::to_owned);
    let all = app
        .store
        .call(move |c| sharing::describe_permissions(c, &caller, &id, filter.as_deref()))
        .await?;
    let page: Vec<_> = all
        .iter()
        .skip(start)
        .take(limit)
        .map(|p| {
            let roles: Vec<_> = p
                .roles
                .iter()
                .map(|(r, t)| json!({ "Role": r, "Type": t }))
                .collect();
            json!({ "Id": p.id, "Type": p.principal_type, "Roles": roles })
        })
        .collect();
    let mut body = json!({ "Principals": page });
    if start + limit < all.len() {
        body["Marker"] = json!(format!("o{}", start + limit));
    }
    Ok(axum::Json(body).into_response())
}

pub async fn remove_permission(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, principal)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    app.store
        .tx(move |c| sharing::remove_permission(c, &caller, &id, &principal, now_ms()))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn remove_all_permissions(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    app.store
        .tx(move |c| sharing::remove_all_permissions(c, &caller, &id, now_ms()))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LabelsBody {
    labels: Option<Vec<String>>,
}

/// The `{}` body of operations whose output shape has no members.
fn empty_ok() -> Response {
    axum::Json(json!({})).into_response()
}

pub async fn create_labels(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    let labels = params::body::<LabelsBody>(&body)?
        .labels
        .ok_or_else(|| ApiError::Invalid("Labels is required".into()))?;
    app.store
        .tx(move |c| tags::create_labels(c, &caller, &id, &labels))
        .await?;
    Ok(empty_ok())
}

pub async fn delete_labels(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    let q = Query::parse(raw.as_deref());
    let all = q.bool("deleteAll")?.unwrap_or(false);
    let labels = q.all("labels");
    app.store
        .tx(move |c| tags::delete_labels(c, &caller, &id, &labels, all))
        .await?;
    Ok(empty_ok())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetadataBody {
    custom_metadata: Option<BTreeMap<String, String>>,
}

pub async fn create_custom_metadata(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    let version = Query::parse(raw.as_deref())
        .get("versionid")
        .map(str::to_owned);
    let pairs = params::body::<MetadataBody>(&body)?
        .custom_metadata
        .ok_or_else(|| ApiError::Invalid("CustomMetadata is required".into()))?;
    app.store
        .tx(move |c| tags::create_metadata(c, &caller, &id, version.as_deref(), &pairs))
        .await?;
    Ok(empty_ok())
}

pub async fn delete_custom_metadata(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params::resource_id("ResourceId", &id)?;
    let q = Query::parse(raw.as_deref());
    let all = q.bool("deleteAll")?.unwrap_or(false);
    let keys = q.all("keys");
    let version = q.get("versionId").map(str::to_owned);
    app.store
        .tx(move |c| tags::delete_metadata(c, &caller, &id, version.as_deref(), &keys, all))
        .await?;
    Ok(empty_ok())
}
