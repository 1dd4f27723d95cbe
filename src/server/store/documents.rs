//! Documents and their versions: the upload-version flow (initiate → content PUT → activate, or
//! abort), version listing, soft deletion and restore of versions. A document's visible content is
//! its newest ACTIVE version; a document that never had one is shown only to callers who ask for
//! INITIALIZED items, and does not hold its name against other uploads. A document checked out or
//! locked by someone else (`locks`) takes no new version and loses none.

use rusqlite::{Connection, OptionalExtension, params};

use super::activities::{self, NewActivity};
use super::rows::{Caller, KIND_DOCUMENT, Need, ResourceRow, VERSION_COLUMNS, VersionRow, new_id};
use super::sharing::{self, Access};
use super::{locks, tree};
use crate::server::error::ApiError;

pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

#[derive(Default, Debug)]
pub struct Initiate {
    pub document_id: Option<String>,
    pub parent_id: Option<String>,
    pub name: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub content_created_ms: Option<i64>,
    pub content_modified_ms: Option<i64>,
}

/// InitiateDocumentVersionUpload: a new document with a first version, or a new version of
/// `document_id`, in state INITIALIZED.
pub fn initiate(
    c: &Connection,
    caller: &Caller,
    req: Initiate,
    now: i64,
) -> Result<(ResourceRow, VersionRow), ApiError> {
    initiate_as(c, caller, req, &format!("{now}-{}", new_id(8)), now)
}

/// [`initiate`] with a version id chosen by the caller (LogicalDOC's multipart uploads stream the
/// content into the blob of that id before the version exists). The id must be fresh and of
/// the form `[\w+-.@]+`.
pub fn initiate_as(
    c: &Connection,
    caller: &Caller,
    req: Initiate,
    version_id: &str,
    now: i64,
) -> Result<(ResourceRow, VersionRow), ApiError> {
    if req.size.is_some_and(|s| s < 0) {
        return Err(ApiError::Invalid(
            "DocumentSizeInBytes may not be negative".into(),
        ));
    }
    let content_type = req
        .content_type
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned());
    if content_type.is_empty() || content_type.chars().count() > 128 {
        return Err(ApiError::Invalid(
            "ContentType has 1 to 128 characters".into(),
        ));
    }
    let doc = match &req.document_id {
        Some(id) => {
            let access = sharing::require(c, caller, id, Need::Write)?;
            if access.res.kind != KIND_DOCUMENT {
                return Err(ApiError::not_found("document", id));
            }
            if access.in_recycle_bin {
                return Err(ApiError::Prohibited(format!(
                    "document {id} is in the recycle bin"
                )));
            }
            locks::ensure_writable(c, caller, id)?;
            access.res
        }
        None => {
            let parent_id = req
                .parent_id
                .as_deref()
                .ok_or_else(|| ApiError::Invalid("ParentFolderId or Id is required".into()))?;
            let name = req
                .name
                .as_deref()
                .ok_or_else(|| ApiError::Invalid("Name is required".into()))?;
            tree::validate_name(name)?;
            let parent = tree::writable_folder(c, caller, parent_id)?;
            tree::ensure_name_free(c, parent_id, name, "")?;
            let id = tree::new_resource_id();
            c.execute(
                "INSERT INTO resources (id, kind, name, parent_id, owner_id, creator_id, \
                 created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                params![
                    id,
                    KIND_DOCUMENT,
                    name,
                    parent_id,
                    parent.res.owner_id,
                    caller.actor_id(),
                    now
                ],
            )?;
            ResourceRow::by_id(c, &id)?.ok_or_else(|| ApiError::not_found("document", &id))?
        }
    };
    c.execute(
        "INSERT INTO versions (id, document_id, status, content_type, declared_size, creator_id, \
         created_ms, modified_ms, content_created_ms, content_modified_ms) \
         VALUES (?1, ?2, 'INITIALIZED', ?3, ?4, ?5, ?6, ?6, ?7, ?8)",
        params![
            version_id,
            doc.id,
            content_type,
            req.size,
            caller.actor_id(),
            now,
            req.content_created_ms,
            req.content_modified_ms
        ],
    )?;
    let version = VersionRow::by_id(c, &doc.id, version_id)?
        .ok_or_else(|| ApiError::not_found("version", version_id))?;
    Ok((doc, version))
}

