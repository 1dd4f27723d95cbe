//! HTTP plumbing every backend client shares: the time budget of a call ([`Deadline`]), the
//! retry loop with exponential backoff and jitter ([`with_retries`]), `reqwest` errors as
//! [`RemoteError::Network`] without URLs (a URL may be a capability), ranged downloads as
//! streams of chunks, and the endpoint checks made before any traffic (TLS unless loopback).

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use rand::Rng;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, HeaderMap, RANGE};
use reqwest::{StatusCode, Url};
use tokio::time::Instant;

use crate::remote::{ByteStream, RemoteError};

/// What downloads are called in errors and logs.
const OP: &str = "download";
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// No retry is started with less time than this left.
const MIN_ATTEMPT: Duration = Duration::from_millis(50);
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

/// Runs `attempt` until it succeeds, fails for good, or the next try would end past `deadline`
/// (then the last error is returned; an attempt cut off by the deadline is a `Timeout`).
pub async fn with_retries<T, F, Fut>(
    op: &str,
    deadline: Deadline,
    attempt: F,
) -> Result<T, RemoteError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    with_retries_if(op, deadline, true, attempt).await
}

/// [`with_retries`]; when `retry_hung` is false (a request that must not be sent twice), an
/// attempt may use the whole remaining budget and one cut off by the deadline is not retried:
/// the server may have acted on it.
pub async fn with_retries_if<T, F, Fut>(
    op: &str,
    deadline: Deadline,
    retry_hung: bool,
    mut attempt: F,
) -> Result<T, RemoteError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Attempt<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    loop {
        let budget = if retry_hung {
            deadline.attempt_budget()
        } else {
            deadline.remaining()
        };
        if budget.is_zero() {
            return Err(deadline.timeout());
        }
        let (error, retry_after) = match tokio::time::timeout(budget, attempt()).await {
            Ok(Attempt::Done(v)) => return Ok(v),
            Ok(Attempt::Fail(e)) => return Err(e),
            Ok(Attempt::Retry(e, after)) => (e, after),
            Err(_) if !retry_hung => return Err(deadline.timeout()),
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

/// `Retry-After` in seconds (the HTTP-date form is not used by the stores and is ignored).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

/// A transport failure, without the URL (`reqwest` puts it in `Display`) but with its causes.
pub fn network(what: &str, e: reqwest::Error) -> RemoteError {
    let e = e.without_url();
    let mut msg = format!("{what}: {e}");
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    RemoteError::Network(msg)
}

/// What a 500 from a download server means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerErrors {
    /// A passing failure (S3, WorkDocs): retried.
    Transient,
    /// A refusal (LogicalDOC answers most refusals with 500): final. 502–504 are still retried.
    Final,
}

/// An answer no download expects: throttling and server failures are retried (after the
/// server's `Retry-After`), unless `server_errors` says a 500 is final; 401 is a refusal of the
/// credentials, the rest a protocol error.
pub fn status_failure<T>(
    op: &str,
    status: StatusCode,
    headers: &HeaderMap,
    server_errors: ServerErrors,
) -> Attempt<T> {
    let detail = format!("{op}: HTTP {}", status.as_u16());
    match status.as_u16() {
        500 | 501 if server_errors == ServerErrors::Final => Attempt::Fail(RemoteError::Protocol(
            format!("{detail} (refused by the server)"),
        )),
        429 | 500.. => Attempt::Retry(
            RemoteError::Unavailable {
                message: detail,
                retry_after: retry_after(headers),
            },
            retry_after(headers),
        ),
        401 => Attempt::Fail(RemoteError::Unauthenticated(detail)),
        _ => Attempt::Fail(RemoteError::Protocol(detail)),
    }
}

/// What a ranged GET gave.
pub enum Opened {
    Stream(ByteStream),
    /// The range starts past the end of the content.
    Empty,
    /// 403: the URL expired or was revoked; a fresh one may work.
    Refused,
}

pub fn empty() -> ByteStream {
    Box::pin(futures_util::stream::empty())
}

/// GETs bytes `start..end` (non-empty) with the request `request` builds (a download URL with
/// whatever credentials it needs), retrying transient failures until `deadline`; chunks must
/// then keep coming at least every `idle`. `server_errors` says whether a 500 is worth a retry.
pub async fn open(
    request: impl Fn() -> reqwest::RequestBuilder,
    (start, end): (u64, u64),
    deadline: Deadline,
    idle: Duration,
    server_errors: ServerErrors,
) -> Result<Opened, RemoteError> {
    let range = format!("bytes={start}-{}", end - 1);
    with_retries(OP, deadline, || async {
        let resp = match request().header(RANGE, &range).send().await {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(network(OP, e), None),
        };
        let status = resp.status();
        let (skip, expect) = match status {
            StatusCode::PARTIAL_CONTENT => match content_range(resp.headers()) {
                Some((first, last)) if first == start => (0, (last + 1 - first).min(end - start)),
                _ => return Attempt::Fail(protocol("a Content-Range other than the one asked")),
            },
            StatusCode::OK => {
                let len = resp
                    .headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok());
                let len = len.and_then(|v| v.parse::<u64>().ok()).unwrap_or(end);
                (start, len.min(end).saturating_sub(start))
            }
            StatusCode::RANGE_NOT_SATISFIABLE => return Attempt::Done(Opened::Empty),
            StatusCode::FORBIDDEN => return Attempt::Done(Opened::Refused),
            StatusCode::NOT_FOUND => {
                let gone = RemoteError::NotFound(format!("{OP}: the version's content is gone"));
                return Attempt::Fail(gone);
            }
            // The body is S3's XML (or anything); only the status and Retry-After matter.
            _ => return status_failure(OP, status, resp.headers(), server_errors),
        };
        if expect == 0 {
            return Attempt::Done(Opened::Empty);
        }
        Attempt::Done(Opened::Stream(body(resp, skip, expect, idle)))
    })
    .await
}

