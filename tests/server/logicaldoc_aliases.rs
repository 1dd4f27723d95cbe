//! LogicalDOC folder aliases against a real `docsfs serve`: `createAlias` (type 2, `foldRef`,
//! names made unique), what an alias lists (its target's subfolders; no documents, the real
//! quirk), `findByPath` not following it, cycles and bad ends refused, rename / move / delete of
//! the alias alone, and the WorkDocs API never seeing one (listings, names, emptying a folder,
//! deleting the target for good).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fixtures::{me, mkdir, upload};
use super::harness::{ALICE, BOB, Server};
use super::ld_client::{Ld, assert_failed, assert_no_content, id, json_of, names, share};

/// `createAlias` as a raw response.
async fn alias_call(ld: &Ld, parent: &str, target: &str) -> reqwest::Response {
    ld.post_form("createAlias", &[("parentId", parent), ("foldRef", target)])
        .await
}

/// `createAlias`: the new alias.
async fn alias(ld: &Ld, parent: i64, target: i64) -> Value {
    let r = alias_call(ld, &parent.to_string(), &target.to_string()).await;
    json_of(r, "createAlias").await
}

fn q(key: &'static str, id: i64) -> Vec<(&'static str, String)> {
    vec![(key, id.to_string())]
}

fn refs<'a>(q: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    q.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Alice's tree: `/Default/src/{x,y}` with `doc.txt` in `src`, and `/Default/links`. Returns
/// (folder client, src, links).
async fn tree(s: &Server) -> (Ld, i64, i64) {
    let wa = s.alice();
    let root = me(&wa).await.root;
    let src = mkdir(&wa, &root, "src").await;
    mkdir(&wa, &src, "y").await;
    mkdir(&wa, &src, "x").await;
    upload(&wa, &src, "doc.txt", b"in src").await;
    mkdir(&wa, &root, "links").await;
    let ld = Ld::folders(s, "alice", ALICE);
    let src = id(&ld.by_path("/Default/src").await);
    let links = id(&ld.by_path("/Default/links").await);
    (ld, src, links)
}

#[tokio::test]
async fn an_alias_lists_its_targets_subfolders_and_no_documents() {
    let s = Server::start();
    let (ld, src, links) = tree(&s).await;
    let a = alias(&ld, links, src).await;
    assert_eq!(
        (&a["type"], &a["foldRef"], &a["name"], &a["parentId"]),
        (&json!(2), &json!(src), &json!("src"), &json!(links))
    );
    let a = id(&a);
    assert_ne!(a, src, "an alias is its own row");
    let listed = ld.children(links).await;
    assert_eq!(names(&listed), ["src"]);
    assert_eq!((&listed[0]["type"], id(&listed[0])), (&json!(2), a));
    let got = ld.folder(a).await;
    assert_eq!((&got["type"], &got["foldRef"]), (&json!(2), &json!(src)));

    let sub = ld.children(a).await;
    assert_eq!(names(&sub), ["x", "y"], "the target's subfolders");
    assert!(sub.iter().all(|f| f["parentId"] == src), "{sub:?}");
    let paged = ld.list("list", &refs(&q("folderId", a))).await;
    assert_eq!(names(&paged), ["x", "y"]);
    let path = ld.list("getPath", &refs(&q("folderId", a))).await;
    assert_eq!(names(&path), ["/", "Default", "links", "src"]);

    let docs = Ld::documents(&s, "alice", ALICE);
    for method in ["list", "listDocuments", "listPaginated"] {
        assert!(
            docs.list(method, &refs(&q("folderId", a))).await.is_empty(),
            "{method} of an alias is empty"
        );
        assert_eq!(docs.list(method, &refs(&q("folderId", src))).await.len(), 1);
    }
    for path in ["/Default/links/src", "/Default/links/src/x"] {
        assert_eq!(
            ld.status("findByPath", &[("path", path)]).await,
            204,
            "{path}"
        );
    }

    // A second alias in the same folder gets a unique name; an alias of an alias stands for
    // the same folder.
    let again = alias(&ld, links, a).await;
    assert_eq!(
        (&again["name"], &again["foldRef"]),
        (&json!("src(1)"), &json!(src))
    );
    assert_eq!(names(&ld.children(links).await), ["src", "src(1)"]);
    let home = alias(&ld, 4, src).await;
    assert_eq!(home["name"], "src(1)", "`src` is taken in Default");
}