/// The version a signed URL names, if it exists and is not deleted.
pub fn version_by_id(c: &Connection, version_id: &str) -> Result<Option<VersionRow>, ApiError> {
    Ok(c.query_row(
        &format!("SELECT {VERSION_COLUMNS} FROM versions WHERE id = ?1 AND deleted = 0"),
        [version_id],
        VersionRow::from_row,
    )
    .optional()?)
}

/// Records that the content of an INITIALIZED version has been stored, with its SHA-256 and
/// SHA-1 (hex; none when copying a version stored before the store kept SHA-1s).
pub fn record_upload(
    c: &Connection,
    version_id: &str,
    size: i64,
    sha256: &str,
    sha1: Option<&str>,
    now: i64,
) -> Result<(), ApiError> {
    let changed = c.execute(
        "UPDATE versions SET size = ?2, sha256 = ?3, sha1 = ?4, modified_ms = ?5 \
         WHERE id = ?1 AND status = 'INITIALIZED' AND deleted = 0",
        params![version_id, size, sha256, sha1, now],
    )?;
    if changed == 0 {
        return Err(ApiError::Prohibited(format!(
            "version {version_id} no longer accepts content"
        )));
    }
    Ok(())
}

fn version_of(
    c: &Connection,
    caller: &Caller,
    doc_id: &str,
    version_id: &str,
    need: Need,
) -> Result<(Access, VersionRow), ApiError> {
    let access = sharing::require(c, caller, doc_id, need)?;
    if access.res.kind != KIND_DOCUMENT {
        return Err(ApiError::not_found("document", doc_id));
    }
    let v = VersionRow::by_id(c, doc_id, version_id)?
        .ok_or_else(|| ApiError::not_found("version", version_id))?;
    Ok((access, v))
}

/// UpdateDocumentVersion with VersionStatus ACTIVE: the uploaded content becomes the document's.
pub fn activate(
    c: &Connection,
    caller: &Caller,
    doc_id: &str,
    version_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let (access, v) = version_of(c, caller, doc_id, version_id, Need::Write)?;
    if v.is_active() {
        return Ok(());
    }
    locks::ensure_writable(c, caller, doc_id)?;
    if v.size.is_none() {
        return Err(ApiError::Prohibited(format!(
            "version {version_id} has no uploaded content yet"
        )));
    }
    let doc = access.res;
    if let Some(parent) = &doc.parent_id {
        if !doc.is_recycled() {
            tree::ensure_name_free(c, parent, &doc.name, &doc.id)?;
        }
    }
    let seq: i64 = c.query_row(
        "SELECT COALESCE(MAX(activated_seq), 0) + 1 FROM versions",
        [],
        |r| r.get(0),
    )?;
    c.execute(
        "UPDATE versions SET status = 'ACTIVE', activated_seq = ?2, modified_ms = ?3 WHERE id = ?1",
        params![version_id, seq, now],
    )?;
    c.execute(
        "UPDATE resources SET modified_ms = ?2 WHERE id = ?1",
        params![doc_id, now],
    )?;
    activities::record(
        c,
        NewActivity::on(&doc, caller, "VERSION_UPLOADED", now).with_version(version_id),
    )?;
    Ok(())
}

/// AbortDocumentVersionUpload: drops an INITIALIZED version (and a document that had no other).
/// Returns the version id whose blob to remove.
pub fn abort(
    c: &Connection,
    caller: &Caller,
    doc_id: &str,
    version_id: &str,
) -> Result<String, ApiError> {
    let (_, v) = version_of(c, caller, doc_id, version_id, Need::Write)?;
    if v.is_active() {
        return Err(ApiError::Prohibited(format!(
            "version {version_id} is active; it cannot be aborted"
        )));
    }
    c.execute("DELETE FROM versions WHERE id = ?1", [version_id])?;
    let left: i64 = c.query_row(
        "SELECT COUNT(*) FROM versions WHERE document_id = ?1",
        [doc_id],
        |r| r.get(0),
    )?;
    if left == 0 {
        c.execute("DELETE FROM resources WHERE id = ?1", [doc_id])?;
    }
    Ok(v.id)
}

pub fn get_version(
    c: &Connection,
    caller: &Caller,
    doc_id: &str,
    version_id: &str,
) -> Result<(Access, VersionRow), ApiError> {
    version_of(c, caller, doc_id, version_id, Need::Read)
}

