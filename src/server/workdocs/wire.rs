//! Wire shapes of the WorkDocs model that the server sends: `User`, `FolderMetadata`,
//! `DocumentMetadata`, `DocumentVersionMetadata`, `Activity`, … built from store rows. Member
//! names are the model's; absent optional members are left out; timestamps are epoch seconds.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::clock::ms_to_epoch_seconds;
use crate::server::store::activities::ActivityRow;
use crate::server::store::rows::{ResourceRow, UserRow, VersionRow};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StorageRule {
    pub storage_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Storage {
    pub storage_utilized_in_bytes: i64,
    pub storage_rule: StorageRule,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub id: String,
    pub username: String,
    pub email_address: String,
    pub given_name: String,
    pub organization_id: String,
    pub root_folder_id: String,
    pub recycle_bin_folder_id: String,
    pub status: &'static str,
    #[serde(rename = "Type")]
    pub user_type: &'static str,
    pub created_timestamp: f64,
    pub modified_timestamp: f64,
    pub time_zone_id: &'static str,
    pub locale: &'static str,
    pub storage: Storage,
}

pub fn email_of(username: &str) -> String {
    format!("{username}@docsfs.local")
}

pub fn user(u: &UserRow, org: &str, storage_used: i64) -> User {
    User {
        id: u.id.clone(),
        username: u.username.clone(),
        email_address: email_of(&u.username),
        given_name: u.username.chars().take(64).collect(),
        organization_id: org.to_owned(),
        root_folder_id: u.root_id.clone(),
        recycle_bin_folder_id: u.recycle_bin_id.clone(),
        status: "ACTIVE",
        user_type: "USER",
        created_timestamp: ms_to_epoch_seconds(u.created_ms),
        modified_timestamp: ms_to_epoch_seconds(u.modified_ms),
        time_zone_id: "UTC",
        locale: "en",
        storage: Storage {
            storage_utilized_in_bytes: storage_used,
            storage_rule: StorageRule {
                storage_type: "UNLIMITED",
            },
        },
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserMetadata {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// `UserMetadata` for a user id, with names when the user still exists (admin keys and deleted
/// users are shown by id alone).
pub fn user_metadata(id: &str, known: Option<&UserRow>) -> UserMetadata {
    UserMetadata {
        id: id.to_owned(),
        username: known.map(|u| u.username.clone()),
        given_name: known.map(|u| u.username.chars().take(64).collect()),
        email_address: known.map(|u| email_of(&u.username)),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FolderMetadata {
    pub id: String,
    pub name: String,
    pub creator_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_folder_id: Option<String>,
    pub created_timestamp: f64,
    pub modified_timestamp: f64,
    pub resource_state: String,
    pub labels: Vec<String>,
}

pub fn folder(r: &ResourceRow, labels: Vec<String>) -> FolderMetadata {
    FolderMetadata {
        id: r.id.clone(),
        name: r.name.clone(),
        creator_id: r.creator_id.clone(),
        parent_folder_id: r.parent_id.clone(),
        created_timestamp: ms_to_epoch_seconds(r.created_ms),
        modified_timestamp: ms_to_epoch_seconds(r.modified_ms),
        resource_state: r.state.clone(),
        labels,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DocumentVersionMetadata {
    pub id: String,
    pub name: String,
    pub content_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub status: String,
    pub created_timestamp: f64,
    pub modified_timestamp: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_created_timestamp: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_modified_timestamp: Option<f64>,
    pub creator_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<BTreeMap<&'static str, String>>,
}

/// Version metadata; `source_url` is the signed download URL when the caller asked for SOURCE.
pub fn version(
    v: &VersionRow,
    doc_name: &str,
    source_url: Option<String>,
) -> DocumentVersionMetadata {
    DocumentVersionMetadata {
        id: v.id.clone(),
        name: doc_name.to_owned(),
        content_type: v.content_type.clone(),
        size: v.effective_size(),
        signature: v.sha256.clone(),
        status: v.status.clone(),
        created_timestamp: ms_to_epoch_seconds(v.created_ms),
        modified_timestamp: ms_to_epoch_seconds(v.modified_ms),
        content_created_timestamp: v.content_created_ms.map(ms_to_epoch_seconds),
        content_modified_timestamp: v.content_modified_ms.map(ms_to_epoch_seconds),
        creator_id: v.creator_id.clone(),
        source: source_url.map(|u| BTreeMap::from([("ORIGINAL", u)])),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DocumentMetadata {
    pub id: String,
    pub creator_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_folder_id: Option<String>,
    pub created_timestamp: f64,
    pub modified_timestamp: f64,
    pub resource_state: String,
    pub labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_version_metadata: Option<DocumentVersionMetadata>,
}

pub fn document(
    r: &ResourceRow,
    latest: Option<&VersionRow>,
    labels: Vec<String>,
) -> DocumentMetadata {
    DocumentMetadata {
        id: r.id.clone(),
        creator_id: r.creator_id.clone(),
        parent_folder_id: r.parent_id.clone(),
        created_timestamp: ms_to_epoch_seconds(r.created_ms),
        modified_timestamp: ms_to_epoch_seconds(r.modified_ms),
        resource_state: r.state.clone(),
        labels,
        latest_version_metadata: latest.map(|v| version(v, &r.name, None)),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceMetadata {
    #[serde(rename = "Type")]
    pub resource_type: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Participants {
    pub users: Vec<UserMetadata>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Activity {
    #[serde(rename = "Type")]
    pub activity_type: String,
    pub time_stamp: f64,
    pub is_indirect_activity: bool,
    pub organization_id: String,
    pub initiator: UserMetadata,
    pub resource_metadata: ResourceMetadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_parent: Option<ResourceMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<Participants>,
}

/// An activity; `user` resolves user ids, `folder_name` the name of a still existing folder.
pub fn activity(
    a: &ActivityRow,
    org: &str,
    user: &dyn Fn(&str) -> UserMetadata,
    folder_name: &dyn Fn(&str) -> Option<String>,
) -> Activity {
    Activity {
        activity_type: a.activity_type.clone(),
        time_stamp: ms_to_epoch_seconds(a.time_ms),
        is_indirect_activity: a.indirect,
        organization_id: org.to_owned(),
        initiator: user(&a.actor_id),
        resource_metadata: ResourceMetadata {
            resource_type: a.resource_type.clone(),
            id: a.resource_id.clone(),
            name: Some(a.resource_name.clone()),
            original_name: a.original_name.clone(),
            version_id: a.version_id.clone(),
            owner: Some(user(&a.owner_id)),
            parent_id: a.parent_id.clone(),
        },
        original_parent: a.original_parent_id.as_ref().map(|id| ResourceMetadata {
            resource_type: "FOLDER".into(),
            id: id.clone(),
            name: folder_name(id),
            original_name: None,
            version_id: None,
            owner: None,
            parent_id: None,
        }),
        participants: (!a.participants.is_empty()).then(|| Participants {
            users: a.participants.iter().map(|p| user(p)).collect(),
        }),
    }
}
