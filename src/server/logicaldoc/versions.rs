//! LogicalDOC version labels over the store's versions. LogicalDOC numbers versions `X.Y` from
//! `1.0`; here every ACTIVE version of a document is labelled in activation order: a version's
//! stored label (`versions.ld_label`, set by the write side, e.g. a major for `release=true`)
//! wins, and one without takes the next minor after the version before it (`1.0` for the
//! first). Deleted versions keep their place in the numbering, so labels never shift when a
//! version is deleted or restored. `fileVersion` is the same label: content changes with every
//! version here.

use rusqlite::{Connection, params};

use super::doc_tree::user_number;
use super::tree;
use crate::server::error::ApiError;

/// One live ACTIVE version, labelled.
#[derive(Clone, Debug)]
pub struct LdVersion {
    /// The store's version id (names the blob).
    pub id: String,
    pub label: String,
    pub size: i64,
    pub sha256: Option<String>,
    /// The content's SHA-1 (hex), LogicalDOC's `digest`; none for versions stored before the
    /// store kept one.
    pub sha1: Option<String>,
    pub content_type: String,
    /// Who uploaded it: user name and number (none for an admin key).
    pub publisher: String,
    pub publisher_ld: Option<i64>,
    /// The content's modification time as its uploader gave it, else when it became active.
    pub date_ms: i64,
}

/// The live (not deleted) ACTIVE versions of document `doc_id`, oldest first.
pub fn live(c: &Connection, doc_id: &str) -> Result<Vec<LdVersion>, ApiError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, deleted, ld_label, COALESCE(size, declared_size, 0), sha256, content_type, \
         creator_id, COALESCE(content_modified_ms, modified_ms), sha1 FROM versions \
         WHERE document_id = ?1 AND status = 'ACTIVE' \
         ORDER BY COALESCE(activated_seq, 0), rowid",
    )?;
    type Row = (
        String,
        bool,
        Option<String>,
        i64,
        Option<String>,
        String,
        String,
        i64,
        Option<String>,
    );
    let rows: Vec<Row> = stmt
        .query_map(params![doc_id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let stored: Vec<Option<&str>> = rows.iter().map(|r| r.2.as_deref()).collect();
    let labels = labels(&stored);
    let mut out = Vec::new();
    for (row, label) in rows.iter().zip(labels) {
        let (id, deleted, _, size, sha256, content_type, creator, date_ms, sha1) = row;
        if *deleted {
            continue;
        }
        out.push(LdVersion {
            id: id.clone(),
            label,
            size: *size,
            sha256: sha256.clone(),
            sha1: sha1.clone(),
            content_type: content_type.clone(),
            publisher: tree::user_name(c, creator)?,
            publisher_ld: user_number(c, creator)?,
            date_ms: *date_ms,
        });
    }
    Ok(out)
}

/// The label of the next version of document `doc_id`: after the newest ACTIVE version (deleted
/// ones included, as they keep their place), `(X+1).0` for a release, else `X.(Y+1)`; `1.0` for
/// a document without one.
pub fn next_label(c: &Connection, doc_id: &str, release: bool) -> Result<String, ApiError> {
    let mut stmt = c.prepare_cached(
        "SELECT ld_label FROM versions WHERE document_id = ?1 AND status = 'ACTIVE' \
         ORDER BY COALESCE(activated_seq, 0), rowid",
    )?;
    let stored: Vec<Option<String>> = stmt
        .query_map(params![doc_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let stored: Vec<Option<&str>> = stored.iter().map(Option::as_deref).collect();
    Ok(following(
        labels(&stored).last().map(String::as_str),
        release,
    ))
}

/// The label after `last` (`1.0` after none).
fn following(last: Option<&str>, release: bool) -> String {
    match last.and_then(parse) {
        None => "1.0".to_owned(),
        Some((major, _)) if release => format!("{}.0", major + 1),
        Some((major, minor)) => format!("{major}.{}", minor + 1),
    }
}

/// Labels for versions in activation order, given the labels stored for them.
pub fn labels(stored: &[Option<&str>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(stored.len());
    for s in stored {
        let label = match s.and_then(parse) {
            Some((major, minor)) => format!("{major}.{minor}"),
            None => match out.last().and_then(|l| parse(l)) {
                Some((major, minor)) => format!("{major}.{}", minor + 1),
                None => "1.0".to_owned(),
            },
        };
        out.push(label);
    }
    out
}

/// `X.Y` as numbers.
fn parse(label: &str) -> Option<(u32, u32)> {
    let (major, minor) = label.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minors_follow_in_order_and_stored_labels_win() {
        assert!(labels(&[]).is_empty());
        assert_eq!(labels(&[None, None, None]), ["1.0", "1.1", "1.2"]);
        let stored = [None, None, Some("2.0"), None, Some("junk")];
        assert_eq!(labels(&stored), ["1.0", "1.1", "2.0", "2.1", "2.2"]);
        assert_eq!(
            labels(&[Some("1.0"), Some("1.9"), None]),
            ["1.0", "1.9", "1.10"]
        );
    }

    #[test]
    fn the_next_label_is_a_minor_or_a_release() {
        assert_eq!(following(None, false), "1.0");
        assert_eq!(following(None, true), "1.0");
        assert_eq!(following(Some("1.0"), false), "1.1");
        assert_eq!(following(Some("1.3"), true), "2.0");
    }
}
