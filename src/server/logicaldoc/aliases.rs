//! `POST /services/rest/folder/createAlias`: a folder alias (type 2, `foldRef`), stored by
//! `store::aliases`. How aliases then behave is spread over the folder code: [`super::tree`]
//! lists an alias among its parent's children and answers its target's subfolders as its own;
//! its documents are none (nothing lives in an alias row, so `doc_tree::in_folder` finds
//! nothing — LogicalDOC's quirk); `findByPath` does not follow it; [`super::folder_writes`]
//! renames, moves and deletes the alias itself and creates nothing in it. The WorkDocs API never
//! sees one.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;

use super::LdState;
use super::caller::LdCaller;
use super::folder_writes::{
    Written, bad_request, form, granted, no_alias, refused, resource, write,
};
use super::tree;
use crate::server::error::ApiError;
use crate::server::store::aliases;
use crate::server::store::ld_ids::ROOT;

/// `POST createAlias`, form `parentId`, `foldRef` [ADD on the parent, READ on the target]: the
/// new alias, named after its target (made unique among its siblings as `name(1)`). An alias of
/// an alias stands for the same folder. The root as either end, a target that is the parent or
/// one of its ancestors (a cycle), or an alias as the parent: 500.
pub async fn create_alias(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let (Ok(parent), Ok(target)) = (form.long("parentId"), form.long("foldRef")) else {
        return bad_request();
    };
    write(&ld, caller, move |c, who| {
        if parent == ROOT || target == ROOT {
            return Err(refused("aliases are neither made in nor made of the root"));
        }
        let p = granted(c, who, parent, "ADD")?;
        no_alias(&p)?;
        let t = granted(c, who, target, "READ")?;
        let row = aliases::create(c, &who.caller, &resource(&p)?, &resource(&t)?, who.now)?;
        let alias = tree::by_resource(c, who.user, &row.id)?
            .ok_or_else(|| ApiError::not_found("folder", &row.id))?;
        Ok(Written::Folder(alias))
    })
    .await
}
