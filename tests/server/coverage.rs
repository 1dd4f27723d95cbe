//! One tour through every operation the server implements, so that each has at least one
//! response checked against the model in this test alone, whatever else runs.

use serde_json::json;

use super::client::{Reply, checked_ops};
use super::fixtures::{me, mkdir, put_content};
use super::harness::Server;
use docsfs::server::workdocs::{ROUTES, operation_of};

#[tokio::test]
async fn every_operation_answers_per_the_model() {
    let s = Server::start();
    let c = s.alice();
    let (m, bob) = (me(&c).await, me(&s.bob()).await);
    c.call("DescribeRootFolders", json!({})).await.ok();
    c.call("DescribeUsers", json!({})).await.ok();
    let dir = mkdir(&c, &m.root, "tour").await;
    c.call("GetFolder", json!({ "FolderId": dir })).await.ok();
    c.call("GetFolderPath", json!({ "FolderId": dir }))
        .await
        .ok();
    c.call("UpdateFolder", json!({ "FolderId": dir, "Name": "tour2" }))
        .await
        .ok();
    c.call("DescribeFolderContents", json!({ "FolderId": dir }))
        .await
        .ok();
    let init = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": dir, "Name": "d", "DocumentSizeInBytes": 1 }),
        )
        .await
        .ok();
    let doc = init["Metadata"]["Id"].as_str().unwrap().to_owned();
    let v1 = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(put_content(&init["UploadMetadata"], b"1").await, 200);
    c.call(
        "UpdateDocumentVersion",
        json!({ "DocumentId": doc, "VersionId": v1, "VersionStatus": "ACTIVE" }),
    )
    .await
    .ok();
    let init = c
        .call("InitiateDocumentVersionUpload", json!({ "Id": doc }))
        .await
        .ok();
    let v2 = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.call(
        "AbortDocumentVersionUpload",
        json!({ "DocumentId": doc, "VersionId": v2 }),
    )
    .await
    .ok();
    let init = c
        .call("InitiateDocumentVersionUpload", json!({ "Id": doc }))
        .await
        .ok();
    let v3 = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(put_content(&init["UploadMetadata"], b"3").await, 200);
    c.call(
        "UpdateDocumentVersion",
        json!({ "DocumentId": doc, "VersionId": v3, "VersionStatus": "ACTIVE" }),
    )
    .await
    .ok();
    c.call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    c.call("GetDocumentPath", json!({ "DocumentId": doc }))
        .await
        .ok();
    c.call(
        "GetDocumentVersion",
        json!({ "DocumentId": doc, "VersionId": v1, "Fields": "SOURCE" }),
    )
    .await
    .ok();
    c.call(
        "DescribeDocumentVersions",
        json!({ "DocumentId": doc, "Fields": "SOURCE" }),
    )
    .await
    .ok();
    c.call(
        "DeleteDocumentVersion",
        json!({ "DocumentId": doc, "VersionId": v1, "DeletePriorVersions": false }),
    )
    .await
    .ok();
    c.call("RestoreDocumentVersions", json!({ "DocumentId": doc }))
        .await
        .ok();
    c.call("UpdateDocument", json!({ "DocumentId": doc, "Name": "d2" }))
        .await
        .ok();
    let share = json!({ "ResourceId": dir, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "VIEWER" }] });
    c.call("AddResourcePermissions", share).await.ok();
    c.call("DescribeResourcePermissions", json!({ "ResourceId": dir }))
        .await
        .ok();
    s.bob()
        .call(
            "GetResources",
            json!({ "CollectionType": "SHARED_WITH_ME" }),
        )
        .await
        .ok();
    c.call(
        "RemoveResourcePermission",
        json!({ "ResourceId": dir, "PrincipalId": bob.id }),
    )
    .await
    .ok();
    c.call("RemoveAllResourcePermissions", json!({ "ResourceId": dir }))
        .await
        .ok();
    c.call(
        "CreateLabels",
        json!({ "ResourceId": doc, "Labels": ["x"] }),
    )
    .await
    .ok();
    c.call(
        "DeleteLabels",
        json!({ "ResourceId": doc, "Labels": ["x"] }),
    )
    .await
    .ok();
    c.call(
        "CreateCustomMetadata",
        json!({ "ResourceId": doc, "CustomMetadata": { "k": "v" } }),
    )
    .await
    .ok();
    c.call(
        "DeleteCustomMetadata",
        json!({ "ResourceId": doc, "Keys": ["k"] }),
    )
    .await
    .ok();
    c.call("DescribeActivities", json!({})).await.ok();
    c.call("DeleteDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    c.call("DeleteFolderContents", json!({ "FolderId": dir }))
        .await
        .ok();
    let last: Reply = c.call("DeleteFolder", json!({ "FolderId": dir })).await;
    assert_eq!(last.status, 204);
    let checked = checked_ops();
    for (method, path) in ROUTES {
        let op = operation_of(method, path).unwrap();
        assert!(
            checked.iter().any(|o| o == op),
            "{op} was never checked against the model"
        );
    }
}
