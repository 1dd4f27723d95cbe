//! The in-memory store's data and the rules every operation shares: items and their versions,
//! users and their roots, direct shares, the logical clock, and the checks (who may act, what
//! is in the recycle bin, which names are taken). Mirrors the embedded server's store
//! (`server/store/sharing.rs`, `tree.rs`) so the model and the real store agree.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::remote::{Collection, Node, NodeKind, RemoteError, RemoteId, Role};

/// Where the logical clock starts (2023-11-14T22:13:20Z), so runs are reproducible.
const CLOCK_START: Duration = Duration::from_secs(1_700_000_000);
/// How far the logical clock moves per mutation.
const TICK: Duration = Duration::from_secs(1);

/// Sort position of an item in a listing: (kind rank: folders 0, documents 1, name, id).
pub(super) type Position = (u8, String, RemoteId);

pub(super) struct Version {
    pub id: String,
    pub bytes: Bytes,
    pub mtime: SystemTime,
    /// When it was uploaded (the logical clock).
    pub created: SystemTime,
}

pub(super) struct Item {
    pub id: RemoteId,
    pub kind: NodeKind,
    pub name: String,
    /// `None` only for a user's root folder.
    pub parent: Option<RemoteId>,
    pub owner: String,
    pub ctime: SystemTime,
    /// The item's own modification time (what a folder reports as mtime).
    pub modified: SystemTime,
    /// Who recycled it, when it is directly in the recycle bin.
    pub recycled_by: Option<String>,
    /// Documents: oldest first, never empty. Folders: empty.
    pub versions: Vec<Version>,
    /// Links: the target's path from the owner's root.
    pub link: Option<Vec<String>>,
}

impl Item {
    pub fn is_live(&self) -> bool {
        self.recycled_by.is_none()
    }

    pub fn position(&self) -> Position {
        let rank = u8::from(self.kind == NodeKind::Document);
        (rank, self.name.clone(), self.id.clone())
    }

    pub fn node(&self) -> Node {
        let latest = self.versions.last();
        Node {
            id: self.id.clone(),
            kind: self.kind,
            name: self.name.clone(),
            parent: self.parent.clone(),
            size: latest.map_or(0, |v| v.bytes.len() as u64),
            mtime: latest.map_or(self.modified, |v| v.mtime),
            ctime: self.ctime,
            version: latest.map(|v| v.id.clone()),
            recycled: !self.is_live(),
            role: None,
            link: self.link.clone(),
            digest: None,
        }
    }
}

pub(super) struct Store {
    pub items: BTreeMap<RemoteId, Item>,
    /// User name → root folder id.
    pub users: BTreeMap<String, RemoteId>,
    /// Direct shares: (item, user) → role.
    pub shares: BTreeMap<(RemoteId, String), Role>,
    /// Markers handed out, with the collection they page and the position they resume after.
    pub markers: HashMap<(Collection, String), Position>,
    next_id: u64,
    clock: SystemTime,
}

impl Store {
    pub fn new() -> Self {
        Self {
            items: BTreeMap::new(),
            users: BTreeMap::new(),
            shares: BTreeMap::new(),
            markers: HashMap::new(),
            next_id: 0,
            clock: UNIX_EPOCH + CLOCK_START,
        }
    }

    /// Advances the logical clock and returns the new time.
    pub fn tick(&mut self) -> SystemTime {
        self.clock += TICK;
        self.clock
    }

    pub fn set_now(&mut self, now: SystemTime) {
        self.clock = now;
    }

    pub fn now(&self) -> SystemTime {
        self.clock
    }

    /// A new id, `prefix` followed by a store-wide counter.
    pub fn fresh_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    /// Creates `user` with an empty root folder; returns the root's id.
    pub fn add_user(&mut self, user: &str) -> Result<RemoteId, RemoteError> {
        if self.users.contains_key(user) {
            return Err(RemoteError::AlreadyExists(format!("user {user}")));
        }
        let id = self.fresh_id("f");
        let now = self.tick();
        let root = Item {
            id: id.clone(),
            kind: NodeKind::Folder,
            name: user.to_owned(),
            parent: None,
            owner: user.to_owned(),
            ctime: now,
            modified: now,
            recycled_by: None,
            versions: Vec::new(),
            link: None,
        };
        self.items.insert(id.clone(), root);
        self.users.insert(user.to_owned(), id.clone());
        Ok(id)
    }

    /// The user's root folder; an unknown user is refused as an unknown token would be.
    pub fn root_of(&self, user: &str) -> Result<&RemoteId, RemoteError> {
        self.users
            .get(user)
            .ok_or_else(|| RemoteError::Unauthenticated(format!("unknown user {user}")))
    }

