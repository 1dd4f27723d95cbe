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

use reqwest::header::{CONTENT_LENGTH, HOST, HeaderMap, HeaderName, HeaderValue};

use super::errors::WireError;
use crate::remote::RemoteError;
use crate::remote::file_body::{MIN_RATE, exactly, local};
use crate::remote::http::{Attempt, Deadline, network, with_retries};

const OP: &str = "upload";

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
}
