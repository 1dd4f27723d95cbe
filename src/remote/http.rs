//! HTTP plumbing every backend client shares: the time budget of a call ([`Deadline`]), the
//! retry loop with exponential backoff and jitter ([`with_retries`]), `reqwest` errors as
//! [`RemoteError::Network`] without URLs (a URL may be a capability), ranged downloads as
//! streams of chunks; and, in `http/endpoint.rs`, the one client both backends build and the
//! endpoint checks made before any traffic (TLS unless loopback or `--allow-insecure-http`).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, HeaderMap, RANGE};
use tokio::time::Instant;

use crate::remote::{ByteStream, RemoteError};

mod endpoint;
pub use endpoint::*;

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

/// Whether a request that failed with `e` cannot have been acted on: the connection was never
/// made, or the server closed it before taking the whole request (`EPIPE` on a write — as a
/// server or proxy does that answers 429/503 without reading the body). Such a request may be
/// sent again even when a repetition would not be harmless.
pub fn unsent(e: &reqwest::Error) -> bool {
    if e.is_connect() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::BrokenPipe;
        }
        source = s.source();
    }
    false
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
            StatusCode::PARTIAL_CONTENT | StatusCode::OK => {
                let partial = status == StatusCode::PARTIAL_CONTENT;
                match wanted_part(partial, resp.headers(), (start, end)) {
                    Some(part) => part,
                    None => {
                        return Attempt::Fail(protocol("a Content-Range other than the one asked"));
                    }
                }
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
        let resume = Resume {
            request: request(),
            next: start,
            tries: RESUMES,
        };
        Attempt::Done(Opened::Stream(body(resp, skip, expect, idle, resume)))
    })
    .await
}

/// How many times one download picks up again where its connection broke.
const RESUMES: u32 = 3;

/// How a download whose connection breaks goes on: the same request (URL and credentials), for
/// the bytes not received yet.
struct Resume {
    /// The request as `open` was given it, without its range.
    request: reqwest::RequestBuilder,
    /// The offset of the next byte wanted.
    next: u64,
    /// Resumptions left.
    tries: u32,
}

impl Resume {
    /// Requests the `left` bytes from `next` on; the new body and how much of it to skip, or
    /// `None` if the answer is not those bytes (the caller then reports the original failure).
    async fn reopen(&mut self, left: u64, idle: Duration) -> Option<(Chunks, u64)> {
        self.tries -= 1;
        tokio::time::sleep(FIRST_BACKOFF).await;
        let range = format!("bytes={}-{}", self.next, self.next + left - 1);
        let req = self.request.try_clone()?.header(RANGE, range);
        let resp = tokio::time::timeout(idle, req.send()).await.ok()?.ok()?;
        let skip = match resp.status() {
            StatusCode::PARTIAL_CONTENT => match content_range(resp.headers()) {
                Some((first, _)) if first == self.next => 0,
                _ => return None,
            },
            StatusCode::OK => self.next,
            _ => return None,
        };
        Some((Box::pin(resp.bytes_stream()), skip))
    }
}

fn protocol(what: &str) -> RemoteError {
    RemoteError::Protocol(format!("{OP}: {what}"))
}

/// Which bytes of a 206 (`partial`) or 200 answer to a request for bytes `start..end` (not
/// empty) are the ones asked for: (bytes to skip, bytes to keep). `None` for a 206 whose
/// `Content-Range` does not start at `start`.
pub fn wanted_part(
    partial: bool,
    headers: &HeaderMap,
    (start, end): (u64, u64),
) -> Option<(u64, u64)> {
    if partial {
        let (first, last) = content_range(headers).filter(|&(first, _)| first == start)?;
        // `last` may be the largest offset there is: its length would not fit.
        return Some((0, (last - first).saturating_add(1).min(end - start)));
    }
    let len = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok());
    let len = len.and_then(|v| v.parse::<u64>().ok()).unwrap_or(end);
    Some((start, len.min(end).saturating_sub(start)))
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
    resume: Resume,
}

/// The response body after skipping `skip` bytes, `expect` bytes long. When the connection
/// breaks, stalls for `idle` or ends early, the rest is asked for again (up to [`RESUMES`]
/// times, through `resume`); then the stream ends with the error.
fn body(
    resp: reqwest::Response,
    skip: u64,
    expect: u64,
    idle: Duration,
    resume: Resume,
) -> ByteStream {
    let state = Body {
        chunks: Box::pin(resp.bytes_stream()),
        skip,
        left: expect,
        idle,
        done: false,
        resume,
    };
    Box::pin(futures_util::stream::unfold(state, |mut s| async move {
        while !s.done && s.left > 0 {
            let next = tokio::time::timeout(s.idle, s.chunks.next()).await;
            let mut chunk = match next {
                Ok(Some(Ok(chunk))) => chunk,
                failed => {
                    let e = match failed {
                        Err(_) => RemoteError::Timeout(s.idle),
                        Ok(Some(Err(e))) => network(OP, e),
                        _ => RemoteError::Network(format!("{OP}: the content ended early")),
                    };
                    if s.resume.tries > 0 {
                        tracing::debug!(error = %e, at = s.resume.next, "download broke off; resuming");
                        if let Some((chunks, skip)) = s.resume.reopen(s.left, s.idle).await {
                            (s.chunks, s.skip) = (chunks, skip);
                            continue;
                        }
                    }
                    s.done = true;
                    return Some((Err(e), s));
                }
            };
            let skipped = s.skip.min(chunk.len() as u64);
            s.skip -= skipped;
            chunk = chunk.slice(skipped as usize..);
            chunk.truncate(s.left.min(chunk.len() as u64) as usize);
            if !chunk.is_empty() {
                s.left -= chunk.len() as u64;
                s.resume.next += chunk.len() as u64;
                return Some((Ok(chunk), s));
            }
        }
        None
    }))
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
    fn wanted_parts_of_answers() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_RANGE, "bytes 5-9/100".parse().unwrap());
        assert_eq!(wanted_part(true, &h, (5, 8)), Some((0, 3)));
        assert_eq!(wanted_part(true, &h, (4, 8)), None);
        h.insert(CONTENT_LENGTH, "100".parse().unwrap());
        assert_eq!(wanted_part(false, &h, (5, 8)), Some((5, 3)));
        // A range ending at the largest offset overflowed: a panic with overflow checks, an
        // empty read without (a regression seed of the fuzz targets too).
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_RANGE,
            "bytes 0-18446744073709551615/*".parse().unwrap(),
        );
        assert_eq!(wanted_part(true, &h, (0, 10)), Some((0, 10)));
    }
}
