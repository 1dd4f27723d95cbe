//! [`WorkDocsRemote`]: the [`Remote`] of the Amazon WorkDocs REST API (and of `docsfs serve`,
//! which speaks it). It owns the translation of the trait's reading operations into API calls —
//! who the caller is, folder / recycle-bin / shared-with-me listings, the caller's role, ranged
//! reads through signed content URLs — while `transport` owns authentication and the API calls'
//! retries, `wire` the JSON shapes, `errors` the error mapping, `content` the URL cache,
//! `writes` the tree changes, `upload` and `put` the uploads. Shared with the other clients:
//! `remote/http.rs` (time budgets, retries, ranged downloads) and `remote/labels.rs`.

mod activity;
mod config;
pub(crate) mod content;
pub(crate) mod errors;
mod feed;
mod metadata;
pub(crate) mod put;
mod sharing;
mod transport;
mod upload;
mod versions;
pub(crate) mod wire;
mod writes;

use std::ops::Range;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::sync::OnceCell;

pub use config::{ConfigError, WorkDocsAuth, WorkDocsConfig};

use crate::remote::http::{self, Deadline, Opened};
use crate::remote::{
    ActivityEntry, ByteStream, ChangeBatch, Collection, FeedCursor, ItemMetadata, Node, NodeKind,
    Page, Relocation, Remote, RemoteError, RemoteId, Role, Roots, Share, ShareRequest, Upload,
    UploadTarget, Version,
};
use content::{Source, UrlCache};
use transport::{Credentials, Transport};

/// Everything but RFC 3986's unreserved characters is escaped in path segments and query values
/// (`+` too: servers decode it as a space in queries).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn enc(s: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(s, COMPONENT)
}

/// `&marker=…` for a page after the first.
fn marker_param(marker: Option<&str>) -> String {
    marker.map_or_else(String::new, |m| format!("&marker={}", enc(m)))
}

/// The caller as GetCurrentUser describes it (user-token mode).
struct Identity {
    user_id: String,
    username: Option<String>,
    root: String,
    recycle_bin: Option<String>,
    organization: Option<String>,
}

/// A WorkDocs API client implementing [`Remote`].
pub struct WorkDocsRemote {
    transport: Transport,
    endpoint: String,
    /// Admin mode: the folder the tree starts at.
    admin_root: Option<String>,
    identity: OnceCell<Identity>,
    urls: UrlCache,
    /// Which signed content and upload URLs the server's answers may hand out.
    server_urls: http::ServerUrls,
    /// Documents this client created, with the mtime labels it gave them since: their labels
    /// are known, so recording an mtime needs no GetDocument (`writes.rs`).
    created: std::sync::Mutex<lru::LruCache<RemoteId, CreatedDoc>>,
    /// User names by user id, as DescribeUsers gave them (`metadata.rs`).
    user_names: std::sync::Mutex<lru::LruCache<String, String>>,
}

/// What this client knows of a document it created.
struct CreatedDoc {
    version: String,
    labels: Vec<String>,
}

/// Documents remembered in [`WorkDocsRemote::created`].
const CREATED_REMEMBERED: usize = 4096;

impl std::fmt::Debug for WorkDocsRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkDocsRemote")
            .field("endpoint", &self.endpoint)
            .field("admin", &self.transport.is_admin())
            .field("timeout", &self.transport.timeout)
            .finish_non_exhaustive()
    }
}

