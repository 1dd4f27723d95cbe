//! Labels and custom metadata on resources (CreateLabels, DeleteLabels, CreateCustomMetadata,
//! DeleteCustomMetadata), with the model's limits: 20 labels per resource, 8 metadata pairs per
//! resource or version, and the `SharedLabel` / `CustomMetadata*Type` character rules.

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::rows::{Caller, Need, VersionRow};
use super::sharing;
use crate::server::error::ApiError;

pub const MAX_LABELS: usize = 20;
pub const MAX_METADATA: usize = 8;

/// The model's pattern `[a-zA-Z0-9._+-/=][a-zA-Z0-9 ._+-/=]*` with a length range. (In that
/// character class `+-/` is the range `+`..`/`, which also admits `,`.)
fn valid_tag(s: &str, max: usize) -> bool {
    let ok = |c: char, first: bool| {
        c.is_ascii_alphanumeric()
            || ('+'..='/').contains(&c)
            || matches!(c, '.' | '_' | '=')
            || (!first && c == ' ')
    };
    let n = s.chars().count();
    (1..=max).contains(&n) && s.chars().enumerate().all(|(i, c)| ok(c, i == 0))
}

pub fn labels_of(c: &Connection, resource_id: &str) -> Result<Vec<String>, ApiError> {
    let mut stmt =
        c.prepare_cached("SELECT label FROM labels WHERE resource_id = ?1 ORDER BY label")?;
    let rows = stmt.query_map([resource_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Checks that the caller may change the resource's tags: WRITE, and no one else's lock.
fn writable(c: &Connection, caller: &Caller, resource_id: &str) -> Result<(), ApiError> {
    sharing::require(c, caller, resource_id, Need::Write)?;
    super::locks::ensure_writable(c, caller, resource_id)
}

pub fn create_labels(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    labels: &[String],
) -> Result<(), ApiError> {
    writable(c, caller, resource_id)?;
    if let Some(bad) = labels.iter().find(|l| !valid_tag(l, 32)) {
        return Err(ApiError::Invalid(format!("invalid label {bad:?}")));
    }
    let mut all = labels_of(c, resource_id)?;
    all.extend(labels.iter().cloned());
    all.sort();
    all.dedup();
    if all.len() > MAX_LABELS {
        return Err(ApiError::TooManyLabels(format!(
            "a resource has at most {MAX_LABELS} labels"
        )));
    }
    for l in labels {
        c.execute(
            "INSERT OR IGNORE INTO labels (resource_id, label) VALUES (?1, ?2)",
            params![resource_id, l],
        )?;
    }
    Ok(())
}

pub fn delete_labels(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    labels: &[String],
    all: bool,
) -> Result<(), ApiError> {
    writable(c, caller, resource_id)?;
    if all {
        c.execute("DELETE FROM labels WHERE resource_id = ?1", [resource_id])?;
    }
    for l in labels {
        c.execute(
            "DELETE FROM labels WHERE resource_id = ?1 AND label = ?2",
            params![resource_id, l],
        )?;
    }
    Ok(())
}

fn check_version(
    c: &Connection,
    resource_id: &str,
    version_id: Option<&str>,
) -> Result<String, ApiError> {
    match version_id {
        None => Ok(String::new()),
        Some(v) => {
            VersionRow::by_id(c, resource_id, v)?
                .ok_or_else(|| ApiError::not_found("version", v))?;
            Ok(v.to_owned())
        }
    }
}

pub fn metadata_of(
    c: &Connection,
    resource_id: &str,
    version_id: Option<&str>,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut stmt = c.prepare_cached(
        "SELECT key, value FROM custom_metadata WHERE resource_id = ?1 AND version_id = ?2",
    )?;
    let rows = stmt.query_map(params![resource_id, version_id.unwrap_or("")], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn create_metadata(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    version_id: Option<&str>,
    pairs: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    writable(c, caller, resource_id)?;
    let version = check_version(c, resource_id, version_id)?;
    if pairs.is_empty() {
        return Err(ApiError::Invalid(
            "CustomMetadata needs at least one pair".into(),
        ));
    }
    if let Some((k, v)) = pairs
        .iter()
        .find(|(k, v)| !valid_tag(k, 56) || !valid_tag(v, 256))
    {
        return Err(ApiError::Invalid(format!(
            "invalid custom metadata pair {k:?}={v:?}"
        )));
    }
    let mut merged = metadata_of(c, resource_id, version_id)?;
    merged.extend(pairs.clone());
    if merged.len() > MAX_METADATA {
        return Err(ApiError::TooMuchMetadata(format!(
            "at most {MAX_METADATA} custom metadata pairs"
        )));
    }
    for (k, v) in pairs {
        c.execute(
            "INSERT INTO custom_metadata (resource_id, version_id, key, value) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (resource_id, version_id, key) DO UPDATE SET value = excluded.value",
            params![resource_id, version, k, v],
        )?;
    }
    Ok(())
}

pub fn delete_metadata(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    version_id: Option<&str>,
    keys: &[String],
    all: bool,
) -> Result<(), ApiError> {
    writable(c, caller, resource_id)?;
    let version = check_version(c, resource_id, version_id)?;
    if all {
        c.execute(
            "DELETE FROM custom_metadata WHERE resource_id = ?1 AND version_id = ?2",
            params![resource_id, version],
        )?;
    }
    for k in keys {
        c.execute(
            "DELETE FROM custom_metadata WHERE resource_id = ?1 AND version_id = ?2 AND key = ?3",
            params![resource_id, version, k],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::valid_tag;

    #[test]
    fn tag_rules_follow_the_model_pattern() {
        assert!(valid_tag("project-x", 32));
        assert!(valid_tag("a b", 32));
        assert!(!valid_tag(" a", 32));
        assert!(!valid_tag("", 32));
        assert!(!valid_tag("é", 32));
        assert!(!valid_tag(&"a".repeat(33), 32));
    }
}
