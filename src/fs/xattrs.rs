//! Extended attributes: what the store keeps about an item besides its name, size and times,
//! as `user.docsfs.*` names. This module owns the names and their value formats, which names
//! an item has, which may be written, the errno of every refusal, and a per-inode cache of the
//! fetched metadata; the store side is [`Remote::metadata`], [`Remote::set_labels`] and
//! [`Remote::set_custom`].
//!
//! - `id`, `kind`, `version` come from the inode table (no request); `signature`, `owner`,
//!   `labels` and `meta.<key>` from one metadata request, kept for the metadata TTL so that
//!   `getfattr -d` (a listxattr, then a getxattr per name) costs one request. A write, or the
//!   inode standing for another item or version, drops what is kept.
//! - `labels` is the item's labels (LogicalDOC: tags) joined with `,` (a `,` inside a label is
//!   written `\,`; the stores allow it). Labels starting with `mtime=` are this filesystem's own
//!   record of modification times ([`crate::remote::labels`]): never shown, kept on every
//!   write, and refused as values.
//! - Names outside `user.docsfs.` are not kept anywhere: EOPNOTSUPP (other `user.*` names too,
//!   so that copying a file with foreign attributes into the mount says plainly what was lost).
//! - Items that are not at the store (the special folders, files not uploaded yet, links) have
//!   no attributes; writing one is EOPNOTSUPP (a new file's attributes can be set once it is
//!   closed, which uploads it).

use std::time::Instant;

use super::inode::{Ino, Origin};
use super::{Fs, FsError, FsResult};
use crate::remote::labels::PREFIX as MTIME_PREFIX;
use crate::remote::{ItemMetadata, NodeKind, Remote, RemoteError, RemoteId, Role};

/// Every name this filesystem answers starts with this.
pub const PREFIX: &str = "user.docsfs.";
/// Custom metadata: `user.docsfs.meta.<key>`.
const META: &str = "meta.";

/// `setxattr` flags (`<sys/xattr.h>`).
pub const XATTR_CREATE: i32 = 1;
pub const XATTR_REPLACE: i32 = 2;

/// One of the names, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Name {
    Id,
    Kind,
    Version,
    Signature,
    Labels,
    Owner,
    Meta(String),
}

impl Name {
    /// The name for `full`; EOPNOTSUPP for anything this filesystem does not keep.
    pub fn parse(full: &str) -> FsResult<Self> {
        let unsupported = || FsError::Unsupported("only user.docsfs.* attributes are kept");
        let rest = full.strip_prefix(PREFIX).ok_or_else(unsupported)?;
        Ok(match rest {
            "id" => Self::Id,
            "kind" => Self::Kind,
            "version" => Self::Version,
            "signature" => Self::Signature,
            "labels" => Self::Labels,
            "owner" => Self::Owner,
            _ => match rest.strip_prefix(META) {
                Some(key) if !key.is_empty() => Self::Meta(key.to_owned()),
                _ => return Err(unsupported()),
            },
        })
    }

    pub fn full(&self) -> String {
        let short = match self {
            Self::Id => "id",
            Self::Kind => "kind",
            Self::Version => "version",
            Self::Signature => "signature",
            Self::Labels => "labels",
            Self::Owner => "owner",
            Self::Meta(key) => return format!("{PREFIX}{META}{key}"),
        };
        format!("{PREFIX}{short}")
    }

    /// Whether the name can be set and removed.
    pub fn writable(&self) -> bool {
        matches!(self, Self::Labels | Self::Meta(_))
    }
}

/// What `setxattr`'s flags ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetMode {
    /// Create or replace.
    Any,
    /// XATTR_CREATE: fail with EEXIST if the name exists.
    Create,
    /// XATTR_REPLACE: fail with ENODATA if it does not.
    Replace,
}

impl SetMode {
    pub fn from_flags(flags: i32) -> FsResult<Self> {
        match flags {
            0 => Ok(Self::Any),
            XATTR_CREATE => Ok(Self::Create),
            XATTR_REPLACE => Ok(Self::Replace),
            _ => Err(FsError::Invalid("unknown setxattr flags")),
        }
    }

