//! Getting an answer out of a LogicalDOC server: the credentials of each request (an API key
//! as `X-API-KEY`, or the `sid` of a session opened with the password — or with the key, for the
//! download servlet, which takes no key — and opened again when the server forgets it: sessions
//! expire after 30 idle minutes by default), the time budget of a
//! call, and retries with backoff (`remote/http.rs`) for throttling, gateways that are down and
//! broken connections — for a POST only when it cannot have been acted on. A 500 is not
//! retried: LogicalDOC answers nearly every refusal that way. Logs name the operation and the
//! path, never a query string (ids only, but the rule is kept), a header or a body.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};
use tokio::sync::{Mutex, RwLock};

use super::config::ConfigError;
use super::errors;
use crate::remote::RemoteError;
use crate::remote::http::{self, Attempt, Deadline, Opened, network, with_retries_if};

/// How long a refused login is not tried again.
const REFUSAL_PAUSE: Duration = Duration::from_secs(30);
/// An answer larger than this is refused (a 1,000-document page is about 2 MiB).
const MAX_BODY: usize = 64 << 20;

const SID: HeaderName = HeaderName::from_static("sid");
const API_KEY: HeaderName = HeaderName::from_static("x-api-key");

enum Auth {
    Password { user: String, password: String },
    ApiKey(HeaderValue),
}

/// The session's current sid, with a number that changes at each login (so that many calls
/// refused at once log in again only once).
#[derive(Clone)]
struct Sid {
    generation: u64,
    value: HeaderValue,
}

pub struct Session {
    pub http: reqwest::Client,
    base: String,
    auth: Auth,
    sid: RwLock<Option<Sid>>,
    login: Mutex<u64>,
    /// When a login was last refused.
    refused_at: std::sync::Mutex<Option<Instant>>,
    pub timeout: Duration,
    calls: AtomicU64,
}

/// The credentials one attempt sends, and the login they came from.
struct Credential {
    name: HeaderName,
    value: HeaderValue,
    generation: Option<u64>,
}

impl Session {
    pub fn new(
        http: reqwest::Client,
        base: String,
        auth: &super::LogicalDocAuth,
        timeout: Duration,
    ) -> Result<Self, ConfigError> {
        let auth = match auth {
            super::LogicalDocAuth::Password { user, password } => {
                if user.trim().is_empty() || user.contains(['\r', '\n']) {
                    return Err(ConfigError::Credentials("user name"));
                }
                if password.is_empty() {
                    return Err(ConfigError::Credentials("password"));
                }
                Auth::Password {
                    user: user.trim().to_owned(),
                    password: password.clone(),
                }
            }
            super::LogicalDocAuth::ApiKey(key) => {
                let mut value = HeaderValue::from_str(key.trim())
                    .map_err(|_| ConfigError::Credentials("API key"))?;
                if key.trim().is_empty() {
                    return Err(ConfigError::Credentials("API key"));
                }
                value.set_sensitive(true);
                Auth::ApiKey(value)
            }
        };
        Ok(Self {
            http,
            base,
            auth,
            sid: RwLock::new(None),
            login: Mutex::new(0),
            refused_at: std::sync::Mutex::new(None),
            timeout,
            calls: AtomicU64::new(0),
        })
    }

    /// Requests sent so far (each retry and login counts; content downloads do not).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// `{base}/services/rest/{path}`.
    pub fn rest_url(&self, path: &str) -> String {
        format!("{}/services/rest/{path}", self.base)
    }

    pub fn download_url(&self, query: &str) -> String {
        format!("{}/download?{query}", self.base)
    }

    /// The credential to send: the API key (REST calls in key mode), or the sid (logging in
    /// first if there is none). The download servlet takes no API key, only a session.
    async fn credential(&self, download: bool) -> Result<Credential, RemoteError> {
        if let (Auth::ApiKey(key), false) = (&self.auth, download) {
            return Ok(Credential {
                name: API_KEY,
                value: key.clone(),
                generation: None,
            });
        }
        // Not matched in place: the read guard would live through the login, which writes.
        let current = self.sid.read().await.clone();
        let sid = match current {
            Some(sid) => sid,
            None => self.log_in(None).await?,
        };
        Ok(Credential {
            name: SID,
            value: sid.value,
            generation: Some(sid.generation),
        })
    }

