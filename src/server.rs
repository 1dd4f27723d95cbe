//! `docsfs serve`: the embedded document server. It speaks the Amazon WorkDocs REST API
//! (exactly per the vendored service model) over SQLite and a blob folder, serves content through
//! signed, expiring URLs, and injects latency and faults on demand. Every docsfs test and every
//! user's first run talks to it. LogicalDOC's REST API (`logicaldoc`) is being added over the
//! same store: so far authentication, sessions and reading folders.

pub mod auth;
pub mod content;
pub mod error;
pub mod faults;
pub mod import;
pub mod logicaldoc;
pub mod stats;
pub mod store;
pub mod urls;
pub mod workdocs;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::sync::oneshot;

use crate::clock::now_ms;
use crate::sigv4::AccessKey;
use faults::{FaultSettings, Faults};
use store::Store;
use store::rows::VersionRow;
use urls::{Signed, UrlSigner};

/// The WorkDocs service model (documentation stripped), vendored from botocore (Apache-2.0).
pub const MODEL_JSON: &str = include_str!("../specs/workdocs-2016-05-01.model.json");

/// Everything `docsfs serve` is told on its command line.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data: PathBuf,
    pub listen: SocketAddr,
    /// (user name, token) pairs to create or update.
    pub users: Vec<(String, String)>,
    pub admin_keys: Vec<AccessKey>,
    pub url_ttl: Duration,
    pub faults: FaultSettings,
    /// Load this local tree into that user's root folder before serving.
    pub import: Option<(PathBuf, String)>,
    /// Idle time after which a LogicalDOC session expires.
    pub ld_session_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Open(#[from] store::OpenError),
    #[error("cannot set up users: {0}")]
    Users(error::ApiError),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error(transparent)]
    Import(#[from] import::ImportError),
}

/// Shared state of every request handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub signer: Arc<UrlSigner>,
    pub admin_keys: Arc<Vec<AccessKey>>,
    pub stats: Arc<stats::Stats>,
    base_url: Arc<str>,
    url_ttl_secs: i64,
}

impl AppState {
    fn content_url(&self, method: &str, v: &VersionRow, size: Option<i64>) -> String {
        let expires = now_ms() / 1000 + self.url_ttl_secs;
        let signed = Signed {
            version_id: &v.id,
            expires,
            size,
            content_type: &v.content_type,
        };
        format!(
            "{}/blobs/{}?{}",
            self.base_url,
            v.id,
            self.signer.query(method, &signed)
        )
    }

    /// A signed URL that downloads version `v` until it expires.
    pub fn download_url(&self, v: &VersionRow) -> String {
        self.content_url("GET", v, v.size)
    }

    /// The signed upload URL of an INITIALIZED version and the headers the PUT must carry.
    pub fn upload_url(&self, v: &VersionRow) -> (String, BTreeMap<String, String>) {
        let headers = BTreeMap::from([
            ("Content-Type".to_owned(), v.content_type.clone()),
            (
                content::SSE_HEADER.to_owned(),
                content::SSE_VALUE.to_owned(),
            ),
        ]);
        (self.content_url("PUT", v, v.declared_size), headers)
    }
}

/// A server accepting connections; stop it with [`RunningServer::stop`].
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Opens the store, sets up users, imports, binds and starts serving.
pub async fn start(config: ServerConfig) -> Result<RunningServer, ServerError> {
    let (store, key) = open(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServerError::Listen(config.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Listen(config.listen, e))?;
    let router = router(store, key, &config, &format!("http://{addr}"));
    // Every accepted socket (the WorkDocs and LogicalDOC APIs, content URLs and the LogicalDOC
    // download servlet share this listener) gets TCP_NODELAY: without it a response's last small
    // write waits for the client's delayed ACK, ~40 ms per request on a reused connection.
    let listener = listener.tap_io(no_delay);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
    });
    Ok(RunningServer {
        addr,
        shutdown: Some(tx),
        task,
    })
}

/// TCP_NODELAY on an accepted connection (see `start`).
fn no_delay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY on an accepted connection");
    }
}

