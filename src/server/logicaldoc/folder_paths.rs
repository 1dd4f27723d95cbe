//! `POST /services/rest/folder/{createSimple,createSimpleForm,createSimpleJSON}`: LogicalDOC's
//! `createPath` from the root, with the path as a text body, a form field `folderPath` or a JSON
//! `{"folderPath": …}`. The path is absolute (`/Default/a/b`): when its first level names one of
//! the caller's workspaces the rest is made there, otherwise the whole path is made in
//! `Default`, as LogicalDOC does. Existing folders (never aliases) are reused and missing ones
//! created [ADD where one is created], in one transaction; the answer is the deepest folder.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::Value;

use super::caller::LdCaller;
use super::folder_writes::{Written, created, form, granted, write};
use super::tree;
use super::{LdState, wire};
use crate::server::error::ApiError;
use crate::server::store::ld_ids::DEFAULT_WORKSPACE;

/// `POST createSimple`, the path as the whole (text) body.
pub async fn create_simple(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let path = String::from_utf8_lossy(&body).trim().to_owned();
    create_simple_path(&ld, caller, Some(path)).await
}

/// `POST createSimpleForm`, form field `folderPath`.
pub async fn create_simple_form(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    create_simple_path(&ld, caller, form(&body).string("folderPath")).await
}

/// `POST createSimpleJSON`, a JSON object with `folderPath`; a body that is not one: 500 (the
/// real method parses it itself and throws).
pub async fn create_simple_json(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let path = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(o)) => o
            .get("folderPath")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => return wire::failure("the body is not a JSON object"),
    };
    create_simple_path(&ld, caller, path).await
}

/// Makes `path` as the module says; a missing path: 500.
async fn create_simple_path(ld: &LdState, caller: LdCaller, path: Option<String>) -> Response {
    let Some(path) = path else {
        return wire::failure("folderPath is required");
    };
    write(ld, caller, move |c, who| {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let workspace = match segments.first() {
            Some(first) => tree::workspaces(c, who.user)?
                .into_iter()
                .find(|w| w.name == *first),
            None => None,
        };
        let (mut current, rest) = match workspace {
            Some(w) => (w, &segments[1..]),
            None => {
                let default = tree::resolve(c, who.user, DEFAULT_WORKSPACE)?
                    .ok_or_else(|| ApiError::not_found("folder", "Default"))?;
                (default, &segments[..])
            }
        };
        for name in rest {
            let existing = tree::children(c, who.user, &current)?
                .into_iter()
                .find(|f| f.name == *name && !f.is_alias());
            current = match existing {
                Some(f) => f,
                None => {
                    granted(c, who, current.ld_id, "ADD")?;
                    created(c, who, &current, name)?
                }
            };
        }
        Ok(Written::Folder(current))
    })
    .await
}
