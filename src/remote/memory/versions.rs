//! The in-memory store's version history as [`Remote::versions`](crate::remote::Remote::versions)
//! reports it: every version of a document, oldest first, labelled by ordinal (as the WorkDocs
//! client labels them), with the content time the uploader gave and the logical-clock time of
//! the upload. Versions are never deleted here, so ordinals never shift.

use super::store::Store;
use crate::remote::{NodeKind, RemoteError, Role, Version};

impl Store {
    pub fn versions(&self, user: &str, doc: &str) -> Result<Vec<Version>, RemoteError> {
        let item = self.require(user, doc, Role::Viewer)?;
        if item.kind != NodeKind::Document {
            return Err(RemoteError::NotFound(format!("no document {doc}")));
        }
        Ok(item
            .versions
            .iter()
            .enumerate()
            .map(|(i, v)| Version {
                id: v.id.clone(),
                label: (i + 1).to_string(),
                size: v.bytes.len() as u64,
                mtime: v.mtime,
                created: v.created,
                creator: Some(item.owner.clone()),
            })
            .collect())
    }
}
