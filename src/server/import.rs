//! `docsfs serve --import SRC --as NAME`: loads a local tree into a user's root folder — folders
//! merge with existing ones, files become documents (content times from the file's mtime), and
//! an item whose name is already taken is skipped and counted, never overwritten.

use std::path::{Path, PathBuf};

use super::error::ApiError;
use super::store::Store;
use super::store::documents::{self, Initiate};
use super::store::rows::{Caller, ResourceRow};
use super::store::{tree, users};
use crate::clock::now_ms;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("no user named {0:?}: add it with --user {0}:TOKEN")]
    NoSuchUser(String),
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("cannot store {0}: {1}")]
    Store(PathBuf, ApiError),
}

#[derive(Debug, Default)]
pub struct ImportStats {
    pub folders: usize,
    pub documents: usize,
    pub skipped: usize,
}

pub async fn import_tree(
    store: &Store,
    src: &Path,
    user: &str,
) -> Result<ImportStats, ImportError> {
    let name = user.to_owned();
    let user = store
        .call(move |c| users::by_username(c, &name))
        .await
        .map_err(|e| ImportError::Store(src.into(), e))?
        .ok_or_else(|| ImportError::NoSuchUser(user.to_owned()))?;
    let caller = Caller::User(user.clone());
    let mut stats = ImportStats::default();
    let mut pending = vec![(src.to_path_buf(), user.root_id.clone())];
    while let Some((dir, folder_id)) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| ImportError::Read(dir.clone(), e))?
            .collect::<Result<_, _>>()
            .map_err(|e| ImportError::Read(dir.clone(), e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                tracing::warn!(path = %path.display(), "skipped: the name is not UTF-8");
                stats.skipped += 1;
                continue;
            };
            let meta =
                std::fs::symlink_metadata(&path).map_err(|e| ImportError::Read(path.clone(), e))?;
            let stored = |e| ImportError::Store(path.clone(), e);
            if meta.is_dir() {
                let id = folder(store, &caller, &folder_id, &name)
                    .await
                    .map_err(stored)?;
                stats.folders += 1;
                pending.push((path, id));
            } else if meta.is_file() {
                if document(store, &caller, &folder_id, &name, &path, &meta)
                    .await
                    .map_err(stored)?
                {
                    stats.documents += 1;
                } else {
                    tracing::warn!(path = %path.display(), "skipped: the name is taken");
                    stats.skipped += 1;
                }
            } else {
                stats.skipped += 1;
            }
        }
    }
    Ok(stats)
}

/// The id of the live folder `name` in `parent`, created if missing.
async fn folder(
    store: &Store,
    caller: &Caller,
    parent: &str,
    name: &str,
) -> Result<String, ApiError> {
    let (caller, parent, name) = (caller.clone(), parent.to_owned(), name.to_owned());
    store
        .tx(move |c| {
            if let Some(id) = tree::live_sibling(c, &parent, &name, "")? {
                let existing = ResourceRow::by_id(c, &id)?
                    .ok_or_else(|| ApiError::not_found("folder", &id))?;
                if existing.is_folder() {
                    return Ok(id);
                }
            }
            Ok(tree::create_folder(c, &caller, &parent, &name, now_ms())?.id)
        })
        .await
}

fn mtime_ms(t: std::io::Result<std::time::SystemTime>) -> Option<i64> {
    let t = t.ok()?;
    Some(match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    })
}

/// Stores one file as a new document; `false` when the name is taken.
async fn document(
    store: &Store,
    caller: &Caller,
    parent: &str,
    name: &str,
    path: &Path,
    meta: &std::fs::Metadata,
) -> Result<bool, ApiError> {
    let req = Initiate {
        parent_id: Some(parent.to_owned()),
        name: Some(name.to_owned()),
        size: Some(meta.len() as i64),
        content_modified_ms: mtime_ms(meta.modified()),
        content_created_ms: mtime_ms(meta.created()).or(mtime_ms(meta.modified())),
        ..Default::default()
    };
    let c2 = caller.clone();
    let (doc, version) = match store
        .tx(move |c| documents::initiate(c, &c2, req, now_ms()))
        .await
    {
        Ok(v) => v,
        Err(ApiError::AlreadyExists(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    let stored = store
        .blobs()
        .copy_from(&version.id, path)
        .await
        .map_err(|e| ApiError::Io(std::io::Error::other(e)))?;
    let (caller, vid, size) = (caller.clone(), version.id.clone(), stored.size as i64);
    store
        .tx(move |c| {
            documents::record_upload(c, &vid, size, &stored.sha256, Some(&stored.sha1), now_ms())?;
            documents::activate(c, &caller, &doc.id, &vid, now_ms())
        })
        .await?;
    Ok(true)
}