/// DescribeDocumentVersions: newest first; the marker is the rowid of the last version returned.
pub fn describe_versions(
    c: &Connection,
    caller: &Caller,
    doc_id: &str,
    include_initialized: bool,
    limit: usize,
    marker: Option<&str>,
) -> Result<(Access, Vec<VersionRow>, Option<String>), ApiError> {
    let access = tree::get(c, caller, doc_id, KIND_DOCUMENT)?;
    let before = match marker {
        None => i64::MAX,
        Some(m) => m
            .strip_prefix("v")
            .and_then(|n| n.parse::<i64>().ok())
            .ok_or_else(|| ApiError::Invalid("the marker is not one this service issued".into()))?,
    };
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {VERSION_COLUMNS}, rowid FROM versions WHERE document_id = ?1 AND deleted = 0 \
         AND (?2 OR status = 'ACTIVE') AND rowid < ?3 ORDER BY rowid DESC LIMIT ?4"
    ))?;
    let mut rows: Vec<(VersionRow, i64)> = stmt
        .query_map(
            params![doc_id, include_initialized, before, limit as i64 + 1],
            |r| Ok((VersionRow::from_row(r)?, r.get(13)?)),
        )?
        .collect::<Result<_, _>>()?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|(_, rowid)| format!("v{rowid}"))
    } else {
        None
    };
    Ok((access, rows.into_iter().map(|(v, _)| v).collect(), next))
}

/// DeleteDocumentVersion: hides an ACTIVE version (and, if asked, all older ones); the document
/// keeps at least one version. Deleted versions come back with [`restore_versions`].
pub fn delete_version(
    c: &Connection,
    caller: &Caller,
    doc_id: &str,
    version_id: &str,
    delete_prior: bool,
    now: i64,
) -> Result<(), ApiError> {
    let (access, v) = version_of(c, caller, doc_id, version_id, Need::Write)?;
    if !v.is_active() {
        return Err(ApiError::InvalidOperation(format!(
            "version {version_id} was never activated; abort its upload instead"
        )));
    }
    locks::ensure_writable(c, caller, doc_id)?;
    let seq: i64 = c.query_row(
        "SELECT activated_seq FROM versions WHERE id = ?1",
        [version_id],
        |r| r.get(0),
    )?;
    let remaining: i64 = c.query_row(
        "SELECT COUNT(*) FROM versions WHERE document_id = ?1 AND status = 'ACTIVE' AND deleted = 0 \
         AND NOT (id = ?2 OR (?3 AND activated_seq < ?4))",
        params![doc_id, version_id, delete_prior, seq],
        |r| r.get(0),
    )?;
    if remaining == 0 {
        return Err(ApiError::InvalidOperation(
            "a document keeps at least one version; delete the document instead".into(),
        ));
    }
    c.execute(
        "UPDATE versions SET deleted = 1 WHERE document_id = ?1 AND status = 'ACTIVE' AND \
         (id = ?2 OR (?3 AND activated_seq < ?4))",
        params![doc_id, version_id, delete_prior, seq],
    )?;
    c.execute(
        "UPDATE resources SET modified_ms = ?2 WHERE id = ?1",
        params![doc_id, now],
    )?;
    activities::record(
        c,
        NewActivity::on(&access.res, caller, "VERSION_DELETED", now).with_version(version_id),
    )?;
    Ok(())
}

/// RestoreDocumentVersions: brings back every deleted version of the document.
pub fn restore_versions(
    c: &Connection,
    caller: &Caller,
    doc_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let access = sharing::require(c, caller, doc_id, Need::Write)?;
    if access.res.kind != KIND_DOCUMENT {
        return Err(ApiError::not_found("document", doc_id));
    }
    locks::ensure_writable(c, caller, doc_id)?;
    let restored = c.execute(
        "UPDATE versions SET deleted = 0 WHERE document_id = ?1 AND deleted = 1",
        [doc_id],
    )?;
    if restored > 0 {
        c.execute(
            "UPDATE resources SET modified_ms = ?2 WHERE id = ?1",
            params![doc_id, now],
        )?;
        activities::record(c, NewActivity::on(&access.res, caller, "REVERTED", now))?;
    }
    Ok(())
}
