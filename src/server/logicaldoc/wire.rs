//! LogicalDOC's wire conventions: raw-text strings, bare JSON booleans, JSON objects and arrays,
//! 204 for `void` and `null`, 401 with a Basic challenge for missing or dead credentials, and a
//! plain-text 500 for everything that throws (the real server has no exception mapper, so no JSON
//! error bodies).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::server::error::ApiError;

/// A `String` result: raw text.
pub fn text(s: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], s).into_response()
}

/// An object or list result, as JSON.
pub fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "LogicalDOC answer not serialisable");
            failure("The call failed on the server; see server log for details.")
        }
    }
}

/// A `boolean` result: a bare `true` or `false`.
pub fn boolean(b: bool) -> Response {
    let body = if b { "true" } else { "false" };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A `void` result.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Missing or bad credentials, an unknown or expired sid: 401, a Basic challenge, no body.
pub fn unauthorized() -> Response {
    let mut resp = StatusCode::UNAUTHORIZED.into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Security Realm\""),
    );
    resp
}

/// A failed login (`AuthenticationException`, unmapped): 500 with a short text body.
pub fn authentication_failed() -> Response {
    failure("Authentication failed")
}

/// Any other exception: 500 with a short text body.
pub fn failure(message: &str) -> Response {
    let body = format!("{message}\n");
    let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    (StatusCode::INTERNAL_SERVER_ERROR, headers, body).into_response()
}

/// Runs `f` for the caller in one store transaction (it may assign ids, hence a write one) and
/// answers what it decided; a store failure is a 500.
pub async fn in_transaction<A, F>(
    ld: &super::LdState,
    caller: super::caller::LdCaller,
    f: F,
) -> Response
where
    A: IntoResponse + Send + 'static,
    F: FnOnce(&rusqlite::Connection, &crate::server::store::rows::UserRow) -> Result<A, ApiError>
        + Send
        + 'static,
{
    let user = caller.user;
    match ld.app.store.tx(move |c| f(c, &user)).await {
        Ok(a) => a.into_response(),
        Err(e) => store_failure(&e),
    }
}

/// A store failure while serving a LogicalDOC call: logged, answered as a 500.
pub fn store_failure(e: &ApiError) -> Response {
    tracing::error!(error = %e, "LogicalDOC call failed");
    failure("The call failed on the server; see server log for details.")
}

/// `/services/rest/…` paths no service has: 404, no body (never a WorkDocs JSON error).
pub async fn not_found() -> Response {
    not_found_now()
}

/// 404 with no body: no service method matched (also a query parameter that is not a number of
/// its method's type, as in JAX-RS).
pub fn not_found_now() -> Response {
    StatusCode::NOT_FOUND.into_response()
}
