//! Copies of documents (LogicalDOC's `document/copy` and the documents of `folder/copy`) and of
//! folders' direct shares (`securityOption=replicate`). A copied document is a new document with
//! one version, `1.0`, holding the content of the source's live version. The content is not
//! duplicated where the file system allows: the new version's blob is a hard link to the old one
//! ([`BlobDir::share_sync`]), and since blobs are only ever replaced by renaming, deleting or
//! replacing one never touches the other. Copies go through the store's own upload steps
//! (`initiate_as`, `record_upload`, `activate`), so roles, names and the activity log are the
//! WorkDocs ones.
//!
//! A [`Copier`] runs inside one store transaction on the store thread (linking is blocking but
//! only a metadata operation); it remembers the blobs it made so a failed transaction can
//! remove them ([`Copier::discard`]).

use rusqlite::{Connection, params};

use super::activities::{self, NewActivity};
use super::blobs::BlobDir;
use super::documents::{self, Initiate};
use super::rows::{Caller, ResourceRow, VersionRow, new_id};
use crate::server::error::ApiError;

/// Copies within one transaction.
pub struct Copier<'a> {
    c: &'a Connection,
    caller: &'a Caller,
    blobs: &'a BlobDir,
    now: i64,
    /// Version ids whose blobs this copier made.
    made: Vec<String>,
}

impl<'a> Copier<'a> {
    pub fn new(c: &'a Connection, caller: &'a Caller, blobs: &'a BlobDir, now: i64) -> Self {
        Self {
            c,
            caller,
            blobs,
            now,
            made: Vec::new(),
        }
    }

    /// Copies document `src` (its live version) into folder `dest` as `name` (which the caller
    /// has made free); the new document's row.
    pub fn document(&mut self, src: &str, dest: &str, name: &str) -> Result<ResourceRow, ApiError> {
        let v = VersionRow::latest_of(self.c, src)?
            .filter(VersionRow::is_active)
            .ok_or_else(|| ApiError::Prohibited(format!("document {src} has no content")))?;
        let req = Initiate {
            parent_id: Some(dest.to_owned()),
            name: Some(name.to_owned()),
            ..Initiate::default()
        };
        let (doc, vid) = self.content(&v, req)?;
        self.c.execute(
            "UPDATE versions SET ld_label = '1.0' WHERE id = ?1",
            params![vid],
        )?;
        Ok(doc)
    }

    /// Adds a new version to document `doc_id` with the content of its version `from` (which
    /// stays as it is); the new version's id.
    pub fn version(&mut self, doc_id: &str, from: &VersionRow) -> Result<String, ApiError> {
        let req = Initiate {
            document_id: Some(doc_id.to_owned()),
            ..Initiate::default()
        };
        Ok(self.content(from, req)?.1)
    }

    /// Uploads the content of version `from` as `req` asks, through the store's upload steps.
    fn content(
        &mut self,
        from: &VersionRow,
        mut req: Initiate,
    ) -> Result<(ResourceRow, String), ApiError> {
        let vid = format!("{}-{}", self.now, new_id(8));
        self.blobs.share_sync(&from.id, &vid)?;
        self.made.push(vid.clone());
        let size = from.size.unwrap_or(0);
        req.content_type = Some(from.content_type.clone());
        req.size = Some(size);
        let (doc, _) = documents::initiate_as(self.c, self.caller, req, &vid, self.now)?;
        let sha = from.sha256.clone().unwrap_or_default();
        documents::record_upload(self.c, &vid, size, &sha, from.sha1.as_deref(), self.now)?;
        documents::activate(self.c, self.caller, &doc.id, &vid, self.now)?;
        Ok((doc, vid))
    }

    /// Gives resource `to` the direct shares of resource `from` (except one with `to`'s owner),
    /// each logged as `SHARED`.
    pub fn replicate_shares(&self, from: &str, to: &str) -> Result<(), ApiError> {
        let to_row =
            ResourceRow::by_id(self.c, to)?.ok_or_else(|| ApiError::not_found("resource", to))?;
        let mut stmt = self.c.prepare_cached(
            "SELECT principal_id, principal_type, role FROM permissions WHERE resource_id = ?1",
        )?;
        let shares: Vec<(String, String, String)> = stmt
            .query_map([from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (principal, kind, role) in shares {
            if kind == "USER" && principal == to_row.owner_id {
                continue;
            }
            self.c.execute(
                "INSERT INTO permissions (resource_id, principal_id, principal_type, role, \
                 share_id, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (resource_id, principal_id) DO UPDATE SET role = excluded.role",
                params![to, principal, kind, role, new_id(16), self.now],
            )?;
            let a = NewActivity::on(&to_row, self.caller, "SHARED", self.now);
            activities::record(self.c, a.with_participant(&principal))?;
        }
        Ok(())
    }

    /// Finishes the copies: fsyncs the blob folder so the new links survive a crash.
    pub fn finish(&self) -> Result<(), ApiError> {
        Ok(self.blobs.sync_root()?)
    }

    /// Removes the blobs this copier made (the transaction failed).
    pub fn discard(&self) {
        self.blobs.remove_sync(&self.made);
    }
}
