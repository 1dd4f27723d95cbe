//! DescribeFolderContents over 2,500 items: pages of 100 and 999, sorting, filters, stable
//! markers, and bad limits and markers.

use serde_json::json;

use super::fixtures::{list_all, me, mkdir};
use super::harness::Server;

/// A server whose alice root holds 500 folders and 2,000 empty documents, loaded by `--import`.
fn big_tree() -> (Server, tempfile::TempDir) {
    let src = tempfile::tempdir().unwrap();
    for i in 0..500 {
        std::fs::create_dir(src.path().join(format!("dir-{i:04}"))).unwrap();
    }
    for i in 0..2000 {
        std::fs::write(src.path().join(format!("doc-{i:04}")), b"").unwrap();
    }
    let s = Server::start_with(&["--import", src.path().to_str().unwrap(), "--as", "alice"]);
    (s, src)
}

#[tokio::test]
async fn two_thousand_five_hundred_items_page_at_100_and_999() {
    let (s, _src) = big_tree();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    let want_folders: Vec<_> = (0..500).map(|i| format!("dir-{i:04}")).collect();
    let want_docs: Vec<_> = (0..2000).map(|i| format!("doc-{i:04}")).collect();
    for (limit, pages) in [(100, 25), (999, 3)] {
        let (n, folders, docs) = list_all(&c, &root, limit, json!({})).await;
        assert_eq!(n, pages, "pages at limit {limit}");
        assert_eq!(folders, want_folders);
        assert_eq!(docs, want_docs);
    }
    let (_, folders, docs) = list_all(&c, &root, 999, json!({ "Order": "DESCENDING" })).await;
    assert_eq!(
        folders,
        want_folders.iter().rev().cloned().collect::<Vec<_>>()
    );
    assert_eq!(docs, want_docs.iter().rev().cloned().collect::<Vec<_>>());
    let (_, folders, docs) = list_all(&c, &root, 999, json!({ "Type": "FOLDER" })).await;
    assert_eq!((folders.len(), docs.len()), (500, 0));
    let (_, folders, docs) = list_all(
        &c,
        &root,
        999,
        json!({ "Type": "DOCUMENT", "Sort": "DATE" }),
    )
    .await;
    assert_eq!((folders.len(), docs.len()), (0, 2000));
    // The default page is 100 items.
    let page = c
        .call("DescribeFolderContents", json!({ "FolderId": root }))
        .await
        .ok();
    assert_eq!(page["Folders"].as_array().unwrap().len(), 100);
    assert!(page["Marker"].is_string());
}

#[tokio::test]
async fn markers_survive_changes_between_pages() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    for i in 0..10 {
        mkdir(&c, &root, &format!("f{i}")).await;
    }
    let first = c
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": root, "Limit": 5 }),
        )
        .await
        .ok();
    let marker = first["Marker"].as_str().unwrap().to_owned();
    // An item sorting before the marker, and one after it, arrive between pages.
    mkdir(&c, &root, "a-early").await;
    mkdir(&c, &root, "z-late").await;
    let rest = c
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": root, "Limit": 100, "Marker": marker }),
        )
        .await
        .ok();
    let (names, _) = super::fixtures::names(&rest);
    assert_eq!(names, ["f5", "f6", "f7", "f8", "f9", "z-late"]);
}

#[tokio::test]
async fn bad_limits_and_markers_are_invalid_arguments() {
    let s = Server::start();
    let (c, root) = (s.alice(), me(&s.alice()).await.root);
    for limit in [json!(0), json!(1000), json!(-1)] {
        let e = c
            .call(
                "DescribeFolderContents",
                json!({ "FolderId": root, "Limit": limit }),
            )
            .await
            .err();
        assert_eq!(e, "InvalidArgumentException", "limit {limit}");
    }
    for marker in ["garbage", "eyJ4Ijp0cnVlfQ", "WzAsMSwieCJd"] {
        let e = c
            .call(
                "DescribeFolderContents",
                json!({ "FolderId": root, "Marker": marker }),
            )
            .await
            .err();
        assert_eq!(e, "InvalidArgumentException", "marker {marker}");
    }
    for (k, v) in [("Sort", "SIZE"), ("Order", "UP"), ("Type", "LINK")] {
        let e = c
            .call("DescribeFolderContents", json!({ "FolderId": root, k: v }))
            .await
            .err();
        assert_eq!(e, "InvalidArgumentException", "{k}={v}");
    }
    let raw = c
        .raw(
            "GET",
            &format!("/api/v1/folders/{root}/contents?limit=abc"),
            vec![],
            None,
        )
        .await;
    assert_eq!(raw.status().as_u16(), 400);
}
