//! [`LogicalDocRemote`]: the [`Remote`] of LogicalDOC's REST web services (9.x; 8.9.3+ for
//! paginated document lists), as real servers and `docsfs serve` speak them. It owns the
//! translation of the trait's reading operations: the tree starts at the root folder (id 5),
//! whose children are the workspaces; a folder lists as its subfolders (`folder/listChildren`)
//! then its documents page by page (`document/listPaginated`, stopping at a short or repeated
//! page); folder aliases become links to their target's path; the caller's role on a folder is
//! `folder/isWritable`; reads go through the `/download` servlet, which honours Range. `session`
//! owns credentials and retries, `json` the tolerant parsing, `wire` the shapes, `errors` the
//! error mapping, `writes` and `upload` the changes, `trash` the recycle-bin record.

mod config;
pub(crate) mod errors;
pub(crate) mod json;
mod metadata;
pub(crate) mod session;
mod sharing;
mod trash;
mod upload;
mod versions;
pub(crate) mod wire;
mod writes;

use std::ops::Range;

use futures_util::StreamExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

pub use config::{ConfigError, LogicalDocAuth, LogicalDocConfig};

use crate::remote::http::{self, Opened};
use crate::remote::{
    ActivityEntry, ByteStream, Collection, ItemMetadata, Node, NodeKind, Page, Relocation, Remote,
    RemoteError, RemoteId, Role, Roots, Share, ShareRequest, Upload, Version,
};
use session::Session;

/// Documents asked for per page.
const PAGE: usize = 1000;
/// Role checks in flight at once while listing a folder's subfolders.
const ROLE_CHECKS: usize = 8;

const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(s, COMPONENT)
}

/// A LogicalDOC id from the model's string; anything else names nothing.
fn number(id: &str) -> Result<i64, RemoteError> {
    id.parse()
        .map_err(|_| RemoteError::NotFound(format!("{id:?} is not a LogicalDOC id")))
}

/// Where a folder listing resumes: the document page to fetch next, and the first id of the
/// page before it (a repeat means the server ignored the paging).
fn doc_marker(page: usize, first: &str) -> String {
    format!("documents:{page}:{first}")
}

fn parse_marker(m: &str) -> Option<(usize, &str)> {
    let rest = m.strip_prefix("documents:")?;
    let (page, first) = rest.split_once(':')?;
    Some((page.parse().ok()?, first))
}

/// A LogicalDOC API client implementing [`Remote`].
pub struct LogicalDocRemote {
    session: Session,
    endpoint: String,
    trash: Option<trash::Trash>,
}

impl std::fmt::Debug for LogicalDocRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogicalDocRemote")
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.session.timeout)
            .finish_non_exhaustive()
    }
}

impl LogicalDocRemote {
    /// Checks the configuration, opens the recycle-bin record and sets up the HTTP client;
    /// sends nothing.
    pub fn new(config: LogicalDocConfig) -> Result<Self, ConfigError> {
        let base = http::endpoint_base_with(&config.endpoint, config.allow_insecure_http)?;
        if config.timeout.is_zero() {
            return Err(ConfigError::Timeout);
        }
        let client =
            http::client(config.timeout).map_err(|e| ConfigError::Client(e.to_string()))?;
        let session = Session::new(client, base.clone(), &config.auth, config.timeout)?;
        let trash = match &config.trash_dir {
            Some(dir) => Some(
                trash::Trash::open(dir)
                    .map_err(|e| ConfigError::Trash(format!("{}: {e}", dir.display())))?,
            ),
            None => None,
        };
        Ok(Self {
            session,
            endpoint: base,
            trash,
        })
    }

    /// Requests sent so far, retries and logins included (content downloads are not counted).
    pub fn api_calls(&self) -> u64 {
        self.session.calls()
    }

    /// GETs `rest/{path}` (query included, already encoded) and parses the JSON answer (an
    /// empty answer, LogicalDOC's `null`, is `Value::Null`).
    async fn get_json(&self, op: &'static str, path: &str) -> Result<Value, RemoteError> {
        let url = self.session.rest_url(path);
        let body = self.session.send(op, true, |c| c.get(&url)).await?;
        parse_json(op, &body)
    }

