//! `folder/copy` against a real `docsfs serve`: a tree with its documents (content, `1.0`,
//! independent of the originals even when those are deleted for good), a second copy merging
//! into the first, `foldersOnly`, `securityOption=replicate` against `none`, aliases copied as
//! aliases, the WorkDocs view of the copies, and the refusals (the root, "No Changes", into
//! itself or its subtree, a bad security option, a VIEWER target, bad form fields).

use reqwest::StatusCode;
use serde_json::json;

use super::fixtures::{me, mkdir, upload};
use super::harness::{ALICE, BOB, Server};
use super::ld_client::{Ld, assert_failed, assert_no_content, file_names, id, names, share};

async fn copy(ld: &Ld, from: i64, to: i64, extra: &[(&str, &str)]) -> reqwest::Response {
    let (from, to) = (from.to_string(), to.to_string());
    let mut form = vec![("folderId", from.as_str()), ("targetId", to.as_str())];
    form.extend_from_slice(extra);
    ld.post_form("copy", &form).await
}

/// The documents of folder `id`.
async fn docs_in(docs: &Ld, id: i64) -> Vec<serde_json::Value> {
    docs.list("list", &[("folderId", &id.to_string())]).await
}

async fn content(docs: &Ld, doc: &serde_json::Value) -> Vec<u8> {
    docs.bytes("getContent", &[("docId", &id(doc).to_string())])
        .await
}

/// Alice's `/Default/src` (`a.txt` in two versions, `sub/b.txt`, `sub/deeper`) and `/Default/dst`.
async fn tree(s: &Server) -> (Ld, Ld, i64, i64) {
    let wa = s.alice();
    let root = me(&wa).await.root;
    let src = mkdir(&wa, &root, "src").await;
    let (a, _) = upload(&wa, &src, "a.txt", b"a, first").await;
    super::fixtures::upload_version(&wa, &a, b"a, second").await;
    let sub = mkdir(&wa, &src, "sub").await;
    upload(&wa, &sub, "b.txt", b"b").await;
    mkdir(&wa, &sub, "deeper").await;
    mkdir(&wa, &root, "dst").await;
    let ld = Ld::folders(s, "alice", ALICE);
    let src = id(&ld.by_path("/Default/src").await);
    let dst = id(&ld.by_path("/Default/dst").await);
    (ld, Ld::documents(s, "alice", ALICE), src, dst)
}

#[tokio::test]
async fn a_tree_is_copied_with_its_documents() {
    let s = Server::start();
    let (ld, docs, src, dst) = tree(&s).await;
    assert_no_content(copy(&ld, src, dst, &[]).await, "copy").await;
    let copied = ld.by_path("/Default/dst/src").await;
    assert_ne!(id(&copied), src);
    let a = docs_in(&docs, id(&copied)).await;
    assert_eq!(file_names(&a), ["a.txt"]);
    assert_eq!(
        (&a[0]["version"], &a[0]["fileSize"]),
        (&json!("1.0"), &json!(9))
    );
    assert_eq!(
        content(&docs, &a[0]).await,
        b"a, second",
        "the live version"
    );
    let sub = id(&ld.by_path("/Default/dst/src/sub").await);
    let b = docs_in(&docs, sub).await;
    assert_eq!(file_names(&b), ["b.txt"]);
    assert_eq!(names(&ld.children(sub).await), ["deeper"]);
    assert_eq!(
        names(&ld.children(src).await),
        ["sub"],
        "the source is as it was"
    );

    // Deleting the originals for good leaves the copies whole.
    let wa = s.alice();
    let src_wd = wa
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": me(&wa).await.root }),
        )
        .await
        .ok()["Folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["Name"] == "src")
        .map(|f| f["Id"].as_str().unwrap().to_owned())
        .unwrap();
    assert!(
        wa.call("DeleteFolder", json!({ "FolderId": src_wd }))
            .await
            .is_ok()
    );
    assert_eq!(content(&docs, &a[0]).await, b"a, second");
    assert_eq!(content(&docs, &b[0]).await, b"b");

    // The WorkDocs API sees the copies as ordinary items.
    let dst_page = wa
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": me(&wa).await.root }),
        )
        .await
        .ok();
    let dst_wd = dst_page["Folders"][0]["Id"].as_str().unwrap().to_owned();
    let inside = wa
        .call("DescribeFolderContents", json!({ "FolderId": dst_wd }))
        .await
        .ok();
    assert_eq!(inside["Folders"][0]["Name"], "src");
}

