//! `createSimple`, `createSimpleForm` and `createSimpleJSON` against a real `docsfs serve`: the
//! three body forms, existing levels reused, a path without a workspace made in `Default`, a
//! shared workspace as the first level, and the failures (a VIEWER share, a document in the way,
//! an invalid name that rolls the whole path back, bodies that are not what the method reads).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::fixtures::{me, mkdir, upload};
use super::harness::{ALICE, BOB, Server};
use super::ld_client::{Ld, assert_failed, id, json_of, names, share};

async fn simple(ld: &Ld, path: &str) -> Value {
    let r = ld.post_raw("createSimple", "text/plain", path).await;
    json_of(r, &format!("createSimple {path}")).await
}

/// The names on the way from the root to folder `f`.
async fn path_of(ld: &Ld, f: &Value) -> Vec<String> {
    let id = id(f).to_string();
    let list = ld.list("getPath", &[("folderId", &id)]).await;
    names(&list).into_iter().map(str::to_owned).collect()
}

#[tokio::test]
async fn the_three_forms_make_the_path_and_reuse_what_exists() {
    let s = Server::start();
    let ld = Ld::folders(&s, "alice", ALICE);
    let b = simple(&ld, "/Default/a/b").await;
    assert_eq!((&b["name"], &b["type"]), (&json!("b"), &json!(0)));
    assert_eq!(path_of(&ld, &b).await, ["/", "Default", "a", "b"]);
    assert_eq!(id(&simple(&ld, "/Default/a/b/").await), id(&b), "reused");
    let a = id(&ld.by_path("/Default/a").await);

    let r = ld
        .post_form("createSimpleForm", &[("folderPath", "/Default/a/c")])
        .await;
    let c = json_of(r, "createSimpleForm").await;
    assert_eq!(c["parentId"], a);
    let r = ld
        .post_json(
            "createSimpleJSON",
            &json!({ "folderPath": "/Default/j//k" }),
        )
        .await;
    let k = json_of(r, "createSimpleJSON").await;
    assert_eq!(path_of(&ld, &k).await, ["/", "Default", "j", "k"]);
    // createSimple also takes a JSON content type (the body is still the bare path).
    let r = ld
        .post_raw("createSimple", "application/json", "/Default/a/d")
        .await;
    assert_eq!(json_of(r, "createSimple json").await["parentId"], a);

    // No workspace first: the whole path is made in Default.
    let y = simple(&ld, "/x/y").await;
    assert_eq!(path_of(&ld, &y).await, ["/", "Default", "x", "y"]);
    assert_eq!(id(&simple(&ld, "/").await), 4, "an empty path is Default");
    assert_eq!(names(&ld.children(4).await), ["a", "j", "x"]);

    // The WorkDocs API sees what was made.
    let wa = s.alice();
    let page = wa
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": me(&wa).await.root }),
        )
        .await
        .ok();
    assert_eq!(page["Folders"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn shared_workspaces_and_failures() {
    let s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    let team = mkdir(&wb, &bob_me.root, "team").await;
    share(&wb, &team, &alice_me.id, "CONTRIBUTOR").await;
    let view = mkdir(&wb, &bob_me.root, "view").await;
    share(&wb, &view, &alice_me.id, "VIEWER").await;
    let ld = Ld::folders(&s, "alice", ALICE);

    let sub = simple(&ld, "/team/sub").await;
    assert_eq!(path_of(&ld, &sub).await, ["/", "team", "sub"]);
    let bob = Ld::folders(&s, "bob", BOB);
    assert_eq!(id(&bob.by_path("/Default/team/sub").await), id(&sub));
    let v = simple(&ld, "/view").await;
    assert_eq!(v["type"], 1, "an existing level needs no ADD");
    let r = ld.post_raw("createSimple", "text/plain", "/view/new").await;
    assert_failed(r, "ADD on a VIEWER share").await;

    upload(&wa, &alice_me.root, "doc", b"x").await;
    let r = ld
        .post_raw("createSimple", "text/plain", "/Default/doc/x")
        .await;
    assert_failed(r, "a document in the way").await;
    let r = ld
        .post_raw("createSimple", "text/plain", "/Default/fresh/bad\u{1}name")
        .await;
    assert_failed(r, "an invalid name").await;
    assert_eq!(
        ld.status("findByPath", &[("path", "/Default/fresh")]).await,
        204,
        "a failed path leaves nothing behind"
    );

    let r = ld
        .post_json("createSimpleJSON", &json!(["/Default/q"]))
        .await;
    assert_failed(r, "not a JSON object").await;
    let r = ld
        .post_raw("createSimpleJSON", "application/json", "{")
        .await;
    assert_failed(r, "not JSON").await;
    let r = ld
        .post_json("createSimpleJSON", &json!({ "path": "/Default/q" }))
        .await;
    assert_failed(r, "no folderPath").await;
    let r = ld
        .post_form("createSimpleForm", &[("path", "/Default/q")])
        .await;
    assert_failed(r, "no folderPath field").await;
    assert_eq!(
        ld.status("findByPath", &[("path", "/Default/q")]).await,
        204
    );

    assert_eq!(
        ld.status("createSimple", &[]).await,
        StatusCode::METHOD_NOT_ALLOWED.as_u16(),
        "a GET"
    );
    let r = ld
        .http
        .post(ld.url("createSimple"))
        .body("/Default/z")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
