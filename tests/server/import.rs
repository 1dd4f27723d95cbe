//! `docsfs serve --import SRC --as NAME` loads a local tree: nested folders, content, and file
//! times as the documents' content times; importing again adds nothing.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

use super::fixtures::{list_all, me, read_document};
use super::harness::Server;

#[tokio::test]
async fn a_local_tree_becomes_folders_and_documents() {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("a/b")).unwrap();
    std::fs::create_dir(src.path().join("empty")).unwrap();
    let deep = src.path().join("a/b/deep.txt");
    std::fs::write(&deep, b"deep content").unwrap();
    let mtime = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(&deep)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(src.path().join("top.bin"), &big).unwrap();
    let import = ["--import", src.path().to_str().unwrap(), "--as", "bob"];
    let mut s = Server::start_with(&import);
    let c = s.bob();
    let root = me(&c).await.root;
    let (_, folders, docs) = list_all(&c, &root, 100, json!({})).await;
    assert_eq!(
        (folders, docs),
        (
            vec!["a".to_owned(), "empty".to_owned()],
            vec!["top.bin".to_owned()]
        )
    );
    let page = c
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": root, "Type": "DOCUMENT" }),
        )
        .await
        .ok();
    let top = page["Documents"][0]["Id"].as_str().unwrap().to_owned();
    assert_eq!(read_document(&c, &top).await, big);
    let a = c
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": root, "Type": "FOLDER" }),
        )
        .await
        .ok();
    let a_id = a["Folders"][0]["Id"].as_str().unwrap().to_owned();
    let b = c
        .call("DescribeFolderContents", json!({ "FolderId": a_id }))
        .await
        .ok();
    let b_id = b["Folders"][0]["Id"].as_str().unwrap().to_owned();
    let inner = c
        .call("DescribeFolderContents", json!({ "FolderId": b_id }))
        .await
        .ok();
    let doc = &inner["Documents"][0];
    assert_eq!(doc["LatestVersionMetadata"]["Name"], "deep.txt");
    assert_eq!(
        doc["LatestVersionMetadata"]["ContentModifiedTimestamp"],
        1_000_000_000.0
    );
    assert_eq!(
        read_document(&c, doc["Id"].as_str().unwrap()).await,
        b"deep content"
    );
    // Alice's root is untouched.
    let (_, f, d) = list_all(&s.alice(), &me(&s.alice()).await.root, 100, json!({})).await;
    assert!(f.is_empty() && d.is_empty());
    // A restart imports again: folders merge, taken names are skipped, nothing is duplicated.
    s.restart();
    let (_, folders, docs) = list_all(&s.bob(), &root, 100, json!({})).await;
    assert_eq!((folders.len(), docs.len()), (2, 1));
    assert!(s.log().contains("skipped: the name is taken"));
}

#[test]
fn importing_for_an_unknown_user_fails_with_a_clear_message() {
    let src = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_docsfs"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .args(["--import", src.path().to_str().unwrap(), "--as", "nobody"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no user named \"nobody\""), "{err}");
}
