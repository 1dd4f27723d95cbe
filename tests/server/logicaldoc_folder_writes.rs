//! The LogicalDOC folder service (write side) against a real `docsfs serve`: `createFolder`,
//! `create`, `createPath`, `rename`, `move`, `update` and `delete` through
//! `/services/rest/folder/*`, each checked back through LogicalDOC's read side and through the
//! WorkDocs API (one store). Covers each call's success, LogicalDOC's 500 quirks (duplicates, "No
//! Changes", the root and Default), the mapping's refusals (no workspaces made or moved), bad
//! parameters (400 for forms and JSON bodies, 404 for queries), rollback of a failed `createPath`,
//! and permissions from WorkDocs roles (a VIEWER share refuses every write, a CONTRIBUTOR share
//! allows them).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::client::ApiClient;
use super::fixtures::{list_all, me, mkdir, upload};
use super::harness::{ALICE, BOB, CAROL, Server};
use super::ld_client::{Ld, assert_failed, id, json_of, names, share};

/// `createFolder`: the new id.
async fn create_folder(ld: &Ld, parent: i64, name: &str) -> i64 {
    let parent = parent.to_string();
    let r = ld
        .post_form("createFolder", &[("parentId", &parent), ("name", name)])
        .await;
    let body = json_of(r, "createFolder").await;
    body.as_i64()
        .unwrap_or_else(|| panic!("not a bare number: {body}"))
}

async fn create_folder_fails(ld: &Ld, parent: i64, name: &str) {
    let parent = parent.to_string();
    let r = ld
        .post_form("createFolder", &[("parentId", &parent), ("name", name)])
        .await;
    assert_failed(r, &format!("createFolder {parent} {name:?}")).await;
}

async fn put(ld: &Ld, method: &str, query: &[(&str, &str)]) -> reqwest::Response {
    ld.send(Method::PUT, method, query, None).await
}

async fn rename(ld: &Ld, id: i64, name: &str) -> reqwest::Response {
    put(
        ld,
        "rename",
        &[("folderId", &id.to_string()), ("name", name)],
    )
    .await
}

async fn move_to(ld: &Ld, id: i64, parent: i64) -> reqwest::Response {
    let (id, parent) = (id.to_string(), parent.to_string());
    put(ld, "move", &[("folderId", &id), ("parentId", &parent)]).await
}

async fn delete(ld: &Ld, id: i64) -> reqwest::Response {
    let id = id.to_string();
    ld.send(Method::DELETE, "delete", &[("folderId", &id)], None)
        .await
}

async fn create_path(ld: &Ld, parent: i64, path: &str) -> reqwest::Response {
    let parent = parent.to_string();
    ld.post_form("createPath", &[("parentId", &parent), ("path", path)])
        .await
}

fn assert_no_content(r: &reqwest::Response, what: &str) {
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{what}");
}

/// The names of the live subfolders of a WorkDocs folder.
async fn wd_folders(c: &ApiClient, folder: &str) -> Vec<String> {
    list_all(c, folder, 100, json!({})).await.1
}

