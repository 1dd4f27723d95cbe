//! A folder's access-control list over the store's sharing (WorkDocs roles): reading it
//! (`getAccessControlList`, [`entries`]) and setting it (`PUT setAccessControlList`). An entry
//! maps onto a role and back: `security` → COOWNER, else `write` → CONTRIBUTOR, else `read` →
//! VIEWER (and a role shows as the flags [`super::permissions`] gives it), so what is read back
//! is what was set, up to that rounding. Only user entries mean something: this server has no
//! groups, and organisation-wide shares are not shown or touched.

use std::collections::BTreeMap;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use rusqlite::Connection;
use serde_json::Value;

use super::LdState;
use super::caller::LdCaller;
use super::folder_writes::{
    Who, Written, bad_request, granted, no_alias, refused, resource, write,
};
use super::params::Params;
use super::shapes::AccessControlEntry;
use super::tree::LdFolder;
use crate::server::error::ApiError;
use crate::server::store::ld_ids::{self, ROOT};
use crate::server::store::rows::{Caller, ResourceRow, Role, UserRow};
use crate::server::store::sharing::{self, ShareRequest};

/// The entries of folder `f` for a caller holding `role` there. Who may change the security
/// (COOWNER, OWNER) sees everyone with a role on the folder (its owner, direct and inherited
/// shares; a user's best role wins), by user number; anyone else, and everyone on the root,
/// sees only their own entry.
pub fn entries(
    c: &Connection,
    user: &UserRow,
    f: &LdFolder,
    role: Role,
) -> Result<Vec<AccessControlEntry>, ApiError> {
    let own = || -> Result<_, ApiError> {
        let user_ld_id = ld_ids::ld_user_id_of(c, &user.id)?;
        Ok(vec![AccessControlEntry { user_ld_id, role }])
    };
    let Some(id) = f.resource_id.as_deref().filter(|_| role >= Role::Coowner) else {
        return own();
    };
    let caller = Caller::User(user.clone());
    let mut best: BTreeMap<i64, Role> = BTreeMap::new();
    for p in sharing::describe_permissions(c, &caller, id, None)? {
        if p.principal_type != "USER" {
            continue;
        }
        let Some(role) = p.roles.iter().filter_map(|(r, _)| Role::parse(r)).max() else {
            continue;
        };
        let n = ld_ids::ld_user_id_of(c, &p.id)?;
        let slot = best.entry(n).or_insert(role);
        *slot = (*slot).max(role);
    }
    Ok(best
        .into_iter()
        .map(|(user_ld_id, role)| AccessControlEntry { user_ld_id, role })
        .collect())
}

/// One `WSAccessControlEntry` of a request: the user's number (0 for a group entry) and the
/// role its flags amount to (`None`: no read, so no access).
struct Entry {
    user: i64,
    role: Option<Role>,
}

/// Reads a JSON array of entries; flags may be 0/1 numbers, booleans or their strings (9.2.3+
/// writes booleans). `None` for a body of another shape.
fn parse_entries(body: &[u8]) -> Option<Vec<Entry>> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let mut out = Vec::new();
    for e in v.as_array()? {
        let e = e.as_object()?;
        let flag = |key: &str| match e.get(key) {
            None | Some(Value::Null) => Some(false),
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Number(n)) => Some(n.as_f64()? != 0.0),
            Some(Value::String(s)) => match s.trim() {
                "1" | "true" => Some(true),
                "0" | "false" | "" => Some(false),
                _ => None,
            },
            Some(_) => None,
        };
        let user = match e.get("userId") {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => n.as_i64()?,
            Some(Value::String(s)) => s.trim().parse().ok()?,
            Some(_) => return None,
        };
        let role = match (flag("security")?, flag("write")?, flag("read")?) {
            (true, _, _) => Some(Role::Coowner),
            (_, true, _) => Some(Role::Contributor),
            (_, _, true) => Some(Role::Viewer),
            _ => None,
        };
        out.push(Entry { user, role });
    }
    Some(out)
}

