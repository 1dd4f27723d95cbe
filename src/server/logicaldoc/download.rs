//! Document content through LogicalDOC: REST `getContent` and `getVersionContent` (the whole
//! file as `application/octet-stream`; Range is not honoured, as the real `DataHandler` answer
//! does not) and the web-app download servlet `GET /download?docId=[&fileVersion=X.Y]`, which
//! honours `Range` (206 with `Content-Range`, 416 when unsatisfiable) and answers
//! `Accept-Ranges`, an `ETag` (the version's SHA-256, quoted), `Content-Length` and a
//! `Content-Disposition` with the file name. Content is streamed from the version's blob file,
//! never held in memory. Every failure (unknown or unreadable document or version, a parameter
//! that is not a number on the servlet) is a 500 with a text body, as LogicalDOC answers it.

use axum::Extension;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::caller::LdCaller;
use super::documents::unknown_document;
use super::params::Params;
use super::versions::{self, LdVersion};
use super::{LdState, doc_tree, wire};
use crate::server::urls::{ByteRange, Unsatisfiable, parse_range};

/// The content type of REST content answers.
const OCTET_STREAM: &str = "application/octet-stream";

/// The file a request names: the document's name and the version to send.
struct Target {
    name: String,
    version: LdVersion,
}

/// Finds version `label` (the live one when `None`) of document `doc_id`, as the caller sees it.
async fn target(
    ld: &LdState,
    caller: LdCaller,
    doc_id: i64,
    label: Option<String>,
) -> Result<Target, Response> {
    let user = caller.user;
    let found = ld
        .app
        .store
        .tx(move |c| {
            let Some((d, _)) = doc_tree::resolve(c, &user, doc_id)? else {
                return Ok(Err(unknown_document(doc_id)));
            };
            let version = match label {
                None => d.latest,
                Some(label) => match versions::live(c, &d.resource_id)?
                    .into_iter()
                    .find(|v| v.label == label)
                {
                    Some(v) => v,
                    None => return Ok(Err(format!("Version {label} of {doc_id} not found"))),
                },
            };
            Ok(Ok(Target {
                name: d.name,
                version,
            }))
        })
        .await;
    match found {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(message)) => Err(wire::failure(&message)),
        Err(e) => Err(wire::store_failure(&e)),
    }
}

/// `GET getContent?docId=` [READ+DOWNLOAD]: the live version's bytes.
pub async fn get_content(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let doc_id = match params.long("docId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    match target(&ld, caller, doc_id, None).await {
        Ok(t) => send(&ld, &t, None, false).await,
        Err(resp) => resp,
    }
}

/// `GET getVersionContent?docId=&version=X.Y` [READ+DOWNLOAD]: that version's bytes.
pub async fn get_version_content(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let doc_id = match params.long("docId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    let label = params.string("version").unwrap_or_default();
    match target(&ld, caller, doc_id, Some(label)).await {
        Ok(t) => send(&ld, &t, None, false).await,
        Err(resp) => resp,
    }
}

/// `GET /download?docId=[&fileVersion=X.Y]`: the servlet, with `Range`.
pub async fn servlet(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let params = Params::parse(raw.as_deref());
    let doc_id = match params.string("docId").map(|v| v.trim().parse::<i64>()) {
        Some(Ok(id)) => id,
        _ => return wire::failure("docId is not a document number"),
    };
    let label = params.string("fileVersion").filter(|v| !v.is_empty());
    let t = match target(&ld, caller, doc_id, label).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let len = t.version.size.max(0) as u64;
    let range = headers.get(header::RANGE).and_then(|h| h.to_str().ok());
    match parse_range(range, len) {
        Ok(range) => send(&ld, &t, range, true).await,
        Err(Unsatisfiable) => {
            let mut resp = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_RANGE, ascii(&format!("bytes */{len}")));
            h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            resp
        }
    }
}

/// Streams the version's blob (all of it, or `range`); `servlet` adds the servlet's headers.
async fn send(ld: &LdState, t: &Target, range: Option<ByteRange>, servlet: bool) -> Response {
    let v = &t.version;
    let len = v.size.max(0) as u64;
    let mut file = match tokio::fs::File::open(ld.app.store.blobs().path_of(&v.id)).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(version = %v.id, error = %e, "blob missing");
            return wire::failure("The call failed on the server; see server log for details.");
        }
    };
    let (status, start, count) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.start, r.end - r.start + 1),
        None => (StatusCode::OK, 0, len),
    };
    if start > 0 && file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return wire::failure("The call failed on the server; see server log for details.");
    }
    let body = Body::from_stream(ReaderStream::with_capacity(file.take(count), 256 * 1024));
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::CONTENT_DISPOSITION, disposition(&t.name));
    if !servlet {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(OCTET_STREAM));
        return resp;
    }
    let content_type = HeaderValue::from_str(&v.content_type);
    let content_type = content_type.unwrap_or(HeaderValue::from_static(OCTET_STREAM));
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(sha) = &v.sha256 {
        h.insert(header::ETAG, ascii(&format!("\"{sha}\"")));
    }
    if let Some(r) = range {
        let value = format!("bytes {}-{}/{len}", r.start, r.end);
        h.insert(header::CONTENT_RANGE, ascii(&value));
    }
    resp
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266).
fn disposition(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let exact = utf8_percent_encode(name, NON_ALPHANUMERIC);
    ascii(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"
    ))
}

fn ascii(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_carry_both_names() {
        let d = disposition("résumé \"v2\".pdf");
        assert_eq!(
            d.to_str().unwrap(),
            "attachment; filename=\"r_sum_ _v2_.pdf\"; \
             filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22%2Epdf"
        );
    }
}