    async fn get_bool(&self, op: &'static str, path: &str) -> Result<bool, RemoteError> {
        let url = self.session.rest_url(path);
        let body = self.session.send(op, true, |c| c.get(&url)).await?;
        json::boolean_answer(&body).ok_or_else(|| wire::protocol(op, "the answer is not a boolean"))
    }

    /// The document `id` as the server describes it now.
    async fn document(&self, id: &str) -> Result<Value, RemoteError> {
        let path = format!("document/getDocument?docId={}", number(id)?);
        self.described("document/getDocument", &path, "document", id)
            .await
    }

    /// An item's description from `path` (`op`); no such `what` (a null answer, or a 401: a
    /// missing or unreadable item is answered as bad credentials are) is NotFound.
    async fn described(
        &self,
        op: &'static str,
        path: &str,
        what: &str,
        id: &str,
    ) -> Result<Value, RemoteError> {
        let v = self.get_json(op, path).await.map_err(|e| match e {
            RemoteError::Unauthenticated(m) => RemoteError::NotFound(m),
            other => other,
        })?;
        if v.is_null() {
            return Err(RemoteError::NotFound(format!("{op}: no {what} {id}")));
        }
        Ok(v)
    }

    /// The caller's role on folder `id`.
    async fn folder_role(&self, id: i64) -> Result<Role, RemoteError> {
        let writable = self
            .get_bool(
                "folder/isWritable",
                &format!("folder/isWritable?folderId={id}"),
            )
            .await?;
        Ok(if writable {
            Role::Contributor
        } else {
            Role::Viewer
        })
    }

    /// The path of folder `id` from the root of the tree (the root itself left out).
    async fn folder_path(&self, id: i64) -> Result<Vec<String>, RemoteError> {
        const OP: &str = "folder/getPath";
        let v = self
            .get_json(OP, &format!("folder/getPath?folderId={id}"))
            .await?;
        let mut names = Vec::new();
        for f in json::items(&v) {
            if json::int(f, "id") == Some(wire::ROOT) {
                continue;
            }
            let name = json::string(f, "name").filter(|n| !n.is_empty());
            names.push(name.ok_or_else(|| wire::protocol(OP, "a folder without a name"))?);
        }
        Ok(names)
    }

    /// The subfolders (and aliases) of `folder`, with the caller's role on each.
    async fn subfolders(&self, folder: i64) -> Result<Vec<Node>, RemoteError> {
        const OP: &str = "folder/listChildren";
        let v = self
            .get_json(OP, &format!("folder/listChildren?folderId={folder}"))
            .await?;
        let mut found = Vec::new();
        for item in json::items(&v) {
            if let Some(node) = wire::folder(OP, item)? {
                found.push((node, wire::alias_target(item)));
            }
        }
        let completed = futures_util::stream::iter(
            found
                .into_iter()
                .map(|(node, target)| async move { self.complete_folder(node, target).await }),
        )
        .buffered(ROLE_CHECKS)
        .collect::<Vec<_>>()
        .await;
        completed.into_iter().collect()
    }

    /// A listed folder with its role, or a listed alias with its target's path.
    async fn complete_folder(
        &self,
        mut node: Node,
        target: Option<i64>,
    ) -> Result<Node, RemoteError> {
        match (node.kind, target) {
            (NodeKind::Link, Some(target)) => match self.folder_path(target).await {
                // An empty path (the target is gone): a dangling link, not one to the root.
                Ok(path) if path.is_empty() => {}
                Ok(path) => node.link = Some(path),
                // A target the caller cannot see: a dangling link.
                Err(e) => tracing::debug!(alias = %node.id, error = %e, "alias target unknown"),
            },
            _ => node.role = Some(self.folder_role(number(&node.id)?).await?),
        }
        Ok(node)
    }