    pub fn item(&self, id: &str) -> Result<&Item, RemoteError> {
        self.items
            .get(id)
            .ok_or_else(|| RemoteError::NotFound(id.to_owned()))
    }

    pub fn item_mut(&mut self, id: &str) -> Result<&mut Item, RemoteError> {
        self.items
            .get_mut(id)
            .ok_or_else(|| RemoteError::NotFound(id.to_owned()))
    }

    /// The item and its ancestors, nearest first (empty when `id` is unknown).
    pub fn ancestry(&self, id: &str) -> Vec<&Item> {
        let mut chain = Vec::new();
        let mut next = self.items.get(id);
        while let Some(item) = next {
            chain.push(item);
            next = item.parent.as_deref().and_then(|p| self.items.get(p));
        }
        chain
    }

    /// Owner of the item or an ancestor: Owner; else the best direct share on the item or an
    /// ancestor; else Denied.
    pub fn role_of(&self, user: &str, id: &str) -> Result<Role, RemoteError> {
        self.root_of(user)?;
        let chain = self.ancestry(id);
        if chain.is_empty() {
            return Err(RemoteError::NotFound(id.to_owned()));
        }
        if chain.iter().any(|i| i.owner == user) {
            return Ok(Role::Owner);
        }
        chain
            .iter()
            .filter_map(|i| self.shares.get(&(i.id.clone(), user.to_owned())))
            .max()
            .copied()
            .ok_or_else(|| RemoteError::Denied(format!("{user} has no role on {id}")))
    }

    /// The item, when `user` has at least role `need` on it.
    pub fn require(&self, user: &str, id: &str, need: Role) -> Result<&Item, RemoteError> {
        let role = self.role_of(user, id)?;
        if role < need {
            return Err(RemoteError::Denied(format!(
                "{user} is {role:?} on {id}; this needs {need:?}"
            )));
        }
        self.item(id)
    }

    /// Whether the item or one of its ancestors is in a recycle bin.
    pub fn in_bin(&self, id: &str) -> bool {
        self.ancestry(id).iter().any(|i| !i.is_live())
    }

    /// A folder `user` may create items in: Contributor or better, not in a recycle bin.
    pub fn writable_folder(&self, user: &str, id: &str) -> Result<&Item, RemoteError> {
        let folder = self.require(user, id, Role::Contributor)?;
        if folder.kind != NodeKind::Folder {
            return Err(RemoteError::Invalid(format!("{id} is not a folder")));
        }
        if self.in_bin(id) {
            return Err(RemoteError::Conflict(format!("{id} is in the recycle bin")));
        }
        Ok(folder)
    }

    /// An item `user` may rename, move or recycle: Contributor or better, not a root, not in
    /// a recycle bin.
    pub fn changeable(&self, user: &str, id: &str) -> Result<&Item, RemoteError> {
        let item = self.require(user, id, Role::Contributor)?;
        if item.parent.is_none() {
            return Err(RemoteError::Conflict(format!("{id} is a root folder")));
        }
        if self.in_bin(id) {
            return Err(RemoteError::Conflict(format!(
                "{id} is in the recycle bin; restore it first"
            )));
        }
        Ok(item)
    }

    /// Every item whose parent is `parent`, live or recycled, in id order.
    pub fn children<'a, 'p>(&'a self, parent: &'p str) -> impl Iterator<Item = &'a Item> + 'p
    where
        'a: 'p,
    {
        self.items
            .values()
            .filter(move |i| i.parent.as_deref() == Some(parent))
    }

    /// The first live item of `parent` named `name`, other than `except`.
    pub fn live_named(&self, parent: &str, name: &str, except: &str) -> Option<&Item> {
        self.children(parent)
            .find(|i| i.is_live() && i.name == name && i.id != except)
    }

    pub fn ensure_name_free(
        &self,
        parent: &str,
        name: &str,
        except: &str,
    ) -> Result<(), RemoteError> {
        match self.live_named(parent, name, except) {
            Some(other) => Err(RemoteError::AlreadyExists(format!(
                "{name:?} in {parent} (as {})",
                other.id
            ))),
            None => Ok(()),
        }
    }
}

/// A name as the store accepts it: 1–255 characters, none below U+0020, no U+202E; `/` is fine.
pub(super) fn validate_name(name: &str) -> Result<(), RemoteError> {
    let count = name.chars().count();
    if count == 0 || count > 255 {
        return Err(RemoteError::Invalid(format!(
            "a name has 1 to 255 characters, not {count}"
        )));
    }
    match name.chars().find(|&c| c < '\u{20}' || c == '\u{202E}') {
        Some(bad) => Err(RemoteError::Invalid(format!(
            "a name may not contain {bad:?}"
        ))),
        None => Ok(()),
    }
}