    /// Opens a session (`auth/login` with the password, `auth/loginApiKey` with the key),
    /// unless one newer than `stale` was opened meanwhile. After a refusal, further attempts
    /// within [`REFUSAL_PAUSE`] fail at once: retrying a wrong password from every worker would
    /// trip the server's lockout.
    async fn log_in(&self, stale: Option<u64>) -> Result<Sid, RemoteError> {
        let mut generation = self.login.lock().await;
        if let Some(current) = self.sid.read().await.clone() {
            if stale != Some(current.generation) {
                return Ok(current);
            }
        }
        const OP: &str = "login";
        let refused = || {
            RemoteError::Unauthenticated(match &self.auth {
                Auth::Password { .. } => format!("{OP}: the user name or password was refused"),
                Auth::ApiKey(_) => format!("{OP}: the API key was refused"),
            })
        };
        if let Some(at) = *self.refused_at.lock().expect("refusal lock") {
            if at.elapsed() < REFUSAL_PAUSE {
                return Err(refused());
            }
        }
        let deadline = Deadline::after(self.timeout);
        let answer = with_retries_if(OP, deadline, true, || async {
            self.calls.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(op = OP, "API request");
            let req = match &self.auth {
                Auth::Password { user, password } => {
                    let body = serde_json::json!({ "username": user, "password": password });
                    self.http.post(self.rest_url("auth/login")).json(&body)
                }
                Auth::ApiKey(key) => self
                    .http
                    .get(self.rest_url("auth/loginApiKey"))
                    .header(API_KEY, key.clone()),
            };
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => return Attempt::Retry(network(OP, e), None),
            };
            let status = resp.status();
            let text = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => return Attempt::Retry(network(OP, e), None),
            };
            match status {
                StatusCode::OK => Attempt::Done(Ok(text)),
                // A refused login is a 500 ("Authentication failed"), unmapped on the server.
                StatusCode::INTERNAL_SERVER_ERROR | StatusCode::UNAUTHORIZED => {
                    Attempt::Done(Err(()))
                }
                _ => match errors::from_answer(OP, status, &text) {
                    e @ RemoteError::Unavailable { .. } => Attempt::Retry(e, None),
                    e => Attempt::Fail(e),
                },
            }
        })
        .await?;
        let Ok(text) = answer else {
            *self.refused_at.lock().expect("refusal lock") = Some(Instant::now());
            return Err(refused());
        };
        *self.refused_at.lock().expect("refusal lock") = None;
        let value = session_id(&text).ok_or_else(|| {
            RemoteError::Protocol(format!("{OP}: the answer is not a session id"))
        })?;
        *generation += 1;
        let sid = Sid {
            generation: *generation,
            value,
        };
        *self.sid.write().await = Some(sid.clone());
        Ok(sid)
    }

    /// After a 401 with `used`: if the session is gone, opens a new one and says to retry. A
    /// session that still works (`auth/getSid` answers) means the 401 was about the request
    /// (LogicalDOC answers some refusals so): no new login, no retry.
    async fn refresh(&self, used: &Credential) -> bool {
        let Some(generation) = used.generation else {
            return false;
        };
        if self.session_alive(used).await {
            return false;
        }
        match self.log_in(Some(generation)).await {
            Ok(_) => true,
            // The next attempt logs in again.
            Err(e) if e.is_transient() => true,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a new LogicalDOC session");
                false
            }
        }
    }

    /// Whether the server still knows the session `used` carries.
    async fn session_alive(&self, used: &Credential) -> bool {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let req = self
            .http
            .get(self.rest_url("auth/getSid"))
            .header(used.name.clone(), used.value.clone())
            .timeout(self.timeout);
        matches!(req.send().await, Ok(r) if r.status().is_success())
    }

    /// Sends the request `build` makes (given the client) as operation `op`, with credentials,
    /// within the configured time; returns the body of a 2xx answer. `idempotent` requests are
    /// retried on any transient failure, others only when they cannot have been acted on.
    pub async fn send<F>(
        &self,
        op: &'static str,
        idempotent: bool,
        build: F,
    ) -> Result<Bytes, RemoteError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        self.send_within(op, idempotent, self.timeout, build).await
    }

    /// [`Session::send`] with a time budget of its own (an upload's grows with its size).
    pub async fn send_within<F>(
        &self,
        op: &'static str,
        idempotent: bool,
        budget: Duration,
        build: F,
    ) -> Result<Bytes, RemoteError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    {
        let deadline = Deadline::after(budget);
        let refreshed = AtomicBool::new(false);
        with_retries_if(op, deadline, idempotent, || async {
            let credential = match self.credential(false).await {
                Ok(c) => c,
                Err(e) if e.is_transient() => return Attempt::Retry(e, None),
                Err(e) => return Attempt::Fail(e),
            };
            self.calls.fetch_add(1, Ordering::Relaxed);
            let req = build(&self.http).header(credential.name.clone(), credential.value.clone());
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if idempotent || http::unsent(&e) => {
                    return Attempt::Retry(network(op, e), None);
                }
                Err(e) => return Attempt::Fail(network(op, e)),
            };
            let status = resp.status();
            tracing::debug!(op, status = status.as_u16(), "API answer");
            let retry_after = http::retry_after(resp.headers());
            let refused = matches!(status.as_u16(), 401 | 429 | 503);
            let body = match read_body(op, resp).await {
                Ok(b) => b,
                Err(e) if idempotent || refused => return Attempt::Retry(e, None),
                Err(e) => return Attempt::Fail(e),
            };
            if status.is_success() {
                return Attempt::Done(body);
            }
            if status == StatusCode::UNAUTHORIZED
                && !refreshed.swap(true, Ordering::Relaxed)
                && self.refresh(&credential).await
            {
                let e = errors::from_answer(op, status, &body);
                return Attempt::Retry(e, Some(Duration::ZERO));
            }
            match errors::from_answer(op, status, &body) {
                e @ RemoteError::Unavailable { .. } if idempotent || refused => {
                    Attempt::Retry(e, retry_after)
                }
                e => Attempt::Fail(e),
            }
        })
        .await
    }

    /// Opens bytes `start..end` of `url` (the download servlet) with the session's credentials,
    /// logging in again once if the session was forgotten.
    pub async fn open_range(&self, url: &str, start: u64, end: u64) -> Result<Opened, RemoteError> {
        let mut refreshed = false;
        loop {
            let credential = self.credential(true).await?;
            let deadline = Deadline::after(self.timeout);
            let (name, value) = (credential.name.clone(), credential.value.clone());
            let request = || self.http.get(url).header(name.clone(), value.clone());
            match http::open(
                request,
                (start, end),
                deadline,
                self.timeout,
                http::ServerErrors::Final,
            )
            .await
            {
                Err(RemoteError::Unauthenticated(_))
                    if !refreshed && self.refresh(&credential).await =>
                {
                    refreshed = true;
                }
                other => return other,
            }
        }
    }
}

/// The sid a login answers (bare or quoted), as a header value that is never logged; `None` if
/// the answer is empty or cannot be sent back as a header.
pub fn session_id(answer: &[u8]) -> Option<HeaderValue> {
    let text = String::from_utf8_lossy(answer);
    let sid = text.trim().trim_matches('"');
    let mut value = HeaderValue::from_str(sid)
        .ok()
        .filter(|_| !sid.is_empty())?;
    value.set_sensitive(true);
    Some(value)
}

async fn read_body(op: &str, mut resp: reqwest::Response) -> Result<Bytes, RemoteError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| network(op, e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(RemoteError::Protocol(format!(
                "{op}: the answer is too large"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}
