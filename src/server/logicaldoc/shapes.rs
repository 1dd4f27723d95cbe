//! LogicalDOC's JSON shapes as its Jackson serialiser writes them (keys are the getter names):
//! `WSFolder` and `WSAccessControlEntry` (9.0–9.2.2 form, 0/1 integer flags), and its dates,
//! `yyyy-MM-dd HH:mm:ss Z`, always in UTC here (`+0000`). Fields this server has nothing for
//! (templates, storage, colour, …) are left out rather than sent as `null`, as 9.2.2+ does.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use super::permissions::{PERMISSIONS, granted};
use super::tree::LdFolder;
use crate::clock::format_iso8601_ms;
use crate::server::store::rows::Role;

/// `WSFolder`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WsFolder {
    pub id: i64,
    pub name: String,
    pub parent_id: i64,
    /// 0 folder, 1 workspace, 2 alias.
    #[serde(rename = "type")]
    pub folder_type: i32,
    pub description: String,
    pub creation: String,
    pub creator: String,
    pub last_modified: String,
    pub hidden: i32,
    pub position: i32,
    pub template_locked: i32,
    pub tags: Vec<String>,
    pub attributes: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_ref: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fold_ref: Option<i64>,
}

impl WsFolder {
    pub fn of(f: &LdFolder) -> Self {
        Self {
            id: f.ld_id,
            name: f.name.clone(),
            parent_id: f.parent_ld,
            folder_type: match (f.is_alias(), f.workspace) {
                (true, _) => 2,
                (false, workspace) => i32::from(workspace),
            },
            description: String::new(),
            creation: date(f.created_ms),
            creator: f.creator.clone(),
            last_modified: date(f.modified_ms),
            hidden: 0,
            position: 1,
            template_locked: 0,
            tags: f.tags.clone(),
            attributes: super::doc_tags::attributes_json(&f.attributes),
            // LogicalDOC points an alias's security at its target too.
            security_ref: f.alias_of.as_ref().map(|(ld, _)| *ld),
            fold_ref: f.alias_of.as_ref().map(|(ld, _)| *ld),
        }
    }
}

/// A list of `WSFolder`s.
pub fn folders(list: &[LdFolder]) -> Vec<WsFolder> {
    list.iter().map(WsFolder::of).collect()
}

/// `WSAccessControlEntry` for one user with `role`: `groupId` 0 (this server has no groups),
/// `userId`, then every permission flag as 0 or 1, in LogicalDOC's field order.
pub struct AccessControlEntry {
    pub user_ld_id: i64,
    pub role: Role,
}

impl Serialize for AccessControlEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(PERMISSIONS.len() + 2))?;
        map.serialize_entry("groupId", &0)?;
        map.serialize_entry("userId", &self.user_ld_id)?;
        for (name, field) in PERMISSIONS {
            let flag = i32::from(granted(self.role, name).unwrap_or(false));
            map.serialize_entry(field, &flag)?;
        }
        map.end()
    }
}

/// Epoch milliseconds as LogicalDOC writes dates: `2024-05-21 14:03:11 +0000`.
pub fn date(ms: i64) -> String {
    let iso = format_iso8601_ms(ms);
    format!("{} {} +0000", &iso[..10], &iso[11..19])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_with_an_offset() {
        assert_eq!(date(0), "1970-01-01 00:00:00 +0000");
        assert_eq!(date(1_716_300_191_999), "2024-05-21 14:03:11 +0000");
    }

    #[test]
    fn folders_have_jackson_keys() {
        let f = LdFolder {
            ld_id: 100,
            parent_ld: 4,
            workspace: false,
            name: "a".into(),
            creator: "alice".into(),
            created_ms: 0,
            modified_ms: 1000,
            resource_id: Some("x".into()),
            alias_of: None,
            tags: Vec::new(),
            attributes: Default::default(),
        };
        let v = serde_json::to_value(WsFolder::of(&f)).unwrap();
        assert_eq!(v["parentId"], 4);
        assert_eq!(v["type"], 0);
        assert_eq!(v["templateLocked"], 0);
        assert_eq!(v["lastModified"], "1970-01-01 00:00:01 +0000");
        assert!(v.get("securityRef").is_none() && v.get("foldRef").is_none());
    }

    #[test]
    fn entries_carry_flags_in_order() {
        let entry = |role| AccessControlEntry {
            user_ld_id: 10,
            role,
        };
        let text = serde_json::to_string(&entry(Role::Contributor)).unwrap();
        let head = r#"{"groupId":0,"userId":10,"read":1,"preview":1,"write":1,"#;
        assert!(text.starts_with(head), "{text}");
        let e = serde_json::to_value(entry(Role::Contributor)).unwrap();
        assert_eq!(
            (e["iimport"].as_i64(), e["move"].as_i64()),
            (Some(0), Some(1))
        );
        let o = serde_json::to_value(entry(Role::Owner)).unwrap();
        assert!(PERMISSIONS.iter().all(|(_, f)| o[*f] == 1));
    }
}
