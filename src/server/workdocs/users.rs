//! GetCurrentUser, DescribeUsers and DescribeRootFolders.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::params::Query;
use super::wire;
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::store::listing::parse_limit;
use crate::server::store::rows::{Caller, ResourceRow};
use crate::server::store::{tags, users};

pub async fn get_current_user(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Response, ApiError> {
    let Some(user) = caller.user().cloned() else {
        return Err(ApiError::Forbidden(
            "an admin key has no current user; use a user token".into(),
        ));
    };
    let body = app
        .store
        .call(move |c| {
            let org = users::organization_id(c)?;
            let used = users::storage_used(c, &user.id)?;
            Ok(json!({ "User": wire::user(&user, &org, used) }))
        })
        .await?;
    Ok(axum::Json(body).into_response())
}

/// Offsets into a small, fully materialised list, as opaque markers.
fn offset_marker(marker: Option<String>) -> Result<usize, ApiError> {
    marker
        .map(|m| {
            m.strip_prefix("o")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    ApiError::Invalid("the marker is not one this service issued".into())
                })
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

pub async fn describe_users(
    State(app): State<AppState>,
    Extension(_caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref());
    let limit = parse_limit(q.get("limit"), 100)?;
    let start = offset_marker(q.marker()?)?;
    let include = q.one_of("include", &["ALL", "ACTIVE_PENDING"], "ALL")?;
    let descending = q.one_of("order", &["ASCENDING", "DESCENDING"], "ASCENDING")? == "DESCENDING";
    q.one_of(
        "sort",
        &[
            "USER_NAME",
            "FULL_NAME",
            "STORAGE_LIMIT",
            "USER_STATUS",
            "STORAGE_USED",
        ],
        "USER_NAME",
    )?;
    let org_filter = q.get("organizationId").map(str::to_owned);
    let query = users::UserQuery {
        ids: q
            .all("userIds")
            .into_iter()
            .map(|s| s.trim().to_owned())
            .collect(),
        text: q.get("query").map(str::to_owned),
        descending,
    };
    let _ = include; // every user of this server is ACTIVE, so both filters select all
    let body = app
        .store
        .call(move |c| {
            let org = users::organization_id(c)?;
            if org_filter.as_ref().is_some_and(|o| *o != org) {
                return Err(ApiError::not_found(
                    "organization",
                    org_filter.as_deref().unwrap_or(""),
                ));
            }
            let all = users::describe(c, &query)?;
            let total = all.len();
            let page: Vec<_> = all.iter().skip(start).take(limit).collect();
            let mut out = Vec::with_capacity(page.len());
            for u in &page {
                out.push(wire::user(u, &org, users::storage_used(c, &u.id)?));
            }
            let mut body = json!({ "Users": out, "TotalNumberOfUsers": total });
            if start + limit < total {
                body["Marker"] = json!(format!("o{}", start + limit));
            }
            Ok(body)
        })
        .await?;
    Ok(axum::Json(body).into_response())
}

pub async fn describe_root_folders(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref());
    parse_limit(q.get("limit"), 100)?;
    let start = offset_marker(q.marker()?)?;
    let Some(user) = caller.user().cloned() else {
        return Err(ApiError::Forbidden(
            "an admin key has no root folders; use a user token".into(),
        ));
    };
    let body = app
        .store
        .call(move |c| {
            let root = ResourceRow::by_id(c, &user.root_id)?
                .ok_or_else(|| ApiError::not_found("folder", &user.root_id))?;
            let folders: Vec<_> = [root]
                .iter()
                .skip(start)
                .map(|r| Ok(wire::folder(r, tags::labels_of(c, &r.id)?)))
                .collect::<Result<_, ApiError>>()?;
            Ok(json!({ "Folders": folders }))
        })
        .await?;
    Ok(axum::Json(body).into_response())
}