/// The server's routes over `config`'s store, without a listener: requests are handed to the
/// router directly (with a `ConnectInfo<SocketAddr>` extension, as `start` adds), and content
/// URLs name `base_url`. `config.listen` is not used. For the fuzz target `server_requests`.
#[doc(hidden)]
pub async fn in_process(config: &ServerConfig, base_url: &str) -> Result<Router, ServerError> {
    let (store, key) = open(config).await?;
    Ok(router(store, key, config, base_url))
}

/// Everything before listening: opens the store, sets up users, imports; the store and its URL
/// signing key.
async fn open(config: &ServerConfig) -> Result<(Store, Vec<u8>), ServerError> {
    let store = Store::open(&config.data)?;
    let users = config.users.clone();
    let key = store
        .tx(move |c| {
            for (name, token) in &users {
                store::users::ensure_user(c, name, Some(token), now_ms())?;
            }
            store::users::url_signing_key(c)
        })
        .await
        .map_err(ServerError::Users)?;
    if let Some((src, name)) = &config.import {
        let stats = import::import_tree(&store, src, name).await?;
        tracing::info!(
            folders = stats.folders,
            documents = stats.documents,
            skipped = stats.skipped,
            "import done"
        );
    }
    Ok((store, key))
}

fn router(store: Store, key: Vec<u8>, config: &ServerConfig, base_url: &str) -> Router {
    let app = AppState {
        store,
        signer: Arc::new(UrlSigner::new(key)),
        admin_keys: Arc::new(config.admin_keys.clone()),
        stats: Arc::new(stats::Stats::default()),
        base_url: base_url.into(),
        url_ttl_secs: config.url_ttl.as_secs().max(1) as i64,
    };
    routes(app, Faults::new(config.faults), config.ld_session_timeout)
}

fn routes(app: AppState, faults: Arc<Faults>, ld_session_timeout: Duration) -> Router {
    let content = Router::new()
        .route(
            "/blobs/{VersionId}",
            get(content::download).put(content::upload),
        )
        .layer(middleware::from_fn_with_state(
            app.stats.clone(),
            count_content,
        ))
        .with_state(app.clone());
    let control = Router::new()
        .route(
            "/_docsfs/faults",
            get(faults::get_settings).put(faults::put_settings),
        )
        .with_state(faults.clone());
    let stats = Router::new()
        .route("/_docsfs/stats", get(stats::get_stats))
        .with_state(app.stats.clone());
    let logicaldoc = logicaldoc::router(app.clone(), ld_session_timeout);
    workdocs::router(app)
        .merge(content)
        .merge(logicaldoc)
        .fallback(unknown_operation)
        .layer(middleware::from_fn_with_state(faults, faults::inject))
        .merge(control)
        .merge(stats)
        .layer(middleware::from_fn(log_request))
}

/// Counts content-URL requests in the stats as `Content GET` / `Content PUT`.
async fn count_content(
    axum::extract::State(stats): axum::extract::State<Arc<stats::Stats>>,
    req: Request,
    next: Next,
) -> Response {
    stats.record(&format!("Content {}", req.method()));
    next.run(req).await
}

async fn unknown_operation() -> Response {
    let body = serde_json::json!({ "Message": "no operation has this method and path" });
    error::error_response(404, "UnknownOperationException", &body)
}

/// Logs each request's method, path and status — never its query string or headers, which carry
/// signatures and tokens.
async fn log_request(req: Request, next: Next) -> Response {
    let route = req.uri().path().to_owned();
    let method = req.method().clone();
    let started = Instant::now();
    let resp = next.run(req).await;
    tracing::debug!(%method, route, status = resp.status().as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    resp
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn accepted_connections_do_not_wait_for_acks() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::net::TcpStream::connect(addr);
        let (accepted, client) = tokio::join!(listener.accept(), client);
        let (mut accepted, _client) = (accepted.unwrap().0, client.unwrap());
        assert!(!accepted.nodelay().unwrap(), "off until set");
        super::no_delay(&mut accepted);
        assert!(accepted.nodelay().unwrap());
    }
}