    fn check(self, exists: bool) -> FsResult<()> {
        match (self, exists) {
            (Self::Create, true) => Err(FsError::Exists),
            (Self::Replace, false) => Err(FsError::NoAttribute),
            _ => Ok(()),
        }
    }
}

/// Whether a label is this filesystem's own mtime record.
fn is_own(label: &str) -> bool {
    label.starts_with(MTIME_PREFIX)
}

/// The labels a user sees, in the store's order, as one value: `a,b,c` with `\,` for a comma
/// inside a label (a backslash cannot be part of a label, so the escape is unambiguous).
pub fn format_labels(labels: &[String]) -> String {
    labels
        .iter()
        .filter(|l| !is_own(l))
        .map(|l| l.replace(',', "\\,"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The labels of a `user.docsfs.labels` value: split at unescaped commas, spaces before a label
/// dropped (a label cannot start with one), empty ones skipped, repeats removed. A label that
/// would be one of this filesystem's own is refused (EINVAL); every other rule is the store's.
pub fn parse_labels(value: &str) -> FsResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    let push = |label: &mut String, out: &mut Vec<String>| {
        let l = label.trim_start_matches(' ').to_owned();
        label.clear();
        if !l.is_empty() && !out.contains(&l) {
            out.push(l);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(',') => current.push(','),
                _ => return Err(FsError::Invalid("a backslash may only escape a comma")),
            },
            ',' => push(&mut current, &mut out),
            c => current.push(c),
        }
    }
    push(&mut current, &mut out);
    if out.iter().any(|l| is_own(l)) {
        return Err(FsError::Invalid(
            "labels starting with mtime= are reserved for modification times",
        ));
    }
    Ok(out)
}

/// Metadata fetched for an inode, and what it was fetched for.
pub struct Cached {
    id: RemoteId,
    version: Option<String>,
    at: Instant,
    meta: ItemMetadata,
}

/// The remote item an inode stands for, as far as its attributes go.
struct Item {
    id: RemoteId,
    kind: NodeKind,
    version: Option<String>,
    role: Role,
}

fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Folder => "folder",
        NodeKind::Document => "document",
        NodeKind::Link => "link",
    }
}

impl<R: Remote> Fs<R> {
    /// The store's item behind `ino`; `None` for what has no attributes.
    fn xattr_item(&self, ino: Ino) -> FsResult<Option<Item>> {
        let i = self.inode(ino)?;
        let (id, version) = match &i.origin {
            Origin::Root => (self.roots.root.clone(), None),
            Origin::Remote(id) => (id.clone(), i.node.as_ref().and_then(|n| n.version.clone())),
            Origin::RecycleBin
            | Origin::SharedWithMe
            | Origin::Local(_)
            | Origin::VersionsOf(_)
            | Origin::VersionList(_)
            | Origin::Version { .. } => return Ok(None),
            Origin::Gone => return Err(FsError::NotFound),
        };
        if i.kind == NodeKind::Link {
            return Ok(None);
        }
        Ok(Some(Item {
            id,
            kind: i.kind,
            version,
            role: i.role,
        }))
    }

    /// The item's metadata: kept if fetched for the same item and version within the TTL
    /// (unless `fresh`), else asked for.
    async fn item_metadata(&self, ino: Ino, item: &Item, fresh: bool) -> FsResult<ItemMetadata> {
        if !fresh {
            let mut cache = self.xattrs.lock().expect("xattr lock");
            if let Some(c) = cache.get(&ino) {
                if c.id == item.id
                    && c.version == item.version
                    && c.at.elapsed() < self.config.metadata_ttl
                {
                    return Ok(c.meta.clone());
                }
            }
        }
        let asked = Instant::now();
        let meta = self.remote.metadata(&item.id, item.kind).await?;
        self.xattrs.lock().expect("xattr lock").put(
            ino,
            Cached {
                id: item.id.clone(),
                version: item.version.clone(),
                at: asked,
                meta: meta.clone(),
            },
        );
        Ok(meta)
    }

