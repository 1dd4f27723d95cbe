//! What the filesystem knows of a document store: nodes (folders and documents) with the
//! attributes a `stat` needs, pages of a listing, the caller's roles, and where the tree starts.
//! Backend clients translate their wire shapes into these; nothing HTTP-shaped appears here.

use std::collections::BTreeMap;
use std::time::SystemTime;

/// A backend's id of a folder or document.
pub type RemoteId = String;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    Folder,
    Document,
    /// A folder alias (LogicalDOC): shown as a symbolic link to its target.
    Link,
}

/// The caller's role on an item, ordered by what it allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Viewer,
    Contributor,
    Coowner,
    Owner,
}

impl Role {
    /// Whether the role allows changing the item's content or children.
    pub fn can_write(self) -> bool {
        self >= Role::Contributor
    }
}

/// One folder or document as a listing (or a lookup by id) reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: RemoteId,
    pub kind: NodeKind,
    /// The name as the store has it (may contain `/`; the filesystem escapes it).
    pub name: String,
    pub parent: Option<RemoteId>,
    /// Bytes of the latest ACTIVE version (0 for folders).
    pub size: u64,
    /// Content modification time: the latest version's ContentModifiedTimestamp, else the
    /// item's modification time.
    pub mtime: SystemTime,
    /// Creation time of the item.
    pub ctime: SystemTime,
    /// The latest ACTIVE version's id (documents only).
    pub version: Option<String>,
    /// The item is in a recycle bin.
    pub recycled: bool,
    /// The caller's role, when the backend reports it with the item; `None` means "as its parent".
    pub role: Option<Role>,
    /// For a [`NodeKind::Link`]: the target's path from the root of the caller's tree, one
    /// store name per segment.
    pub link: Option<Vec<String>>,
    /// The checksum the store states for the latest version's content, in hex (WorkDocs'
    /// `Signature`, LogicalDOC's `digest`), when it gives one: the content cache checks fetched
    /// bytes against it (`fs/content.rs`).
    pub digest: Option<String>,
}

/// One complete (ACTIVE) version of a document, as [`crate::remote::Remote::versions`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// What [`crate::remote::Remote::read`] takes as `version`.
    pub id: String,
    /// How people name it: LogicalDOC's `X.Y` (`1.2`); on WorkDocs, which has no labels, its
    /// ordinal among the listed versions, oldest first (`1`, `2`, …).
    pub label: String,
    pub size: u64,
    /// The content's modification time, else when the version was created.
    pub mtime: SystemTime,
    pub created: SystemTime,
    /// Who uploaded it, as the store names them.
    pub creator: Option<String>,
}

/// One page of a listing; `next_marker` fetches the next.
#[derive(Clone, Debug, Default)]
pub struct Page {
    pub items: Vec<Node>,
    pub next_marker: Option<String>,
}

/// What a listing lists.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Collection {
    /// The children of a folder.
    Folder(RemoteId),
    /// The caller's recycle bin: items deleted (directly) and restorable.
    RecycleBin,
    /// Items other users shared with the caller.
    SharedWithMe,
}

/// Where the caller's tree starts.
#[derive(Clone, Debug)]
pub struct Roots {
    /// The caller's user id (`None` for an admin key, which has no user).
    pub user_id: Option<String>,
    pub root: RemoteId,
    /// Whether the caller has a recycle bin and a shared-with-me collection to show.
    pub has_recycle_bin: bool,
    pub has_shared_with_me: bool,
    /// The caller's role on the root itself (LogicalDOC's root holds workspaces, which only
    /// administrators create).
    pub root_role: Role,
}

/// Where an upload's bytes go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadTarget {
    /// A new document `name` in folder `parent`.
    NewDocument { parent: RemoteId, name: String },
    /// A new version of an existing document.
    NewVersion { doc: RemoteId },
}

/// One upload: the bytes are read from `path` (a spool file) so no backend holds them in RAM.
#[derive(Clone, Debug)]
pub struct Upload {
    pub target: UploadTarget,
    pub path: std::path::PathBuf,
    /// Bytes to send (the file is not read past this).
    pub size: u64,
    /// ContentModifiedTimestamp of the new version: the file's mtime.
    pub modified: SystemTime,
    /// ContentCreatedTimestamp, when known.
    pub created: Option<SystemTime>,
}

