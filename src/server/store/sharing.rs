//! Who may do what: the caller's effective role on a resource (ownership, direct and inherited
//! shares, organization-wide shares) and the permission operations that change it
//! (AddResourcePermissions, DescribeResourcePermissions, RemoveResourcePermission,
//! RemoveAllResourcePermissions). Every store operation asks [`require`] first.

use rusqlite::{Connection, params};

use super::activities::{self, NewActivity};
use super::rows::{Caller, Need, RESOURCE_COLUMNS, ResourceRow, Role, new_id};
use super::users;
use crate::server::error::ApiError;

/// A resource the caller may act on, with what the check learned on the way.
#[derive(Clone, Debug)]
pub struct Access {
    pub res: ResourceRow,
    pub role: Role,
    /// The resource or one of its ancestors is in a recycle bin.
    pub in_recycle_bin: bool,
}

/// The resource and its ancestors, nearest first.
pub fn ancestry(c: &Connection, id: &str) -> Result<Vec<ResourceRow>, ApiError> {
    let cols = RESOURCE_COLUMNS
        .split(", ")
        .map(|col| format!("r.{col}"))
        .collect::<Vec<_>>();
    let sql = format!(
        "WITH RECURSIVE anc(rid, depth) AS ( \
             SELECT ?1, 0 \
             UNION ALL \
             SELECT r.parent_id, anc.depth + 1 FROM resources r JOIN anc ON r.id = anc.rid \
             WHERE r.parent_id IS NOT NULL AND anc.depth < 4096) \
         SELECT {} FROM anc JOIN resources r ON r.id = anc.rid ORDER BY anc.depth",
        cols.join(", ")
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map([id], ResourceRow::from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The caller's best role on `chain[0]`, given its ancestry; `None` when it has none.
fn role_on(
    c: &Connection,
    caller: &Caller,
    chain: &[ResourceRow],
) -> Result<Option<Role>, ApiError> {
    let user = match caller {
        Caller::Admin { .. } => return Ok(Some(Role::Owner)),
        Caller::User(u) => u,
    };
    if chain.iter().any(|r| r.owner_id == user.id) {
        return Ok(Some(Role::Owner));
    }
    let org = users::organization_id(c)?;
    let mut stmt = c.prepare_cached(
        "SELECT role FROM permissions WHERE resource_id = ?1 AND \
         ((principal_type = 'USER' AND principal_id = ?2) OR \
          (principal_type = 'ORGANIZATION' AND principal_id = ?3))",
    )?;
    let mut best = None;
    for r in chain {
        let roles = stmt.query_map(params![r.id, user.id, org], |row| row.get::<_, String>(0))?;
        for role in roles {
            best = best.max(Role::parse(&role?));
        }
    }
    Ok(best)
}

/// Checks that the caller may do `need` on resource `id` and returns it.
pub fn require(c: &Connection, caller: &Caller, id: &str, need: Need) -> Result<Access, ApiError> {
    let chain = ancestry(c, id)?;
    // LogicalDOC folder aliases are not resources of the WorkDocs API (nor of any store
    // operation: the LogicalDOC side changes them through `store::aliases`).
    let Some(res) = chain.first().filter(|r| !r.is_alias()).cloned() else {
        return Err(ApiError::not_found("resource", id));
    };
    let Some(role) = role_on(c, caller, &chain)? else {
        return Err(ApiError::NoAccess(format!(
            "the caller has no access to resource {id}"
        )));
    };
    if role < need.min_role() {
        return Err(ApiError::Forbidden(format!(
            "role {} does not allow this operation on resource {id}",
            role.as_str()
        )));
    }
    let in_recycle_bin = chain.iter().any(ResourceRow::is_recycled);
    Ok(Access {
        res,
        role,
        in_recycle_bin,
    })
}

/// The caller's role on `id`, or `None` (missing resource or no access).
pub fn role_of(c: &Connection, caller: &Caller, id: &str) -> Result<Option<Role>, ApiError> {
    let chain = ancestry(c, id)?;
    if chain.is_empty() {
        return Ok(None);
    }
    role_on(c, caller, &chain)
}

pub struct ShareRequest {
    pub principal_id: String,
    pub principal_type: String,
    pub role: String,
}

pub struct ShareResult {
    pub principal_id: String,
    pub role: String,
    pub status_ok: bool,
    pub message: Option<String>,
    pub share_id: Option<String>,
}

pub fn add_permissions(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    requests: Vec<ShareRequest>,
    now: i64,
) -> Result<Vec<ShareResult>, ApiError> {
    let access = require(c, caller, resource_id, Need::Manage)?;
    let org = users::organization_id(c)?;
    let mut results = Vec::with_capacity(requests.len());
    for req in requests {
        let failure = |message: &str| ShareResult {
            principal_id: req.principal_id.clone(),
            role: req.role.clone(),
            status_ok: false,
            message: Some(message.to_owned()),
            share_id: None,
        };
        let role = match Role::parse(&req.role) {
            Some(Role::Owner) => {
                results.push(failure("the OWNER role cannot be granted; use COOWNER"));
                continue;
            }
            Some(role) => role,
            None => return Err(ApiError::Invalid(format!("unknown role {}", req.role))),
        };
        let known = match req.principal_type.as_str() {
            "USER" => super::rows::UserRow::by_id(c, &req.principal_id)?.is_some(),
            "ORGANIZATION" => req.principal_id == org,
            "GROUP" | "INVITE" | "ANONYMOUS" => {
                results.push(failure(
                    "this server supports USER and ORGANIZATION principals",
                ));
                continue;
            }
            other => return Err(ApiError::Invalid(format!("unknown principal type {other}"))),
        };
        if !known {
            results.push(failure("no such principal in this organization"));
            continue;
        }
        if req.principal_type == "USER" && req.principal_id == access.res.owner_id {
            results.push(failure("the principal owns this resource"));
            continue;
        }
        let existing: Option<String> = c
            .query_row(
                "SELECT share_id FROM permissions WHERE resource_id = ?1 AND principal_id = ?2",
                params![resource_id, req.principal_id],
                |r| r.get(0),
            )
            .ok();
        let share_id = existing.clone().unwrap_or_else(|| new_id(16));
        c.execute(
            "INSERT INTO permissions (resource_id, principal_id, principal_type, role, share_id, \
             created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (resource_id, principal_id) DO UPDATE SET role = excluded.role",
            params![
                resource_id,
                req.principal_id,
                req.principal_type,
                role.as_str(),
                share_id,
                now
            ],
        )?;
        let verb = if existing.is_some() {
            "SHARE_PERMISSION_CHANGED"
        } else {
            "SHARED"
        };
        activities::record(
            c,
            NewActivity::on(&access.res, caller, verb, now).with_participant(&req.principal_id),
        )?;
        results.push(ShareResult {
            principal_id: req.principal_id,
            role: role.as_str().to_owned(),
            status_ok: true,
            message: None,
            share_id: Some(share_id),
        });
    }
    Ok(results)
}

pub struct PrincipalRoles {
    pub id: String,
    pub principal_type: String,
    /// (role, "DIRECT" | "INHERITED")
    pub roles: Vec<(String, &'static str)>,
}

/// Everyone with a role on the resource: its owner, direct shares, and shares inherited from
/// ancestors, sorted by principal id.
pub fn describe_permissions(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    principal_filter: Option<&str>,
) -> Result<Vec<PrincipalRoles>, ApiError> {
    let access = require(c, caller, resource_id, Need::Read)?;
    let chain = ancestry(c, resource_id)?;
    let mut out: std::collections::BTreeMap<String, PrincipalRoles> = Default::default();
    let mut add = |id: &str, ty: &str, role: String, how: &'static str| {
        let entry = out.entry(id.to_owned()).or_insert_with(|| PrincipalRoles {
            id: id.to_owned(),
            principal_type: ty.to_owned(),
            roles: vec![],
        });
        if !entry.roles.iter().any(|(r, h)| *r == role && *h == how) {
            entry.roles.push((role, how));
        }
    };
    add(&access.res.owner_id, "USER", "OWNER".into(), "DIRECT");
    let mut stmt = c.prepare_cached(
        "SELECT principal_id, principal_type, role FROM permissions WHERE resource_id = ?1",
    )?;
    for (depth, r) in chain.iter().enumerate() {
        if depth > 0 && r.owner_id != access.res.owner_id {
            add(&r.owner_id, "USER", "OWNER".into(), "INHERITED");
        }
        let rows = stmt.query_map([&r.id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (id, ty, role) = row?;
            add(
                &id,
                &ty,
                role,
                if depth == 0 { "DIRECT" } else { "INHERITED" },
            );
        }
    }
    Ok(out
        .into_values()
        .filter(|p| principal_filter.is_none_or(|f| f == p.id))
        .collect())
}

pub fn remove_permission(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    principal_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let access = require(c, caller, resource_id, Need::Manage)?;
    let removed = c.execute(
        "DELETE FROM permissions WHERE resource_id = ?1 AND principal_id = ?2",
        params![resource_id, principal_id],
    )?;
    if removed > 0 {
        activities::record(
            c,
            NewActivity::on(&access.res, caller, "UNSHARED", now).with_participant(principal_id),
        )?;
    }
    Ok(())
}

pub fn remove_all_permissions(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let access = require(c, caller, resource_id, Need::Manage)?;
    let principals: Vec<String> = c
        .prepare("SELECT principal_id FROM permissions WHERE resource_id = ?1")?
        .query_map([resource_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    c.execute(
        "DELETE FROM permissions WHERE resource_id = ?1",
        [resource_id],
    )?;
    for p in principals {
        activities::record(
            c,
            NewActivity::on(&access.res, caller, "UNSHARED", now).with_participant(&p),
        )?;
    }
    Ok(())
}
