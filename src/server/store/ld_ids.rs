//! LogicalDOC's numeric ids over the store's text ids. A resource gets a number the first time the
//! LogicalDOC API shows it (`ld_ids`, from 100, never reused); 5 is the virtual root and 4 the
//! caller's own root folder (its `Default` workspace), whoever the caller is. Users get numbers
//! the same way (`ld_user_ids`, from 10), for `userId` fields, and version records too
//! (`ld_version_ids`, from 100, a numbering of their own), for `getVersions`.

use rusqlite::{Connection, OptionalExtension};

use super::rows::UserRow;
use crate::server::error::ApiError;

/// LogicalDOC's root folder `/`: virtual, its own parent, listing the caller's workspaces.
pub const ROOT: i64 = 5;
/// LogicalDOC's `Default` workspace: the caller's own root folder.
pub const DEFAULT_WORKSPACE: i64 = 4;

/// What a LogicalDOC folder id stands for, for one caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The virtual root (5).
    Root,
    /// A resource of the store (4 is the caller's root folder).
    Resource(String),
}

/// The number of a resource, assigned now if it has none yet.
pub fn ld_id_of(c: &Connection, resource_id: &str) -> Result<i64, ApiError> {
    let find = |c: &Connection| {
        c.prepare_cached("SELECT ld_id FROM ld_ids WHERE resource_id = ?1")?
            .query_row([resource_id], |r| r.get::<_, i64>(0))
            .optional()
    };
    if let Some(id) = find(c)? {
        return Ok(id);
    }
    c.prepare_cached("INSERT OR IGNORE INTO ld_ids (resource_id) VALUES (?1)")?
        .execute([resource_id])?;
    find(c)?.ok_or_else(|| ApiError::Unavailable(format!("no LogicalDOC id for {resource_id}")))
}

/// The number `user` sees for a resource: 4 for its own root folder, else [`ld_id_of`].
pub fn ld_id_for(c: &Connection, user: &UserRow, resource_id: &str) -> Result<i64, ApiError> {
    if resource_id == user.root_id {
        Ok(DEFAULT_WORKSPACE)
    } else {
        ld_id_of(c, resource_id)
    }
}

/// What `ld_id` stands for when `user` asks; `None` for a number never assigned (or whose
/// resource was deleted for good).
pub fn resource_of(c: &Connection, user: &UserRow, ld_id: i64) -> Result<Option<Target>, ApiError> {
    Ok(match ld_id {
        ROOT => Some(Target::Root),
        DEFAULT_WORKSPACE => Some(Target::Resource(user.root_id.clone())),
        _ => c
            .prepare_cached("SELECT resource_id FROM ld_ids WHERE ld_id = ?1")?
            .query_row([ld_id], |r| r.get::<_, String>(0))
            .optional()?
            .map(Target::Resource),
    })
}

/// The number of a user, assigned now if it has none yet.
pub fn ld_user_id_of(c: &Connection, user_id: &str) -> Result<i64, ApiError> {
    let find = |c: &Connection| {
        c.prepare_cached("SELECT ld_id FROM ld_user_ids WHERE user_id = ?1")?
            .query_row([user_id], |r| r.get::<_, i64>(0))
            .optional()
    };
    if let Some(id) = find(c)? {
        return Ok(id);
    }
    c.prepare_cached("INSERT OR IGNORE INTO ld_user_ids (user_id) VALUES (?1)")?
        .execute([user_id])?;
    find(c)?.ok_or_else(|| ApiError::Unavailable(format!("no LogicalDOC id for user {user_id}")))
}

/// The user whose number is `ld_id`, if one has it.
pub fn user_of(c: &Connection, ld_id: i64) -> Result<Option<String>, ApiError> {
    Ok(
        c.prepare_cached("SELECT user_id FROM ld_user_ids WHERE ld_id = ?1")?
            .query_row([ld_id], |r| r.get::<_, String>(0))
            .optional()?,
    )
}

