//! The content PUT of an upload: the bytes of a spool file sent to the signed upload URL with
//! every header the URL was signed with. The body is streamed (never the whole file in memory)
//! with `Content-Length`, exactly `size` bytes; the URL is a capability, so it gets no
//! credentials and never reaches a log. Transient failures are retried like a download's,
//! reopening the file each time; each attempt may take the configured timeout plus one second
//! per MiB, so that a large file does not time out. A file that cannot be read as promised
//! fails at once, as `Invalid` (not the store's fault).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::header::{CONTENT_LENGTH, HOST, HeaderMap, HeaderName, HeaderValue};
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use super::errors::WireError;
use crate::remote::RemoteError;
use crate::remote::http::{Attempt, Deadline, network, with_retries};

const OP: &str = "upload";
/// The slowest upload rate a PUT is given time for.
const MIN_RATE: u64 = 1 << 20;
const CHUNK: usize = 256 * 1024;

/// Where and how to PUT: the URL and the headers it was signed with.
pub struct Target {
    pub url: String,
    pub headers: HeaderMap,
}

/// The headers the PUT must carry: every signed header (`Content-Length` and `Host` excepted:
/// the request sets them itself). `None` if a name or value cannot be sent.
pub fn signed_headers(given: Option<HashMap<String, String>>) -> Option<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in given.unwrap_or_default() {
        let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
        let mut value = HeaderValue::from_str(&value).ok()?;
        value.set_sensitive(true);
        if name != CONTENT_LENGTH && name != HOST {
            headers.append(name, value);
        }
    }
    Some(headers)
}

/// A spool file that cannot be read as promised.
fn local(what: &str) -> RemoteError {
    RemoteError::Invalid(format!("{OP}: {what}"))
}

/// Checks that the file holds at least `size` bytes, before anything is sent.
pub async fn check_file(path: &Path, size: u64) -> Result<(), RemoteError> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| local(&format!("cannot read the file: {e}")))?;
    if !meta.is_file() || meta.len() < size {
        return Err(local(&format!(
            "the file holds {} bytes, fewer than the {size} to send",
            meta.len()
        )));
    }
    Ok(())
}

/// PUTs the first `size` bytes of `path` to `to`, with retries; `timeout` is the configured
/// budget of one call, to which one second per MiB is added.
pub async fn put(
    http: &reqwest::Client,
    to: &Target,
    path: &Path,
    size: u64,
    timeout: Duration,
) -> Result<(), RemoteError> {
    let attempt = timeout + Duration::from_secs_f64(size as f64 / MIN_RATE as f64);
    // Each attempt gets half the deadline: time for one whole retry of a slow transfer.
    let deadline = Deadline::after(attempt * 2);
    with_retries(OP, deadline, || async {
        let file = match tokio::fs::File::open(path).await {
            Ok(f) => f,
            Err(e) => return Attempt::Fail(local(&format!("cannot open the file: {e}"))),
        };
        let failure = Arc::new(Mutex::new(None));
        let body = reqwest::Body::wrap_stream(exactly(file, size, failure.clone()));
        let req = http
            .put(&to.url)
            .headers(to.headers.clone())
            .header(CONTENT_LENGTH, size)
            .body(body);
        tracing::debug!(size, "content PUT");
        let resp = req.send().await;
        // The file, not the store, failed: not worth a retry.
        if let Some(what) = failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Attempt::Fail(local(&what));
        }
        match resp {
            Err(e) => Attempt::Retry(network(OP, e), None),
            Ok(resp) if resp.status().is_success() => Attempt::Done(()),
            // The body is S3's XML (or anything); only the status and Retry-After matter.
            Ok(resp) => Attempt::from_wire(OP, &WireError::new(resp.status(), resp.headers(), b"")),
        }
    })
    .await
}

/// The first `size` bytes of `file` as a body stream; a read error or an early end fails the
/// stream and is recorded in `failure`.
fn exactly(
    file: tokio::fs::File,
    size: u64,
    failure: Arc<Mutex<Option<String>>>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let reader = ReaderStream::with_capacity(file.take(size), CHUNK);
    let state = (reader, 0u64, false);
    futures_util::stream::unfold(state, move |(mut reader, sent, done)| {
        let failure = failure.clone();
        async move {
            if done {
                return None;
            }
            let fail = |what: String| {
                *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(what.clone());
                std::io::Error::other(what)
            };
            match reader.next().await {
                Some(Ok(chunk)) => {
                    let sent = sent + chunk.len() as u64;
                    Some((Ok(chunk), (reader, sent, false)))
                }
                Some(Err(e)) => {
                    let e = fail(format!("cannot read the file: {e}"));
                    Some((Err(e), (reader, sent, true)))
                }
                None if sent < size => {
                    let e = fail(format!("the file ended after {sent} of {size} bytes"));
                    Some((Err(e), (reader, sent, true)))
                }
                None => None,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_headers_are_checked() {
        let given = |pairs: &[(&str, &str)]| {
            let map = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            signed_headers(Some(map.collect()))
        };
        let h = given(&[
            ("Content-Type", "x/y"),
            ("Content-Length", "5"),
            ("x-a", "1"),
        ]);
        let h = h.expect("valid");
        assert_eq!(h.len(), 2);
        assert_eq!(
            h.get("content-type").map(|v| v.as_bytes()),
            Some(&b"x/y"[..])
        );
        assert!(given(&[("bad name", "v")]).is_none());
        assert!(given(&[("x-b", "line\nbreak")]).is_none());
    }

    #[tokio::test]
    async fn the_body_is_exactly_size_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 600_000]).expect("write");
        let read = |size: u64| {
            let path = path.clone();
            async move {
                let failure = Arc::new(Mutex::new(None));
                let file = tokio::fs::File::open(&path).await.expect("open");
                let mut s = Box::pin(exactly(file, size, failure.clone()));
                let (mut n, mut error) = (0, false);
                while let Some(item) = s.next().await {
                    match item {
                        Ok(b) => n += b.len() as u64,
                        Err(_) => error = true,
                    }
                }
                let recorded = failure.lock().expect("lock").clone();
                (n, error, recorded)
            }
        };
        assert_eq!(read(500_000).await, (500_000, false, None));
        assert_eq!(read(0).await, (0, false, None));
        let (n, error, recorded) = read(700_000).await;
        assert!(n == 600_000 && error, "{n} {error}");
        assert!(recorded.expect("recorded").contains("ended after 600000"));
    }
}
