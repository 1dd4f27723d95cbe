//! DescribeActivities: the activity log, newest first, filtered as the model allows.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::params::Query;
use super::wire;
use crate::server::AppState;
use crate::server::error::ApiError;
use crate::server::store::activities::{self, ActivityQuery};
use crate::server::store::listing::parse_limit;
use crate::server::store::rows::{Caller, ResourceRow, UserRow};
use crate::server::store::users;

pub async fn describe_activities(
    State(app): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(raw.as_deref());
    let before_seq = match q.get("marker") {
        None => None,
        Some(m) => Some(
            m.strip_prefix('a')
                .and_then(|n| n.parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::Invalid("the marker is not one this service issued".into())
                })?,
        ),
    };
    let query = ActivityQuery {
        start_ms: q.time_ms("startTime")?,
        end_ms: q.time_ms("endTime")?,
        types: q.all("activityTypes"),
        resource_id: q.get("resourceId").map(str::to_owned),
        include_indirect: q.bool("includeIndirectActivities")?.unwrap_or(false),
        user_id: q.get("userId").map(str::to_owned),
        before_seq,
        limit: parse_limit(q.get("limit"), 100)?,
    };
    if let (Some(s), Some(e)) = (query.start_ms, query.end_ms) {
        if s > e {
            return Err(ApiError::Invalid("startTime is after endTime".into()));
        }
    }
    let org_filter = q.get("organizationId").map(str::to_owned);
    let body = app
        .store
        .call(move |c| {
            let org = users::organization_id(c)?;
            if org_filter.is_some_and(|o| o != org) {
                return Err(ApiError::Invalid(
                    "organizationId is not this organization".into(),
                ));
            }
            let (rows, next) = activities::describe(c, &caller, &query)?;
            let user =
                |id: &str| wire::user_metadata(id, UserRow::by_id(c, id).ok().flatten().as_ref());
            let folder_name = |id: &str| ResourceRow::by_id(c, id).ok().flatten().map(|r| r.name);
            let list: Vec<_> = rows
                .iter()
                .map(|a| wire::activity(a, &org, &user, &folder_name))
                .collect();
            let mut body = json!({ "UserActivities": list });
            if let Some(seq) = next {
                body["Marker"] = json!(format!("a{seq}"));
            }
            Ok(body)
        })
        .await?;
    Ok(axum::Json(body).into_response())
}
