//! Document content behind the signed URLs, the part real WorkDocs delegated to S3: `GET` streams
//! a version from disk (with `Range`, 206 and `Content-Range`), `PUT` streams an upload to disk,
//! requiring the signed headers and exactly the declared size. Errors are S3-shaped XML, as a
//! client of the real service would have seen them.

use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::AppState;
use super::store::blobs::BlobError;
use super::store::documents;
use super::store::rows::VersionRow;
use super::urls::{self, Signed, UrlError, parse_range};
use crate::clock::now_ms;

/// The encryption header every upload must carry, as the real service's signed headers demanded.
pub const SSE_HEADER: &str = "x-amz-server-side-encryption";
pub const SSE_VALUE: &str = "AES256";

fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>\n"
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

fn url_error(e: UrlError) -> Response {
    let code = match e {
        UrlError::Expired | UrlError::Missing => "AccessDenied",
        UrlError::BadSignature => "SignatureDoesNotMatch",
    };
    s3_error(StatusCode::FORBIDDEN, code, &e.to_string())
}

/// Looks up the version a URL names and checks the URL's signature for `method`.
async fn authorized(
    app: &AppState,
    method: &str,
    version_id: &str,
    raw: Option<&str>,
) -> Result<VersionRow, Response> {
    if super::workdocs::params::resource_id("VersionId", version_id).is_err() {
        return Err(s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The specified key does not exist.",
        ));
    }
    let (expires, sig) = urls::parse_query(raw).map_err(url_error)?;
    let id = version_id.to_owned();
    let version = app
        .store
        .call(move |c| documents::version_by_id(c, &id))
        .await
        .map_err(|_| {
            s3_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "Please retry.",
            )
        })?
        .ok_or_else(|| {
            s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            )
        })?;
    let size = if method == "GET" {
        version.size
    } else {
        version.declared_size
    };
    let signed = Signed {
        version_id,
        expires,
        size,
        content_type: &version.content_type,
    };
    app.signer
        .verify(method, &signed, &sig, now_ms() / 1000)
        .map_err(url_error)?;
    Ok(version)
}

pub async fn download(
    State(app): State<AppState>,
    Path(version_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let v = match authorized(&app, "GET", &version_id, raw.as_deref()).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(len) = v.size.map(|s| s as u64) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchKey",
            "The version has no content yet.",
        );
    };
    let range = match parse_range(
        headers.get(header::RANGE).and_then(|h| h.to_str().ok()),
        len,
    ) {
        Ok(r) => r,
        Err(urls::Unsatisfiable) => {
            let mut resp = s3_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "The requested range is not satisfiable",
            );
            resp.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("ascii"),
            );
            return resp;
        }
    };
    let mut file = match tokio::fs::File::open(app.store.blobs().path_of(&v.id)).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(version = %v.id, error = %e, "blob missing");
            return s3_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "Please retry.",
            );
        }
    };
    let (status, start, count) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.start, r.end - r.start + 1),
        None => (StatusCode::OK, 0, len),
    };
    if start > 0 && file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
        return s3_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "Please retry.",
        );
    }
    let body = Body::from_stream(ReaderStream::with_capacity(file.take(count), 256 * 1024));
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(count));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(ct) = HeaderValue::from_str(&v.content_type) {
        h.insert(header::CONTENT_TYPE, ct);
    }
    if let Some(sha) = v
        .sha256
        .as_deref()
        .and_then(|s| HeaderValue::from_str(&format!("\"{s}\"")).ok())
    {
        h.insert(header::ETAG, sha);
    }
    if let Some(r) = range {
        let value = format!("bytes {}-{}/{len}", r.start, r.end);
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&value).expect("ascii"),
        );
    }
    resp
}

pub async fn upload(
    State(app): State<AppState>,
    Path(version_id): Path<String>,
    RawQuery(raw): RawQuery,
    req: Request,
) -> Response {
    let v = match authorized(&app, "PUT", &version_id, raw.as_deref()).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if v.is_active() {
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "This version no longer accepts content.",
        );
    }
    let headers = req.headers();
    let header_is =
        |name: &str, want: &str| headers.get(name).and_then(|h| h.to_str().ok()) == Some(want);
    if !header_is(header::CONTENT_TYPE.as_str(), &v.content_type)
        || !header_is(SSE_HEADER, SSE_VALUE)
    {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The upload must carry every signed header with its signed value.",
        );
    }
    let declared = v.declared_size.map(|s| s as u64);
    let stored = match app
        .store
        .blobs()
        .write(&v.id, req.into_body().into_data_stream(), declared)
        .await
    {
        Ok(s) => s,
        Err(e @ (BlobError::TooLong(_) | BlobError::WrongLength { .. })) => {
            return s3_error(StatusCode::BAD_REQUEST, "IncompleteBody", &e.to_string());
        }
        Err(e @ BlobError::Body(_)) => {
            return s3_error(StatusCode::BAD_REQUEST, "IncompleteBody", &e.to_string());
        }
        Err(BlobError::Io(e)) => {
            tracing::error!(version = %v.id, error = %e, "cannot store upload");
            return s3_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "Please retry.",
            );
        }
    };
    let (id, sha, sha1) = (v.id.clone(), stored.sha256.clone(), stored.sha1.clone());
    let size = stored.size as i64;
    if let Err(e) = app
        .store
        .call(move |c| documents::record_upload(c, &id, size, &sha, Some(&sha1), now_ms()))
        .await
    {
        app.store.blobs().remove(std::slice::from_ref(&v.id)).await;
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", &e.to_string());
    }
    let etag = HeaderValue::from_str(&format!("\"{}\"", stored.sha256)).expect("hex");
    (StatusCode::OK, [(header::ETAG, etag)]).into_response()
}