#[tokio::test]
async fn cycles_and_bad_ends_are_refused() {
    let s = Server::start();
    let (ld, src, links) = tree(&s).await;
    let x = id(&ld.by_path("/Default/src/x").await);
    let a = id(&alias(&ld, links, src).await);
    let cases = [
        (x, src, "the target above the parent"),
        (src, src, "the target is the parent"),
        (4, 4, "Default into itself"),
        (x, 4, "Default above the parent"),
        (5, src, "into the root"),
        (links, 5, "of the root"),
        (links, 999_999, "an unknown target"),
        (999_999, src, "an unknown parent"),
        (a, links, "into an alias"),
    ];
    for (parent, target, what) in cases {
        let r = alias_call(&ld, &parent.to_string(), &target.to_string()).await;
        assert_failed(r, what).await;
    }
    let r = alias_call(&ld, "abc", &src.to_string()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        names(&ld.children(links).await),
        ["src"],
        "nothing was made"
    );

    // Nothing is created in an alias.
    let a_id = a.to_string();
    let r = ld
        .post_form("createFolder", &[("parentId", &a_id), ("name", "n")])
        .await;
    assert_failed(r, "createFolder in an alias").await;
    let docs = Ld::documents(&s, "alice", ALICE);
    let r = docs
        .post_multipart(
            "upload",
            &[("folderId", &a_id), ("filename", "f.txt")],
            ("filedata", "f.txt", b"f"),
        )
        .await;
    assert_failed(r, "upload into an alias").await;
    assert_eq!(names(&ld.children(src).await), ["x", "y"]);

    // A VIEWER may alias into nothing of the sharer's, but may alias the shared folder.
    let (wa, wb) = (s.alice(), s.bob());
    let bob_me = me(&wb).await;
    let seen = mkdir(&wb, &bob_me.root, "seen").await;
    share(&wb, &seen, &me(&wa).await.id, "VIEWER").await;
    let seen = id(&ld.by_path("/seen").await);
    let r = alias_call(&ld, &seen.to_string(), &src.to_string()).await;
    assert_failed(r, "ADD on a VIEWER share").await;
    let made = alias(&ld, links, seen).await;
    assert_eq!(made["foldRef"], seen);
    let bob = Ld::folders(&s, "bob", BOB);
    assert!(bob.children(4).await.iter().all(|f| f["type"] != 2));
}

