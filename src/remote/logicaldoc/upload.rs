//! Uploads to LogicalDOC, each one request that makes the version or nothing, so that `close`
//! means what it means on WorkDocs. A new document is `document/create` (multipart: the
//! `document` description, with the mtime tag, and the `content`); a new version is
//! `document/upload` with `docId` and `release=false` (a minor version: 1.0 → 1.1), then the
//! mtime tag through `document/update`. The bytes stream from the spool file. LogicalDOC
//! stores a new document under `base(1).ext` when the name is taken, so a create first asks
//! whether the name is free (`document/listDocuments`), and a copy made anyway (another client
//! took the name in between) is deleted again; either way the upload is AlreadyExists, as
//! WorkDocs would refuse it.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::{LogicalDocRemote, json, number, wire};
use crate::remote::file_body::{MIN_RATE, check_file, exactly, local};
use crate::remote::{Node, RemoteError, Upload, UploadTarget, labels};

/// The version a new document starts at.
const FIRST_VERSION: &str = "1.0";

/// What a failed file read while sending left behind (the stream records it).
type Failure = Arc<Mutex<Option<String>>>;

/// The multipart part carrying the first `size` bytes of `path`.
fn file_part(path: &Path, size: u64, name: &str, failure: &Failure) -> Part {
    let body = match std::fs::File::open(path) {
        Ok(f) => {
            reqwest::Body::wrap_stream(exactly(tokio::fs::File::from_std(f), size, failure.clone()))
        }
        Err(e) => {
            let what = format!("cannot open the file: {e}");
            *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(what.clone());
            reqwest::Body::wrap_stream(futures_util::stream::once(async move {
                Err::<bytes::Bytes, _>(std::io::Error::other(what))
            }))
        }
    };
    Part::stream_with_length(body, size)
        .file_name(name.to_owned())
        .mime_str("application/octet-stream")
        .expect("a valid MIME type")
}

fn failed_locally(failure: &Failure) -> Option<RemoteError> {
    let what = failure.lock().unwrap_or_else(|p| p.into_inner()).take();
    what.map(|w| local(&w))
}

impl LogicalDocRemote {
    /// The time one upload of `size` bytes may take.
    fn upload_budget(&self, size: u64) -> Duration {
        self.session.timeout + Duration::from_secs_f64(size as f64 / MIN_RATE as f64)
    }

    pub(super) async fn upload_file(&self, up: &Upload) -> Result<Node, RemoteError> {
        check_file(&up.path, up.size).await?;
        match &up.target {
            UploadTarget::NewDocument { parent, name } => {
                self.create_document(up, parent, name).await
            }
            UploadTarget::NewVersion { doc } => self.new_version(up, doc).await,
        }
    }

    async fn create_document(
        &self,
        up: &Upload,
        parent: &str,
        name: &str,
    ) -> Result<Node, RemoteError> {
        const OP: &str = "document/create";
        if self.name_taken(parent, name, None).await? {
            return Err(RemoteError::AlreadyExists(format!(
                "{OP}: {name:?} is taken in folder {parent}"
            )));
        }
        let mut tags = Vec::new();
        tags.extend(labels::mtime_label(up.modified, FIRST_VERSION));
        let description = json!({
            "folderId": number(parent)?,
            "fileName": name,
            "language": "en",
            "tags": tags,
        })
        .to_string();
        let url = self.session.rest_url("document/create");
        let failure: Failure = Arc::default();
        let sent = self
            .session
            .send_within(OP, false, self.upload_budget(up.size), |c| {
                let document = Part::text(description.clone())
                    .mime_str("application/json")
                    .expect("a valid MIME type");
                let form = Form::new()
                    .part("document", document)
                    .part("content", file_part(&up.path, up.size, name, &failure));
                c.post(&url).multipart(form)
            })
            .await;
        if let Some(e) = failed_locally(&failure) {
            return Err(e);
        }
        let v = match sent {
            Ok(answer) => super::parse_json(OP, &answer)?,
            // The answer was lost after the request went out: the server may have made the
            // document. It is not sent again (that would store a `name(1)` copy); it is looked
            // for.
            Err(e) if e.is_transient() => self.created_anyway(parent, name, up).await.ok_or(e)?,
            Err(e) => return Err(e),
        };
        let mut node = wire::document(OP, &v)?;
        if node.name != name {
            // The name was taken (by an item this mount had not seen): undo the copy.
            if let Err(e) = self.recycle_quietly(&node.id).await {
                tracing::warn!(doc = %node.id, error = %e, "cannot delete a duplicate upload");
            }
            return Err(RemoteError::AlreadyExists(format!(
                "{OP}: {name:?} is taken in folder {parent}"
            )));
        }
        match node.version.as_deref() {
            Some(FIRST_VERSION) => node.mtime = up.modified,
            Some(version) => {
                let version = version.to_owned();
                match self.tag_mtime(v, &version, up.modified).await {
                    Ok(()) => node.mtime = up.modified,
                    Err(e) => tracing::warn!(error = %e, "cannot record the mtime of an upload"),
                }
            }
            None => {}
        }
        Ok(node)
    }