fn protocol(what: &str) -> RemoteError {
    RemoteError::Protocol(format!("{OP}: {what}"))
}

/// `Content-Range: bytes first-last/len` → (first, last).
fn content_range(headers: &HeaderMap) -> Option<(u64, u64)> {
    let v = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    let (first, last) = v
        .strip_prefix("bytes ")?
        .split('/')
        .next()?
        .split_once('-')?;
    let (first, last) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    (first <= last).then_some((first, last))
}

type Chunks = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

struct Body {
    chunks: Chunks,
    skip: u64,
    left: u64,
    idle: Duration,
    done: bool,
}

/// The response body after skipping `skip` bytes, `expect` bytes long; ends with an error if
/// the connection breaks, stalls for `idle`, or ends early.
fn body(resp: reqwest::Response, skip: u64, expect: u64, idle: Duration) -> ByteStream {
    let state = Body {
        chunks: Box::pin(resp.bytes_stream()),
        skip,
        left: expect,
        idle,
        done: false,
    };
    Box::pin(futures_util::stream::unfold(state, |mut s| async move {
        while !s.done && s.left > 0 {
            let next = tokio::time::timeout(s.idle, s.chunks.next()).await;
            let mut chunk = match next {
                Ok(Some(Ok(chunk))) => chunk,
                failed => {
                    s.done = true;
                    let e = match failed {
                        Err(_) => RemoteError::Timeout(s.idle),
                        Ok(Some(Err(e))) => network(OP, e),
                        _ => RemoteError::Network(format!("{OP}: the content ended early")),
                    };
                    return Some((Err(e), s));
                }
            };
            let skipped = s.skip.min(chunk.len() as u64);
            s.skip -= skipped;
            chunk = chunk.slice(skipped as usize..);
            chunk.truncate(s.left.min(chunk.len() as u64) as usize);
            if !chunk.is_empty() {
                s.left -= chunk.len() as u64;
                return Some((Ok(chunk), s));
            }
        }
        None
    }))
}

/// A validated endpoint: its canonical form without a trailing `/`, or why it is refused.
pub fn endpoint_base(endpoint: &str) -> Result<String, EndpointError> {
    let bad = |why| EndpointError::Invalid(redacted(endpoint), why);
    let url = Url::parse(endpoint.trim()).map_err(|_| bad("not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a query or fragment is not allowed"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(EndpointError::Insecure(redacted(endpoint))),
        _ => return Err(bad("the scheme must be https or http")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("invalid endpoint {0:?}: {1}")]
    Invalid(String, &'static str),
    #[error(
        "endpoint {0:?} uses plain http to a host that is not loopback; use https (http is \
         accepted for 127.0.0.0/8, ::1 and localhost only)"
    )]
    Insecure(String),
}

/// `endpoint` fit for a message or a log: a `user:password@` part is replaced by `…@`.
pub fn redacted(endpoint: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => endpoint.to_owned(),
    }
}

/// Whether a URL may carry a secret: https, or http to a loopback host.
pub fn is_secure(url: &str) -> bool {
    Url::parse(url)
        .is_ok_and(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback(&u)))
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_RANGE, "bytes 5-9/100".parse().unwrap());
        assert_eq!(content_range(&h), Some((5, 9)));
        h.insert(CONTENT_RANGE, "bytes */100".parse().unwrap());
        assert_eq!(content_range(&h), None);
    }

    #[test]
    fn credentials_in_endpoints_are_never_shown() {
        let e = endpoint_base("https://u:hunter2@x/?a=1").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = endpoint_base("http://u:hunter2@example.com").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert_eq!(redacted("https://a:b@h/p@q"), "https://…@h/p@q");
        assert_eq!(redacted("https://h/x"), "https://h/x");
    }

    #[test]
    fn endpoints() {
        let ok = |e: &str| endpoint_base(e).unwrap();
        assert_eq!(ok("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://127.1.2.3"), "http://127.1.2.3");
        assert_eq!(ok("http://[::1]:9/"), "http://[::1]:9");
        assert_eq!(ok("http://LocalHost:80"), "http://localhost");
        assert_eq!(
            ok("https://Example.COM:443/api/"),
            "https://example.com/api"
        );
        for insecure in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.evil",
        ] {
            assert!(matches!(
                endpoint_base(insecure),
                Err(EndpointError::Insecure(_))
            ));
        }
        for bad in [
            "",
            "example.com",
            "ftp://x",
            "https://u:p@x",
            "https://x/?a=1",
        ] {
            assert!(
                matches!(endpoint_base(bad), Err(EndpointError::Invalid(..))),
                "{bad}"
            );
        }
    }
}
