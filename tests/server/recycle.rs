//! The recycle bin: recycling hides an item from its folder and lists it in the bin, restoring
//! brings it back with its id and content, and emptying the bin deletes for good.

use serde_json::json;

use super::fixtures::{list_all, me, mkdir, read_document, upload};
use super::harness::Server;

#[tokio::test]
async fn recycle_and_restore_a_document() {
    let s = Server::start();
    let c = s.alice();
    let m = me(&c).await;
    let (doc, _) = upload(&c, &m.root, "note.txt", b"keep me").await;
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "ResourceState": "RECYCLED" }),
    )
    .await
    .ok();
    let (_, _, docs) = list_all(&c, &m.root, 100, json!({})).await;
    assert!(docs.is_empty());
    let bin = c
        .call("DescribeFolderContents", json!({ "FolderId": m.bin }))
        .await
        .ok();
    assert_eq!(bin["Documents"][0]["Id"], doc.as_str());
    assert_eq!(bin["Documents"][0]["ResourceState"], "RECYCLED");
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    assert_eq!(d["Metadata"]["ResourceState"], "RECYCLED");
    // Renaming a recycled item needs a restore first.
    let e = c
        .call(
            "UpdateDocument",
            json!({ "DocumentId": doc, "Name": "other" }),
        )
        .await
        .err();
    assert_eq!(e, "ProhibitedStateException");
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "ResourceState": "ACTIVE" }),
    )
    .await
    .ok();
    let (_, _, docs) = list_all(&c, &m.root, 100, json!({})).await;
    assert_eq!(docs, ["note.txt"]);
    assert_eq!(read_document(&c, &doc).await, b"keep me");
    let bin = c
        .call("DescribeFolderContents", json!({ "FolderId": m.bin }))
        .await
        .ok();
    assert!(bin["Documents"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_bin_holds_repeated_names_and_restore_checks_conflicts() {
    let s = Server::start();
    let c = s.alice();
    let m = me(&c).await;
    let other = mkdir(&c, &m.root, "other").await;
    let (first, _) = upload(&c, &m.root, "x", b"1").await;
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": first, "ResourceState": "RECYCLED" }),
    )
    .await
    .ok();
    let (second, _) = upload(&c, &m.root, "x", b"2").await;
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": second, "ResourceState": "RECYCLED" }),
    )
    .await
    .ok();
    let (_, _, docs) = list_all(&c, &m.bin, 100, json!({})).await;
    assert_eq!(docs, ["x", "x"]);
    let (third, _) = upload(&c, &m.root, "x", b"3").await;
    let e = c
        .call(
            "UpdateDocument",
            json!({ "DocumentId": first, "ResourceState": "ACTIVE" }),
        )
        .await
        .err();
    assert_eq!(e, "EntityAlreadyExistsException");
    // Restoring into another folder works.
    let restore =
        json!({ "DocumentId": first, "ResourceState": "ACTIVE", "ParentFolderId": other });
    c.call("UpdateDocument", restore).await.ok();
    assert_eq!(read_document(&c, &first).await, b"1");
    let _ = third;
}

#[tokio::test]
async fn a_recycled_folder_takes_its_contents_along() {
    let s = Server::start();
    let c = s.alice();
    let m = me(&c).await;
    let dir = mkdir(&c, &m.root, "dir").await;
    let (doc, _) = upload(&c, &dir, "inside", b"in").await;
    c.call(
        "UpdateFolder",
        json!({ "FolderId": dir, "ResourceState": "RECYCLED" }),
    )
    .await
    .ok();
    let (_, folders, _) = list_all(&c, &m.root, 100, json!({})).await;
    assert!(folders.is_empty());
    let (_, folders, _) = list_all(&c, &m.bin, 100, json!({})).await;
    assert_eq!(folders, ["dir"]);
    // The recycled folder can be browsed, not written.
    let (_, _, docs) = list_all(&c, &dir, 100, json!({})).await;
    assert_eq!(docs, ["inside"]);
    let e = c
        .call(
            "CreateFolder",
            json!({ "ParentFolderId": dir, "Name": "new" }),
        )
        .await
        .err();
    assert_eq!(e, "ProhibitedStateException");
    let e = c
        .call("InitiateDocumentVersionUpload", json!({ "Id": doc }))
        .await
        .err();
    assert_eq!(e, "ProhibitedStateException");
    c.call(
        "UpdateFolder",
        json!({ "FolderId": dir, "ResourceState": "ACTIVE" }),
    )
    .await
    .ok();
    assert_eq!(read_document(&c, &doc).await, b"in");
}

#[tokio::test]
async fn emptying_the_bin_deletes_for_good() {
    let s = Server::start();
    let c = s.alice();
    let m = me(&c).await;
    let (doc, _) = upload(&c, &m.root, "trash", b"t").await;
    let (kept, _) = upload(&c, &m.root, "kept", b"k").await;
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": doc, "ResourceState": "RECYCLED" }),
    )
    .await
    .ok();
    assert_eq!(
        c.call("DeleteFolderContents", json!({ "FolderId": m.bin }))
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
    assert_eq!(read_document(&c, &kept).await, b"k");
    let (_, folders, docs) = list_all(&c, &m.bin, 100, json!({})).await;
    assert!(folders.is_empty() && docs.is_empty());
}

#[tokio::test]
async fn a_contributor_recycles_into_both_bins() {
    let s = Server::start();
    let (alice, bob) = (me(&s.alice()).await, me(&s.bob()).await);
    let shared = mkdir(&s.alice(), &alice.root, "shared").await;
    let grant = json!({ "ResourceId": shared, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "CONTRIBUTOR" }] });
    s.alice().call("AddResourcePermissions", grant).await.ok();
    let (doc, _) = upload(&s.alice(), &shared, "theirs", b"x").await;
    s.bob()
        .call(
            "UpdateDocument",
            json!({ "DocumentId": doc, "ResourceState": "RECYCLED" }),
        )
        .await
        .ok();
    for (c, bin) in [(s.alice(), &alice.bin), (s.bob(), &bob.bin)] {
        let (_, _, docs) = list_all(&c, bin, 100, json!({})).await;
        assert_eq!(docs, ["theirs"]);
    }
    s.bob()
        .call(
            "UpdateDocument",
            json!({ "DocumentId": doc, "ResourceState": "ACTIVE" }),
        )
        .await
        .ok();
    let (_, _, docs) = list_all(&s.alice(), &shared, 100, json!({})).await;
    assert_eq!(docs, ["theirs"]);
}
