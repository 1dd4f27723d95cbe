//! LogicalDOC permissions derived from the caller's WorkDocs role (docs/ARCHITECTURE.md, "Roles →
//! ACL"): VIEWER may read, preview and download; CONTRIBUTOR also write, add, rename, move and
//! delete; COOWNER and OWNER hold every permission. Each permission has its `isGranted` name and
//! its `WSAccessControlEntry` field (9.x names, 0/1 flags).

use crate::server::store::rows::Role;

/// (`isGranted` name, `WSAccessControlEntry` field), in the entry's field order.
pub const PERMISSIONS: &[(&str, &str)] = &[
    ("READ", "read"),
    ("PREVIEW", "preview"),
    ("WRITE", "write"),
    ("DOWNLOAD", "download"),
    ("ADD", "add"),
    ("SECURITY", "security"),
    ("DELETE", "delete"),
    ("RENAME", "rename"),
    ("IMMUTABLE", "immutable"),
    ("IMPORT", "iimport"),
    ("EXPORT", "export"),
    ("SIGN", "sign"),
    ("ARCHIVE", "archive"),
    ("WORKFLOW", "workflow"),
    ("CALENDAR", "calendar"),
    ("SUBSCRIPTION", "subscription"),
    ("PASSWORD", "password"),
    ("PRINT", "print"),
    ("MOVE", "move"),
    ("EMAIL", "email"),
    ("AUTOMATION", "automation"),
    ("STORE", "store"),
    ("READINGREQ", "readingreq"),
    ("CUSTOMID", "customid"),
    ("REVISION", "revision"),
];

const VIEWER: &[&str] = &["READ", "PREVIEW", "DOWNLOAD"];
const CONTRIBUTOR: &[&str] = &[
    "READ", "PREVIEW", "DOWNLOAD", "WRITE", "ADD", "RENAME", "MOVE", "DELETE",
];

/// Whether `role` holds the permission named `name` (case-sensitive, as LogicalDOC's
/// `Permission.valueOf`); `None` for a name that is no permission.
pub fn granted(role: Role, name: &str) -> Option<bool> {
    PERMISSIONS.iter().find(|(n, _)| *n == name)?;
    Some(match role {
        Role::Viewer => VIEWER.contains(&name),
        Role::Contributor => CONTRIBUTOR.contains(&name),
        Role::Coowner | Role::Owner => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_map_to_permissions() {
        assert_eq!(granted(Role::Viewer, "READ"), Some(true));
        assert_eq!(granted(Role::Viewer, "DOWNLOAD"), Some(true));
        assert_eq!(granted(Role::Viewer, "WRITE"), Some(false));
        assert_eq!(granted(Role::Contributor, "DELETE"), Some(true));
        assert_eq!(granted(Role::Contributor, "SECURITY"), Some(false));
        assert_eq!(granted(Role::Coowner, "SECURITY"), Some(true));
        assert_eq!(granted(Role::Owner, "REVISION"), Some(true));
        assert_eq!(granted(Role::Owner, "write"), None);
        assert_eq!(granted(Role::Owner, "NOPE"), None);
        for name in VIEWER.iter().chain(CONTRIBUTOR) {
            assert!(PERMISSIONS.iter().any(|(n, _)| n == name), "{name}");
        }
    }
}
