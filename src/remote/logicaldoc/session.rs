//! Getting an answer out of a LogicalDOC server: the credentials of each request (an API key
//! as `X-API-KEY`, or the `sid` of a session opened with the password and opened again when the
//! server forgets it — sessions expire after 30 idle minutes by default), the time budget of a
//! call, and retries with backoff (`remote/http.rs`) for throttling, gateways that are down and
//! broken connections — for a POST only when it cannot have been acted on. A 500 is not
//! retried: LogicalDOC answers nearly every refusal that way. Logs name the operation and the
//! path, never a query string (ids only, but the rule is kept), a header or a body.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue};
use tokio::sync::{Mutex, RwLock};

use super::config::ConfigError;
use super::errors;
use crate::remote::RemoteError;
use crate::remote::http::{self, Attempt, Deadline, Opened, network, with_retries_if};

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

    /// The credential to send: the API key, or the sid (logging in first if there is none).
    async fn credential(&self) -> Result<Credential, RemoteError> {
        let (user, password) = match &self.auth {
            Auth::ApiKey(key) => {
                return Ok(Credential {
                    name: API_KEY,
                    value: key.clone(),
                    generation: None,
                });
            }
            Auth::Password { user, password } => (user, password),
        };
        if let Some(sid) = self.sid.read().await.clone() {
            return Ok(Credential {
                name: SID,
                value: sid.value,
                generation: Some(sid.generation),
            });
        }
        let sid = self.log_in(user, password, None).await?;
        Ok(Credential {
            name: SID,
            value: sid.value,
            generation: Some(sid.generation),
        })
    }

    /// Opens a session, unless one newer than `stale` was opened meanwhile.
    async fn log_in(
        &self,
        user: &str,
        password: &str,
        stale: Option<u64>,
    ) -> Result<Sid, RemoteError> {
        let mut generation = self.login.lock().await;
        if let Some(current) = self.sid.read().await.clone() {
            if stale != Some(current.generation) {
                return Ok(current);
            }
        }
        const OP: &str = "login";
        let url = self.rest_url("auth/login");
        let body = serde_json::json!({ "username": user, "password": password });
        let deadline = Deadline::after(self.timeout);
        let text = with_retries_if(OP, deadline, true, || async {
            self.calls.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(op = OP, "API request");
            let resp = match self.http.post(&url).json(&body).send().await {
                Ok(r) => r,
                Err(e) => return Attempt::Retry(network(OP, e), None),
            };
            let status = resp.status();
            let text = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => return Attempt::Retry(network(OP, e), None),
            };
            match status {
                StatusCode::OK => Attempt::Done(text),
                // A refused login is a 500 ("Authentication failed"), unmapped on the server.
                StatusCode::INTERNAL_SERVER_ERROR | StatusCode::UNAUTHORIZED => {
                    Attempt::Fail(RemoteError::Unauthenticated(format!(
                        "{OP}: the user name or password was refused"
                    )))
                }
                _ => match errors::from_answer(OP, status, &text) {
                    e @ RemoteError::Unavailable { .. } => Attempt::Retry(e, None),
                    e => Attempt::Fail(e),
                },
            }
        })
        .await?;
        let sid = String::from_utf8_lossy(&text)
            .trim()
            .trim_matches('"')
            .to_owned();
        let mut value = HeaderValue::from_str(&sid)
            .ok()
            .filter(|_| !sid.is_empty())
            .ok_or_else(|| {
                RemoteError::Protocol(format!("{OP}: the answer is not a session id"))
            })?;
        value.set_sensitive(true);
        *generation += 1;
        let sid = Sid {
            generation: *generation,
            value,
        };
        *self.sid.write().await = Some(sid.clone());
        Ok(sid)
    }

    /// After a 401 with `used`: logs in again (password mode) and says whether to retry.
    async fn refresh(&self, used: &Credential) -> bool {
        let (Auth::Password { user, password }, Some(generation)) = (&self.auth, used.generation)
        else {
            return false;
        };
        match self.log_in(user, password, Some(generation)).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, "cannot open a new LogicalDOC session");
                false
            }
        }
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
            let credential = match self.credential().await {
                Ok(c) => c,
                Err(e) if e.is_transient() => return Attempt::Retry(e, None),
                Err(e) => return Attempt::Fail(e),
            };
            self.calls.fetch_add(1, Ordering::Relaxed);
            let req = build(&self.http).header(credential.name.clone(), credential.value.clone());
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if idempotent || e.is_connect() => {
                    return Attempt::Retry(network(op, e), None);
                }
                Err(e) => return Attempt::Fail(network(op, e)),
            };
            let status = resp.status();
            tracing::debug!(op, status = status.as_u16(), "API answer");
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
                    Attempt::Retry(e, None)
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
            let credential = self.credential().await?;
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
