//! Folders and documents: create, get, path, rename, move, names, the upload-version flow,
//! versions, and deletion.

use serde_json::json;

use super::fixtures::{
    fetch, list_all, me, mkdir, put_content, read_document, source_url, upload, upload_version,
};
use super::harness::Server;

#[tokio::test]
async fn folders_are_created_renamed_moved_and_pathed() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let a = mkdir(&c, &root, "a").await;
    let b = mkdir(&c, &a, "b").await;
    let e = c
        .call(
            "CreateFolder",
            json!({ "ParentFolderId": root, "Name": "a" }),
        )
        .await
        .err();
    assert_eq!(e, "EntityAlreadyExistsException");
    let p = c
        .call("GetFolderPath", json!({ "FolderId": b, "Fields": "NAME" }))
        .await
        .ok();
    let names: Vec<_> = p["Path"]["Components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "a", "b"]);
    let ids_only = c.call("GetFolderPath", json!({ "FolderId": b })).await.ok();
    assert!(ids_only["Path"]["Components"][0].get("Name").is_none());
    c.call("UpdateFolder", json!({ "FolderId": b, "Name": "b2" }))
        .await
        .ok();
    c.call(
        "UpdateFolder",
        json!({ "FolderId": b, "ParentFolderId": root }),
    )
    .await
    .ok();
    let f = c.call("GetFolder", json!({ "FolderId": b })).await.ok();
    assert_eq!(
        (
            f["Metadata"]["Name"].as_str(),
            f["Metadata"]["ParentFolderId"].as_str()
        ),
        (Some("b2"), Some(root.as_str()))
    );
    assert_eq!(
        c.call("UpdateFolder", json!({ "FolderId": b, "Name": "a" }))
            .await
            .err(),
        "EntityAlreadyExistsException"
    );
    // A folder cannot move into its own subtree.
    let inner = mkdir(&c, &a, "inner").await;
    let e = c
        .call(
            "UpdateFolder",
            json!({ "FolderId": a, "ParentFolderId": inner }),
        )
        .await
        .err();
    assert_eq!(e, "ValidationException");
    let e = c
        .call(
            "UpdateFolder",
            json!({ "FolderId": a, "ResourceState": "RESTORING" }),
        )
        .await
        .err();
    assert_eq!(e, "ValidationException");
    // Root and recycle bin are fixed.
    assert_eq!(
        c.call("UpdateFolder", json!({ "FolderId": root, "Name": "x" }))
            .await
            .err(),
        "ProhibitedStateException"
    );
    assert_eq!(
        c.call("DeleteFolder", json!({ "FolderId": root }))
            .await
            .err(),
        "ProhibitedStateException"
    );
}

#[tokio::test]
async fn names_follow_the_model() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    for bad in ["", "tab\there", &"x".repeat(256), "rtl\u{202E}"] {
        let e = c
            .call(
                "CreateFolder",
                json!({ "ParentFolderId": root, "Name": bad }),
            )
            .await
            .err();
        assert_eq!(e, "ValidationException", "{bad:?}");
    }
    for good in ["a/b", "ünïcødé ✓", "..", &"y".repeat(255), " leading space"] {
        let id = mkdir(&c, &root, good).await;
        let f = c.call("GetFolder", json!({ "FolderId": id })).await.ok();
        assert_eq!(f["Metadata"]["Name"], good);
    }
    let e = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": root, "Name": "" }),
        )
        .await
        .err();
    assert_eq!(e, "InvalidArgumentException");
}

#[tokio::test]
async fn missing_ids_are_entity_not_exists() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    assert_eq!(
        c.call("GetFolder", json!({ "FolderId": "nope" }))
            .await
            .err(),
        "EntityNotExistsException"
    );
    assert_eq!(
        c.call("GetDocument", json!({ "DocumentId": "nope" }))
            .await
            .err(),
        "EntityNotExistsException"
    );
    assert_eq!(
        c.call("GetDocumentPath", json!({ "DocumentId": "nope" }))
            .await
            .err(),
        "EntityNotExistsException"
    );
    let e = c
        .call("DescribeDocumentVersions", json!({ "DocumentId": "nope" }))
        .await
        .err();
    assert_eq!(e, "EntityNotExistsException");
    let e = c
        .call(
            "CreateFolder",
            json!({ "ParentFolderId": "nope", "Name": "x" }),
        )
        .await
        .err();
    assert_eq!(e, "EntityNotExistsException");
    // A folder id on a document route, and the other way round.
    assert_eq!(
        c.call("GetDocument", json!({ "DocumentId": root }))
            .await
            .err(),
        "EntityNotExistsException"
    );
    let (doc, v) = upload(&c, &root, "d.txt", b"x").await;
    assert_eq!(
        c.call("GetFolder", json!({ "FolderId": doc })).await.err(),
        "EntityNotExistsException"
    );
    let e = c
        .call(
            "GetDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": "nope" }),
        )
        .await
        .err();
    assert_eq!(e, "EntityNotExistsException");
    let e = c
        .call(
            "CreateFolder",
            json!({ "ParentFolderId": doc, "Name": "x" }),
        )
        .await
        .err();
    assert_eq!(e, "ValidationException");
    let _ = v;
}