#[tokio::test]
async fn copies_merge_skip_documents_and_replicate_shares() {
    let s = Server::start();
    let (ld, docs, src, dst) = tree(&s).await;
    assert_no_content(copy(&ld, src, dst, &[]).await, "first").await;
    let first = id(&ld.by_path("/Default/dst/src").await);
    assert_no_content(
        copy(&ld, src, dst, &[("securityOption", "inherit")]).await,
        "again",
    )
    .await;
    assert_eq!(
        names(&ld.children(dst).await),
        ["src"],
        "merged into the first copy"
    );
    assert_eq!(id(&ld.by_path("/Default/dst/src").await), first);
    let twice = docs_in(&docs, first).await;
    assert_eq!(file_names(&twice), ["a(1).txt", "a.txt"]);

    let wa = s.alice();
    let root = me(&wa).await.root;
    mkdir(&wa, &root, "bare").await;
    let bare = id(&ld.by_path("/Default/bare").await);
    let r = copy(
        &ld,
        src,
        bare,
        &[("foldersOnly", "1"), ("securityOption", "none")],
    )
    .await;
    assert_no_content(r, "foldersOnly").await;
    let copied = id(&ld.by_path("/Default/bare/src").await);
    assert!(docs_in(&docs, copied).await.is_empty());
    let sub = id(&ld.by_path("/Default/bare/src/sub").await);
    assert!(docs_in(&docs, sub).await.is_empty());
    assert_eq!(names(&ld.children(sub).await), ["deeper"]);

    // `replicate` copies the direct shares; `none` does not.
    let wb = s.bob();
    let bob_id = me(&wb).await.id;
    let src_wd = wa
        .call("DescribeFolderContents", json!({ "FolderId": root }))
        .await
        .ok()["Folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["Name"] == "src")
        .map(|f| f["Id"].as_str().unwrap().to_owned())
        .unwrap();
    share(&wa, &src_wd, &bob_id, "VIEWER").await;
    mkdir(&wa, &root, "rep").await;
    let rep = id(&ld.by_path("/Default/rep").await);
    assert_no_content(
        copy(&ld, src, rep, &[("securityOption", "replicate")]).await,
        "rep",
    )
    .await;
    let replicated = id(&ld.by_path("/Default/rep/src").await);
    let acl = ld
        .list(
            "getAccessControlList",
            &[("folderId", &replicated.to_string())],
        )
        .await;
    assert_eq!(acl.len(), 2, "alice and bob: {acl:?}");
    let bob = Ld::folders(&s, "bob", BOB);
    let spaces = bob.list("listWorkspaces", &[]).await;
    assert!(spaces.iter().any(|w| id(w) == replicated), "{spaces:?}");
    assert!(
        spaces.iter().all(|w| id(w) != copied),
        "`none` shares nothing"
    );
    let acl = ld
        .list("getAccessControlList", &[("folderId", &copied.to_string())])
        .await;
    assert_eq!(acl.len(), 1);
}

#[tokio::test]
async fn aliases_are_copied_as_aliases() {
    let s = Server::start();
    let (ld, _, src, dst) = tree(&s).await;
    let wa = s.alice();
    mkdir(&wa, &me(&wa).await.root, "target").await;
    let target = id(&ld.by_path("/Default/target").await);
    let (src_s, target_s) = (src.to_string(), target.to_string());
    let r = ld
        .post_form(
            "createAlias",
            &[("parentId", &src_s), ("foldRef", &target_s)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_no_content(copy(&ld, src, dst, &[]).await, "copy").await;
    let copied = id(&ld.by_path("/Default/dst/src").await);
    let children = ld.children(copied).await;
    assert_eq!(names(&children), ["sub", "target"]);
    let alias = &children[1];
    assert_eq!(
        (&alias["type"], &alias["foldRef"]),
        (&json!(2), &json!(target))
    );
}

#[tokio::test]
async fn bad_copies_fail() {
    let s = Server::start();
    let (ld, docs, src, dst) = tree(&s).await;
    let sub = id(&ld.by_path("/Default/src/sub").await);
    let deeper = id(&ld.by_path("/Default/src/sub/deeper").await);
    for (from, to, extra, what) in [
        (src, 5, None, "into the root"),
        (src, 4, None, "No Changes"),
        (src, src, None, "into itself"),
        (src, deeper, None, "into its own subtree"),
        (src, dst, Some("bogus"), "a bad security option"),
        (5, dst, None, "the root"),
        (999_999, dst, None, "an unknown folder"),
    ] {
        let extra: Vec<(&str, &str)> = extra.map(|o| ("securityOption", o)).into_iter().collect();
        assert_failed(copy(&ld, from, to, &extra).await, what).await;
    }
    let (wa, wb) = (s.alice(), s.bob());
    let bob_me = me(&wb).await;
    let view = mkdir(&wb, &bob_me.root, "view").await;
    share(&wb, &view, &me(&wa).await.id, "VIEWER").await;
    let view = id(&ld.by_path("/view").await);
    assert_failed(copy(&ld, sub, view, &[]).await, "ADD on a VIEWER share").await;
    assert!(ld.children(dst).await.is_empty(), "nothing was copied");
    assert!(ld.children(view).await.is_empty());
    let r = ld
        .post_form("copy", &[("folderId", "abc"), ("targetId", "4")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = ld
        .post_form(
            "copy",
            &[
                ("folderId", &sub.to_string()),
                ("targetId", "4"),
                ("foldersOnly", "x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(docs_in(&docs, dst).await.len(), 0);
}