/// The WorkDocs id of the subfolder `name` of `folder`.
async fn wd_child(c: &ApiClient, folder: &str, name: &str) -> String {
    let page = c
        .call("DescribeFolderContents", json!({ "FolderId": folder }))
        .await
        .ok();
    let folders = page["Folders"].as_array().unwrap();
    let found = folders.iter().find(|f| f["Name"] == name);
    let found = found.unwrap_or_else(|| panic!("no {name} in {folder}: {page}"));
    found["Id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn create_folder_and_create_make_folders_both_apis_see() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let alice = Ld::folders(&s, "alice", ALICE);

    let a = create_folder(&alice, 4, "a").await;
    assert!(a >= 100, "{a}");
    let got = alice.folder(a).await;
    assert_eq!(
        (&got["name"], &got["parentId"], &got["type"]),
        (&json!("a"), &json!(4), &json!(0))
    );
    assert_eq!(got["creator"], "alice");
    assert_eq!(wd_folders(&wa, &home).await, ["a"], "WorkDocs sees it");

    let r = alice
        .post_json(
            "create",
            &json!({ "name": "b", "parentId": a, "description": "ignored" }),
        )
        .await;
    let b = json_of(r, "create").await;
    assert_eq!((&b["name"], &b["parentId"]), (&json!("b"), &json!(a)));
    assert_eq!((&b["type"], &b["creator"]), (&json!(0), &json!("alice")));
    assert_eq!(alice.folder(id(&b)).await, b);
    let a_wd = wd_child(&wa, &home, "a").await;
    assert_eq!(wd_folders(&wa, &a_wd).await, ["b"]);
    // Ids given as strings are read too (Jettison may write numbers as strings).
    let r = alice
        .post_json("create", &json!({ "name": "c", "parentId": a.to_string() }))
        .await;
    assert_eq!(json_of(r, "create").await["parentId"], a);

    // LogicalDOC's 500s: a sibling of that name (a document's too), the root, bad names,
    // unknown parents.
    create_folder_fails(&alice, 4, "a").await;
    let r = alice
        .post_json("create", &json!({ "name": "b", "parentId": a }))
        .await;
    assert_failed(r, "create duplicate").await;
    upload(&wa, &home, "doc.txt", b"x").await;
    create_folder_fails(&alice, 4, "doc.txt").await;
    create_folder_fails(&alice, 5, "workspace").await;
    let r = alice
        .post_json("create", &json!({ "name": "ws", "parentId": 5 }))
        .await;
    assert_failed(r, "create in the root").await;
    create_folder_fails(&alice, 4, "").await;
    create_folder_fails(&alice, 999_999, "x").await;
    let r = alice.post_form("createFolder", &[("name", "x")]).await;
    assert_failed(r, "createFolder without parentId (0)").await;
    let r = alice.post_json("create", &json!({ "parentId": 4 })).await;
    assert_failed(r, "create without a name").await;
    // Arguments that cannot be read: 400.
    let r = alice
        .post_form("createFolder", &[("parentId", "x"), ("name", "x")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = alice
        .send(Method::POST, "create", &[], Some(&[("name", "x")]))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a form is no JSON");
    // The wrong verb.
    let r = alice.send(Method::GET, "createFolder", &[], None).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(names(&alice.children(4).await), ["a"]);
}

#[tokio::test]
async fn rename_and_update_rename_with_logicaldoc_quirks() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let alice = Ld::folders(&s, "alice", ALICE);
    let a = create_folder(&alice, 4, "a").await;
    create_folder(&alice, 4, "other").await;

    assert_no_content(&rename(&alice, a, "a2").await, "rename");
    assert_eq!(alice.folder(a).await["name"], "a2");
    assert_eq!(wd_folders(&wa, &home).await, ["a2", "other"]);
    assert_no_content(&rename(&alice, a, "a2").await, "same name");
    assert_failed(rename(&alice, a, "other").await, "duplicate").await;
    assert_failed(rename(&alice, a, "").await, "empty name").await;
    assert_failed(rename(&alice, 4, "Mine").await, "Default").await;
    assert_failed(rename(&alice, 5, "top").await, "root").await;
    assert_failed(rename(&alice, 999_999, "x").await, "unknown").await;
    let r = put(&alice, "rename", &[("folderId", "x"), ("name", "y")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "JAX-RS: not a long");
    assert_eq!(
        alice.send(Method::POST, "rename", &[], None).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );

    // update: the full object back with a new name renames; the same name changes nothing.
    let mut f = alice.folder(a).await;
    f["name"] = json!("a3");
    f["description"] = json!("not kept");
    let r = alice.post_json("update", &f).await;
    assert_no_content(&r, "update");
    let got = alice.folder(a).await;
    assert_eq!(
        (&got["name"], &got["description"]),
        (&json!("a3"), &json!(""))
    );
    assert_eq!(wd_folders(&wa, &home).await, ["a3", "other"]);
    assert_no_content(&alice.post_json("update", &got).await, "unchanged");
    let r = alice.post_json("update", &json!({ "id": a })).await;
    assert_no_content(&r, "no name: nothing to do");
    let r = alice
        .post_json("update", &json!({ "id": a, "name": "other" }))
        .await;
    assert_failed(r, "update to a duplicate").await;
    let default = alice.folder(4).await;
    assert_no_content(&alice.post_json("update", &default).await, "Default as is");
    let r = alice
        .post_json("update", &json!({ "id": 4, "name": "Mine" }))
        .await;
    assert_failed(r, "renaming Default").await;
    let r = alice
        .post_json("update", &json!({ "id": 5, "name": "top" }))
        .await;
    assert_failed(r, "updating the root").await;
    let r = alice
        .send(Method::POST, "update", &[], Some(&[("id", "1")]))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = alice.send(Method::PUT, "update", &[], None).await;
    assert_eq!(
        r.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "update is a POST"
    );
}

#[tokio::test]
async fn move_follows_logicaldoc_and_the_store() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let alice = Ld::folders(&s, "alice", ALICE);
    let x = create_folder(&alice, 4, "x").await;
    let y = create_folder(&alice, 4, "y").await;
    let sub = create_folder(&alice, x, "sub").await;

    assert_no_content(&move_to(&alice, y, x).await, "move");
    assert_eq!(alice.folder(y).await["parentId"], x);
    assert_eq!(names(&alice.children(x).await), ["sub", "y"]);
    assert_eq!(wd_folders(&wa, &home).await, ["x"]);
    let x_wd = wd_child(&wa, &home, "x").await;
    assert_eq!(
        wd_folders(&wa, &x_wd).await,
        ["sub", "y"],
        "WorkDocs sees it"
    );
    let path = alice.list("getPath", &[("folderId", &y.to_string())]).await;
    assert_eq!(names(&path), ["/", "Default", "x", "y"]);

    assert_failed(move_to(&alice, y, x).await, "No Changes").await;
    assert_failed(move_to(&alice, x, sub).await, "into its subtree").await;
    assert_failed(move_to(&alice, x, x).await, "into itself").await;
    assert_failed(move_to(&alice, x, 5).await, "into the root").await;
    assert_failed(move_to(&alice, 4, x).await, "Default").await;
    assert_failed(move_to(&alice, 5, x).await, "the root").await;
    assert_failed(move_to(&alice, y, 999_999).await, "unknown target").await;
    create_folder(&alice, 4, "y").await;
    assert_failed(move_to(&alice, y, 4).await, "a sibling of that name").await;
    assert_no_content(&move_to(&alice, sub, 4).await, "back up");
    assert_eq!(names(&alice.children(4).await), ["sub", "x", "y"]);
    let r = put(&alice, "move", &[("folderId", "1"), ("parentId", "y")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delete_recycles_the_folder() {
    let s = Server::start();
    let wa = s.alice();
    let m = me(&wa).await;
    let alice = Ld::folders(&s, "alice", ALICE);
    let x = create_folder(&alice, 4, "x").await;
    let inner = create_folder(&alice, x, "inner").await;
    create_folder(&alice, 4, "keep").await;

    assert_no_content(&delete(&alice, x).await, "delete");
    assert_eq!(names(&alice.children(4).await), ["keep"]);
    alice
        .assert_fails("getFolder", &[("folderId", &x.to_string())])
        .await;
    alice
        .assert_fails("getFolder", &[("folderId", &inner.to_string())])
        .await;
    assert_eq!(wd_folders(&wa, &m.root).await, ["keep"]);
    let bin = wa
        .call("DescribeFolderContents", json!({ "FolderId": m.bin }))
        .await
        .ok();
    assert_eq!(
        bin["Folders"][0]["Name"], "x",
        "in the WorkDocs recycle bin"
    );
    assert_eq!(bin["Folders"][0]["ResourceState"], "RECYCLED");

    assert_failed(delete(&alice, x).await, "already gone").await;
    assert_failed(delete(&alice, 4).await, "Default").await;
    assert_failed(delete(&alice, 5).await, "the root").await;
    assert_failed(delete(&alice, 999_999).await, "unknown").await;
    // The name is free again.
    create_folder(&alice, 4, "x").await;
}

#[tokio::test]
async fn create_path_makes_missing_levels_and_reuses_others() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let alice = Ld::folders(&s, "alice", ALICE);

    let r = json_of(create_path(&alice, 4, "p/q/r").await, "createPath").await;
    assert_eq!(r["name"], "r");
    assert_eq!(alice.by_path("/Default/p/q/r").await, r);
    let q = alice.by_path("/Default/p/q").await;
    assert_eq!(r["parentId"], id(&q));
    let p = id(&alice.by_path("/Default/p").await);

    let s2 = json_of(create_path(&alice, 4, "p/q/s").await, "createPath").await;
    assert_eq!(s2["parentId"], id(&q), "p and q reused");
    let again = json_of(create_path(&alice, p, "/q//r/").await, "createPath").await;
    assert_eq!(again, r, "empty segments skipped, everything reused");
    let same = json_of(create_path(&alice, p, "").await, "createPath").await;
    assert_eq!(id(&same), p, "an empty path is the parent");
    assert_eq!(names(&alice.children(id(&q)).await), ["r", "s"]);
    let p_wd = wd_child(&wa, &home, "p").await;
    let q_wd = wd_child(&wa, &p_wd, "q").await;
    assert_eq!(wd_folders(&wa, &q_wd).await, ["r", "s"], "WorkDocs sees it");

    assert_failed(create_path(&alice, 5, "ws/a").await, "in the root").await;
    assert_failed(create_path(&alice, 999_999, "a").await, "unknown").await;
    // A failure on the way leaves nothing behind.
    assert_failed(
        create_path(&alice, 4, "fresh/bad\u{1}name").await,
        "bad name",
    )
    .await;
    assert_eq!(names(&alice.children(4).await), ["p"], "rolled back");
    upload(&wa, &p_wd, "k", b"a document").await;
    assert_failed(create_path(&alice, p, "k/m").await, "a document in the way").await;
    let r = alice
        .post_form("createPath", &[("parentId", "p"), ("path", "a")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn roles_decide_what_a_shared_folder_allows() {
    let s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let alice_id = me(&wa).await.id;
    let bob_root = me(&wb).await.root;
    let viewed = mkdir(&wb, &bob_root, "viewed").await;
    let inside = mkdir(&wb, &viewed, "inside").await;
    let shared = mkdir(&wb, &bob_root, "shared").await;
    mkdir(&wb, &shared, "old").await;
    share(&wb, &viewed, &alice_id, "VIEWER").await;
    share(&wb, &shared, &alice_id, "CONTRIBUTOR").await;
    let alice = Ld::folders(&s, "alice", ALICE);
    let ws = alice.list("listWorkspaces", &[]).await;
    assert_eq!(names(&ws), ["Default", "shared", "viewed"]);
    let (shared_ld, viewed_ld) = (id(&ws[1]), id(&ws[2]));
    let inside_ld = id(&alice.children(viewed_ld).await[0]);
    let mine = create_folder(&alice, 4, "mine").await;

    // VIEWER: no write of any kind.
    create_folder_fails(&alice, viewed_ld, "new").await;
    let r = alice
        .post_json("create", &json!({ "name": "new", "parentId": viewed_ld }))
        .await;
    assert_failed(r, "create").await;
    assert_failed(create_path(&alice, viewed_ld, "a/b").await, "createPath").await;
    assert_failed(rename(&alice, inside_ld, "renamed").await, "rename").await;
    let r = alice
        .post_json("update", &json!({ "id": inside_ld, "name": "renamed" }))
        .await;
    assert_failed(r, "update").await;
    assert_failed(move_to(&alice, inside_ld, mine).await, "move out").await;
    assert_failed(move_to(&alice, mine, viewed_ld).await, "move in").await;
    assert_failed(delete(&alice, inside_ld).await, "delete").await;
    assert_eq!(wd_folders(&wb, &viewed).await, ["inside"]);
    assert_eq!(wd_folders(&wb, &inside).await, Vec::<String>::new());

    // CONTRIBUTOR: writes inside land in bob's tree.
    let new = create_folder(&alice, shared_ld, "from alice").await;
    assert_eq!(alice.folder(new).await["parentId"], shared_ld);
    let old = id(&alice.by_path("/shared/old").await);
    assert_no_content(&rename(&alice, old, "older").await, "rename");
    assert_no_content(&move_to(&alice, old, new).await, "move");
    assert_eq!(wd_folders(&wb, &shared).await, ["from alice"]);
    let from_alice = wd_child(&wb, &shared, "from alice").await;
    assert_eq!(wd_folders(&wb, &from_alice).await, ["older"]);
    assert_no_content(&delete(&alice, new).await, "delete");
    assert!(wd_folders(&wb, &shared).await.is_empty());
    // Workspaces stay in the root.
    assert_failed(move_to(&alice, shared_ld, mine).await, "a workspace").await;

    // Carol sees none of it.
    let carol = Ld::folders(&s, "carol", CAROL);
    create_folder_fails(&carol, shared_ld, "x").await;
    assert_failed(rename(&carol, shared_ld, "x").await, "rename").await;
    assert_failed(delete(&carol, shared_ld).await, "delete").await;
    let bob = Ld::folders(&s, "bob", BOB);
    assert_eq!(names(&bob.children(shared_ld).await), Vec::<&str>::new());
    assert_eq!(bob.folder(shared_ld).await["parentId"], 4);

    // A shared workspace is bob's folder: a contributor may rename and recycle it.
    assert_no_content(
        &rename(&alice, shared_ld, "team").await,
        "rename a workspace",
    );
    assert_eq!(wd_folders(&wb, &bob_root).await, ["team", "viewed"]);
    assert_no_content(&delete(&alice, shared_ld).await, "delete a workspace");
    let ws = alice.list("listWorkspaces", &[]).await;
    assert_eq!(names(&ws), ["Default", "viewed"]);
    assert_eq!(wd_folders(&wb, &bob_root).await, ["viewed"]);
}