#[tokio::test]
async fn upload_flow_initiate_put_activate() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let init = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": root, "Name": "report.txt", "ContentType": "text/plain",
                    "DocumentSizeInBytes": 11, "ContentCreatedTimestamp": 1_600_000_000.5,
                    "ContentModifiedTimestamp": 1_700_000_000.25 }),
        )
        .await;
    assert_eq!(init.status, 201);
    let init = init.ok();
    let doc = init["Metadata"]["Id"].as_str().unwrap().to_owned();
    let version = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        init["Metadata"]["LatestVersionMetadata"]["Status"],
        "INITIALIZED"
    );
    let headers = init["UploadMetadata"]["SignedHeaders"].as_object().unwrap();
    assert_eq!(headers["Content-Type"], "text/plain");
    assert_eq!(headers["x-amz-server-side-encryption"], "AES256");
    // Not listed until activated, except on request.
    let (_, _, docs) = list_all(&c, &root, 100, json!({})).await;
    assert!(docs.is_empty());
    let (_, _, docs) = list_all(&c, &root, 100, json!({ "Include": "INITIALIZED" })).await;
    assert_eq!(docs, ["report.txt"]);
    let act = json!({ "DocumentId": doc, "VersionId": version, "VersionStatus": "ACTIVE" });
    assert_eq!(
        c.call("UpdateDocumentVersion", act.clone()).await.err(),
        "ProhibitedStateException"
    );
    assert_eq!(
        put_content(&init["UploadMetadata"], b"hello world").await,
        200
    );
    let r = c.call("UpdateDocumentVersion", act.clone()).await;
    assert_eq!(r.status, 200);
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    let latest = &d["Metadata"]["LatestVersionMetadata"];
    assert_eq!(latest["Status"], "ACTIVE");
    assert_eq!(latest["Size"], 11);
    assert_eq!(latest["Name"], "report.txt");
    assert_eq!(latest["ContentModifiedTimestamp"], 1_700_000_000.25);
    assert_eq!(latest["ContentCreatedTimestamp"], 1_600_000_000.5);
    assert_eq!(latest["Signature"].as_str().unwrap().len(), 64);
    assert_eq!(read_document(&c, &doc).await, b"hello world");
    // A second version of the same document.
    let v2 = upload_version(&c, &doc, b"second").await;
    assert_eq!(read_document(&c, &doc).await, b"second");
    let vs = c
        .call("DescribeDocumentVersions", json!({ "DocumentId": doc }))
        .await
        .ok();
    let ids: Vec<_> = vs["DocumentVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [v2.as_str(), version.as_str()]);
    // The old version is still readable.
    let (status, _, body) = fetch(&source_url(&c, &doc, &version).await, None).await;
    assert_eq!((status, body.as_slice()), (200, b"hello world".as_slice()));
    let p = c
        .call(
            "GetDocumentPath",
            json!({ "DocumentId": doc, "Fields": "NAME" }),
        )
        .await
        .ok();
    assert_eq!(p["Path"]["Components"][1]["Name"], "report.txt");
    // Same name again: taken.
    let e = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": root, "Name": "report.txt" }),
        )
        .await
        .err();
    assert_eq!(e, "EntityAlreadyExistsException");
}

#[tokio::test]
async fn aborted_uploads_never_show() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let init = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": root, "Name": "gone.bin", "DocumentSizeInBytes": 3 }),
        )
        .await
        .ok();
    let doc = init["Metadata"]["Id"].as_str().unwrap().to_owned();
    let version = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(put_content(&init["UploadMetadata"], b"abc").await, 200);
    let r = c
        .call(
            "AbortDocumentVersionUpload",
            json!({ "DocumentId": doc, "VersionId": version }),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        c.call("GetDocument", json!({ "DocumentId": doc }))
            .await
            .err(),
        "EntityNotExistsException"
    );
    let (_, _, docs) = list_all(&c, &root, 100, json!({ "Include": "INITIALIZED" })).await;
    assert!(docs.is_empty());
    // Aborting a new version of an existing document keeps the document as it was.
    let (doc, v1) = upload(&c, &root, "kept.txt", b"one").await;
    let init = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "Id": doc, "DocumentSizeInBytes": 3 }),
        )
        .await
        .ok();
    let v2 = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(put_content(&init["UploadMetadata"], b"two").await, 200);
    c.call(
        "AbortDocumentVersionUpload",
        json!({ "DocumentId": doc, "VersionId": v2 }),
    )
    .await
    .ok();
    assert_eq!(read_document(&c, &doc).await, b"one");
    let vs = c
        .call(
            "DescribeDocumentVersions",
            json!({ "DocumentId": doc, "Include": "INITIALIZED" }),
        )
        .await
        .ok();
    assert_eq!(vs["DocumentVersions"].as_array().unwrap().len(), 1);
    let act = json!({ "DocumentId": doc, "VersionId": v2, "VersionStatus": "ACTIVE" });
    assert_eq!(
        c.call("UpdateDocumentVersion", act).await.err(),
        "EntityNotExistsException"
    );
    // An active version cannot be aborted.
    let e = c
        .call(
            "AbortDocumentVersionUpload",
            json!({ "DocumentId": doc, "VersionId": v1 }),
        )
        .await
        .err();
    assert_eq!(e, "ProhibitedStateException");
}