impl WorkDocsRemote {
    /// Checks the configuration and sets up the HTTP client; sends nothing.
    pub fn new(config: WorkDocsConfig) -> Result<Self, ConfigError> {
        let (base, server_urls) = config::endpoint_base(&config)?;
        if config.timeout.is_zero() {
            return Err(ConfigError::Timeout);
        }
        let (credentials, admin_root) = match config.auth {
            WorkDocsAuth::Token(token) => (Credentials::Token(config::token_header(&token)?), None),
            WorkDocsAuth::Admin {
                key,
                root_folder_id,
            } => {
                if root_folder_id.trim().is_empty() {
                    return Err(ConfigError::RootFolder);
                }
                let region = match config.region.trim() {
                    "" => crate::sigv4::DEFAULT_REGION.to_owned(),
                    r => r.to_owned(),
                };
                (Credentials::Admin { key, region }, Some(root_folder_id))
            }
        };
        let http = http::client(config.timeout).map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self {
            transport: Transport::new(http, base.clone(), credentials, config.timeout),
            endpoint: base,
            admin_root,
            identity: OnceCell::new(),
            urls: UrlCache::default(),
            server_urls,
            created: std::sync::Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(CREATED_REMEMBERED).expect("non-zero"),
            )),
            user_names: std::sync::Mutex::new(lru::LruCache::new(
                std::num::NonZeroUsize::new(metadata::NAMES_REMEMBERED).expect("non-zero"),
            )),
        })
    }

    /// API requests sent so far, retries included (content downloads are not counted).
    pub fn api_calls(&self) -> u64 {
        self.transport.calls()
    }

    /// GetCurrentUser, once. Any refusal here means the credentials are bad: WorkDocs answers a
    /// wrong token with the same `UnauthorizedResourceAccessException` as a missing share.
    async fn identity(&self) -> Result<&Identity, RemoteError> {
        self.identity
            .get_or_try_init(|| async {
                let me: wire::GetCurrentUser = self
                    .transport
                    .get("GetCurrentUser", "/api/v1/me")
                    .await
                    .map_err(|e| match e {
                        RemoteError::Denied(m) | RemoteError::Unauthenticated(m) => {
                            RemoteError::Unauthenticated(format!("the token was refused ({m})"))
                        }
                        other => other,
                    })?;
                let u = me.user;
                Ok(Identity {
                    user_id: u.id,
                    username: u.username.filter(|n| !n.is_empty()),
                    root: u.root_folder_id,
                    recycle_bin: u.recycle_bin_folder_id.filter(|b| !b.is_empty()),
                    organization: u.organization_id.filter(|o| !o.is_empty()),
                })
            })
            .await
    }

    async fn folder_page(
        &self,
        folder: &str,
        marker: Option<&str>,
        recycled: bool,
    ) -> Result<Page, RemoteError> {
        const OP: &str = "DescribeFolderContents";
        let target = format!(
            "/api/v1/folders/{}/contents?limit=999&sort=NAME&order=ASCENDING&type=ALL{}",
            enc(folder),
            marker_param(marker)
        );
        let listing: wire::Listing = self.transport.get(OP, &target).await?;
        let next_marker = wire::next_marker(listing.marker.clone());
        Ok(Page {
            items: listing.into_nodes(OP, recycled)?,
            next_marker,
        })
    }

    /// The best role `principal` holds on `id` per DescribeResourcePermissions (all pages).
    async fn role_of_principal(
        &self,
        id: &str,
        principal: &str,
    ) -> Result<Option<Role>, RemoteError> {
        let mut best = None;
        let mut marker: Option<String> = None;
        loop {
            let target = format!(
                "/api/v1/resources/{}/permissions?principalId={}&limit=999{}",
                enc(id),
                enc(principal),
                marker_param(marker.as_deref())
            );
            let page: wire::Permissions = self
                .transport
                .get("DescribeResourcePermissions", &target)
                .await?;
            for p in page
                .principals
                .into_iter()
                .flatten()
                .filter(|p| p.id == principal)
            {
                let roles = p.roles.into_iter().flatten();
                let roles = roles.filter_map(|r| r.role.as_deref().and_then(wire::role));
                best = best.max(roles.max());
            }
            match wire::next_marker(page.marker) {
                Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
                _ => return Ok(best),
            }
        }
    }

    /// GetDocumentVersion with `fields=SOURCE`: the download URL and size of a version.
    async fn source(&self, doc: &str, version: &str) -> Result<Source, RemoteError> {
        const OP: &str = "GetDocumentVersion";
        let target = format!(
            "/api/v1/documents/{}/versions/{}?fields=SOURCE",
            enc(doc),
            enc(version)
        );
        let v: wire::GetDocumentVersion = self.transport.get(OP, &target).await?;
        let mut sources = v.metadata.source.unwrap_or_default();
        let url = sources
            .remove("ORIGINAL")
            .ok_or_else(|| wire::protocol(OP, "no Source.ORIGINAL"))?;
        // The URL is a capability: TLS unless it stays on this machine (or, with
        // --allow-insecure-http, goes to the endpoint's own host).
        if !self.server_urls.allows(&url) {
            return Err(wire::protocol(
                OP,
                "Source.ORIGINAL is neither https nor loopback (nor plain http to the endpoint's \
                 host with --allow-insecure-http)",
            ));
        }
        Ok(Source {
            url,
            size: v.metadata.size,
        })
    }
}

