//! The LogicalDOC 9.x REST API of `docsfs serve`, under `/services/rest/` (the rules it follows
//! are in docs/SEMANTICS.md, "The embedded server, LogicalDOC API"). It serves the same store as
//! the WorkDocs API, with LogicalDOC's own sessions and wire conventions: `/auth/*` logs in and
//! out, and every other route goes through [`caller::require_session`], which puts the calling
//! user in the request's extensions. `/folder/*` serves the caller's folder tree ([`tree`]) with
//! LogicalDOC's numeric ids (`store::ld_ids`) and changes it ([`folder_writes`],
//! [`folder_paths`], [`folder_copy`], [`aliases`], [`acl`]); `/document/*` its documents
//! ([`doc_tree`]) and their versions ([`versions`]) and changes them ([`doc_writes`],
//! [`doc_updates`], [`doc_versions`], [`locks`]); `/download` is the web app's download servlet
//! ([`download`]).

pub mod acl;
pub mod aliases;
pub mod auth;
pub mod caller;
pub mod doc_shapes;
pub mod doc_tags;
pub mod doc_tree;
pub mod doc_updates;
pub mod doc_versions;
pub mod doc_writes;
pub mod documents;
pub mod download;
pub mod folder_copy;
pub mod folder_paths;
pub mod folder_writes;
pub mod folders;
pub mod locks;
pub mod paging;
pub mod params;
pub mod permissions;
pub mod sessions;
pub mod shapes;
pub mod tree;
pub mod versions;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{any, delete, get, post, put};

use super::AppState;
pub use sessions::{DEFAULT_TIMEOUT, Sessions};

/// State of the LogicalDOC handlers: the server's state plus the session table.
#[derive(Clone)]
pub struct LdState {
    pub app: AppState,
    pub sessions: Arc<Sessions>,
}

/// The LogicalDOC routes; sessions idle for longer than `session_timeout` expire.
pub fn router(app: AppState, session_timeout: Duration) -> Router {
    let state = LdState {
        app,
        sessions: Arc::new(Sessions::new(session_timeout)),
    };
    // Routes that need a session.
    let authenticated = Router::new()
        .route("/services/rest/auth/getSid", get(auth::get_sid))
        .route("/services/rest/auth/renewcurrent", get(auth::renew_current))
        .merge(folder_routes())
        .merge(document_routes())
        .route("/download", get(download::servlet))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            caller::require_session,
        ));
    Router::new()
        .route(
            "/services/rest/auth/login",
            get(auth::login_query).post(auth::login_body),
        )
        .route("/services/rest/auth/loginForm", post(auth::login_form))
        .route("/services/rest/auth/loginApiKey", get(auth::login_api_key))
        .route("/services/rest/auth/logout", delete(auth::logout))
        .route("/services/rest/auth/renew", get(auth::renew))
        .merge(authenticated)
        .route_layer(middleware::from_fn_with_state(state.clone(), count))
        .route("/services/rest", any(wire::not_found))
        .route("/services/rest/{*rest}", any(wire::not_found))
        .with_state(state)
}

/// Counts each call in the server's stats as `LogicalDOC <service>/<method>` (the servlet as
/// `LogicalDOC download`), next to the WorkDocs operations.
async fn count(
    axum::extract::State(ld): axum::extract::State<LdState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let method = route.strip_prefix("/services/rest/").unwrap_or(&route);
    ld.app
        .stats
        .record(&format!("LogicalDOC {}", method.trim_start_matches('/')));
    next.run(req).await
}

