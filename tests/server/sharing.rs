//! Shares change what a user may do; shared-with-me lists them; labels and custom metadata.

use serde_json::json;

use super::fixtures::{list_all, me, mkdir, read_document, upload};
use super::harness::Server;

fn grant(resource: &str, user: &str, role: &str) -> serde_json::Value {
    json!({ "ResourceId": resource, "Principals": [{ "Id": user, "Type": "USER", "Role": role }] })
}

#[tokio::test]
async fn roles_decide_what_a_user_may_do() {
    let s = Server::start();
    let (alice, bob) = (me(&s.alice()).await, me(&s.bob()).await);
    let (a, b, carol) = (s.alice(), s.bob(), s.carol());
    let dir = mkdir(&a, &alice.root, "team").await;
    let (doc, _) = upload(&a, &dir, "plan.txt", b"plan").await;
    // Before sharing, bob sees nothing.
    assert_eq!(
        b.call("GetFolder", json!({ "FolderId": dir })).await.err(),
        "UnauthorizedResourceAccessException"
    );
    let r = a
        .call("AddResourcePermissions", grant(&dir, &bob.id, "VIEWER"))
        .await;
    assert_eq!(r.status, 201);
    let r = r.ok();
    assert_eq!(r["ShareResults"][0]["Status"], "SUCCESS");
    // A viewer reads, lists and downloads, but cannot write.
    let (_, _, docs) = list_all(&b, &dir, 100, json!({})).await;
    assert_eq!(docs, ["plan.txt"]);
    assert_eq!(read_document(&b, &doc).await, b"plan");
    let e = b
        .call(
            "CreateFolder",
            json!({ "ParentFolderId": dir, "Name": "x" }),
        )
        .await
        .err();
    assert_eq!(e, "UnauthorizedOperationException");
    let e = b
        .call("InitiateDocumentVersionUpload", json!({ "Id": doc }))
        .await
        .err();
    assert_eq!(e, "UnauthorizedOperationException");
    let e = b
        .call("UpdateDocument", json!({ "DocumentId": doc, "Name": "y" }))
        .await
        .err();
    assert_eq!(e, "UnauthorizedOperationException");
    // Shared with me.
    let shared = b
        .call(
            "GetResources",
            json!({ "CollectionType": "SHARED_WITH_ME" }),
        )
        .await
        .ok();
    assert_eq!(shared["Folders"][0]["Id"], dir.as_str());
    let mine = a.call("GetResources", json!({})).await.ok();
    assert!(mine["Folders"].as_array().unwrap().is_empty());
    // Permissions as described: owner direct, bob direct on the folder and inherited below.
    let p = a
        .call("DescribeResourcePermissions", json!({ "ResourceId": dir }))
        .await
        .ok();
    let role_of = |p: &serde_json::Value, id: &str| {
        p["Principals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["Id"] == id)
            .map(|x| x["Roles"][0].clone())
    };
    assert_eq!(
        role_of(&p, &alice.id).unwrap(),
        json!({ "Role": "OWNER", "Type": "DIRECT" })
    );
    assert_eq!(
        role_of(&p, &bob.id).unwrap(),
        json!({ "Role": "VIEWER", "Type": "DIRECT" })
    );
    let p = b
        .call("DescribeResourcePermissions", json!({ "ResourceId": doc }))
        .await
        .ok();
    assert_eq!(
        role_of(&p, &bob.id).unwrap(),
        json!({ "Role": "VIEWER", "Type": "INHERITED" })
    );
    // A contributor writes but does not share.
    a.call(
        "AddResourcePermissions",
        grant(&dir, &bob.id, "CONTRIBUTOR"),
    )
    .await
    .ok();
    mkdir(&b, &dir, "bobs").await;
    let e = b
        .call("AddResourcePermissions", grant(&dir, &alice.id, "VIEWER"))
        .await
        .err();
    assert_eq!(e, "UnauthorizedOperationException");
    // A co-owner shares.
    a.call("AddResourcePermissions", grant(&dir, &bob.id, "COOWNER"))
        .await
        .ok();
    let carol_id = me(&carol).await.id;
    b.call("AddResourcePermissions", grant(&dir, &carol_id, "VIEWER"))
        .await
        .ok();
    carol
        .call("GetFolder", json!({ "FolderId": dir }))
        .await
        .ok();
    // Removing shares closes the folder again.
    assert_eq!(
        a.call(
            "RemoveResourcePermission",
            json!({ "ResourceId": dir, "PrincipalId": bob.id })
        )
        .await
        .status,
        204
    );
    assert_eq!(
        b.call("GetFolder", json!({ "FolderId": dir })).await.err(),
        "UnauthorizedResourceAccessException"
    );
    assert_eq!(
        a.call("RemoveAllResourcePermissions", json!({ "ResourceId": dir }))
            .await
            .status,
        204
    );
    assert_eq!(
        carol
            .call("GetFolder", json!({ "FolderId": dir }))
            .await
            .err(),
        "UnauthorizedResourceAccessException"
    );
}

#[tokio::test]
async fn shares_with_unknown_principals_fail_per_principal() {
    let s = Server::start();
    let (alice, bob) = (me(&s.alice()).await, me(&s.bob()).await);
    let dir = mkdir(&s.alice(), &alice.root, "d").await;
    let input = json!({ "ResourceId": dir, "Principals": [
        { "Id": "u-nobody", "Type": "USER", "Role": "VIEWER" },
        { "Id": bob.id, "Type": "USER", "Role": "OWNER" },
        { "Id": "g1", "Type": "GROUP", "Role": "VIEWER" },
        { "Id": bob.id, "Type": "USER", "Role": "VIEWER" },
    ]});
    let r = s.alice().call("AddResourcePermissions", input).await.ok();
    let statuses: Vec<_> = r["ShareResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["Status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["FAILURE", "FAILURE", "FAILURE", "SUCCESS"]);
    let e = s.alice().call("AddResourcePermissions", json!({ "ResourceId": dir, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "KING" }] })).await.err();
    assert_eq!(e, "ValidationException");
}