/// The number of a version record (their own numbering, from 100), assigned now if it has none.
pub fn ld_version_id_of(c: &Connection, version_id: &str) -> Result<i64, ApiError> {
    let find = |c: &Connection| {
        c.prepare_cached("SELECT ld_id FROM ld_version_ids WHERE version_id = ?1")?
            .query_row([version_id], |r| r.get::<_, i64>(0))
            .optional()
    };
    if let Some(id) = find(c)? {
        return Ok(id);
    }
    c.prepare_cached("INSERT OR IGNORE INTO ld_version_ids (version_id) VALUES (?1)")?
        .execute([version_id])?;
    find(c)?.ok_or_else(|| ApiError::Unavailable(format!("no LogicalDOC id for {version_id}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::users::ensure_user;

    fn store() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Connection::open(dir.path().join("db")).unwrap();
        c.pragma_update(None, "foreign_keys", "ON").unwrap();
        crate::server::store::schema::migrate(&mut c).unwrap();
        (dir, c)
    }

    #[test]
    fn ids_start_at_100_and_stay() {
        let (_dir, c) = store();
        let alice = ensure_user(&c, "alice", None, 0).unwrap();
        let bob = ensure_user(&c, "bob", None, 0).unwrap();
        let a = ld_id_of(&c, &bob.root_id).unwrap();
        assert_eq!(a, 100);
        assert_eq!(ld_id_of(&c, &bob.root_id).unwrap(), 100);
        assert_eq!(ld_id_of(&c, &bob.recycle_bin_id).unwrap(), 101);
        assert_eq!(
            ld_id_for(&c, &bob, &bob.root_id).unwrap(),
            DEFAULT_WORKSPACE
        );
        assert_eq!(ld_id_for(&c, &alice, &bob.root_id).unwrap(), 100);
        let bobs = Target::Resource(bob.root_id.clone());
        assert_eq!(resource_of(&c, &alice, 100).unwrap(), Some(bobs));
        let own = Target::Resource(alice.root_id.clone());
        assert_eq!(resource_of(&c, &alice, 4).unwrap(), Some(own));
        assert_eq!(resource_of(&c, &alice, 5).unwrap(), Some(Target::Root));
        assert_eq!(resource_of(&c, &alice, 102).unwrap(), None);
        assert_eq!(resource_of(&c, &alice, 0).unwrap(), None);
        assert_eq!(ld_user_id_of(&c, &alice.id).unwrap(), 10);
        assert_eq!(ld_user_id_of(&c, &bob.id).unwrap(), 11);
        assert_eq!(user_of(&c, 11).unwrap(), Some(bob.id.clone()));
        assert_eq!(user_of(&c, 12).unwrap(), None);
        assert_eq!(ld_user_id_of(&c, &alice.id).unwrap(), 10);
        c.execute(
            "INSERT INTO resources (id, kind, name, parent_id, owner_id, creator_id, \
             created_ms, modified_ms) VALUES ('d1', 'DOCUMENT', 'x', ?1, ?2, ?2, 0, 0)",
            [&alice.root_id, &alice.id],
        )
        .unwrap();
        c.execute(
            "INSERT INTO versions (id, document_id, status, content_type, creator_id, \
             created_ms, modified_ms) VALUES ('v1', 'd1', 'ACTIVE', 't', ?1, 0, 0)",
            [&alice.id],
        )
        .unwrap();
        assert_eq!(
            ld_version_id_of(&c, "v1").unwrap(),
            100,
            "a numbering of their own"
        );
        assert_eq!(ld_version_id_of(&c, "v1").unwrap(), 100);
    }

    #[test]
    fn ids_of_deleted_resources_are_not_reused() {
        let (_dir, c) = store();
        let alice = ensure_user(&c, "alice", None, 0).unwrap();
        c.execute(
            "INSERT INTO resources (id, kind, name, parent_id, owner_id, creator_id, \
             created_ms, modified_ms) VALUES ('f1', 'FOLDER', 'x', ?1, ?2, ?2, 0, 0)",
            [&alice.root_id, &alice.id],
        )
        .unwrap();
        assert_eq!(ld_id_of(&c, "f1").unwrap(), 100);
        c.execute("DELETE FROM resources WHERE id = 'f1'", [])
            .unwrap();
        assert_eq!(resource_of(&c, &alice, 100).unwrap(), None);
        assert_eq!(ld_id_of(&c, &alice.root_id).unwrap(), 101);
    }
}
