//! Users and the one organization: created from `docsfs serve --user NAME:TOKEN`, each with a
//! root folder and a recycle-bin folder. Tokens are stored only as SHA-256 digests.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::rows::{KIND_FOLDER, USER_COLUMNS, UserRow, new_id};
use crate::server::error::ApiError;

fn setting(c: &Connection, key: &str, make: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>, ApiError> {
    if let Some(v) = c
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get::<_, Vec<u8>>(0)
        })
        .optional()?
    {
        return Ok(v);
    }
    let v = make();
    c.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)",
        params![key, v],
    )?;
    Ok(v)
}

/// The organization id, created on first use.
pub fn organization_id(c: &Connection) -> Result<String, ApiError> {
    let v = setting(c, "organization_id", || {
        format!("d-{}", new_id(5)).into_bytes()
    })?;
    Ok(String::from_utf8_lossy(&v).into_owned())
}

/// The secret key signing download and upload URLs; kept so URLs survive a restart.
pub fn url_signing_key(c: &Connection) -> Result<Vec<u8>, ApiError> {
    setting(c, "url_signing_key", || new_id(32).into_bytes())
}

pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `name` is a valid WorkDocs username (the model's `UsernameType`, without a domain).
pub fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.'))
}

/// Creates the user (with root and recycle-bin folders) if missing; sets its token.
pub fn ensure_user(
    c: &Connection,
    name: &str,
    token: Option<&str>,
    now: i64,
) -> Result<UserRow, ApiError> {
    if !valid_username(name) {
        return Err(ApiError::Invalid(format!("invalid user name {name:?}")));
    }
    organization_id(c)?;
    let existing = c
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
            [name],
            UserRow::from_row,
        )
        .optional()?;
    let user = match existing {
        Some(u) => u,
        None => {
            let (id, root, bin) = (format!("u-{}", new_id(16)), new_id(32), new_id(32));
            c.execute(
                "INSERT INTO users (id, username, root_id, recycle_bin_id, created_ms, modified_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![id, name, root, bin, now],
            )?;
            for (folder, special, fname) in
                [(&root, "ROOT", name), (&bin, "RECYCLE_BIN", "RecycleBin")]
            {
                c.execute(
                    "INSERT INTO resources (id, kind, special, name, parent_id, owner_id, creator_id, \
                     created_ms, modified_ms) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?5, ?6, ?6)",
                    params![folder, KIND_FOLDER, special, fname, id, now],
                )?;
            }
            UserRow::by_id(c, &id)?.ok_or_else(|| ApiError::Unavailable("user vanished".into()))?
        }
    };
    if let Some(token) = token {
        c.execute(
            "UPDATE users SET token_sha256 = NULL WHERE token_sha256 = ?1 AND id <> ?2",
            params![token_digest(token), user.id],
        )?;
        c.execute(
            "UPDATE users SET token_sha256 = ?1 WHERE id = ?2",
            params![token_digest(token), user.id],
        )?;
    }
    Ok(user)
}

pub fn by_token(c: &Connection, token: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(c.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE token_sha256 = ?1"),
        [token_digest(token)],
        UserRow::from_row,
    )
    .optional()?)
}

pub fn by_username(c: &Connection, name: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(c.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1"),
        [name],
        UserRow::from_row,
    )
    .optional()?)
}

/// The user named `name` if `secret` is its token: for password logins (LogicalDOC's API). The
/// digest is computed and compared in constant time whether or not the user exists.
pub fn check_password(
    c: &Connection,
    name: &str,
    secret: &str,
) -> Result<Option<UserRow>, ApiError> {
    let given = token_digest(secret);
    let found = c
        .query_row(
            &format!("SELECT {USER_COLUMNS}, token_sha256 FROM users WHERE username = ?1"),
            [name],
            |r| Ok((UserRow::from_row(r)?, r.get::<_, Option<String>>(6)?)),
        )
        .optional()?;
    Ok(found.and_then(|(user, stored)| {
        let stored = stored?;
        constant_time_eq(given.as_bytes(), stored.as_bytes()).then_some(user)
    }))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Bytes of ACTIVE, undeleted versions of documents the user owns.
pub fn storage_used(c: &Connection, user_id: &str) -> Result<i64, ApiError> {
    Ok(c.query_row(
        "SELECT COALESCE(SUM(v.size), 0) FROM versions v JOIN resources r ON r.id = v.document_id \
         WHERE r.owner_id = ?1 AND v.status = 'ACTIVE' AND v.deleted = 0",
        [user_id],
        |r| r.get(0),
    )?)
}

pub struct UserQuery {
    pub ids: Vec<String>,
    pub text: Option<String>,
    pub descending: bool,
}

/// Users of the organization matching the query, by username.
pub fn describe(c: &Connection, q: &UserQuery) -> Result<Vec<UserRow>, ApiError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {USER_COLUMNS} FROM users ORDER BY username"
    ))?;
    let mut users: Vec<UserRow> = stmt
        .query_map([], UserRow::from_row)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|u| q.ids.is_empty() || q.ids.contains(&u.id))
        .filter(|u| {
            q.text
                .as_ref()
                .is_none_or(|t| u.username.to_lowercase().contains(&t.to_lowercase()))
        })
        .collect();
    if q.descending {
        users.reverse();
    }
    Ok(users)
}
