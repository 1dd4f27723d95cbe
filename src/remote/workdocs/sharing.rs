//! Sharing through the WorkDocs API (`docsfs share`, `unshare`, `shares`):
//! DescribeResourcePermissions (every page) with the users' names from DescribeUsers,
//! AddResourcePermissions (with `NotificationOptions` for `--notify`) and
//! RemoveResourcePermission. Whom to share with is resolved here: a user id, a user name or an
//! email address of a user of the organization (DescribeUsers), else a group name
//! (DescribeGroups, where the server has groups). An email address no user has is refused:
//! docsfs does not send invitations (`INVITE` principals), so a typo never mails a stranger.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{WorkDocsRemote, enc, marker_param, wire};
use crate::remote::{
    NodeKind, Principal, PrincipalKind, RemoteError, RemoteId, Role, Share, ShareRequest,
};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Permissions {
    principals: Option<Vec<PermissionPrincipal>>,
    marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PermissionPrincipal {
    id: String,
    #[serde(rename = "Type")]
    principal_type: Option<String>,
    roles: Option<Vec<PermissionInfo>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PermissionInfo {
    role: Option<String>,
    #[serde(rename = "Type")]
    how: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Users {
    users: Option<Vec<User>>,
    marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct User {
    id: String,
    username: Option<String>,
    email_address: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Groups {
    groups: Option<Vec<Group>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Group {
    id: String,
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShareResults {
    share_results: Option<Vec<ShareResult>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShareResult {
    status: Option<String>,
    status_message: Option<String>,
}

/// Users looked up per DescribeUsers call (by id).
const USERS_PER_CALL: usize = 50;
/// Pages of a user search read before giving up on an exact match.
const SEARCH_PAGES: usize = 10;

fn principal_kind(s: Option<&str>) -> PrincipalKind {
    match s {
        Some("GROUP") => PrincipalKind::Group,
        Some("INVITE") => PrincipalKind::Invite,
        Some("ANONYMOUS") => PrincipalKind::Anonymous,
        Some("ORGANIZATION") => PrincipalKind::Organization,
        _ => PrincipalKind::User,
    }
}

fn kind_name(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "USER",
        PrincipalKind::Group => "GROUP",
        PrincipalKind::Invite => "INVITE",
        PrincipalKind::Anonymous => "ANONYMOUS",
        PrincipalKind::Organization => "ORGANIZATION",
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Viewer => "VIEWER",
        Role::Contributor => "CONTRIBUTOR",
        Role::Coowner => "COOWNER",
        Role::Owner => "OWNER",
    }
}

/// One share per principal: its best role, inherited when no direct share gives that role.
fn shares_of(principals: Vec<PermissionPrincipal>) -> Vec<Share> {
    let mut best: BTreeMap<String, (PrincipalKind, Role, bool)> = BTreeMap::new();
    for p in principals {
        let kind = principal_kind(p.principal_type.as_deref());
        for r in p.roles.into_iter().flatten() {
            let Some(role) = r.role.as_deref().and_then(wire::role) else {
                continue;
            };
            let inherited = r.how.as_deref() == Some("INHERITED");
            let slot = best.entry(p.id.clone()).or_insert((kind, role, inherited));
            if role > slot.1 || (role == slot.1 && !inherited) {
                *slot = (kind, role, inherited);
            }
        }
    }
    best.into_iter()
        .map(|(id, (kind, role, inherited))| Share {
            principal: Principal {
                id,
                kind,
                name: None,
                email: None,
            },
            role,
            inherited,
        })
        .collect()
}

/// Whether user `u` is the one `with` names (its id, user name or email address).
fn names_user(u: &User, with: &str) -> bool {
    u.id == with
        || u.username
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(with))
        || u.email_address
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(with))
}

/// A lookup that failed because the server cannot do it (no such operation, not allowed) rather
/// than because the store is unreachable.
fn lookup_refused(e: &RemoteError) -> bool {
    matches!(
        e,
        RemoteError::NotFound(_)
            | RemoteError::Unsupported(_)
            | RemoteError::Invalid(_)
            | RemoteError::Denied(_)
    )
}

impl WorkDocsRemote {
    /// Implements [`crate::remote::Remote::shares`].
    pub(super) async fn item_shares(
        &self,
        id: &RemoteId,
        kind: NodeKind,
    ) -> Result<Vec<Share>, RemoteError> {
        check_kind(kind)?;
        let mut principals = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let target = format!(
                "/api/v1/resources/{}/permissions?limit=999{}",
                enc(id),
                marker_param(marker.as_deref())
            );
            let page: Permissions = self
                .transport
                .get("DescribeResourcePermissions", &target)
                .await?;
            principals.extend(page.principals.into_iter().flatten());
            match wire::next_marker(page.marker) {
                Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
                _ => break,
            }
        }
        let mut shares = shares_of(principals);
        let ids: Vec<String> = shares
            .iter()
            .filter(|s| s.principal.kind == PrincipalKind::User)
            .map(|s| s.principal.id.clone())
            .collect();
        // Names are a courtesy: a server that will not describe users still lists the shares.
        let users = match self.users_by_id(&ids).await {
            Ok(users) => users,
            Err(e) if lookup_refused(&e) => Vec::new(),
            Err(e) => return Err(e),
        };
        for s in &mut shares {
            if let Some(u) = users.iter().find(|u| u.id == s.principal.id) {
                s.principal.name = u.username.clone();
                s.principal.email = u.email_address.clone();
            }
        }
        Ok(shares)
    }

    /// DescribeUsers by id, a few ids per call.
    async fn users_by_id(&self, ids: &[String]) -> Result<Vec<User>, RemoteError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(USERS_PER_CALL) {
            let list: Vec<String> = chunk.iter().map(|i| enc(i).to_string()).collect();
            let target = format!("/api/v1/users?userIds={}&limit=999", list.join(","));
            let page: Users = self.transport.get("DescribeUsers", &target).await?;
            found.extend(page.users.into_iter().flatten());
        }
        Ok(found)
    }

    /// DescribeUsers with `query`, until a user `with` names turns up.
    async fn search_user(&self, query: &str, with: &str) -> Result<Option<User>, RemoteError> {
        let mut marker: Option<String> = None;
        for _ in 0..SEARCH_PAGES {
            let target = format!(
                "/api/v1/users?query={}&include=ALL&limit=100{}",
                enc(query),
                marker_param(marker.as_deref())
            );
            let page: Users = self.transport.get("DescribeUsers", &target).await?;
            if let Some(u) = page
                .users
                .into_iter()
                .flatten()
                .find(|u| names_user(u, with))
            {
                return Ok(Some(u));
            }
            match wire::next_marker(page.marker) {
                Some(m) if Some(&m) != marker.as_ref() => marker = Some(m),
                _ => break,
            }
        }
        Ok(None)
    }

    /// The user `with` names: by id, then by user name or email address.
    async fn find_user(&self, with: &str) -> Result<Option<User>, RemoteError> {
        match self.users_by_id(&[with.to_owned()]).await {
            Ok(users) => {
                if let Some(u) = users.into_iter().find(|u| u.id == with) {
                    return Ok(Some(u));
                }
            }
            Err(e) if lookup_refused(&e) => {}
            Err(e) => return Err(e),
        }
        if let Some(u) = self.search_user(with, with).await? {
            return Ok(Some(u));
        }
        // Servers search user names; an address is searched by the part before the @ too.
        match with.split_once('@') {
            Some((local, _)) if !local.is_empty() => self.search_user(local, with).await,
            _ => Ok(None),
        }
    }

    /// The group named `name` per DescribeGroups; `None` also when the server has no groups.
    async fn find_group(&self, name: &str) -> Result<Option<Group>, RemoteError> {
        let target = format!("/api/v1/groups?searchQuery={}&limit=100", enc(name));
        match self
            .transport
            .get::<Groups>("DescribeGroups", &target)
            .await
        {
            Ok(page) => Ok(page.groups.into_iter().flatten().find(|g| {
                g.id == name
                    || g.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })),
            Err(e) if lookup_refused(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The principal `with` names (a user, else a group).
    async fn resolve(&self, with: &str) -> Result<(String, PrincipalKind), RemoteError> {
        let with = with.trim();
        if with.is_empty() {
            return Err(RemoteError::Invalid("no user or group given".into()));
        }
        if let Some(u) = self.find_user(with).await? {
            return Ok((u.id, PrincipalKind::User));
        }
        if with.contains('@') {
            return Err(RemoteError::NotFound(format!(
                "no user of this organization has the email address {with} (docsfs does not \
                 send invitations to people outside it)"
            )));
        }
        if let Some(g) = self.find_group(with).await? {
            return Ok((g.id, PrincipalKind::Group));
        }
        Err(RemoteError::NotFound(format!(
            "no such user or group: {with}"
        )))
    }

    /// Implements [`crate::remote::Remote::share`].
    pub(super) async fn share_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        request: &ShareRequest,
    ) -> Result<(), RemoteError> {
        const OP: &str = "AddResourcePermissions";
        check_kind(kind)?;
        if request.role == Role::Owner {
            return Err(RemoteError::Invalid(
                "the owner role cannot be given by sharing; use coowner".into(),
            ));
        }
        let (principal, kind) = self.resolve(&request.with).await?;
        let mut body = json!({
            "Principals": [{
                "Id": principal,
                "Type": kind_name(kind),
                "Role": role_name(request.role),
            }],
        });
        if let Some(message) = &request.notify {
            body["NotificationOptions"] = json!({ "SendEmail": true, "EmailMessage": message });
        }
        let path = format!("/api/v1/resources/{}/permissions", enc(id));
        let answer: ShareResults = self
            .transport
            .call(OP, Method::POST, &path, Some(body))
            .await?;
        for r in answer.share_results.into_iter().flatten() {
            if r.status.as_deref() == Some("FAILURE") {
                let why = r.status_message.unwrap_or_else(|| "no reason given".into());
                return Err(RemoteError::Denied(format!(
                    "{OP}: the server refused to share with {}: {why}",
                    request.with.trim()
                )));
            }
        }
        Ok(())
    }

    /// Implements [`crate::remote::Remote::unshare`].
    pub(super) async fn unshare_item(
        &self,
        id: &RemoteId,
        kind: NodeKind,
        with: &str,
    ) -> Result<(), RemoteError> {
        let with = with.trim();
        let shares = self.item_shares(id, kind).await?;
        // A principal id as listed (an organization, a deleted user) needs no lookup.
        let listed = shares.iter().find(|s| {
            s.principal.id == with
                || s.principal
                    .name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(with))
                || s.principal
                    .email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(with))
        });
        let (principal, kind) = match listed {
            Some(s) => (s.principal.id.clone(), s.principal.kind),
            None => self.resolve(with).await?,
        };
        match shares.iter().find(|s| s.principal.id == principal) {
            None => {
                return Err(RemoteError::NotFound(format!(
                    "{with} has no share on this item"
                )));
            }
            Some(s) if s.role == Role::Owner && !s.inherited => {
                return Err(RemoteError::Invalid(format!(
                    "{with} owns this item; an owner cannot be unshared"
                )));
            }
            Some(s) if s.inherited => {
                return Err(RemoteError::Invalid(format!(
                    "{with} has the item through a folder above it; unshare that folder"
                )));
            }
            Some(_) => {}
        }
        let path = format!(
            "/api/v1/resources/{}/permissions/{}?type={}",
            enc(id),
            enc(&principal),
            kind_name(kind)
        );
        self.transport
            .send("RemoveResourcePermission", Method::DELETE, &path, None)
            .await?;
        Ok(())
    }
}

/// What sharing needs of an item's kind: WorkDocs shares folders and documents alike.
fn check_kind(kind: NodeKind) -> Result<(), RemoteError> {
    match kind {
        NodeKind::Folder | NodeKind::Document => Ok(()),
        NodeKind::Link => Err(RemoteError::Unsupported(
            "WorkDocs has no links to share".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_role_wins_and_a_direct_one_beats_an_inherited_one() {
        let body = br#"{"Principals":[
            {"Id":"u1","Type":"USER","Roles":[{"Role":"VIEWER","Type":"DIRECT"},
                {"Role":"CONTRIBUTOR","Type":"INHERITED"}]},
            {"Id":"u2","Type":"USER","Roles":[{"Role":"VIEWER","Type":"INHERITED"},
                {"Role":"VIEWER","Type":"DIRECT"}]},
            {"Id":"o","Type":"ORGANIZATION","Roles":[{"Role":"VIEWER","Type":"DIRECT"}]},
            {"Id":"x","Type":"USER","Roles":[{"Role":"NOPE"}]}
        ]}"#;
        let p: Permissions = wire::parse("DescribeResourcePermissions", body).unwrap();
        let s = shares_of(p.principals.unwrap());
        let got: Vec<_> = s
            .iter()
            .map(|s| {
                (
                    s.principal.id.as_str(),
                    s.principal.kind,
                    s.role,
                    s.inherited,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("o", PrincipalKind::Organization, Role::Viewer, false),
                ("u1", PrincipalKind::User, Role::Contributor, true),
                ("u2", PrincipalKind::User, Role::Viewer, false),
            ]
        );
    }

    #[test]
    fn a_user_is_named_by_id_name_or_address() {
        let u = User {
            id: "u1".into(),
            username: Some("Bob".into()),
            email_address: Some("bob@example.com".into()),
        };
        assert!(names_user(&u, "u1"));
        assert!(names_user(&u, "bob"));
        assert!(names_user(&u, "BOB@example.com"));
        assert!(!names_user(&u, "bo"));
    }
}