    fn forget_xattrs(&self, ino: Ino) {
        self.xattrs.lock().expect("xattr lock").pop(&ino);
    }

    /// The value of `name` on `item`, fetching metadata only for the names that need it.
    async fn xattr_value(&self, ino: Ino, item: &Item, name: &Name) -> FsResult<Option<String>> {
        Ok(match name {
            Name::Id => Some(item.id.clone()),
            Name::Kind => Some(kind_name(item.kind).to_owned()),
            Name::Version => item.version.clone(),
            Name::Signature | Name::Owner | Name::Labels | Name::Meta(_) => {
                let meta = self.item_metadata(ino, item, false).await?;
                match name {
                    Name::Signature => meta.signature,
                    Name::Owner => meta.owner,
                    Name::Labels => Some(format_labels(&meta.labels)).filter(|l| !l.is_empty()),
                    Name::Meta(key) => meta.custom.get(key).cloned(),
                    Name::Id | Name::Kind | Name::Version => unreachable!("answered above"),
                }
            }
        })
    }

    pub async fn getxattr(&self, ino: Ino, name: &str) -> FsResult<Vec<u8>> {
        let name = Name::parse(name)?;
        let item = self.xattr_item(ino)?.ok_or(FsError::NoAttribute)?;
        let value = self.xattr_value(ino, &item, &name).await?;
        value.map(String::into_bytes).ok_or(FsError::NoAttribute)
    }

    /// Every name `ino` has, each followed by a NUL (listxattr's format).
    pub async fn listxattr(&self, ino: Ino) -> FsResult<Vec<u8>> {
        let Some(item) = self.xattr_item(ino)? else {
            return Ok(Vec::new());
        };
        let mut names = vec![Name::Id, Name::Kind];
        if item.version.is_some() {
            names.push(Name::Version);
        }
        match self.item_metadata(ino, &item, false).await {
            Ok(meta) => {
                if meta.signature.is_some() {
                    names.push(Name::Signature);
                }
                if meta.owner.is_some() {
                    names.push(Name::Owner);
                }
                if meta.labels.iter().any(|l| !is_own(l)) {
                    names.push(Name::Labels);
                }
                names.extend(meta.custom.into_keys().map(Name::Meta));
            }
            // A backend without metadata still has the names the inode answers.
            Err(FsError::Remote(RemoteError::Unsupported(_))) => {}
            Err(e) => return Err(e),
        }
        let mut out = Vec::new();
        for n in names {
            out.extend_from_slice(n.full().as_bytes());
            out.push(0);
        }
        Ok(out)
    }

    /// The item behind `ino` if `name` may be written there.
    fn writable_item(&self, ino: Ino, name: &Name) -> FsResult<Item> {
        if !name.writable() {
            return Err(FsError::NotPermitted("this attribute is read-only"));
        }
        let item = self.xattr_item(ino)?.ok_or(FsError::Unsupported(
            "only items at the store have attributes",
        ))?;
        if !item.role.can_write() {
            return Err(FsError::Denied);
        }
        Ok(item)
    }

    pub async fn setxattr(&self, ino: Ino, name: &str, value: &[u8], flags: i32) -> FsResult<()> {
        let name = Name::parse(name)?;
        let mode = SetMode::from_flags(flags)?;
        let item = self.writable_item(ino, &name)?;
        let value =
            std::str::from_utf8(value).map_err(|_| FsError::Invalid("values are UTF-8 text"))?;
        let wanted = match name {
            Name::Labels => parse_labels(value)?,
            _ => Vec::new(),
        };
        // Read fresh: the write is computed from what the store has now.
        let meta = self.item_metadata(ino, &item, true).await?;
        let result = match &name {
            Name::Labels => {
                mode.check(meta.labels.iter().any(|l| !is_own(l)))?;
                let mut all = wanted;
                all.extend(meta.labels.iter().filter(|l| is_own(l)).cloned());
                self.remote.set_labels(&item.id, item.kind, &all).await
            }
            Name::Meta(key) => {
                mode.check(meta.custom.contains_key(key))?;
                self.remote
                    .set_custom(&item.id, item.kind, key, Some(value))
                    .await
            }
            _ => unreachable!("checked writable"),
        };
        self.forget_xattrs(ino);
        Ok(result?)
    }