    /// One page of documents of `folder`; `None` when it repeats the page before (the server
    /// ignored the paging because everything fit in one page).
    async fn documents(
        &self,
        folder: i64,
        page: usize,
        before: Option<&str>,
    ) -> Result<Option<Vec<Node>>, RemoteError> {
        const OP: &str = "document/listPaginated";
        let path = format!(
            "document/listPaginated?folderId={folder}&page={page}&max={PAGE}&sort={}",
            enc("fileName asc")
        );
        let v = self.get_json(OP, &path).await?;
        let items = json::items(&v);
        let first = items
            .first()
            .and_then(|d| json::int(d, "id"))
            .map(|i| i.to_string());
        if before.is_some() && first.as_deref() == before {
            return Ok(None);
        }
        let mut nodes = Vec::with_capacity(items.len());
        for d in items {
            let mut node = wire::document(OP, d)?;
            // Live again (restored elsewhere, e.g. in the web interface): not in the bin.
            if let Some(trash) = &self.trash {
                if trash.get(&node.id).is_some() {
                    trash.forget(&node.id)?;
                }
            }
            // Checked out or locked: the API does not say who the caller is, so the document
            // is read-only through the mount whoever holds it. Immutable ones are, too, and
            // document aliases (a write would reach the original).
            let alias = json::int(d, "docRef").is_some();
            if wire::lock_holder(d).is_some() || json::flag(d, "immutable") == Some(true) || alias {
                node.role = Some(Role::Viewer);
            }
            nodes.push(node);
        }
        Ok(Some(nodes))
    }

    async fn folder_page(&self, id: &str, marker: Option<&str>) -> Result<Page, RemoteError> {
        let folder = number(id)?;
        let (page, before, mut items) = match marker {
            None => {
                let folders = self.subfolders(folder).await?;
                // The root holds workspaces only.
                if folder == wire::ROOT {
                    return Ok(Page {
                        items: folders,
                        next_marker: None,
                    });
                }
                (1, None, folders)
            }
            Some(m) => {
                let (page, first) = parse_marker(m)
                    .ok_or_else(|| RemoteError::Invalid(format!("bad listing marker {m:?}")))?;
                (page, Some(first), Vec::new())
            }
        };
        let docs = self
            .documents(folder, page, before)
            .await?
            .unwrap_or_default();
        let next_marker = match docs.first() {
            Some(first) if docs.len() >= PAGE => Some(doc_marker(page + 1, &first.id)),
            _ => None,
        };
        items.extend(docs);
        Ok(Page { items, next_marker })
    }
}

/// A JSON answer; an empty body (a `null` result, 204) is `Value::Null`.
pub fn parse_json(op: &str, body: &[u8]) -> Result<Value, RemoteError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&json::quote_text_numbers(body))
        .map_err(|e| wire::protocol(op, &format!("the answer is not JSON: {e}")))
}

impl Remote for LogicalDocRemote {
    async fn roots(&self) -> Result<Roots, RemoteError> {
        const OP: &str = "folder/getRootFolder";
        let root = self.get_json(OP, "folder/getRootFolder").await;
        match root {
            Ok(v) if json::int(&v, "id") == Some(wire::ROOT) => Ok(Roots {
                user_id: None,
                root: wire::ROOT.to_string(),
                has_recycle_bin: self.trash.is_some(),
                has_shared_with_me: false,
                root_role: Role::Viewer,
            }),
            Ok(_) => Err(wire::protocol(OP, "the root folder is not folder 5")),
            Err(RemoteError::Unauthenticated(m)) => Err(RemoteError::Unauthenticated(format!(
                "the credentials were refused ({m})"
            ))),
            Err(e) => Err(e),
        }
    }

    async fn list(&self, what: &Collection, marker: Option<&str>) -> Result<Page, RemoteError> {
        match what {
            Collection::Folder(id) => self.folder_page(id, marker).await,
            Collection::RecycleBin => match &self.trash {
                Some(trash) => Ok(Page {
                    items: trash.nodes(),
                    next_marker: None,
                }),
                None => Err(RemoteError::Unsupported("no recycle-bin record".into())),
            },
            Collection::SharedWithMe => Err(RemoteError::Unsupported(
                "LogicalDOC shows shared folders as workspaces".into(),
            )),
        }
    }

