//! Spool files as request bodies: the check that a file holds the bytes an upload promises,
//! and the stream of exactly its first `size` bytes (never the whole file in memory). A file
//! that cannot be read as promised is the caller's problem, not the store's: `Invalid`, and
//! not worth a retry.

use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use crate::remote::RemoteError;

/// The slowest upload rate a transfer is given time for.
pub const MIN_RATE: u64 = 1 << 20;
const CHUNK: usize = 256 * 1024;

/// A spool file that cannot be read as promised.
pub fn local(what: &str) -> RemoteError {
    RemoteError::Invalid(format!("upload: {what}"))
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

/// The first `size` bytes of `file` as a body stream; a read error or an early end fails the
/// stream and is recorded in `failure`.
pub fn exactly(
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