    pub async fn removexattr(&self, ino: Ino, name: &str) -> FsResult<()> {
        let name = Name::parse(name)?;
        let item = self.writable_item(ino, &name)?;
        let meta = self.item_metadata(ino, &item, true).await?;
        let result = match &name {
            Name::Labels => {
                if !meta.labels.iter().any(|l| !is_own(l)) {
                    return Err(FsError::NoAttribute);
                }
                let own: Vec<String> = meta.labels.into_iter().filter(|l| is_own(l)).collect();
                self.remote.set_labels(&item.id, item.kind, &own).await
            }
            Name::Meta(key) => {
                if !meta.custom.contains_key(key) {
                    return Err(FsError::NoAttribute);
                }
                self.remote.set_custom(&item.id, item.kind, key, None).await
            }
            _ => unreachable!("checked writable"),
        };
        self.forget_xattrs(ino);
        Ok(result?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn names_parse_and_print_back() {
        for n in [
            Name::Id,
            Name::Kind,
            Name::Version,
            Name::Signature,
            Name::Labels,
            Name::Owner,
            Name::Meta("project.code".into()),
        ] {
            assert_eq!(Name::parse(&n.full()).unwrap(), n);
        }
        assert_eq!(
            Name::parse("user.docsfs.meta.a b").unwrap(),
            Name::Meta("a b".into())
        );
        for other in [
            "user.docsfs.meta.",
            "user.docsfs.unknown",
            "user.docsfs",
            "user.comment",
            "security.selinux",
            "system.posix_acl_access",
            "trusted.x",
        ] {
            assert!(
                matches!(Name::parse(other), Err(FsError::Unsupported(_))),
                "{other}"
            );
        }
        assert!(Name::Labels.writable() && Name::Meta("k".into()).writable());
        assert!(!Name::Id.writable() && !Name::Owner.writable() && !Name::Signature.writable());
    }

    #[test]
    fn labels_format_with_escapes_and_without_mtime_records() {
        let labels = s(&["a", "b,c", "mtime=0011223344556677.aabbccdd", "d e"]);
        let shown = format_labels(&labels);
        assert_eq!(shown, "a,b\\,c,d e");
        assert_eq!(parse_labels(&shown).unwrap(), s(&["a", "b,c", "d e"]));
        assert_eq!(format_labels(&s(&["mtime=1"])), "");
    }

    #[test]
    fn label_values_parse_leniently_but_not_ambiguously() {
        assert_eq!(parse_labels("x, y,,x ,").unwrap(), s(&["x", "y", "x "]));
        assert!(parse_labels("").unwrap().is_empty());
        assert!(matches!(parse_labels("a\\b"), Err(FsError::Invalid(_))));
        assert!(matches!(
            parse_labels("ok,mtime=1"),
            Err(FsError::Invalid(_))
        ));
    }

    #[test]
    fn flags_are_honoured() {
        assert_eq!(SetMode::from_flags(0).unwrap(), SetMode::Any);
        assert!(matches!(
            SetMode::from_flags(XATTR_CREATE).unwrap().check(true),
            Err(FsError::Exists)
        ));
        assert!(matches!(
            SetMode::from_flags(XATTR_REPLACE).unwrap().check(false),
            Err(FsError::NoAttribute)
        ));
        assert!(SetMode::Create.check(false).is_ok() && SetMode::Replace.check(true).is_ok());
        assert!(SetMode::from_flags(3).is_err());
    }
}
