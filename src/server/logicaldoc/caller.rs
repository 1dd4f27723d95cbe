//! Who is calling a LogicalDOC route: the middleware in front of every `/services/rest/**` route
//! that needs a session. It accepts, in this order, a `sid` header, an `ldoc-sid` cookie, an
//! `X-API-KEY` header, or `Authorization: Basic`; the first that is valid wins. A `?sid=` query
//! parameter is not a credential (LogicalDOC's `security.acceptsid` defaults to false). Basic and
//! API-key calls share one implicit session per user. Nothing here logs a credential.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;

use super::LdState;
use super::wire;
use crate::server::error::ApiError;
use crate::server::store::rows::{Caller, UserRow};
use crate::server::store::users;

/// The caller of a LogicalDOC route, in the request's extensions (with the matching
/// [`Caller::User`], so store functions taking a `&Caller` can be used as they are).
#[derive(Clone, Debug)]
pub struct LdCaller {
    pub user: UserRow,
    /// The session the call runs in (for `getSid`); never log it.
    pub sid: String,
}

/// Middleware: 401 (with a Basic challenge) unless the request carries a valid credential.
pub async fn require_session(State(ld): State<LdState>, mut req: Request, next: Next) -> Response {
    match identify(&ld, req.headers()).await {
        Ok(Some(caller)) => {
            req.extensions_mut()
                .insert(Caller::User(caller.user.clone()));
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Ok(None) => wire::unauthorized(),
        Err(e) => wire::store_failure(&e),
    }
}

async fn identify(ld: &LdState, headers: &HeaderMap) -> Result<Option<LdCaller>, ApiError> {
    for sid in [sid_header(headers), sid_cookie(headers)]
        .into_iter()
        .flatten()
    {
        if let Some(caller) = session_caller(ld, sid).await? {
            return Ok(Some(caller));
        }
    }
    if let Some(key) = header(headers, "x-api-key") {
        if let Some(user) = user_by_api_key(ld, key).await? {
            return Ok(Some(implicit(ld, user)));
        }
    }
    if let Some((name, password)) = basic(headers) {
        if let Some(user) = user_by_password(ld, &name, &password).await? {
            return Ok(Some(implicit(ld, user)));
        }
    }
    Ok(None)
}

/// The caller of a live session (renewing it), if `sid` is one and its user still exists.
pub async fn session_caller(ld: &LdState, sid: &str) -> Result<Option<LdCaller>, ApiError> {
    let Some(user_id) = ld.sessions.touch(sid) else {
        return Ok(None);
    };
    let user = ld
        .app
        .store
        .call(move |c| Ok(UserRow::by_id(c, &user_id)?))
        .await?;
    if user.is_none() {
        ld.sessions.remove(sid);
    }
    Ok(user.map(|user| LdCaller {
        user,
        sid: sid.to_owned(),
    }))
}

fn implicit(ld: &LdState, user: UserRow) -> LdCaller {
    let sid = ld.sessions.implicit(&user.id);
    LdCaller { user, sid }
}

/// The user whose `--user NAME:SECRET` secret is `key`.
pub async fn user_by_api_key(ld: &LdState, key: &str) -> Result<Option<UserRow>, ApiError> {
    if key.is_empty() {
        return Ok(None);
    }
    let key = key.to_owned();
    ld.app.store.call(move |c| users::by_token(c, &key)).await
}

/// The user `name` if `password` is its secret.
pub async fn user_by_password(
    ld: &LdState,
    name: &str,
    password: &str,
) -> Result<Option<UserRow>, ApiError> {
    if name.is_empty() || password.is_empty() {
        return Ok(None);
    }
    let (name, password) = (name.to_owned(), password.to_owned());
    let store = &ld.app.store;
    store
        .call(move |c| users::check_password(c, &name, &password))
        .await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let v = headers.get(name)?.to_str().ok()?.trim();
    (!v.is_empty()).then_some(v)
}

fn sid_header(headers: &HeaderMap) -> Option<&str> {
    header(headers, "sid")
}

/// The value of the `ldoc-sid` cookie, from any `Cookie` header.
fn sid_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "ldoc-sid")
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// (user, password) from `Authorization: Basic base64(user:password)`.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = header(headers, "authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (name, password) = decoded.split_once(':')?;
    Some((name.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1"), ("cookie", "x=2; ldoc-sid=abc-1 ; y=3")]);
        assert_eq!(sid_cookie(&h), Some("abc-1"));
        assert_eq!(sid_cookie(&headers(&[("cookie", "ldoc-sidx=1")])), None);
        assert_eq!(sid_cookie(&headers(&[("cookie", "ldoc-sid=")])), None);
    }

    #[test]
    fn basic_credentials_split_at_the_first_colon() {
        let enc = base64::engine::general_purpose::STANDARD.encode("alice:pa:ss");
        let h = headers(&[("authorization", &format!("basic {enc}"))]);
        assert_eq!(basic(&h), Some(("alice".into(), "pa:ss".into())));
        let bearer = headers(&[("authorization", "Bearer abc")]);
        assert_eq!(basic(&bearer), None);
        assert_eq!(basic(&headers(&[("authorization", "Basic !!!")])), None);
    }
}
