//! The LogicalDOC 9.x REST API of `docsfs serve`, under `/services/rest/` (the rules it follows
//! are in docs/SEMANTICS.md, "The embedded server, LogicalDOC API"). It serves the same store as
//! the WorkDocs API, with LogicalDOC's own sessions and wire conventions: `/auth/*` logs in and
//! out, and every other route goes through [`caller::require_session`], which puts the calling
//! user in the request's extensions.

pub mod auth;
pub mod caller;
pub mod sessions;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::{any, delete, get, post};

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
    // Routes that need a session. Later services (folder, document, …) join this router.
    let authenticated = Router::new()
        .route("/services/rest/auth/getSid", get(auth::get_sid))
        .route("/services/rest/auth/renewcurrent", get(auth::renew_current))
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
        .route("/services/rest", any(wire::not_found))
        .route("/services/rest/{*rest}", any(wire::not_found))
        .with_state(state)
}
