//! Getting an answer out of the WorkDocs API: authentication of each request (the
//! `Authentication` token, or a SigV4 signature over the method, URL and JSON body in admin
//! mode), the time budget of a call, and retries with exponential backoff and jitter for
//! throttling, server failures, broken connections and hung attempts — for a POST whose
//! repetition is not harmless, only those it cannot have been acted on. Content transfers share
//! the retry loop ([`with_retries`]) but not the credentials. Logs name the operation, the
//! method and the path, never a query string, a header or a body.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::errors::WireError;
use super::wire;
use crate::remote::RemoteError;
use crate::remote::http::{Attempt, Deadline, network, unsent, with_retries_if};
use crate::sigv4::{self, AccessKey};

/// An API answer larger than this is refused (a 999-item listing is about 1 MiB).
const MAX_API_BODY: usize = 32 << 20;

/// How API requests authenticate.
pub enum Credentials {
    Token(HeaderValue),
    Admin { key: AccessKey, region: String },
}

impl<T> Attempt<T> {
    /// An error response: retried when transient, else final.
    pub fn from_wire(op: &str, e: &WireError) -> Self {
        if e.is_retryable() {
            Self::Retry(e.to_remote(op), e.retry_after)
        } else {
            Self::Fail(e.to_remote(op))
        }
    }
}

/// The HTTP side of a WorkDocs client.
pub struct Transport {
    pub http: reqwest::Client,
    base: String,
    credentials: Credentials,
    pub timeout: Duration,
    calls: AtomicU64,
}

impl Transport {
    pub fn new(
        http: reqwest::Client,
        base: String,
        credentials: Credentials,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            base,
            credentials,
            timeout,
            calls: AtomicU64::new(0),
        }
    }

    /// API requests sent so far (each retry counts).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    pub fn is_admin(&self) -> bool {
        matches!(self.credentials, Credentials::Admin { .. })
    }

    /// GETs `target` (path and query, already percent-encoded) as operation `op`, with retries
    /// within the configured timeout, and parses the JSON answer.
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static str,
        target: &str,
    ) -> Result<T, RemoteError> {
        self.call(op, Method::GET, target, None).await
    }

    /// [`Transport::send`], then parses the JSON answer.
    pub async fn call<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static str,
        method: Method,
        target: &str,
        body: Option<serde_json::Value>,
    ) -> Result<T, RemoteError> {
        let answer = self.send(op, method, target, body).await?;
        wire::parse(op, &answer)
    }

    /// Sends `method target` (path and query, already percent-encoded) with an optional JSON
    /// body as operation `op`, within the configured timeout, and returns the answer's body.
    /// GET, PUT, PATCH and DELETE are retried on throttling, server failures, broken
    /// connections and hung attempts. POST is not idempotent (a second CreateFolder would make
    /// a second folder, or fail where the first worked), so it is retried only when it cannot
    /// have been acted on: the connection failed, or the answer was 429 or 503.
    pub async fn send(
        &self,
        op: &'static str,
        method: Method,
        target: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Bytes, RemoteError> {
        let idempotent = method != Method::POST;
        self.send_as(op, method, target, body, idempotent).await
    }

    /// POSTs `body` to `target` as operation `op` and parses the JSON answer, retried like a
    /// PUT: for a POST whose repetition is harmless. InitiateDocumentVersionUpload is one: what
    /// it makes is an INITIALIZED version, which lists nowhere, holds no name and becomes a
    /// version only when activated (idempotent), so a lost answer is worth another try.
    pub async fn post_resendable<T: serde::de::DeserializeOwned>(
        &self,
        op: &'static str,
        target: &str,
        body: serde_json::Value,
    ) -> Result<T, RemoteError> {
        let answer = self
            .send_as(op, Method::POST, target, Some(body), true)
            .await?;
        wire::parse(op, &answer)
    }

    async fn send_as(
        &self,
        op: &'static str,
        method: Method,
        target: &str,
        body: Option<serde_json::Value>,
        idempotent: bool,
    ) -> Result<Bytes, RemoteError> {
        let url = format!("{}{target}", self.base);
        let path = target.split('?').next().unwrap_or(target);
        let body = body.map(|b| Bytes::from(b.to_string()));
        let request = Request {
            op,
            method: &method,
            path,
            url: &url,
            body: body.as_ref(),
            idempotent,
        };
        let deadline = Deadline::after(self.timeout);
        with_retries_if(op, deadline, idempotent, || self.attempt(&request)).await
    }

    async fn attempt(&self, r: &Request<'_>) -> Attempt<Bytes> {
        let op = r.op;
        self.calls.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(op, method = %r.method, path = r.path, "API request");
        let mut req = self.http.request(r.method.clone(), r.url);
        if let Some(body) = r.body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        match &self.credentials {
            Credentials::Token(token) => req = req.header("Authentication", token.clone()),
            Credentials::Admin { key, region } => {
                let payload = r.body.map_or(&[][..], |b| &b[..]);
                let method = r.method.as_str();
                let signed =
                    sigv4::sign(key, region, method, r.url, &[], payload, SystemTime::now());
                match signed {
                    Ok(headers) => {
                        for (name, value) in headers {
                            req = req.header(name, value);
                        }
                    }
                    Err(e) => return Attempt::Fail(RemoteError::Invalid(format!("{op}: {e}"))),
                }
            }
        }
        let mut resp = match req.send().await {
            Ok(r) => r,
            // A POST that failed after it may have reached the server is not sent again.
            Err(e) if r.idempotent || unsent(&e) => {
                return Attempt::Retry(network(op, e), None);
            }
            Err(e) => return Attempt::Fail(network(op, e)),
        };
        let status = resp.status();
        // Throttled or unavailable: the server did not act on the request.
        let refused = matches!(status.as_u16(), 429 | 503);
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_API_BODY => {
                    body.extend_from_slice(&chunk)
                }
                Ok(Some(_)) => return Attempt::Fail(wire::protocol(op, "the answer is too large")),
                Ok(None) => break,
                Err(e) if r.idempotent || refused => return Attempt::Retry(network(op, e), None),
                Err(e) => return Attempt::Fail(network(op, e)),
            }
        }
        if status.is_success() {
            return Attempt::Done(body.into());
        }
        let error = WireError::new(status, resp.headers(), &body);
        match Attempt::from_wire(op, &error) {
            Attempt::Retry(e, _) if !r.idempotent && !refused => Attempt::Fail(e),
            other => other,
        }
    }
}

/// One API request, as every attempt sends it.
struct Request<'a> {
    op: &'static str,
    method: &'a Method,
    /// The path without the query, for logs.
    path: &'a str,
    url: &'a str,
    body: Option<&'a Bytes>,
    idempotent: bool,
}
