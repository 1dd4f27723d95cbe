//! Sharing through LogicalDOC's REST services: a folder's access-control list
//! (`folder/getAccessControlList`, `PUT folder/setAccessControlList`, 8.9.1+). A role is a set
//! of permission flags: VIEWER = read, preview, download; CONTRIBUTOR adds write, add, rename,
//! move, delete; COOWNER holds every flag (security included); reading back, `security` means
//! COOWNER, else `write` CONTRIBUTOR, else `read` VIEWER. Sharing is read-modify-write: the list
//! is read, the one user's entry replaced or removed, the list written back with every other
//! entry as it was. The services have no user lookup, so a user is named by number; documents
//! carry no ACL in these services (only folders are shared); there is no share notification,
//! and no history service for `docsfs activity`.

use serde_json::{Map, Value, json};

use super::{LogicalDocRemote, json as ldjson, number};
use crate::remote::{NodeKind, Principal, PrincipalKind, RemoteError, RemoteId, Role, Share};

/// The flags each role sets (every other flag is 0).
const VIEWER: &[&str] = &["read", "preview", "download"];
const CONTRIBUTOR: &[&str] = &[
    "read", "preview", "download", "write", "add", "rename", "move", "delete",
];
/// Every flag of a `WSAccessControlEntry` (9.x names).
const ALL: &[&str] = &[
    "read",
    "preview",
    "write",
    "download",
    "add",
    "security",
    "delete",
    "rename",
    "immutable",
    "iimport",
    "export",
    "sign",
    "archive",
    "workflow",
    "calendar",
    "subscription",
    "password",
    "print",
    "move",
    "email",
    "automation",
    "store",
    "readingreq",
    "customid",
    "revision",
];

/// The message for what LogicalDOC cannot do.
pub const NO_HISTORY: &str = "LogicalDOC's REST services have no history service";

/// Sharing applies to folders only.
fn folder_only(kind: NodeKind) -> Result<(), RemoteError> {
    match kind {
        NodeKind::Folder => Ok(()),
        NodeKind::Document => Err(RemoteError::Unsupported(
            "LogicalDOC's REST services share folders only; share the folder that holds the \
             document"
                .into(),
        )),
        NodeKind::Link => Err(RemoteError::Unsupported(
            "a folder alias has no access-control list of its own; share its target".into(),
        )),
    }
}

/// A user number as `--with` must give it.
fn user_number(with: &str) -> Result<i64, RemoteError> {
    match with.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(RemoteError::Invalid(format!(
            "LogicalDOC's REST services have no user lookup: give the user's number instead of \
             {:?} (as shown by `docsfs shares` or the LogicalDOC user administration)",
            with.trim()
        ))),
    }
}

/// A flag of an entry: 0/1, a boolean, or their strings.
fn flag(e: &Value, key: &str) -> bool {
    match e.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => matches!(s.trim(), "1" | "true"),
        _ => false,
    }
}

fn entry_role(e: &Value) -> Option<Role> {
    if flag(e, "security") {
        Some(Role::Coowner)
    } else if flag(e, "write") {
        Some(Role::Contributor)
    } else if flag(e, "read") {
        Some(Role::Viewer)
    } else {
        None
    }
}

/// The id an entry is about: (user number, or group number with the kind).
fn entry_principal(e: &Value) -> Option<(i64, PrincipalKind)> {
    match ldjson::int(e, "userId").filter(|u| *u != 0) {
        Some(u) => Some((u, PrincipalKind::User)),
        None => ldjson::int(e, "groupId")
            .filter(|g| *g != 0)
            .map(|g| (g, PrincipalKind::Group)),
    }
}

/// A new entry for user `user` with `role` (0/1 flags, as every 9.x server reads them).
fn new_entry(user: i64, role: Role) -> Value {
    let on: &[&str] = match role {
        Role::Viewer => VIEWER,
        Role::Contributor => CONTRIBUTOR,
        Role::Coowner | Role::Owner => ALL,
    };
    let mut m = Map::new();
    m.insert("groupId".into(), json!(0));
    m.insert("userId".into(), json!(user));
    for f in ALL {
        m.insert((*f).into(), json!(i32::from(on.contains(f))));
    }
    Value::Object(m)
}

