//! A document's history through `Remote::versions`: every ACTIVE version, oldest first with
//! ordinal labels, sizes and content times, each readable by its id; the listing follows
//! DescribeDocumentVersions' markers to the end.

use docsfs::remote::Remote;

use super::support::*;

#[tokio::test]
async fn every_version_is_listed_oldest_first_and_readable() {
    let s = TestServer::start(Options::default()).await;
    let me = s.alice().me().await;
    let r = remote(&s.endpoint(), ALICE);
    let dir = tempfile::tempdir().unwrap();
    let contents = [pattern(300_000), b"second".to_vec(), pattern(5)];
    let first = spool(&dir, "0", &contents[0]);
    let node = r
        .upload(&upload_of(
            new_document(&me.root, "h.bin"),
            &first,
            at_ns(1_000_000_000),
        ))
        .await
        .expect("create");
    for (i, c) in contents.iter().enumerate().skip(1) {
        let path = spool(&dir, &i.to_string(), c);
        let modified = at_ns((i as u64 + 1) * 1_000_000_000);
        r.upload(&upload_of(new_version(&node.id), &path, modified))
            .await
            .expect("new version");
    }
    let versions = r.versions(&node.id).await.expect("versions");
    let labels: Vec<_> = versions.iter().map(|v| v.label.as_str()).collect();
    assert_eq!(labels, ["1", "2", "3"]);
    for (i, (v, c)) in versions.iter().zip(&contents).enumerate() {
        assert_eq!(v.size, c.len() as u64);
        assert_eq!(v.mtime, at_ns((i as u64 + 1) * 1_000_000_000));
        assert!(v.created >= versions[0].created);
        assert!(v.creator.is_some());
        let got = collect(r.read(&node.id, &v.id, 0..v.size).await.expect("read")).await;
        assert_eq!(&got, c, "version {}", v.label);
    }
    s.stop().await;
}

#[tokio::test]
async fn the_listing_follows_markers() {
    let addr = stub(|_, target, _| {
        let json = "content-type: application/json\r\n".to_owned();
        let body = if target.contains("marker=next") {
            r#"{"DocumentVersions": [{"Id": "a", "Size": 1, "Status": "ACTIVE",
                "CreatedTimestamp": 10}], "Marker": ""}"#
        } else {
            r#"{"DocumentVersions": [{"Id": "c", "Size": 3, "Status": "ACTIVE",
                "CreatedTimestamp": 30}, {"Id": "b", "Size": 2, "Status": "ACTIVE",
                "CreatedTimestamp": 20}], "Marker": "next"}"#
        };
        (200, json, body.as_bytes().to_vec())
    })
    .await;
    let r = remote(&format!("http://{addr}"), ALICE);
    let versions = r.versions(&"doc".to_owned()).await.expect("versions");
    let got: Vec<_> = versions
        .iter()
        .map(|v| (v.id.as_str(), v.label.as_str(), v.size))
        .collect();
    assert_eq!(got, [("a", "1", 1), ("b", "2", 2), ("c", "3", 3)]);
}