impl Remote for WorkDocsRemote {
    async fn roots(&self) -> Result<Roots, RemoteError> {
        if let Some(root) = &self.admin_root {
            let target = format!("/api/v1/folders/{}", enc(root));
            let folder: Result<wire::GetFolder, _> = self.transport.get("GetFolder", &target).await;
            return match folder {
                Ok(f) if f.metadata.id != *root => Err(wire::protocol(
                    "GetFolder",
                    "the answer is about another folder",
                )),
                Ok(_) => Ok(Roots {
                    user_id: None,
                    root: root.clone(),
                    has_recycle_bin: false,
                    has_shared_with_me: false,
                    root_role: Role::Owner,
                }),
                // An admin key may read any folder: a refusal is about the key.
                Err(RemoteError::Denied(m) | RemoteError::Unauthenticated(m)) => Err(
                    RemoteError::Unauthenticated(format!("the admin key was refused ({m})")),
                ),
                Err(e) => Err(e),
            };
        }
        let me = self.identity().await?;
        Ok(Roots {
            user_id: Some(me.user_id.clone()),
            root: me.root.clone(),
            has_recycle_bin: true,
            has_shared_with_me: true,
            root_role: Role::Owner,
        })
    }

    async fn list(&self, what: &Collection, marker: Option<&str>) -> Result<Page, RemoteError> {
        let no_user = |what: &str| {
            RemoteError::Unsupported(format!("an admin key has no user, hence no {what}"))
        };
        match what {
            Collection::Folder(id) => self.folder_page(id, marker, false).await,
            Collection::RecycleBin if self.admin_root.is_some() => Err(no_user("recycle bin")),
            Collection::RecycleBin => {
                let bin = self.identity().await?.recycle_bin.clone();
                let bin = bin.ok_or_else(|| {
                    RemoteError::Unsupported("the user has no recycle bin".into())
                })?;
                self.folder_page(&bin, marker, true).await
            }
            Collection::SharedWithMe if self.admin_root.is_some() => {
                Err(no_user("shared-with-me collection"))
            }
            Collection::SharedWithMe => {
                const OP: &str = "GetResources";
                let target = format!(
                    "/api/v1/resources?collectionType=SHARED_WITH_ME&limit=999{}",
                    marker_param(marker)
                );
                let listing: wire::Listing = self.transport.get(OP, &target).await?;
                let next_marker = wire::next_marker(listing.marker.clone());
                Ok(Page {
                    items: listing.into_nodes(OP, false)?,
                    next_marker,
                })
            }
        }
    }

