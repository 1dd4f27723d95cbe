//! Row types read from the store, the caller identity and the role lattice. These are storage
//! shapes, not wire shapes: `server::workdocs::wire` turns them into the model's JSON.

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::server::error::ApiError;

pub const KIND_FOLDER: &str = "FOLDER";
pub const KIND_DOCUMENT: &str = "DOCUMENT";

/// Who is making a request.
#[derive(Clone, Debug)]
pub enum Caller {
    User(UserRow),
    /// A SigV4-signed request with a configured admin key: acts on any resource.
    Admin {
        key_id: String,
    },
}

impl Caller {
    /// The id recorded as creator / activity initiator.
    pub fn actor_id(&self) -> String {
        match self {
            Self::User(u) => u.id.clone(),
            Self::Admin { key_id } => admin_actor_id(key_id),
        }
    }

    pub fn user(&self) -> Option<&UserRow> {
        match self {
            Self::User(u) => Some(u),
            Self::Admin { .. } => None,
        }
    }
}

/// The pseudo user id of an admin key, valid for the model's `IdType` pattern.
pub fn admin_actor_id(key_id: &str) -> String {
    let clean: String = key_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("admin-{clean}")
}

#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub root_id: String,
    pub recycle_bin_id: String,
    pub created_ms: i64,
    pub modified_ms: i64,
}

pub const USER_COLUMNS: &str = "id, username, root_id, recycle_bin_id, created_ms, modified_ms";

impl UserRow {
    pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            username: r.get(1)?,
            root_id: r.get(2)?,
            recycle_bin_id: r.get(3)?,
            created_ms: r.get(4)?,
            modified_ms: r.get(5)?,
        })
    }

    pub fn by_id(c: &Connection, id: &str) -> rusqlite::Result<Option<Self>> {
        c.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
            [id],
            Self::from_row,
        )
        .optional()
    }
}

#[derive(Clone, Debug)]
pub struct ResourceRow {
    pub id: String,
    pub kind: String,
    pub special: Option<String>,
    pub name: String,
    pub parent_id: Option<String>,
    pub owner_id: String,
    pub creator_id: String,
    pub state: String,
    pub recycled_by: Option<String>,
    pub created_ms: i64,
    pub modified_ms: i64,
    /// The target of a LogicalDOC folder alias; such rows are invisible to the WorkDocs API.
    pub alias_of: Option<String>,
}

pub const RESOURCE_COLUMNS: &str = "id, kind, special, name, parent_id, owner_id, creator_id, \
     state, recycled_by, created_ms, modified_ms, alias_of";

impl ResourceRow {
    pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            kind: r.get(1)?,
            special: r.get(2)?,
            name: r.get(3)?,
            parent_id: r.get(4)?,
            owner_id: r.get(5)?,
            creator_id: r.get(6)?,
            state: r.get(7)?,
            recycled_by: r.get(8)?,
            created_ms: r.get(9)?,
            modified_ms: r.get(10)?,
            alias_of: r.get(11)?,
        })
    }

    pub fn by_id(c: &Connection, id: &str) -> rusqlite::Result<Option<Self>> {
        c.query_row(
            &format!("SELECT {RESOURCE_COLUMNS} FROM resources WHERE id = ?1"),
            [id],
            Self::from_row,
        )
        .optional()
    }

    pub fn is_folder(&self) -> bool {
        self.kind == KIND_FOLDER
    }

    pub fn is_recycled(&self) -> bool {
        self.state == "RECYCLED"
    }

    pub fn is_alias(&self) -> bool {
        self.alias_of.is_some()
    }
}

#[derive(Clone, Debug)]
pub struct VersionRow {
    pub id: String,
    pub document_id: String,
    pub status: String,
    pub content_type: String,
    pub declared_size: Option<i64>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    /// The content's SHA-1 (hex), for versions stored since the store kept one.
    pub sha1: Option<String>,
    pub creator_id: String,
    pub created_ms: i64,
    pub modified_ms: i64,
    pub content_created_ms: Option<i64>,
    pub content_modified_ms: Option<i64>,
}

pub const VERSION_COLUMNS: &str = "id, document_id, status, content_type, declared_size, size, \
     sha256, creator_id, created_ms, modified_ms, content_created_ms, content_modified_ms, sha1";

impl VersionRow {
    pub fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            document_id: r.get(1)?,
            status: r.get(2)?,
            content_type: r.get(3)?,
            declared_size: r.get(4)?,
            size: r.get(5)?,
            sha256: r.get(6)?,
            creator_id: r.get(7)?,
            created_ms: r.get(8)?,
            modified_ms: r.get(9)?,
            content_created_ms: r.get(10)?,
            content_modified_ms: r.get(11)?,
            sha1: r.get(12)?,
        })
    }

    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }

    /// The version's size: the uploaded size, else the declared one.
    pub fn effective_size(&self) -> Option<i64> {
        self.size.or(self.declared_size)
    }

    /// The live version a document shows: its newest ACTIVE version, else (for a document
    /// that was never activated) its newest INITIALIZED one.
    pub fn latest_of(c: &Connection, document_id: &str) -> rusqlite::Result<Option<Self>> {
        c.prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE document_id = ?1 AND deleted = 0 \
                 ORDER BY status = 'ACTIVE' DESC, COALESCE(activated_seq, 0) DESC, created_ms DESC, \
                 rowid DESC LIMIT 1"
        ))?
        .query_row(params![document_id], Self::from_row)
        .optional()
    }

    pub fn by_id(c: &Connection, document_id: &str, id: &str) -> rusqlite::Result<Option<Self>> {
        c.query_row(
            &format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE id = ?1 AND document_id = ?2 \
                 AND deleted = 0"
            ),
            params![id, document_id],
            Self::from_row,
        )
        .optional()
    }
}

/// WorkDocs roles, ordered by what they allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Contributor,
    Coowner,
    Owner,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "VIEWER" => Self::Viewer,
            "CONTRIBUTOR" => Self::Contributor,
            "COOWNER" => Self::Coowner,
            "OWNER" => Self::Owner,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "VIEWER",
            Self::Contributor => "CONTRIBUTOR",
            Self::Coowner => "COOWNER",
            Self::Owner => "OWNER",
        }
    }
}

/// What an operation needs of the caller's role.
#[derive(Clone, Copy, Debug)]
pub enum Need {
    /// See, list, download.
    Read,
    /// Create inside, upload versions, rename, move, recycle, restore, label.
    Write,
    /// Delete for good, share and unshare.
    Manage,
}

impl Need {
    pub fn min_role(self) -> Role {
        match self {
            Self::Read => Role::Viewer,
            Self::Write => Role::Contributor,
            Self::Manage => Role::Coowner,
        }
    }
}

/// A fresh random id of `bytes` random bytes in lowercase hex (the model's id patterns allow it).
pub fn new_id(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::Rng::fill(&mut rand::rng(), buf.as_mut_slice());
    hex::encode(buf)
}

/// Maps a failed uniqueness constraint to `AlreadyExists`.
pub fn map_unique(e: rusqlite::Error, what: &str) -> ApiError {
    match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            ApiError::AlreadyExists(format!("{what} already exists"))
        }
        other => ApiError::Storage(other),
    }
}