#[tokio::test]
async fn versions_are_deleted_and_restored() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let (doc, v1) = upload(&c, &root, "v.txt", b"1").await;
    let v2 = upload_version(&c, &doc, b"22").await;
    let v3 = upload_version(&c, &doc, b"333").await;
    let del = |v: &str, prior: bool| json!({ "DocumentId": doc, "VersionId": v, "DeletePriorVersions": prior });
    assert_eq!(
        c.call("DeleteDocumentVersion", del(&v3, false))
            .await
            .status,
        204
    );
    assert_eq!(read_document(&c, &doc).await, b"22");
    // Deleting v2 and everything before it would leave no version.
    assert_eq!(
        c.call("DeleteDocumentVersion", del(&v2, true)).await.err(),
        "InvalidOperationException"
    );
    assert_eq!(
        c.call("DeleteDocumentVersion", del(&v1, false))
            .await
            .status,
        204
    );
    assert_eq!(
        c.call("DeleteDocumentVersion", del(&v2, false)).await.err(),
        "InvalidOperationException"
    );
    let count = |vs: serde_json::Value| vs["DocumentVersions"].as_array().unwrap().len();
    assert_eq!(
        count(
            c.call("DescribeDocumentVersions", json!({ "DocumentId": doc }))
                .await
                .ok()
        ),
        1
    );
    assert_eq!(read_document(&c, &doc).await, b"22");
    assert_eq!(
        c.call("RestoreDocumentVersions", json!({ "DocumentId": doc }))
            .await
            .status,
        204
    );
    assert_eq!(
        count(
            c.call("DescribeDocumentVersions", json!({ "DocumentId": doc }))
                .await
                .ok()
        ),
        3
    );
    assert_eq!(read_document(&c, &doc).await, b"333");
    // Version listing pages.
    let page = c
        .call(
            "DescribeDocumentVersions",
            json!({ "DocumentId": doc, "Limit": 2 }),
        )
        .await
        .ok();
    assert_eq!(count(page.clone()), 2);
    let m = page["Marker"].as_str().unwrap();
    let rest = c
        .call(
            "DescribeDocumentVersions",
            json!({ "DocumentId": doc, "Limit": 2, "Marker": m }),
        )
        .await
        .ok();
    assert_eq!(rest["DocumentVersions"][0]["Id"], v1.as_str());
    assert!(rest.get("Marker").is_none());
}

#[tokio::test]
async fn documents_are_renamed_moved_and_deleted_for_good() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let dir = mkdir(&c, &root, "dir").await;
    let (doc, v) = upload(&c, &root, "a.txt", b"content").await;
    let url = source_url(&c, &doc, &v).await;
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "Name": "b.txt", "ParentFolderId": dir }),
    )
    .await
    .ok();
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    assert_eq!(d["Metadata"]["ParentFolderId"], dir.as_str());
    assert_eq!(d["Metadata"]["LatestVersionMetadata"]["Name"], "b.txt");
    let (_, _, docs) = list_all(&c, &dir, 100, json!({})).await;
    assert_eq!(docs, ["b.txt"]);
    let (doc2, _) = upload(&c, &dir, "c.txt", b"c").await;
    let e = c
        .call(
            "UpdateDocument",
            json!({ "DocumentId": doc2, "Name": "b.txt" }),
        )
        .await
        .err();
    assert_eq!(e, "EntityAlreadyExistsException");
    assert_eq!(
        c.call("DeleteDocument", json!({ "DocumentId": doc }))
            .await
            .status,
        204
    );
    assert_eq!(
        c.call("GetDocument", json!({ "DocumentId": doc }))
            .await
            .err(),
        "EntityNotExistsException"
    );
    assert_eq!(fetch(&url, None).await.0, 404);
    assert_eq!(
        c.call("DeleteFolder", json!({ "FolderId": dir }))
            .await
            .status,
        204
    );
    assert_eq!(
        c.call("GetDocument", json!({ "DocumentId": doc2 }))
            .await
            .err(),
        "EntityNotExistsException"
    );
}

#[tokio::test]
async fn delete_folder_contents_empties_a_folder() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let dir = mkdir(&c, &root, "dir").await;
    mkdir(&c, &dir, "sub").await;
    upload(&c, &dir, "f", b"f").await;
    assert_eq!(
        c.call("DeleteFolderContents", json!({ "FolderId": dir }))
            .await
            .status,
        204
    );
    let (_, folders, docs) = list_all(&c, &dir, 100, json!({})).await;
    assert!(folders.is_empty() && docs.is_empty());
    c.call("GetFolder", json!({ "FolderId": dir })).await.ok();
}
