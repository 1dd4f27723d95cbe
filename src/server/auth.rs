//! Who is calling: the middleware in front of every API route. A request with an
//! `Authentication` header is that token's user, whatever SigV4 signature it also carries (the
//! official SDKs sign every request); otherwise a valid SigV4 signature by a configured admin key
//! makes it an admin request; anything else is refused. The body is buffered here (API bodies are
//! small) because SigV4 signs it.

use std::time::{Duration, SystemTime};

use axum::body::to_bytes;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::error::ApiError;
use super::store::rows::Caller;
use crate::sigv4;

/// API request bodies larger than this are refused (content goes to the signed URL, not here).
pub const MAX_API_BODY: usize = 1 << 20;
const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

pub async fn authenticate(State(app): State<AppState>, req: Request, next: Next) -> Response {
    match identify(&app, req).await {
        Ok(req) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn identify(app: &AppState, req: Request) -> Result<Request, ApiError> {
    let (mut parts, body) = req.into_parts();
    let body: Bytes = to_bytes(body, MAX_API_BODY).await.map_err(|_| {
        ApiError::Invalid(format!(
            "request bodies are limited to {MAX_API_BODY} bytes"
        ))
    })?;
    let token = parts
        .headers
        .get("authentication")
        .map(|v| v.to_str().map(str::trim));
    let caller = match token {
        Some(Ok(token)) if !token.is_empty() => {
            let token = token.strip_prefix("Bearer ").unwrap_or(token).to_owned();
            let user = app
                .store
                .call(move |c| super::store::users::by_token(c, &token))
                .await?;
            Caller::User(user.ok_or_else(|| {
                ApiError::Unauthenticated("the authentication token is not valid".into())
            })?)
        }
        Some(_) => {
            return Err(ApiError::Unauthenticated(
                "the authentication token is not valid".into(),
            ));
        }
        None if sigv4::is_signed(&parts.headers) => {
            let key_id = sigv4::verify(
                &app.admin_keys,
                parts.method.as_str(),
                &parts.uri,
                &parts.headers,
                &body,
                SystemTime::now(),
                MAX_CLOCK_SKEW,
            )
            .map_err(|e| {
                ApiError::Unauthenticated(format!("the request signature was refused: {e}"))
            })?;
            Caller::Admin { key_id }
        }
        None => {
            return Err(ApiError::Unauthenticated(
                "the request has neither an Authentication token nor a SigV4 signature".into(),
            ));
        }
    };
    parts.extensions.insert(caller);
    Ok(Request::from_parts(parts, Body::from(body)))
}
