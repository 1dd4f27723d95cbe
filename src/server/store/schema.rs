//! Numbered schema migrations. Each entry runs once, in order, inside a transaction, and bumps
//! `PRAGMA user_version`; never edit a shipped migration, add a new one.

use rusqlite::Connection;

use super::OpenError;

const MIGRATIONS: &[&str] = &[
    // 1: users, resources (folders and documents), versions, sharing, tags, activities.
    r#"
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    CREATE TABLE users (
        id             TEXT PRIMARY KEY,
        username       TEXT NOT NULL UNIQUE,
        token_sha256   TEXT UNIQUE,
        root_id        TEXT NOT NULL,
        recycle_bin_id TEXT NOT NULL,
        created_ms     INTEGER NOT NULL,
        modified_ms    INTEGER NOT NULL
    );
    CREATE TABLE resources (
        id           TEXT PRIMARY KEY,
        kind         TEXT NOT NULL CHECK (kind IN ('FOLDER', 'DOCUMENT')),
        special      TEXT CHECK (special IN ('ROOT', 'RECYCLE_BIN')),
        name         TEXT NOT NULL,
        parent_id    TEXT REFERENCES resources(id) ON DELETE CASCADE,
        owner_id     TEXT NOT NULL,
        creator_id   TEXT NOT NULL,
        state        TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('ACTIVE', 'RECYCLED')),
        recycled_by  TEXT,
        recycled_ms  INTEGER,
        created_ms   INTEGER NOT NULL,
        modified_ms  INTEGER NOT NULL
    );
    CREATE INDEX resources_parent ON resources(parent_id, state, name);
    CREATE INDEX resources_recycled ON resources(state, owner_id);
    CREATE TABLE versions (
        id                  TEXT PRIMARY KEY,
        document_id         TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
        status              TEXT NOT NULL CHECK (status IN ('INITIALIZED', 'ACTIVE')),
        deleted             INTEGER NOT NULL DEFAULT 0,
        content_type        TEXT NOT NULL,
        declared_size       INTEGER,
        size                INTEGER,
        sha256              TEXT,
        creator_id          TEXT NOT NULL,
        created_ms          INTEGER NOT NULL,
        modified_ms         INTEGER NOT NULL,
        content_created_ms  INTEGER,
        content_modified_ms INTEGER,
        activated_seq       INTEGER
    );
    CREATE INDEX versions_document ON versions(document_id, status, deleted);
    CREATE TABLE permissions (
        resource_id    TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
        principal_id   TEXT NOT NULL,
        principal_type TEXT NOT NULL,
        role           TEXT NOT NULL,
        share_id       TEXT NOT NULL,
        created_ms     INTEGER NOT NULL,
        PRIMARY KEY (resource_id, principal_id)
    );
    CREATE INDEX permissions_principal ON permissions(principal_id);
    CREATE TABLE labels (
        resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
        label       TEXT NOT NULL,
        PRIMARY KEY (resource_id, label)
    );
    CREATE TABLE custom_metadata (
        resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
        version_id  TEXT NOT NULL DEFAULT '',
        key         TEXT NOT NULL,
        value       TEXT NOT NULL,
        PRIMARY KEY (resource_id, version_id, key)
    );
    CREATE TABLE activities (
        seq                INTEGER PRIMARY KEY AUTOINCREMENT,
        time_ms            INTEGER NOT NULL,
        type               TEXT NOT NULL,
        actor_id           TEXT NOT NULL,
        resource_id        TEXT NOT NULL,
        resource_type      TEXT NOT NULL,
        resource_name      TEXT NOT NULL,
        original_name      TEXT,
        parent_id          TEXT,
        original_parent_id TEXT,
        version_id         TEXT,
        owner_id           TEXT NOT NULL,
        participants       TEXT
    );
    CREATE INDEX activities_resource ON activities(resource_id);
    "#,
    // 2: listing indexes, one per sort key, so a page reads only the rows it returns.
    r#"
    CREATE INDEX resources_list_name ON resources(parent_id, state, kind, name, id);
    CREATE INDEX resources_list_date ON resources(parent_id, state, kind, modified_ms, id);
    "#,
    // 3: LogicalDOC's numeric ids, assigned on first exposure and never reused: resources from
    // 100 (LogicalDOC's 4 and 5 are the Default workspace and the root), users from 10.
    r#"
    CREATE TABLE ld_ids (
        ld_id       INTEGER PRIMARY KEY AUTOINCREMENT,
        resource_id TEXT NOT NULL UNIQUE REFERENCES resources(id) ON DELETE CASCADE
    );
    CREATE TABLE ld_user_ids (
        ld_id   INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE
    );
    INSERT INTO sqlite_sequence (name, seq) VALUES ('ld_ids', 99), ('ld_user_ids', 9);
    "#,
    // 4: LogicalDOC versions: numeric ids for version records (their own numbering, from 100)
    // and an explicit `X.Y` label, set when the write side decides one (`release=true` makes a
    // major); versions without one are labelled by activation order.
    r#"
    ALTER TABLE versions ADD COLUMN ld_label TEXT;
    CREATE TABLE ld_version_ids (
        ld_id      INTEGER PRIMARY KEY AUTOINCREMENT,
        version_id TEXT NOT NULL UNIQUE REFERENCES versions(id) ON DELETE CASCADE
    );
    INSERT INTO sqlite_sequence (name, seq) VALUES ('ld_version_ids', 99);
    "#,
    // 5: LogicalDOC folder aliases and document locks. An alias is a folder row whose `alias_of`
    // names its target (it goes when the target is deleted for good); the WorkDocs API never
    // shows one. A lock is a status (1 checked out, 2 locked) and its holder; while it is held,
    // writes by anyone else fail through either API.
    r#"
    ALTER TABLE resources ADD COLUMN alias_of TEXT REFERENCES resources(id) ON DELETE CASCADE;
    CREATE INDEX resources_alias ON resources(alias_of);
    CREATE TABLE locks (
        document_id TEXT PRIMARY KEY REFERENCES resources(id) ON DELETE CASCADE,
        status      INTEGER NOT NULL CHECK (status IN (1, 2)),
        user_id     TEXT NOT NULL,
        since_ms    INTEGER NOT NULL
    );
    "#,
    // 6: the SHA-1 of a version's content (LogicalDOC's `digest`), beside its SHA-256. Versions
    // stored before have none (NULL), and so no digest.
    r#"
    ALTER TABLE versions ADD COLUMN sha1 TEXT;
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub fn migrate(conn: &mut Connection) -> Result<(), OpenError> {
    let found: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(OpenError::Migration)?;
    if found > SCHEMA_VERSION {
        return Err(OpenError::TooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction().map_err(OpenError::Migration)?;
        tx.execute_batch(sql).map_err(OpenError::Migration)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .map_err(OpenError::Migration)?;
        tx.commit().map_err(OpenError::Migration)?;
    }
    Ok(())
}