    /// After a `document/create` whose answer was lost: the document it made, if it made one —
    /// named `name` in `parent`, of the size sent, and tagged with this upload's mtime (to the
    /// nanosecond, which no other upload carries).
    async fn created_anyway(&self, parent: &str, name: &str, up: &Upload) -> Option<Value> {
        let tag = labels::mtime_label(up.modified, FIRST_VERSION)?;
        let path = format!(
            "document/listDocuments?folderId={}&fileName={}",
            number(parent).ok()?,
            super::enc(name)
        );
        let listed = self.get_json("document/listDocuments", &path).await.ok()?;
        for item in json::items(&listed) {
            if json::string(item, "fileName").as_deref() != Some(name) {
                continue;
            }
            let Some(id) = json::int(item, "id") else {
                continue;
            };
            let doc = self.document(&id.to_string()).await.ok()?;
            let size = json::int(&doc, "fileSize").and_then(|s| u64::try_from(s).ok());
            if size == Some(up.size) && json::strings(&doc, "tags").contains(&tag) {
                tracing::info!(
                    doc = id,
                    "document/create: the answer was lost, but the document was made"
                );
                return Some(doc);
            }
        }
        None
    }

    /// Whether a document of folder `parent` other than `except` is named `name` (LogicalDOC
    /// compares names without case). Asked before a create, move or rename, so that a taken
    /// name costs no stray `name(1)` copy.
    pub(super) async fn name_taken(
        &self,
        parent: &str,
        name: &str,
        except: Option<&str>,
    ) -> Result<bool, RemoteError> {
        const OP: &str = "document/listDocuments";
        let path = format!(
            "document/listDocuments?folderId={}&fileName={}",
            number(parent)?,
            super::enc(name)
        );
        let v = self.get_json(OP, &path).await?;
        let lower = name.to_lowercase();
        Ok(json::items(&v).iter().any(|d| {
            let other = json::int(d, "id").map(|i| i.to_string());
            other.as_deref() != except
                && json::string(d, "fileName").is_some_and(|n| n.to_lowercase() == lower)
        }))
    }

    /// `document/delete` without a recycle-bin record (the item was never the caller's).
    async fn recycle_quietly(&self, id: &str) -> Result<(), RemoteError> {
        let url = self
            .session
            .rest_url(&format!("document/delete?docId={}", number(id)?));
        self.session
            .send("document/delete", false, |c| c.delete(&url))
            .await
            .map(drop)
    }

    async fn new_version(&self, up: &Upload, doc: &str) -> Result<Node, RemoteError> {
        const OP: &str = "document/upload";
        let current = self.document(doc).await?;
        let name = json::string(&current, "fileName").ok_or_else(|| {
            wire::protocol("document/getDocument", "a document without a fileName")
        })?;
        let id = number(doc)?.to_string();
        let url = self.session.rest_url("document/upload");
        let failure: Failure = Arc::default();
        let sent = self
            .session
            .send_within(OP, false, self.upload_budget(up.size), |c| {
                let form = Form::new()
                    .text("docId", id.clone())
                    .text("filename", name.clone())
                    .text("release", "false")
                    .part("filedata", file_part(&up.path, up.size, &name, &failure));
                c.post(&url).multipart(form)
            })
            .await;
        if let Some(e) = failed_locally(&failure) {
            return Err(e);
        }
        if json::id_answer(&sent?) != Some(number(doc)?) {
            return Err(wire::protocol(OP, "the answer names another document"));
        }
        let after = self.document(doc).await?;
        let mut node = wire::document("document/getDocument", &after)?;
        if let Some(version) = node.version.clone() {
            match self.tag_mtime(after, &version, up.modified).await {
                Ok(()) => node.mtime = up.modified,
                Err(e) => tracing::warn!(error = %e, "cannot record the mtime of an upload"),
            }
        }
        Ok(node)
    }
}