    async fn role(&self, id: &RemoteId) -> Result<Role, RemoteError> {
        self.folder_role(number(id)?).await
    }

    async fn versions(&self, doc: &RemoteId) -> Result<Vec<Version>, RemoteError> {
        self.document_versions(doc).await
    }

    async fn read(
        &self,
        doc: &RemoteId,
        version: &str,
        range: Range<u64>,
    ) -> Result<ByteStream, RemoteError> {
        if range.start >= range.end {
            return Ok(http::empty());
        }
        // A deleted document's content is served by no method (the servlet answers 500, which
        // the download would retry until the deadline): say so at once.
        if self.trash.as_ref().is_some_and(|t| t.get(doc).is_some()) {
            return Err(RemoteError::Unsupported(format!(
                "document {doc} is in the recycle bin; LogicalDOC serves its content once restored"
            )));
        }
        let url = self.session.download_url(&format!(
            "docId={}&fileVersion={}",
            number(doc)?,
            enc(version)
        ));
        match self
            .session
            .open_range(&url, range.start, range.end)
            .await?
        {
            Opened::Stream(s) => Ok(s),
            Opened::Empty => Ok(http::empty()),
            Opened::Refused => Err(RemoteError::Denied(format!(
                "download: document {doc} version {version} was refused"
            ))),
        }
    }

    async fn create_folder(&self, parent: &RemoteId, name: &str) -> Result<Node, RemoteError> {
        self.create_folder_in(parent, name).await
    }

    async fn relocate(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        self.relocate_item(id, kind, to).await
    }

    async fn recycle(&self, id: &RemoteId, kind: NodeKind) -> Result<(), RemoteError> {
        self.recycle_item(id, kind).await
    }

    async fn restore(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        to: &Relocation,
    ) -> Result<(), RemoteError> {
        self.restore_item(id, kind, to).await
    }

    async fn delete(&self, id: &RemoteId, kind: NodeKind) -> Result<(), RemoteError> {
        self.delete_item(id, kind).await
    }

    async fn upload(&self, upload: &Upload) -> Result<Node, RemoteError> {
        self.upload_file(upload).await
    }

    async fn set_mtime(
        &self,
        doc: &RemoteId,
        version: &str,
        mtime: std::time::SystemTime,
    ) -> Result<(), RemoteError> {
        self.set_version_mtime(doc, version, mtime).await
    }

    async fn shares(&self, id: &RemoteId, kind: NodeKind) -> Result<Vec<Share>, RemoteError> {
        self.folder_shares(id, kind).await
    }

    async fn share(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        request: &ShareRequest,
    ) -> Result<(), RemoteError> {
        self.share_folder(id, kind, request).await
    }

    async fn unshare(&self, id: &RemoteId, kind: NodeKind, with: &str) -> Result<(), RemoteError> {
        self.unshare_folder(id, kind, with).await
    }

    async fn activity(
        &self,
        _item: Option<(&RemoteId, NodeKind)>,
        _since: Option<std::time::SystemTime>,
        _limit: usize,
    ) -> Result<Vec<ActivityEntry>, RemoteError> {
        Err(RemoteError::Unsupported(sharing::NO_HISTORY.into()))
    }

    async fn metadata(&self, id: &RemoteId, kind: NodeKind) -> Result<ItemMetadata, RemoteError> {
        self.item_metadata(id, kind).await
    }

    async fn set_labels(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        labels: &[String],
    ) -> Result<(), RemoteError> {
        self.replace_tags(id, kind, labels).await
    }

    async fn set_custom(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), RemoteError> {
        self.write_attribute(id, kind, key, value).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let m = doc_marker(3, "104");
        assert_eq!(parse_marker(&m), Some((3, "104")));
        assert_eq!(parse_marker("x"), None);
        assert!(number("f1").is_err());
    }
}
