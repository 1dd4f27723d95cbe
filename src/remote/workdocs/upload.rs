//! Uploads, as WorkDocs does them: InitiateDocumentVersionUpload (a new document or a new
//! version, INITIALIZED, with a signed upload URL and the headers it demands), the PUT of the
//! bytes ([`super::put`]), and UpdateDocumentVersion to make the version ACTIVE. If the PUT or
//! the activation fails, the version is aborted (and a new document that survived its abort
//! deleted), best effort, so nothing half-made remains — unless the abort finds the version
//! ACTIVE: then only the activation's answer was lost, and the upload succeeded. The upload URL
//! must be https or loopback, like a download URL. Times go up in milliseconds, the API's
//! precision; the exact mtime rides in the version's content type (`labels.rs`), so the node
//! returned has the mtime later listings will show, without a request of its own.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::json;

use super::put::{self, Target};
use super::{WorkDocsRemote, enc, wire};
use crate::clock;
use crate::remote::http;
use crate::remote::{Node, NodeKind, RemoteError, Upload, UploadTarget, labels};

const INITIATE: &str = "InitiateDocumentVersionUpload";
const CONTENT_TYPE: &str = "application/octet-stream";

/// An INITIALIZED version, and the node it will be once ACTIVE.
struct Started {
    doc: String,
    version: String,
    new_document: bool,
    to: Target,
    node: Node,
}

/// What the answer lacks to go on with the upload (the version is then aborted).
struct Unusable(&'static str);

/// Epoch milliseconds of `t`, rounded down (the API's precision).
fn epoch_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_nanos().div_ceil(1_000_000)).unwrap_or(i64::MAX),
    }
}

fn epoch_seconds(t: SystemTime) -> f64 {
    clock::ms_to_epoch_seconds(epoch_ms(t))
}

impl WorkDocsRemote {
    pub(super) async fn upload_file(&self, up: &Upload) -> Result<Node, RemoteError> {
        crate::remote::file_body::check_file(&up.path, up.size).await?;
        let started = self.initiate(up).await?;
        let (http, timeout) = (&self.transport.http, self.transport.timeout);
        let sent = put::put(http, &started.to, &up.path, up.size, timeout).await;
        let done = match sent {
            Ok(()) => self.activate(&started).await,
            Err(e) => Err(e),
        };
        match done {
            Ok(()) => Ok(started.node),
            Err(e) => {
                if self.abandon(&started).await {
                    tracing::debug!(doc = %started.doc, "the version was activated after all");
                    return Ok(started.node);
                }
                Err(e)
            }
        }
    }

    /// InitiateDocumentVersionUpload; an answer that cannot be used is aborted at once.
    async fn initiate(&self, up: &Upload) -> Result<Started, RemoteError> {
        let mtime_ms = epoch_ms(up.modified);
        let mut body = json!({
            "ContentType": labels::content_type_with_mtime(CONTENT_TYPE, up.modified),
            "DocumentSizeInBytes": up.size,
            "ContentModifiedTimestamp": clock::ms_to_epoch_seconds(mtime_ms),
        });
        if let Some(created) = up.created {
            body["ContentCreatedTimestamp"] = json!(epoch_seconds(created));
        }
        match &up.target {
            UploadTarget::NewDocument { parent, name } => {
                body["ParentFolderId"] = json!(parent);
                body["Name"] = json!(name);
            }
            UploadTarget::NewVersion { doc } => body["Id"] = json!(doc),
        }
        // Sent again if its answer is lost: the orphan a first attempt may leave is an
        // INITIALIZED version no listing shows and no name check counts.
        let answer: wire::InitiateUpload = self
            .transport
            .post_resendable(INITIATE, "/api/v1/documents", body)
            .await?;
        let doc = answer.metadata;
        let version = doc
            .latest_version_metadata
            .as_ref()
            .map(|v| v.id.clone())
            .ok_or_else(|| wire::protocol(INITIATE, "missing LatestVersionMetadata.Id"))?;
        let new_document = matches!(up.target, UploadTarget::NewDocument { .. });
        let mut started = Started {
            doc: doc.id.clone(),
            version,
            new_document,
            to: Target {
                url: String::new(),
                headers: HeaderMap::new(),
            },
            node: Node {
                id: doc.id.clone(),
                kind: NodeKind::Document,
                name: String::new(),
                parent: None,
                size: up.size,
                // Exact: the content type carries what the millisecond timestamp cannot.
                mtime: up.modified,
                ctime: clock::ms_to_system_time(mtime_ms),
                version: None,
                recycled: false,
                role: None,
                link: None,
                digest: None,
            },
        };
        match fill(
            &mut started,
            up,
            doc,
            answer.upload_metadata,
            &self.server_urls,
        ) {
            Ok(()) => Ok(started),
            Err(Unusable(what)) => {
                self.abandon(&started).await;
                Err(wire::protocol(INITIATE, what))
            }
        }
    }