/// `/services/rest/folder/*`: the read side (every one a GET) and the write side.
fn folder_routes() -> Router<LdState> {
    const F: &str = "/services/rest/folder";
    Router::new()
        .route(&format!("{F}/create"), post(folder_writes::create))
        .route(
            &format!("{F}/createFolder"),
            post(folder_writes::create_folder),
        )
        .route(&format!("{F}/createPath"), post(folder_writes::create_path))
        .route(&format!("{F}/rename"), put(folder_writes::rename_folder))
        .route(&format!("{F}/move"), put(folder_writes::move_folder))
        .route(&format!("{F}/update"), post(folder_writes::update))
        .route(&format!("{F}/delete"), delete(folder_writes::delete))
        .route(
            &format!("{F}/createSimple"),
            post(folder_paths::create_simple),
        )
        .route(
            &format!("{F}/createSimpleForm"),
            post(folder_paths::create_simple_form),
        )
        .route(
            &format!("{F}/createSimpleJSON"),
            post(folder_paths::create_simple_json),
        )
        .route(&format!("{F}/copy"), post(folder_copy::copy))
        .route(&format!("{F}/createAlias"), post(aliases::create_alias))
        .route(
            &format!("{F}/setAccessControlList"),
            put(acl::set_access_control_list),
        )
        .route(&format!("{F}/getRootFolder"), get(folders::get_root_folder))
        .route(
            &format!("{F}/getDefaultWorkspace"),
            get(folders::get_default_workspace),
        )
        .route(
            &format!("{F}/listWorkspaces"),
            get(folders::list_workspaces),
        )
        .route(&format!("{F}/getFolder"), get(folders::get_folder))
        .route(&format!("{F}/listChildren"), get(folders::list_children))
        .route(&format!("{F}/list"), get(folders::list))
        .route(&format!("{F}/findByPath"), get(folders::find_by_path))
        .route(&format!("{F}/getPath"), get(folders::get_path))
        .route(&format!("{F}/isReadable"), get(folders::is_readable))
        .route(&format!("{F}/isWritable"), get(folders::is_writable))
        .route(&format!("{F}/isGranted"), get(folders::is_granted))
        .route(
            &format!("{F}/getAccessControlList"),
            get(folders::get_access_control_list),
        )
}

/// `/services/rest/document/*`: the read side (every one a GET) and the write side. The
/// multipart uploads have no body limit: their file part is streamed to disk.
fn document_routes() -> Router<LdState> {
    const D: &str = "/services/rest/document";
    Router::new()
        .route(
            &format!("{D}/upload"),
            post(doc_writes::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{D}/create"),
            post(doc_writes::create).layer(DefaultBodyLimit::disable()),
        )
        .route(&format!("{D}/rename"), put(doc_writes::rename))
        .route(&format!("{D}/move"), put(doc_writes::move_document))
        .route(&format!("{D}/delete"), delete(doc_writes::delete))
        .route(&format!("{D}/restore"), put(doc_writes::restore))
        .route(
            &format!("{D}/checkin"),
            post(locks::checkin).layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{D}/replaceFile"),
            post(doc_updates::replace_file).layer(DefaultBodyLimit::disable()),
        )
        .route(&format!("{D}/checkout"), post(locks::checkout))
        .route(&format!("{D}/lock"), put(locks::lock))
        .route(&format!("{D}/unlock"), put(locks::unlock))
        .route(&format!("{D}/update"), put(doc_updates::update))
        .route(&format!("{D}/copy"), put(doc_updates::copy))
        .route(
            &format!("{D}/deleteVersion"),
            delete(doc_versions::delete_version),
        )
        .route(
            &format!("{D}/promoteVersion"),
            put(doc_versions::promote_version),
        )
        .route(&format!("{D}/list"), get(documents::list))
        .route(
            &format!("{D}/listDocuments"),
            get(documents::list_documents),
        )
        .route(
            &format!("{D}/listPaginated"),
            get(documents::list_paginated),
        )
        .route(&format!("{D}/getDocument"), get(documents::get_document))
        .route(&format!("{D}/getDocuments"), get(documents::get_documents))
        .route(&format!("{D}/getVersions"), get(documents::get_versions))
        .route(&format!("{D}/getContent"), get(download::get_content))
        .route(
            &format!("{D}/getVersionContent"),
            get(download::get_version_content),
        )
        .route(&format!("{D}/isRead"), get(documents::is_read))
        .route(&format!("{D}/isWrite"), get(documents::is_write))
        .route(&format!("{D}/isDownload"), get(documents::is_download))
        .route(&format!("{D}/isGranted"), get(documents::is_granted))
}
