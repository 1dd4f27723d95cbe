//! A restart loses nothing that was acknowledged, and SIGTERM stops the server cleanly.

use serde_json::json;

use super::fixtures::{list_all, me, mkdir, read_document, upload};
use super::harness::Server;

#[tokio::test]
async fn everything_survives_a_restart() {
    let mut s = Server::start();
    let (alice, bob) = (me(&s.alice()).await, me(&s.bob()).await);
    let c = s.alice();
    let dir = mkdir(&c, &alice.root, "kept").await;
    let (doc, _) = upload(&c, &dir, "doc.txt", b"durable bytes").await;
    c.call(
        "CreateLabels",
        json!({ "ResourceId": doc, "Labels": ["keep"] }),
    )
    .await
    .ok();
    let share = json!({ "ResourceId": dir, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "VIEWER" }] });
    c.call("AddResourcePermissions", share).await.ok();
    let (gone, _) = upload(&c, &alice.root, "recycled.txt", b"r").await;
    c.call(
        "UpdateDocument",
        json!({ "DocumentId": gone, "ResourceState": "RECYCLED" }),
    )
    .await
    .ok();
    let before = c.call("DescribeActivities", json!({})).await.ok()["UserActivities"]
        .as_array()
        .unwrap()
        .len();
    s.restart();
    let c = s.alice();
    let again = me(&c).await;
    assert_eq!((again.id, again.root), (alice.id, alice.root.clone()));
    let (_, folders, _) = list_all(&c, &alice.root, 100, json!({})).await;
    assert_eq!(folders, ["kept"]);
    assert_eq!(read_document(&c, &doc).await, b"durable bytes");
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    assert_eq!(d["Metadata"]["Labels"], json!(["keep"]));
    assert_eq!(read_document(&s.bob(), &doc).await, b"durable bytes");
    let (_, _, bin) = list_all(&c, &alice.bin, 100, json!({})).await;
    assert_eq!(bin, ["recycled.txt"]);
    let after = c.call("DescribeActivities", json!({})).await.ok()["UserActivities"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before);
}

#[tokio::test]
async fn sigterm_stops_cleanly() {
    let mut s = Server::start();
    me(&s.alice()).await;
    let status = s.terminate_and_status();
    assert!(status.success(), "exit status {status:?}");
    assert!(s.log().contains("stopping"));
}