#[tokio::test]
async fn an_alias_is_renamed_moved_and_deleted_alone() {
    let s = Server::start();
    let (ld, src, links) = tree(&s).await;
    let x = id(&ld.by_path("/Default/src/x").await);
    let a = id(&alias(&ld, links, src).await);
    let a_s = a.to_string();
    let r = ld
        .put("rename", &[("folderId", &a_s), ("name", "shortcut")])
        .await;
    assert_no_content(r, "rename").await;
    assert_eq!(names(&ld.children(links).await), ["shortcut"]);
    assert_eq!(
        ld.folder(src).await["name"],
        "src",
        "the target keeps its name"
    );
    let wa = s.alice();
    mkdir(&wa, &me(&wa).await.root, "other").await;
    let other = id(&ld.by_path("/Default/other").await);
    let r = ld
        .put("rename", &[("folderId", &a_s), ("name", "other")])
        .await;
    assert_no_content(r, "no clash in links").await;
    let real = ld
        .post_form(
            "createFolder",
            &[("parentId", &links.to_string()), ("name", "real")],
        )
        .await;
    json_of(real, "createFolder").await;
    let r = ld
        .put("rename", &[("folderId", &a_s), ("name", "real")])
        .await;
    assert_failed(r, "a sibling's name").await;
    let r = ld
        .post_json("update", &json!({ "id": a, "name": "via-update" }))
        .await;
    assert_no_content(r, "update").await;
    assert_eq!(ld.folder(a).await["name"], "via-update");

    let mv = |to: i64| {
        let ld = &ld;
        let a_s = a_s.clone();
        async move {
            let to = to.to_string();
            ld.put("move", &[("folderId", &a_s), ("parentId", &to)])
                .await
        }
    };
    assert_no_content(mv(other).await, "move").await;
    let moved = ld.folder(a).await;
    assert_eq!(
        (&moved["parentId"], &moved["type"]),
        (&json!(other), &json!(2))
    );
    assert_eq!(names(&ld.children(links).await), ["real"]);
    assert_failed(mv(other).await, "No Changes").await;
    assert_failed(mv(x).await, "into its target's subtree").await;
    assert_failed(mv(5).await, "into the root").await;

    let r = ld.delete("delete", &[("folderId", &a_s)]).await;
    assert_no_content(r, "delete").await;
    assert!(ld.children(other).await.is_empty());
    ld.assert_fails("getFolder", &[("folderId", &a_s)]).await;
    assert_eq!(
        names(&ld.children(src).await),
        ["x", "y"],
        "the target is untouched"
    );

    // Recycling the target leaves the alias listing nothing.
    let b = id(&alias(&ld, links, src).await);
    let r = ld.delete("delete", &[("folderId", &src.to_string())]).await;
    assert_no_content(r, "delete the target").await;
    assert_eq!(ld.folder(b).await["type"], 2);
    assert!(ld.children(b).await.is_empty());
}

#[tokio::test]
async fn the_workdocs_api_never_sees_an_alias() {
    let s = Server::start();
    let (ld, src, links) = tree(&s).await;
    let wa = s.alice();
    let root = me(&wa).await.root;
    let listing = |folder: String| {
        let wa = &wa;
        async move {
            wa.call("DescribeFolderContents", json!({ "FolderId": folder }))
                .await
                .ok()
        }
    };
    let page = listing(root.clone()).await;
    let links_wd = page["Folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["Name"] == "links")
        .map(|f| f["Id"].as_str().unwrap().to_owned())
        .unwrap();
    let src_wd = page["Folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["Name"] == "src")
        .map(|f| f["Id"].as_str().unwrap().to_owned())
        .unwrap();
    alias(&ld, links, src).await;
    alias(&ld, 4, src).await;
    let page = listing(links_wd.clone()).await;
    assert!(page["Folders"].as_array().unwrap().is_empty(), "{page}");
    let page = listing(root.clone()).await;
    let folders: Vec<&str> = page["Folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Name"].as_str().unwrap())
        .collect();
    assert_eq!(folders, ["links", "src"]);

    // An alias holds no name against WorkDocs.
    mkdir(&wa, &links_wd, "src").await;
    let listed = ld.children(links).await;
    let types: Vec<&Value> = listed.iter().map(|f| &f["type"]).collect();
    assert_eq!(
        (names(&listed), types),
        (vec!["src", "src"], vec![&json!(2), &json!(0)])
    );

    // Emptying a folder takes its aliases along; deleting a target for good, its aliases.
    let r = wa
        .call("DeleteFolderContents", json!({ "FolderId": links_wd }))
        .await;
    assert!(r.is_ok());
    assert!(ld.children(links).await.is_empty());
    assert_eq!(names(&ld.children(4).await), ["links", "src", "src(1)"]);
    let r = wa.call("DeleteFolder", json!({ "FolderId": src_wd })).await;
    assert!(r.is_ok());
    assert_eq!(names(&ld.children(4).await), ["links"]);
    let bin = me(&wa).await.bin;
    let page = listing(bin).await;
    assert!(page["Folders"].as_array().unwrap().is_empty());
}