/// `PUT setAccessControlList?folderId=`, a JSON array of `WSAccessControlEntry` [SECURITY]: 204.
/// Each user entry becomes that user's direct share on the folder (several entries for one user:
/// the best role); a user with a direct share who is not in the list (or has no `read`) loses
/// it. Shares inherited from above stay, and so does the owner, whose entry is ignored. The
/// root, an alias, an unknown `userId` or a body of another shape: 500 (the shape: 400).
pub async fn set_access_control_list(
    State(ld): State<LdState>,
    Extension(caller): Extension<LdCaller>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let id = match Params::parse(raw.as_deref()).long("folderId") {
        Ok(id) => id,
        Err(e) => return e.into(),
    };
    let Some(list) = parse_entries(&body) else {
        return bad_request();
    };
    write(&ld, caller, move |c, who| {
        if id == ROOT {
            return Err(refused("the root folder has no access control list"));
        }
        let f = granted(c, who, id, "SECURITY")?;
        no_alias(&f)?;
        set(c, who, &resource(&f)?, list)?;
        Ok(Written::Nothing)
    })
    .await
}

/// Makes the direct user shares of resource `rid` what `list` says.
fn set(c: &Connection, who: &Who<'_>, rid: &str, list: Vec<Entry>) -> Result<(), ApiError> {
    let res = ResourceRow::by_id(c, rid)?.ok_or_else(|| ApiError::not_found("folder", rid))?;
    let mut wanted: BTreeMap<String, Role> = BTreeMap::new();
    for e in list.into_iter().filter(|e| e.user != 0) {
        let user = ld_ids::user_of(c, e.user)?
            .ok_or_else(|| refused(format!("unknown user {}", e.user)))?;
        if let (Some(role), true) = (e.role, user != res.owner_id) {
            let slot = wanted.entry(user).or_insert(role);
            *slot = (*slot).max(role);
        }
    }
    let mut stmt = c.prepare_cached(
        "SELECT principal_id, role FROM permissions WHERE resource_id = ?1 \
         AND principal_type = 'USER'",
    )?;
    let current: BTreeMap<String, Option<Role>> = stmt
        .query_map([rid], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .map(|row| row.map(|(p, role)| (p, Role::parse(&role))))
        .collect::<Result<_, _>>()?;
    // Grants first: the caller may be about to drop its own share, and with it the right to share.
    for (user, role) in &wanted {
        if current.get(user) == Some(&Some(*role)) {
            continue;
        }
        let req = ShareRequest {
            principal_id: user.clone(),
            principal_type: "USER".into(),
            role: role.as_str().into(),
        };
        for r in sharing::add_permissions(c, &who.caller, rid, vec![req], who.now)? {
            if !r.status_ok {
                return Err(refused(r.message.unwrap_or_default()));
            }
        }
    }
    for user in current.keys().filter(|u| !wanted.contains_key(*u)) {
        sharing::remove_permission(c, &who.caller, rid, user, who.now)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_take_numbers_booleans_and_strings() {
        let body = br#"[{"userId":10,"read":1,"write":1},{"userId":"11","read":true,
            "security":true},{"userId":12,"read":"1"},{"userId":13,"read":0,"write":false},
            {"groupId":2,"read":1}]"#;
        let e = parse_entries(body).unwrap();
        let got: Vec<(i64, Option<Role>)> = e.iter().map(|e| (e.user, e.role)).collect();
        assert_eq!(
            got,
            [
                (10, Some(Role::Contributor)),
                (11, Some(Role::Coowner)),
                (12, Some(Role::Viewer)),
                (13, None),
                (0, Some(Role::Viewer)),
            ]
        );
        assert!(parse_entries(b"{}").is_none());
        assert!(parse_entries(br#"[{"userId":"x"}]"#).is_none());
        assert!(parse_entries(br#"[{"read":[]}]"#).is_none());
        assert!(parse_entries(b"[]").unwrap().is_empty());
    }
}