    async fn activate(&self, s: &Started) -> Result<(), RemoteError> {
        let body = json!({ "VersionStatus": "ACTIVE" });
        let path = version_path(s);
        self.transport
            .send("UpdateDocumentVersion", Method::PATCH, &path, Some(body))
            .await?;
        Ok(())
    }

    /// Aborts the version (and deletes a new document its abort left behind), best effort.
    /// True when the abort found the version ACTIVE after all: an activation whose answer was
    /// lost.
    async fn abandon(&self, s: &Started) -> bool {
        let path = version_path(s);
        let aborted = self
            .transport
            .send("AbortDocumentVersionUpload", Method::DELETE, &path, None)
            .await;
        match aborted {
            Ok(_) | Err(RemoteError::NotFound(_)) => {}
            Err(RemoteError::Conflict(_)) => {
                let v: Result<wire::GetDocumentVersion, _> =
                    self.transport.get("GetDocumentVersion", &path).await;
                if v.is_ok_and(|v| v.metadata.status.as_deref() == Some("ACTIVE")) {
                    return true;
                }
                tracing::warn!(doc = %s.doc, version = %s.version, "cannot abort the upload");
                return false;
            }
            Err(e) => {
                tracing::warn!(doc = %s.doc, version = %s.version, error = %e, "cannot abort the upload");
                return false;
            }
        }
        if s.new_document {
            self.delete_if_empty(&s.doc).await;
        }
        false
    }

    /// Deletes a document that has no ACTIVE version (a store whose abort keeps it).
    async fn delete_if_empty(&self, doc: &str) {
        let path = format!("/api/v1/documents/{}", enc(doc));
        let got: Result<wire::GetDocument, _> = self.transport.get("GetDocument", &path).await;
        let Ok(got) = got else { return };
        let latest = got.metadata.latest_version_metadata;
        if latest.is_some_and(|v| v.status.as_deref() == Some("ACTIVE")) {
            return;
        }
        let deleted = self
            .transport
            .send("DeleteDocument", Method::DELETE, &path, None)
            .await;
        if let Err(e) = deleted {
            tracing::warn!(%doc, error = %e, "cannot delete the document of a failed upload");
        }
    }
}

/// The path of the upload's version (UpdateDocumentVersion, AbortDocumentVersionUpload, …).
fn version_path(s: &Started) -> String {
    let (doc, version) = (enc(&s.doc), enc(&s.version));
    format!("/api/v1/documents/{doc}/versions/{version}")
}

/// Completes `s` from the answer: URL, headers, and the node's name, parent and times.
fn fill(
    s: &mut Started,
    up: &Upload,
    doc: wire::Document,
    upload: Option<wire::UploadMetadata>,
    server_urls: &http::ServerUrls,
) -> Result<(), Unusable> {
    let upload = upload.ok_or(Unusable("missing UploadMetadata"))?;
    let url = upload
        .upload_url
        .ok_or(Unusable("missing UploadMetadata.UploadUrl"))?;
    if !server_urls.allows(&url) {
        return Err(Unusable(
            "UploadMetadata.UploadUrl is neither https nor loopback (nor plain http to the \
             endpoint's host with --allow-insecure-http)",
        ));
    }
    s.to.url = url;
    s.to.headers = put::signed_headers(upload.signed_headers).ok_or(Unusable(
        "UploadMetadata.SignedHeaders holds a header that cannot be sent",
    ))?;
    let latest = doc.latest_version_metadata;
    s.node.name = match &up.target {
        UploadTarget::NewDocument { name, .. } => name.clone(),
        UploadTarget::NewVersion { .. } => latest
            .and_then(|v| v.name)
            .ok_or(Unusable("missing LatestVersionMetadata.Name"))?,
    };
    s.node.parent = match &up.target {
        UploadTarget::NewDocument { parent, .. } => doc.parent_folder_id.or(Some(parent.clone())),
        UploadTarget::NewVersion { .. } => doc.parent_folder_id,
    };
    let created = wire::time(INITIATE, "CreatedTimestamp", doc.created_timestamp);
    if let Ok(Some(ctime)) = created {
        s.node.ctime = ctime;
    }
    s.node.version = Some(s.version.clone());
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_are_truncated_to_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_999_999);
        assert_eq!(epoch_ms(t), 1_700_000_000_123);
        assert_eq!(epoch_seconds(t), 1_700_000_000.123);
        let before = UNIX_EPOCH - Duration::from_nanos(1_500_000);
        assert_eq!(epoch_ms(before), -2);
    }
}
