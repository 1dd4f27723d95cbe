//! The WorkDocs REST routes. Paths are the model's `requestUri`s verbatim (same `{Member}`
//! parameter names), so the operation behind a matched route is looked up in the vendored model
//! itself; a per-operation middleware then turns every error into one that operation may return.

pub mod activities;
pub mod documents;
pub mod folders;
pub mod params;
pub mod resources;
pub mod users;
pub mod wire;

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, put};

use super::AppState;
use super::error::finish;

/// (method, requestUri) → operation name, from the service model.
fn operations() -> &'static HashMap<(String, String), String> {
    static OPS: OnceLock<HashMap<(String, String), String>> = OnceLock::new();
    OPS.get_or_init(|| {
        let model: serde_json::Value =
            serde_json::from_str(super::MODEL_JSON).expect("the vendored model is valid JSON");
        let mut ops = HashMap::new();
        for (name, op) in model["operations"].as_object().into_iter().flatten() {
            let (Some(method), Some(uri)) = (
                op["http"]["method"].as_str(),
                op["http"]["requestUri"].as_str(),
            ) else {
                continue;
            };
            ops.insert((method.to_owned(), uri.to_owned()), name.clone());
        }
        ops
    })
}

/// The operation a route serves, if the model has it.
pub fn operation_of(method: &str, route: &str) -> Option<&'static str> {
    operations()
        .get(&(method.to_owned(), route.to_owned()))
        .map(String::as_str)
}

async fn per_operation(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let method = req.method().as_str().to_owned();
    let op = operation_of(&method, &route).unwrap_or("Unknown");
    app.stats.record(op);
    finish(op, next.run(req).await)
}

/// Every route this server answers, as (method, path) pairs — for a test that checks each is an
/// operation of the model.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/me/root"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/folders"),
    ("GET", "/api/v1/folders/{FolderId}"),
    ("PATCH", "/api/v1/folders/{FolderId}"),
    ("DELETE", "/api/v1/folders/{FolderId}"),
    ("GET", "/api/v1/folders/{FolderId}/path"),
    ("GET", "/api/v1/folders/{FolderId}/contents"),
    ("DELETE", "/api/v1/folders/{FolderId}/contents"),
    ("POST", "/api/v1/documents"),
    ("GET", "/api/v1/documents/{DocumentId}"),
    ("PATCH", "/api/v1/documents/{DocumentId}"),
    ("DELETE", "/api/v1/documents/{DocumentId}"),
    ("GET", "/api/v1/documents/{DocumentId}/path"),
    ("GET", "/api/v1/documents/{DocumentId}/versions"),
    ("GET", "/api/v1/documents/{DocumentId}/versions/{VersionId}"),
    (
        "PATCH",
        "/api/v1/documents/{DocumentId}/versions/{VersionId}",
    ),
    (
        "DELETE",
        "/api/v1/documents/{DocumentId}/versions/{VersionId}",
    ),
    (
        "DELETE",
        "/api/v1/documentVersions/{DocumentId}/versions/{VersionId}",
    ),
    ("POST", "/api/v1/documentVersions/restore/{DocumentId}"),
    ("GET", "/api/v1/resources"),
    ("POST", "/api/v1/resources/{ResourceId}/permissions"),
    ("GET", "/api/v1/resources/{ResourceId}/permissions"),
    ("DELETE", "/api/v1/resources/{ResourceId}/permissions"),
    (
        "DELETE",
        "/api/v1/resources/{ResourceId}/permissions/{PrincipalId}",
    ),
    ("PUT", "/api/v1/resources/{ResourceId}/labels"),
    ("DELETE", "/api/v1/resources/{ResourceId}/labels"),
    ("PUT", "/api/v1/resources/{ResourceId}/customMetadata"),
    ("DELETE", "/api/v1/resources/{ResourceId}/customMetadata"),
    ("GET", "/api/v1/activities"),
];

/// The API routes, behind authentication and per-operation error shaping.
pub fn router(app: AppState) -> Router {
    Router::new()
        .route("/api/v1/me", get(users::get_current_user))
        .route("/api/v1/me/root", get(users::describe_root_folders))
        .route("/api/v1/users", get(users::describe_users))
        .route("/api/v1/folders", post(folders::create_folder))
        .route(
            "/api/v1/folders/{FolderId}",
            get(folders::get_folder)
                .patch(folders::update_folder)
                .delete(folders::delete_folder),
        )
        .route(
            "/api/v1/folders/{FolderId}/path",
            get(folders::get_folder_path),
        )
        .route(
            "/api/v1/folders/{FolderId}/contents",
            get(folders::describe_folder_contents).delete(folders::delete_folder_contents),
        )
        .route("/api/v1/documents", post(documents::initiate_upload))
        .route(
            "/api/v1/documents/{DocumentId}",
            get(documents::get_document)
                .patch(documents::update_document)
                .delete(documents::delete_document),
        )
        .route(
            "/api/v1/documents/{DocumentId}/path",
            get(documents::get_document_path),
        )
        .route(
            "/api/v1/documents/{DocumentId}/versions",
            get(documents::describe_document_versions),
        )
        .route(
            "/api/v1/documents/{DocumentId}/versions/{VersionId}",
            get(documents::get_document_version)
                .patch(documents::update_document_version)
                .delete(documents::abort_upload),
        )
        .route(
            "/api/v1/documentVersions/{DocumentId}/versions/{VersionId}",
            delete(documents::delete_document_version),
        )
        .route(
            "/api/v1/documentVersions/restore/{DocumentId}",
            post(documents::restore_document_versions),
        )
        .route("/api/v1/resources", get(resources::get_resources))
        .route(
            "/api/v1/resources/{ResourceId}/permissions",
            post(resources::add_permissions)
                .get(resources::describe_permissions)
                .delete(resources::remove_all_permissions),
        )
        .route(
            "/api/v1/resources/{ResourceId}/permissions/{PrincipalId}",
            delete(resources::remove_permission),
        )
        .route(
            "/api/v1/resources/{ResourceId}/labels",
            put(resources::create_labels).delete(resources::delete_labels),
        )
        .route(
            "/api/v1/resources/{ResourceId}/customMetadata",
            put(resources::create_custom_metadata).delete(resources::delete_custom_metadata),
        )
        .route("/api/v1/activities", get(activities::describe_activities))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            super::auth::authenticate,
        ))
        .route_layer(middleware::from_fn_with_state(app.clone(), per_operation))
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_an_operation_of_the_model() {
        for (method, path) in ROUTES {
            assert!(
                operation_of(method, path).is_some(),
                "{method} {path} is not in the model"
            );
        }
        assert_eq!(ROUTES.len(), 31);
    }
}