#[tokio::test]
async fn labels_round_trip_with_limits() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let (doc, _) = upload(&c, &root, "l.txt", b"l").await;
    c.call(
        "CreateLabels",
        json!({ "ResourceId": doc, "Labels": ["blue", "draft", "q3"] }),
    )
    .await
    .ok();
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    assert_eq!(d["Metadata"]["Labels"], json!(["blue", "draft", "q3"]));
    c.call(
        "DeleteLabels",
        json!({ "ResourceId": doc, "Labels": ["draft"] }),
    )
    .await
    .ok();
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    assert_eq!(d["Metadata"]["Labels"], json!(["blue", "q3"]));
    let many: Vec<_> = (0..19).map(|i| format!("l{i}")).collect();
    assert_eq!(
        c.call("CreateLabels", json!({ "ResourceId": doc, "Labels": many }))
            .await
            .err(),
        "TooManyLabelsException"
    );
    assert_eq!(
        c.call(
            "CreateLabels",
            json!({ "ResourceId": doc, "Labels": [" bad"] })
        )
        .await
        .err(),
        "ValidationException"
    );
    c.call(
        "DeleteLabels",
        json!({ "ResourceId": doc, "DeleteAll": true }),
    )
    .await
    .ok();
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    assert_eq!(d["Metadata"]["Labels"], json!([]));
}

#[tokio::test]
async fn custom_metadata_round_trips_per_resource_and_version() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let (doc, v) = upload(&c, &root, "m.txt", b"m").await;
    c.call(
        "CreateCustomMetadata",
        json!({ "ResourceId": doc, "CustomMetadata": { "project": "apollo", "stage": "2" } }),
    )
    .await
    .ok();
    c.call(
        "CreateCustomMetadata",
        json!({ "ResourceId": doc, "VersionId": v, "CustomMetadata": { "reviewed": "yes" } }),
    )
    .await
    .ok();
    let d = c
        .call(
            "GetDocument",
            json!({ "DocumentId": doc, "IncludeCustomMetadata": true }),
        )
        .await
        .ok();
    assert_eq!(
        d["CustomMetadata"],
        json!({ "project": "apollo", "stage": "2" })
    );
    let dv = c
        .call(
            "GetDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": v, "IncludeCustomMetadata": true }),
        )
        .await
        .ok();
    assert_eq!(dv["CustomMetadata"], json!({ "reviewed": "yes" }));
    c.call(
        "DeleteCustomMetadata",
        json!({ "ResourceId": doc, "Keys": ["stage"] }),
    )
    .await
    .ok();
    let d = c
        .call(
            "GetDocument",
            json!({ "DocumentId": doc, "IncludeCustomMetadata": true }),
        )
        .await
        .ok();
    assert_eq!(d["CustomMetadata"], json!({ "project": "apollo" }));
    let nine: serde_json::Map<_, _> = (0..8).map(|i| (format!("k{i}"), json!("v"))).collect();
    let e = c
        .call(
            "CreateCustomMetadata",
            json!({ "ResourceId": doc, "CustomMetadata": nine }),
        )
        .await
        .err();
    assert_eq!(e, "CustomMetadataLimitExceededException");
    c.call(
        "DeleteCustomMetadata",
        json!({ "ResourceId": doc, "DeleteAll": true }),
    )
    .await
    .ok();
    let d = c
        .call(
            "GetDocument",
            json!({ "DocumentId": doc, "IncludeCustomMetadata": true }),
        )
        .await
        .ok();
    assert!(d.get("CustomMetadata").is_none());
    let folder = mkdir(&c, &root, "tagged").await;
    c.call(
        "CreateCustomMetadata",
        json!({ "ResourceId": folder, "CustomMetadata": { "a": "b" } }),
    )
    .await
    .ok();
    let f = c
        .call(
            "GetFolder",
            json!({ "FolderId": folder, "IncludeCustomMetadata": true }),
        )
        .await
        .ok();
    assert_eq!(f["CustomMetadata"], json!({ "a": "b" }));
}
