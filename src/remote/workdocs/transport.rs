//! Getting an answer out of the WorkDocs API: authentication of each request (the
//! `Authentication` token, or a SigV4 signature in admin mode), the time budget of a call, and
//! retries with exponential backoff and jitter for throttling, server failures, broken
//! connections and hung attempts. Content downloads share the retry loop ([`with_retries`]) but
//! not the credentials. Logs name the operation and the path, never a query string or a header.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use rand::Rng;
use reqwest::header::HeaderValue;
use tokio::time::Instant;

use super::errors::{WireError, network};
use super::wire;
use crate::remote::RemoteError;
use crate::sigv4::{self, AccessKey};

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// No retry is started with less time than this left.
const MIN_ATTEMPT: Duration = Duration::from_millis(50);
/// An API answer larger than this is refused (a 999-item listing is about 1 MiB).
const MAX_API_BODY: usize = 32 << 20;

/// How API requests authenticate.
pub enum Credentials {
    Token(HeaderValue),
    Admin { key: AccessKey, region: String },
}

/// The time left for one call (an API call with its retries, or the start of a download).
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    end: Instant,
    total: Duration,
}

impl Deadline {
    pub fn after(total: Duration) -> Self {
        Self {
            end: Instant::now() + total,
            total,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn timeout(&self) -> RemoteError {
        RemoteError::Timeout(self.total)
    }

    /// One attempt gets at most half the budget (at least 1 s), so that a hung attempt leaves
    /// time for another.
    fn attempt_budget(&self) -> Duration {
        self.remaining()
            .min((self.total / 2).max(Duration::from_secs(1)))
    }
}

/// What one attempt came to.
pub enum Attempt<T> {
    Done(T),
    /// A transient failure, with the server's `Retry-After` if it gave one.
    Retry(RemoteError, Option<Duration>),
    Fail(RemoteError),
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

/// Runs `attempt` until it succeeds, fails for good, or the next try would end past `deadline`
/// (then the last error is returned; an attempt cut off by the deadline is a `Timeout`).
pub async fn with_retries<T, F, Fut>(
    op: &str,
    deadline: Deadline,
    mut attempt: F,
) -> Result<T, RemoteError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        let budget = deadline.attempt_budget();
        if budget.is_zero() {
            return Err(deadline.timeout());
        }
        let (error, retry_after) = match tokio::time::timeout(budget, attempt()).await {
            Ok(Attempt::Done(v)) => return Ok(v),
            Ok(Attempt::Fail(e)) => return Err(e),
            Ok(Attempt::Retry(e, after)) => (e, after),
            Err(_) => (deadline.timeout(), None),
        };
        let jittered = backoff / 2 + rand::rng().random_range(Duration::ZERO..=backoff / 2);
        let wait = jittered.max(retry_after.unwrap_or_default());
        if wait + MIN_ATTEMPT >= deadline.remaining() {
            return Err(error);
        }
        tracing::debug!(op, ?wait, %error, "retrying");
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
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
        let url = format!("{}{target}", self.base);
        let path = target.split('?').next().unwrap_or(target);
        let deadline = Deadline::after(self.timeout);
        let body = with_retries(op, deadline, || self.attempt(op, path, &url)).await?;
        wire::parse(op, &body)
    }

    async fn attempt(&self, op: &str, path: &str, url: &str) -> Attempt<Bytes> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(op, path, "GET");
        let mut req = self.http.get(url);
        match &self.credentials {
            Credentials::Token(token) => req = req.header("Authentication", token.clone()),
            Credentials::Admin { key, region } => {
                let signed = sigv4::sign(key, region, "GET", url, &[], b"", SystemTime::now());
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
            Err(e) => return Attempt::Retry(network(op, e), None),
        };
        let status = resp.status();
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_API_BODY => {
                    body.extend_from_slice(&chunk)
                }
                Ok(Some(_)) => return Attempt::Fail(wire::protocol(op, "the answer is too large")),
                Ok(None) => break,
                Err(e) => return Attempt::Retry(network(op, e), None),
            }
        }
        if status.is_success() {
            Attempt::Done(body.into())
        } else {
            Attempt::from_wire(op, &WireError::new(status, resp.headers(), &body))
        }
    }
}
