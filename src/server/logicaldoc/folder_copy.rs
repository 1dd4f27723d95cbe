//! `POST /services/rest/folder/copy`: copies a folder tree into another folder, as LogicalDOC's
//! `FolderDAO.copy` does. Each level is made with `createPath`'s rule (a folder of that name
//! already in the target is reused, so a copy can merge into an existing tree); documents are
//! copied with their live version's content (`store::copies`: new documents at `1.0`, blobs
//! shared, names made unique); aliases are copied as aliases of the same folder (left out where
//! that would make a cycle). `securityOption` `replicate` gives each copied folder its source's
//! direct shares; `none` and `inherit` (the default) leave the copies to inherit from where they
//! land, which is all this store's folders do. One transaction: a failure leaves nothing.

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use rusqlite::Connection;

use super::LdState;
use super::caller::LdCaller;
use super::doc_tree;
use super::doc_writes::unique_name;
use super::folder_writes::{
    Who, Written, bad_request, created, form, granted, no_alias, refused, resource, write,
};
use super::tree::{self, LdFolder};
use crate::server::error::ApiError;
use crate::server::store::copies::Copier;
use crate::server::store::ld_ids::ROOT;
use crate::server::store::{aliases, sharing};

/// What to copy besides the folders.
#[derive(Clone, Copy)]
struct Options {
    documents: bool,
    replicate: bool,
}

/// `POST copy`, form `folderId`, `targetId`, `foldersOnly` (1: folders only), `securityOption`
/// (`none`, `inherit`, `replicate`) [READ on the folder, ADD on the target]: 204. Into the root,
/// into the folder's current parent ("No Changes"), into itself or its own subtree, or an
/// unknown security option: 500.
pub async fn copy(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    body: Bytes,
) -> Response {
    let form = form(&body);
    let fields = (
        form.long("folderId"),
        form.long("targetId"),
        form.integer("foldersOnly"),
    );
    let (Ok(source), Ok(target), Ok(folders_only)) = fields else {
        return bad_request();
    };
    let security = form.string("securityOption").unwrap_or_default();
    let blobs = ld.app.store.blobs().clone();
    write(&ld, caller, move |c, who| {
        let replicate = match security.as_str() {
            "" | "none" | "inherit" => false,
            "replicate" => true,
            other => return Err(refused(format!("Invalid security option {other}"))),
        };
        if target == ROOT {
            return Err(refused("Cannot move folders in the root"));
        }
        let src = granted(c, who, source, "READ")?;
        let to = granted(c, who, target, "ADD")?;
        no_alias(&to)?;
        if src.is_root() {
            return Err(refused("the root folder cannot be copied"));
        }
        if to.ld_id == src.parent_ld {
            return Err(refused("No Changes"));
        }
        let (src_id, to_id) = (resource(&src)?, resource(&to)?);
        if sharing::ancestry(c, &to_id)?.iter().any(|a| a.id == src_id) {
            return Err(refused("Cannot copy a folder inside the same path"));
        }
        let opts = Options {
            documents: folders_only != Some(1),
            replicate,
        };
        let mut copier = Copier::new(c, &who.caller, &blobs, who.now);
        let copied = copy_tree(c, who, &mut copier, &src, &to, opts).and_then(|()| copier.finish());
        if copied.is_err() {
            copier.discard();
        }
        copied.map(|()| Written::Nothing)
    })
    .await
}

/// Copies folder `src` (and everything under it) into folder `into`.
fn copy_tree(
    c: &Connection,
    who: &Who<'_>,
    copier: &mut Copier<'_>,
    src: &LdFolder,
    into: &LdFolder,
    opts: Options,
) -> Result<(), ApiError> {
    let into_id = resource(into)?;
    if let Some((_, target)) = &src.alias_of {
        return match aliases::create(c, &who.caller, &into_id, target, who.now) {
            Ok(_) | Err(ApiError::Invalid(_)) => Ok(()),
            Err(e) => Err(e),
        };
    }
    let existing = tree::children(c, who.user, into)?
        .into_iter()
        .find(|f| f.name == src.name && !f.is_alias());
    let copy = match existing {
        Some(f) => f,
        None => created(c, who, into, &src.name)?,
    };
    let (src_id, copy_id) = (resource(src)?, resource(&copy)?);
    if opts.replicate {
        copier.replicate_shares(&src_id, &copy_id)?;
    }
    if opts.documents {
        for d in doc_tree::in_folder(c, who.user, src)? {
            let name = unique_name(c, &copy_id, &d.name, "")?;
            copier.document(&d.resource_id, &copy_id, &name)?;
        }
    }
    for child in tree::children(c, who.user, src)? {
        copy_tree(c, who, copier, &child, &copy, opts)?;
    }
    Ok(())
}
