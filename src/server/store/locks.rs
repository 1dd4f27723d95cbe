//! Document locks (LogicalDOC's `checkout` and `lock`): a status and the user holding it, one per
//! document. While a lock is held, every write to the document by anyone else fails with
//! [`ApiError::Locked`], through the LogicalDOC API and the WorkDocs API alike, so the store's
//! document writes ask [`ensure_writable`] first. Admin keys are not held back, as LogicalDOC's
//! administrators are not.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::Caller;
use crate::server::error::ApiError;

/// What a lock is; the numbers are LogicalDOC's document statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    CheckedOut = 1,
    Locked = 2,
}

impl LockKind {
    fn from_status(status: i64) -> Option<Self> {
        match status {
            1 => Some(Self::CheckedOut),
            2 => Some(Self::Locked),
            _ => None,
        }
    }

    /// LogicalDOC's `status` value.
    pub fn status(self) -> i32 {
        self as i32
    }
}

/// A held lock.
#[derive(Clone, Debug)]
pub struct Lock {
    pub kind: LockKind,
    /// The store id of the user holding it.
    pub user_id: String,
}

/// The lock on document `doc_id`, if any.
pub fn lock_of(c: &Connection, doc_id: &str) -> Result<Option<Lock>, ApiError> {
    let row = c
        .prepare_cached("SELECT status, user_id FROM locks WHERE document_id = ?1")?
        .query_row([doc_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(row.and_then(|(status, user_id)| {
        LockKind::from_status(status).map(|kind| Lock { kind, user_id })
    }))
}

/// Fails with [`ApiError::Locked`] when someone other than the caller holds a lock on
/// `doc_id`.
pub fn ensure_writable(c: &Connection, caller: &Caller, doc_id: &str) -> Result<(), ApiError> {
    let Caller::User(user) = caller else {
        return Ok(());
    };
    match lock_of(c, doc_id)? {
        Some(lock) if lock.user_id != user.id => Err(ApiError::Locked(format!(
            "document {doc_id} is {} by another user",
            match lock.kind {
                LockKind::CheckedOut => "checked out",
                LockKind::Locked => "locked",
            }
        ))),
        _ => Ok(()),
    }
}

/// Makes `user_id` hold a lock of `kind` on `doc_id` (replacing any lock there).
pub fn set(
    c: &Connection,
    doc_id: &str,
    kind: LockKind,
    user_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    c.execute(
        "INSERT INTO locks (document_id, status, user_id, since_ms) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (document_id) DO UPDATE SET status = excluded.status, \
         user_id = excluded.user_id, since_ms = excluded.since_ms",
        params![doc_id, kind.status(), user_id, now],
    )?;
    Ok(())
}

/// Releases any lock on `doc_id`.
pub fn clear(c: &Connection, doc_id: &str) -> Result<(), ApiError> {
    c.execute("DELETE FROM locks WHERE document_id = ?1", [doc_id])?;
    Ok(())
}