    async fn role(&self, id: &RemoteId) -> Result<Role, RemoteError> {
        if self.admin_root.is_some() {
            return Ok(Role::Owner);
        }
        let me = self.identity().await?;
        let mut best = self.role_of_principal(id, &me.user_id).await?;
        // Organization-wide shares are listed under the organization, not under the user.
        if let (None, Some(org)) = (best, &me.organization) {
            best = self.role_of_principal(id, org).await?;
        }
        best.ok_or_else(|| RemoteError::Denied(format!("the caller has no role on {id}")))
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
        let timeout = self.transport.timeout;
        let mut refreshed = false;
        loop {
            let source = match self.urls.get(doc, version) {
                Some(s) => s,
                None => {
                    let s = self.source(doc, version).await?;
                    self.urls.put(doc, version, &s);
                    s
                }
            };
            let end = source.size.map_or(range.end, |size| range.end.min(size));
            if range.start >= end {
                return Ok(http::empty());
            }
            let deadline = Deadline::after(timeout);
            let client = &self.transport.http;
            let url = source.url.as_str();
            match http::open(
                || client.get(url),
                (range.start, end),
                deadline,
                timeout,
                http::ServerErrors::Transient,
            )
            .await?
            {
                Opened::Stream(s) => return Ok(s),
                Opened::Empty => return Ok(http::empty()),
                Opened::Refused if !refreshed => {
                    tracing::debug!(%doc, version, "content URL refused; fetching a fresh one");
                    self.urls.forget(doc, version);
                    refreshed = true;
                }
                Opened::Refused => {
                    return Err(RemoteError::Denied(format!(
                        "download: the content URL of {doc} version {version} was refused"
                    )));
                }
            }
        }
    }

    async fn create_folder(&self, parent: &RemoteId, name: &str) -> Result<Node, RemoteError> {
        self.create_folder_at(parent, name).await
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
        let node = self.upload_file(upload).await?;
        if let Some(version) = &node.version {
            let mut created = self.created.lock().expect("created lock");
            match &upload.target {
                UploadTarget::NewDocument { .. } => {
                    let known = CreatedDoc {
                        version: version.clone(),
                        labels: Vec::new(),
                    };
                    created.put(node.id.clone(), known);
                }
                UploadTarget::NewVersion { doc } => {
                    if let Some(known) = created.get_mut(doc) {
                        known.version = version.clone();
                    }
                }
            }
        }
        Ok(node)
    }

    async fn set_mtime(
        &self,
        doc: &RemoteId,
        version: &str,
        mtime: std::time::SystemTime,
    ) -> Result<(), RemoteError> {
        self.set_version_mtime(doc, version, mtime).await
    }

    async fn versions(&self, doc: &RemoteId) -> Result<Vec<Version>, RemoteError> {
        self.document_versions(doc).await
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
        self.replace_labels(id, kind, labels).await
    }

    async fn set_custom(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), RemoteError> {
        self.write_custom(id, kind, key, value).await
    }

    async fn probe(&self) -> Result<(), RemoteError> {
        if self.admin_root.is_some() {
            return self.roots().await.map(|_| ());
        }
        let _: wire::GetCurrentUser = self.transport.get("GetCurrentUser", "/api/v1/me").await?;
        Ok(())
    }

    async fn changes(
        &self,
        cursor: Option<&FeedCursor>,
    ) -> Result<Option<ChangeBatch>, RemoteError> {
        self.activity_changes(cursor).await.map(Some)
    }

    async fn shares(&self, id: &RemoteId, kind: NodeKind) -> Result<Vec<Share>, RemoteError> {
        self.item_shares(id, kind).await
    }

    async fn share(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        request: &ShareRequest,
    ) -> Result<(), RemoteError> {
        self.share_item(id, kind, request).await
    }

    async fn unshare(&self, id: &RemoteId, kind: NodeKind, with: &str) -> Result<(), RemoteError> {
        self.unshare_item(id, kind, with).await
    }

    async fn activity(
        &self,
        item: Option<(&RemoteId, NodeKind)>,
        since: Option<std::time::SystemTime>,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, RemoteError> {
        self.describe_activity(item, since, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_markers_are_escaped() {
        assert_eq!(
            marker_param(Some("a+b/c= d~._-")),
            "&marker=a%2Bb%2Fc%3D%20d~._-"
        );
        assert_eq!(marker_param(None), "");
        assert_eq!(enc("dir/é?").to_string(), "dir%2F%C3%A9%3F");
    }
}
