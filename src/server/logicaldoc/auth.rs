//! `/services/rest/auth/*`: LogicalDOC's `RestAuthService`. Logins (query, JSON body, form body,
//! API key) open a session and answer its sid as raw text; a refused login is a 500 with a text
//! body, as LogicalDOC's unmapped `AuthenticationException` is. `logout` and `renew` take the sid
//! as a parameter; `getSid` and `renewcurrent` run behind [`super::caller::require_session`].

use std::collections::HashMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde::Deserialize;

use super::LdState;
use super::caller::{LdCaller, user_by_api_key, user_by_password};
use super::wire;
use crate::server::error::ApiError;
use crate::server::store::rows::UserRow;

#[derive(Deserialize)]
pub struct LoginQuery {
    u: Option<String>,
    pw: Option<String>,
}

#[derive(Deserialize)]
pub struct SidQuery {
    sid: Option<String>,
}

#[derive(Deserialize)]
struct LoginJson {
    username: Option<String>,
    password: Option<String>,
}

/// A found user gets a new session and its sid; anything else is a failed login.
fn open_session(ld: &LdState, user: Result<Option<UserRow>, ApiError>) -> Response {
    match user {
        Ok(Some(user)) => {
            tracing::debug!(user = %user.username, "LogicalDOC login");
            wire::text(ld.sessions.create(&user.id))
        }
        Ok(None) => wire::authentication_failed(),
        Err(e) => wire::store_failure(&e),
    }
}

async fn password_login(ld: &LdState, name: Option<String>, password: Option<String>) -> Response {
    let (name, password) = (name.unwrap_or_default(), password.unwrap_or_default());
    open_session(ld, user_by_password(ld, &name, &password).await)
}

/// `GET /auth/login?u=&pw=`.
pub async fn login_query(State(ld): State<LdState>, Query(q): Query<LoginQuery>) -> Response {
    password_login(&ld, q.u, q.pw).await
}

/// `POST /auth/login` with `{"username","password"}` (or, as in 8.x, a form body).
pub async fn login_body(State(ld): State<LdState>, headers: HeaderMap, body: Bytes) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        return login_form(State(ld), body).await;
    }
    match serde_json::from_slice::<LoginJson>(&body) {
        Ok(j) => password_login(&ld, j.username, j.password).await,
        Err(_) => wire::failure("The login request is not a JSON object"),
    }
}

/// `POST /auth/loginForm` with form fields `username`, `password`.
pub async fn login_form(State(ld): State<LdState>, body: Bytes) -> Response {
    let mut form = parse_form(&body);
    password_login(&ld, form.remove("username"), form.remove("password")).await
}

/// `GET /auth/loginApiKey` with header `X-API-KEY`.
pub async fn login_api_key(State(ld): State<LdState>, headers: HeaderMap) -> Response {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim();
    open_session(&ld, user_by_api_key(&ld, key).await)
}

/// `DELETE /auth/logout?sid=`: ends the session (a sid that is not live is ignored).
pub async fn logout(State(ld): State<LdState>, Query(q): Query<SidQuery>) -> Response {
    if let Some(sid) = q.sid {
        ld.sessions.remove(&sid);
    }
    wire::no_content()
}

/// `GET /auth/getSid`: the sid of the session the call runs in.
pub async fn get_sid(Extension(caller): Extension<LdCaller>) -> Response {
    wire::text(caller.sid)
}

/// `GET /auth/renew?sid=`: renews that session; 401 if it is not live.
pub async fn renew(State(ld): State<LdState>, Query(q): Query<SidQuery>) -> Response {
    let sid = q.sid.unwrap_or_default();
    match super::caller::session_caller(&ld, &sid).await {
        Ok(Some(_)) => wire::no_content(),
        Ok(None) => wire::unauthorized(),
        Err(e) => wire::store_failure(&e),
    }
}

/// `GET /auth/renewcurrent`: the middleware has already renewed the caller's session.
pub async fn renew_current(Extension(_): Extension<LdCaller>) -> Response {
    wire::no_content()
}

/// An `application/x-www-form-urlencoded` body; the first value of a repeated field wins.
fn parse_form(body: &[u8]) -> HashMap<String, String> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        percent_decode_str(&s).decode_utf8_lossy().into_owned()
    };
    let mut out = HashMap::new();
    for pair in String::from_utf8_lossy(body).split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !k.is_empty() {
            out.entry(decode(k)).or_insert_with(|| decode(v));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_are_decoded() {
        let f = parse_form(b"username=al%2Bice&password=a+b%26c&username=x&flag");
        assert_eq!(f["username"], "al+ice");
        assert_eq!(f["password"], "a b&c");
        assert_eq!(f["flag"], "");
    }
}