fn is_user(e: &Value, user: i64) -> bool {
    entry_principal(e) == Some((user, PrincipalKind::User))
}

impl LogicalDocRemote {
    /// The folder's access-control list as the server sent it.
    async fn acl(&self, folder: i64) -> Result<Vec<Value>, RemoteError> {
        let v = self
            .get_json(
                "folder/getAccessControlList",
                &format!("folder/getAccessControlList?folderId={folder}"),
            )
            .await?;
        Ok(ldjson::items(&v).into_iter().cloned().collect())
    }

    async fn set_acl(&self, folder: i64, entries: Vec<Value>) -> Result<(), RemoteError> {
        let url = self
            .session
            .rest_url(&format!("folder/setAccessControlList?folderId={folder}"));
        let body = Value::Array(entries);
        self.session
            .send("folder/setAccessControlList", true, |c| {
                c.put(&url).json(&body)
            })
            .await?;
        Ok(())
    }

    /// Implements [`crate::remote::Remote::shares`].
    pub(super) async fn folder_shares(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<Vec<Share>, RemoteError> {
        folder_only(kind)?;
        let mut shares = Vec::new();
        for e in self.acl(number(id)?).await? {
            let (Some((n, kind)), Some(role)) = (entry_principal(&e), entry_role(&e)) else {
                continue;
            };
            shares.push(Share {
                principal: Principal {
                    id: n.to_string(),
                    kind,
                    name: None,
                    email: None,
                },
                role,
                // The list is the folder's own (or the one it takes its security from).
                inherited: false,
            });
        }
        Ok(shares)
    }

    /// Implements [`crate::remote::Remote::share`].
    pub(super) async fn share_folder(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        request: &crate::remote::ShareRequest,
    ) -> Result<(), RemoteError> {
        folder_only(kind)?;
        if request.notify.is_some() {
            return Err(RemoteError::Unsupported(
                "LogicalDOC's REST services send no share notifications; leave out --notify".into(),
            ));
        }
        if request.role == Role::Owner {
            return Err(RemoteError::Invalid(
                "the owner role cannot be given by sharing; use coowner".into(),
            ));
        }
        let user = user_number(&request.with)?;
        let folder = number(id)?;
        let mut entries = self.acl(folder).await?;
        entries.retain(|e| !is_user(e, user));
        entries.push(new_entry(user, request.role));
        self.set_acl(folder, entries).await
    }

    /// Implements [`crate::remote::Remote::unshare`].
    pub(super) async fn unshare_folder(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        with: &str,
    ) -> Result<(), RemoteError> {
        folder_only(kind)?;
        let user = user_number(with)?;
        let folder = number(id)?;
        let mut entries = self.acl(folder).await?;
        let before = entries.len();
        entries.retain(|e| !is_user(e, user));
        if entries.len() == before {
            return Err(RemoteError::NotFound(format!(
                "user {user} has no entry in the folder's access-control list"
            )));
        }
        self.set_acl(folder, entries).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_entries() {
        for role in [Role::Viewer, Role::Contributor, Role::Coowner] {
            let e = new_entry(12, role);
            assert_eq!(entry_role(&e), Some(role));
            assert_eq!(entry_principal(&e), Some((12, PrincipalKind::User)));
        }
        let group = json!({"groupId": 3, "read": true});
        assert_eq!(entry_principal(&group), Some((3, PrincipalKind::Group)));
        assert_eq!(entry_role(&json!({"userId": 4, "read": "0"})), None);
    }

    #[test]
    fn a_name_is_refused_with_the_reason() {
        assert_eq!(user_number(" 12 ").unwrap(), 12);
        let err = user_number("bob").unwrap_err();
        assert!(
            matches!(&err, RemoteError::Invalid(m) if m.contains("no user lookup")),
            "{err:?}"
        );
        assert!(folder_only(NodeKind::Document).is_err());
    }
}
