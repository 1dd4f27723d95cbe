//! DescribeActivities records every mutation, in order, and filters by time, type, resource and
//! user, with markers; users see only what concerns them.

use serde_json::{Value, json};

use super::fixtures::{me, mkdir, upload, upload_version};
use super::harness::Server;

fn types(v: &Value) -> Vec<String> {
    v["UserActivities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_mutation_is_recorded_in_order() {
    let s = Server::start();
    let (alice, bob) = (me(&s.alice()).await, me(&s.bob()).await);
    let c = s.alice();
    let dir = mkdir(&c, &alice.root, "dir").await;
    let other = mkdir(&c, &alice.root, "other").await;
    let (doc, v1) = upload(&c, &dir, "a.txt", b"1").await;
    let v2 = upload_version(&c, &doc, b"2").await;
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "Name": "b.txt" }),
    )
    .await
    .ok();
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "ParentFolderId": other }),
    )
    .await
    .ok();
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "ResourceState": "RECYCLED" }),
    )
    .await
    .ok();
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "ResourceState": "ACTIVE" }),
    )
    .await
    .ok();
    let share = json!({ "ResourceId": dir, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "VIEWER" }] });
    c.call("AddResourcePermissions", share).await.ok();
    c.call(
        "RemoveResourcePermission",
        json!({ "ResourceId": dir, "PrincipalId": bob.id }),
    )
    .await
    .ok();
    c.call(
        "DeleteDocumentVersion",
        json!({ "DocumentId": doc, "VersionId": v2, "DeletePriorVersions": false }),
    )
    .await
    .ok();
    c.call("UpdateFolder", json!({ "FolderId": dir, "Name": "dir2" }))
        .await
        .ok();
    c.call("DeleteFolder", json!({ "FolderId": dir }))
        .await
        .ok();
    let all = c.call("DescribeActivities", json!({})).await.ok();
    let mut expected = vec![
        "FOLDER_CREATED",
        "FOLDER_CREATED",
        "DOCUMENT_VERSION_UPLOADED",
        "DOCUMENT_VERSION_UPLOADED",
        "DOCUMENT_RENAMED",
        "DOCUMENT_MOVED",
        "DOCUMENT_RECYCLED",
        "DOCUMENT_RESTORED",
        "FOLDER_SHARED",
        "FOLDER_UNSHARED",
        "DOCUMENT_VERSION_DELETED",
        "FOLDER_RENAMED",
        "FOLDER_DELETED",
    ];
    expected.reverse();
    assert_eq!(types(&all), expected);
    let acts = all["UserActivities"].as_array().unwrap();
    let find = |t: &str| acts.iter().find(|a| a["Type"] == t).unwrap().clone();
    let renamed = find("DOCUMENT_RENAMED");
    assert_eq!(renamed["ResourceMetadata"]["Name"], "b.txt");
    assert_eq!(renamed["ResourceMetadata"]["OriginalName"], "a.txt");
    assert_eq!(renamed["Initiator"]["Username"], "alice");
    let moved = find("DOCUMENT_MOVED");
    assert_eq!(moved["OriginalParent"]["Id"], dir.as_str());
    assert_eq!(moved["ResourceMetadata"]["ParentId"], other.as_str());
    let shared = find("FOLDER_SHARED");
    assert_eq!(shared["Participants"]["Users"][0]["Id"], bob.id.as_str());
    let uploaded = acts
        .iter()
        .filter(|a| a["Type"] == "DOCUMENT_VERSION_UPLOADED")
        .collect::<Vec<_>>();
    assert_eq!(uploaded[1]["ResourceMetadata"]["VersionId"], v1.as_str());
    // Filters.
    let only = c
        .call(
            "DescribeActivities",
            json!({ "ActivityTypes": "FOLDER_CREATED,FOLDER_RENAMED" }),
        )
        .await
        .ok();
    assert_eq!(
        types(&only),
        ["FOLDER_RENAMED", "FOLDER_CREATED", "FOLDER_CREATED"]
    );
    let of_doc = c
        .call("DescribeActivities", json!({ "ResourceId": doc }))
        .await
        .ok();
    assert_eq!(types(&of_doc).len(), 7);
    let indirect = c
        .call(
            "DescribeActivities",
            json!({ "ResourceId": other, "IncludeIndirectActivities": true }),
        )
        .await
        .ok();
    assert!(
        indirect["UserActivities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["IsIndirectActivity"] == true)
    );
    let past = c
        .call("DescribeActivities", json!({ "EndTime": 1_000_000_000 }))
        .await
        .ok();
    assert!(types(&past).is_empty());
    let future = c
        .call(
            "DescribeActivities",
            json!({ "StartTime": 4_000_000_000u64 }),
        )
        .await
        .ok();
    assert!(types(&future).is_empty());
    let by_bob = c
        .call("DescribeActivities", json!({ "UserId": bob.id }))
        .await
        .ok();
    assert!(types(&by_bob).is_empty());
    // Pages of 5 add up to the whole log.
    let (mut paged, mut marker) = (vec![], None::<String>);
    loop {
        let mut input = json!({ "Limit": 5 });
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = c.call("DescribeActivities", input).await.ok();
        paged.extend(types(&page));
        match page["Marker"].as_str() {
            Some(m) => marker = Some(m.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, expected);
    let e = c
        .call("DescribeActivities", json!({ "Marker": "nonsense" }))
        .await
        .err();
    assert_eq!(e, "InvalidArgumentException");
    let e = c
        .call(
            "DescribeActivities",
            json!({ "StartTime": 2_000_000_000u64, "EndTime": 1_000_000_000 }),
        )
        .await
        .err();
    assert_eq!(e, "InvalidArgumentException");
}

#[tokio::test]
async fn users_see_only_activities_that_concern_them() {
    let s = Server::start();
    let (alice, bob) = (me(&s.alice()).await, me(&s.bob()).await);
    let private = mkdir(&s.alice(), &alice.root, "private").await;
    let team = mkdir(&s.alice(), &alice.root, "team").await;
    let share = json!({ "ResourceId": team, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "VIEWER" }] });
    s.alice().call("AddResourcePermissions", share).await.ok();
    upload(&s.alice(), &team, "for-bob", b"x").await;
    let seen = s.bob().call("DescribeActivities", json!({})).await.ok();
    let ids: Vec<_> = seen["UserActivities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ResourceMetadata"]["Id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&team));
    assert!(!ids.contains(&private));
    let carol = s.carol().call("DescribeActivities", json!({})).await.ok();
    assert!(types(&carol).is_empty());
    // The admin sees everything.
    let admin = s.admin().call("DescribeActivities", json!({})).await.ok();
    assert!(types(&admin).len() >= 4);
}
