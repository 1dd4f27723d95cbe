//! A document's history through `Remote::versions`: one version per `fileVersion`, oldest first,
//! labelled `1.0`, `1.1`, …, with its size, each readable (ranged) by its label.

use docsfs::remote::Remote;

use super::ld::{DEFAULT, client, password};
use super::support::{
    ALICE, Options, TestServer, at_ns, collect, new_document, new_version, spool, upload_of,
};

#[tokio::test]
async fn every_version_is_listed_oldest_first_and_readable() {
    let server = TestServer::start(Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let r = client(&server.endpoint(), password("alice", ALICE), None);
    let contents: [&[u8]; 3] = [b"first", b"the second one", b"3"];
    let first = spool(&dir, "0", contents[0]);
    let node = r
        .upload(&upload_of(
            new_document(DEFAULT, "h.txt"),
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
    let labels: Vec<_> = versions
        .iter()
        .map(|v| (v.id.as_str(), v.label.as_str()))
        .collect();
    assert_eq!(labels, [("1.0", "1.0"), ("1.1", "1.1"), ("1.2", "1.2")]);
    for (v, c) in versions.iter().zip(contents) {
        assert_eq!(v.size, c.len() as u64);
        let got = collect(r.read(&node.id, &v.id, 1..v.size).await.expect("read")).await;
        assert_eq!(got, &c[1..], "version {}", v.label);
    }
    server.stop().await;
}