/// A rename and/or move of an item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Relocation {
    /// The new name (`None`: keep it).
    pub name: Option<String>,
    /// The new parent folder (`None`: stay).
    pub parent: Option<RemoteId>,
}

/// A position in a store's change log: changes at or before it have been seen. `time_ms` is the
/// store's own clock (never this machine's); `seen` names the changes at the newest instants
/// already reported, so that asking again from slightly before `time_ms` (stores record
/// changes out of order by a little) reports nothing twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub time_ms: Option<i64>,
    pub seen: std::collections::BTreeSet<(i64, String)>,
}

/// One change another client (or this one) made at the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The item changed.
    pub id: RemoteId,
    pub kind: NodeKind,
    /// Its name after the change, if the store said.
    pub name: Option<String>,
    /// The folders whose contents changed: the item's folder and, for a move, the old one.
    pub folders: Vec<RemoteId>,
    /// The document's new version, for a new or reverted version.
    pub version: Option<String>,
    /// Whether the change affects the recycle bin (recycled, restored, deleted for good).
    pub bin: bool,
    /// Whether the item left its folder for the bin or for good.
    pub removed: bool,
    /// Whether the change affects who sees the item (shared, unshared).
    pub shares: bool,
}

/// Changes since a [`FeedCursor`], oldest first, and the cursor to ask from next time.
#[derive(Clone, Debug, Default)]
pub struct ChangeBatch {
    pub changes: Vec<Change>,
    pub cursor: FeedCursor,
    /// More changed than one poll reads: everything cached should be considered stale.
    pub overflow: bool,
}

/// Who a share is with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    User,
    Group,
    /// Someone invited by email who has no account yet.
    Invite,
    /// Anyone with the link.
    Anonymous,
    /// Everyone in the organization.
    Organization,
}

/// A user, group or other party a share is with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The backend's id of it (a LogicalDOC user or group number as a string).
    pub id: String,
    pub kind: PrincipalKind,
    /// The user or group name, when the store tells it.
    pub name: Option<String>,
    pub email: Option<String>,
}

/// One party's role on an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    pub principal: Principal,
    pub role: Role,
    /// The role comes from a folder above (no direct share on the item gives it).
    pub inherited: bool,
}

/// A share to add or change: `with` as the user typed it (an id, a user name, an email address,
/// a group name), resolved by the backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareRequest {
    pub with: String,
    /// Viewer, Contributor or Coowner (an owner is not made by sharing).
    pub role: Role,
    /// A message to send the principal by email (`None`: no notification).
    pub notify: Option<String>,
}

/// One thing someone did at the store, as `docsfs activity` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityEntry {
    pub time: SystemTime,
    /// Who did it: a user name when known, else the store's id of the user.
    pub actor: String,
    /// The store's name of the action, e.g. `DOCUMENT_RENAMED`.
    pub action: String,
    /// The item's name after the action.
    pub item_name: Option<String>,
    /// `None`: neither a folder nor a document (e.g. an organization-wide event).
    pub item_kind: Option<NodeKind>,
    pub item_id: Option<RemoteId>,
    /// The item's name before a rename.
    pub old_name: Option<String>,
    /// The folder it left in a move (its name when known, else its id).
    pub old_parent: Option<String>,
    /// The document version concerned.
    pub version: Option<String>,
    /// Users or groups the action concerned (shares): names when known, else ids.
    pub participants: Vec<String>,
}

/// What a store keeps about an item besides what a listing shows (the mount's extended
/// attributes): its labels (LogicalDOC: tags), custom metadata (LogicalDOC: string
/// attributes), who owns it and a content signature.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemMetadata {
    /// Every label, the client's own mtime labels included ([`super::labels`]).
    pub labels: Vec<String>,
    pub custom: BTreeMap<String, String>,
    /// The owner's (creator's) user name if the store says, else their id.
    pub owner: Option<String>,
    /// WorkDocs: the latest version's `Signature`; LogicalDOC: the SHA-1 `digest`.
    pub signature: Option<String>,
}
