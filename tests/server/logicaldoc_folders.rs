//! The LogicalDOC folder service (read side) against a real `docsfs serve`: trees are built
//! through the WorkDocs API and read back through LogicalDOC's `/services/rest/folder/*` with
//! Basic auth (or a sid). Covers the root, Default and workspaces (a folder shared directly is a
//! workspace for that user only), listings and the `list` pagination quirk, lookups by id and
//! path, permission checks and ACLs from roles, recycled folders, bad ids, and ids that stay the
//! same across calls, users and restarts.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::client::ApiClient;
use super::fixtures::{me, mkdir, upload};
use super::harness::{ALICE, BOB, CAROL, Server};
use super::ld_client::{Ld, id, names, share};

/// The permission flags set to 1 in an access-control entry, sorted.
fn flags(e: &Value) -> Vec<&str> {
    let obj = e.as_object().unwrap();
    let set = obj.iter().filter(|(k, v)| !k.ends_with("Id") && **v == 1);
    let mut set: Vec<&str> = set.map(|(k, _)| k.as_str()).collect();
    set.sort();
    set
}

fn ids(list: &[Value]) -> Vec<i64> {
    list.iter().map(id).collect()
}

/// The LogicalDOC id of the child `name` of folder `parent`.
async fn child(ld: &Ld, parent: i64, name: &str) -> i64 {
    let children = ld.children(parent).await;
    let found = children.iter().find(|f| f["name"] == name);
    id(found.unwrap_or_else(|| panic!("no {name} in {parent}: {children:?}")))
}

async fn recycle(c: &ApiClient, folder: &str) {
    let input = json!({ "FolderId": folder, "ResourceState": "RECYCLED" });
    c.call("UpdateFolder", input).await.ok();
}

/// `yyyy-MM-dd HH:mm:ss +0000`.
fn assert_date(v: &Value) {
    let s = v.as_str().unwrap_or_else(|| panic!("not a date: {v}"));
    let b = s.as_bytes();
    assert_eq!(b.len(), 25, "{s}");
    let digits = [0..4, 5..7, 8..10, 11..13, 14..16, 17..19];
    assert!(
        digits
            .iter()
            .all(|r| b[r.clone()].iter().all(u8::is_ascii_digit)),
        "{s}"
    );
    assert_eq!(
        (b[4], b[7], b[10], b[13], b[16]),
        (b'-', b'-', b' ', b':', b':'),
        "{s}"
    );
    assert!(s.ends_with(" +0000"), "{s}");
}

/// Every key a WSFolder carries here, with the fixed values.
fn assert_ws_folder(f: &Value, name: &str, parent: i64, kind: i64) {
    assert_eq!(f["name"], name, "{f}");
    assert_eq!(f["parentId"], parent, "{f}");
    assert_eq!(f["type"], kind, "{f}");
    assert_eq!(f["description"], "");
    assert_eq!(
        (&f["hidden"], &f["position"], &f["templateLocked"]),
        (&json!(0), &json!(1), &json!(0))
    );
    assert_eq!((&f["tags"], &f["attributes"]), (&json!([]), &json!([])));
    assert!(f["creator"].is_string());
    assert_date(&f["creation"]);
    assert_date(&f["lastModified"]);
    assert!(
        f.get("foldRef").is_none() && f.get("securityRef").is_none(),
        "{f}"
    );
}

#[tokio::test]
async fn root_default_and_workspaces() {
    let s = Server::start();
    let (alice, bob) = (Ld::folders(&s, "alice", ALICE), Ld::folders(&s, "bob", BOB));
    let root = alice.json("getRootFolder", &[]).await;
    assert_eq!(id(&root), 5);
    assert_ws_folder(&root, "/", 5, 1);
    let default = alice.json("getDefaultWorkspace", &[]).await;
    assert_eq!(id(&default), 4);
    assert_ws_folder(&default, "Default", 5, 1);
    assert_eq!(default["creator"], "alice");
    assert_eq!(alice.folder(4).await, default);
    assert_eq!(alice.folder(5).await, root);

    let wb = s.bob();
    let bob_me = me(&wb).await;
    let alice_id = me(&s.alice()).await.id;
    let proj = mkdir(&wb, &bob_me.root, "proj").await;
    let inner = mkdir(&wb, &proj, "inner").await;
    mkdir(&wb, &bob_me.root, "private").await;
    share(&wb, &proj, &alice_id, "VIEWER").await;
    // Shared directly too, but inside a workspace of alice's: it stays where it is.
    share(&wb, &inner, &alice_id, "CONTRIBUTOR").await;
    let workspaces = alice.list("listWorkspaces", &[]).await;
    assert_eq!(names(&workspaces), ["Default", "proj"]);
    let ws = &workspaces[1];
    assert_ws_folder(ws, "proj", 5, 1);
    assert_eq!(ws["creator"], "bob");
    assert!(id(ws) >= 100, "{ws}");
    assert_eq!(
        alice.children(5).await,
        workspaces,
        "listChildren(5) = the workspaces"
    );
    let inside = alice.children(id(ws)).await;
    assert_eq!(names(&inside), ["inner"]);
    assert_ws_folder(&inside[0], "inner", id(ws), 0);

    let bobs = bob.list("listWorkspaces", &[]).await;
    assert_eq!(
        names(&bobs),
        ["Default"],
        "bob's own folders are not workspaces"
    );
    assert_eq!(id(&bobs[0]), 4);
    let in_bobs_default = bob.children(4).await;
    assert_eq!(names(&in_bobs_default), ["private", "proj"]);
    assert_eq!(
        id(&in_bobs_default[1]),
        id(ws),
        "one folder, one id, for everyone"
    );
    assert_eq!(in_bobs_default[1]["parentId"], 4);
    assert_eq!(in_bobs_default[1]["type"], 0);
    let carol = Ld::folders(&s, "carol", CAROL);
    assert_eq!(names(&carol.list("listWorkspaces", &[]).await), ["Default"]);
}

#[tokio::test]
async fn children_are_sorted_and_list_pages_like_logicaldoc() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    for name in ["b", "a", "C", "e", "d"] {
        mkdir(&wa, &home, name).await;
    }
    upload(&wa, &home, "a document.txt", b"not a folder").await;
    let alice = Ld::folders(&s, "alice", ALICE);
    let all = alice.children(4).await;
    assert_eq!(
        names(&all),
        ["C", "a", "b", "d", "e"],
        "by name, case-sensitive"
    );
    assert!(all.iter().all(|f| f["parentId"] == 4 && f["type"] == 0));

    let page = |p: &'static str, m: &'static str| {
        let alice = &alice;
        async move {
            let q = [("folderId", "4"), ("page", p), ("max", m)];
            alice.list("list", &q).await
        }
    };
    // total ≤ max: every page is the whole list (so a client must stop on a short page).
    assert_eq!(page("1", "5").await, all);
    assert_eq!(page("2", "5").await, all);
    assert_eq!(page("7", "10").await, all);
    assert_eq!(alice.list("list", &[("folderId", "4")]).await, all);
    assert_eq!(
        alice.list("list", &[("folderId", "4"), ("max", "2")]).await,
        all
    );
    // max < total: slices, and the stop rule (a page shorter than max) ends the walk.
    let mut walked = Vec::new();
    for p in 1.. {
        let got = page(["1", "2", "3", "4"][p - 1], "2").await;
        let short = got.len() < 2;
        walked.extend(got);
        if short {
            assert_eq!(p, 3);
            break;
        }
    }
    assert_eq!(walked, all);
    assert!(page("4", "2").await.is_empty());
    let q = [("folderId", "4"), ("sort", "name desc")];
    assert_eq!(
        names(&alice.list("list", &q).await),
        ["e", "d", "b", "a", "C"]
    );
    let q = [
        ("folderId", "4"),
        ("sort", "lower(name) asc"),
        ("page", "1"),
        ("max", "3"),
    ];
    assert_eq!(names(&alice.list("list", &q).await), ["a", "b", "C"]);
    alice
        .assert_fails("list", &[("folderId", "4"), ("sort", "name")])
        .await;
    let q = [("folderId", "4"), ("page", "0"), ("max", "2")];
    alice.assert_fails("list", &q).await;
    assert_eq!(
        alice
            .status("list", &[("folderId", "4"), ("max", "two")])
            .await,
        404
    );
    // The root's children are the workspaces; the root itself is not among them.
    let q = [("folderId", "5"), ("page", "1"), ("max", "1")];
    assert_eq!(names(&alice.list("list", &q).await), ["Default"]);
}

#[tokio::test]
async fn folders_by_id_by_path_and_their_paths() {
    let s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    let a = mkdir(&wa, &alice_me.root, "a").await;
    mkdir(&wa, &a, "b").await;
    let team = mkdir(&wb, &bob_me.root, "team").await;
    mkdir(&wb, &team, "x y").await;
    share(&wb, &team, &alice_me.id, "VIEWER").await;
    let alice = Ld::folders(&s, "alice", ALICE);

    let b = alice.by_path("/Default/a/b").await;
    assert_ws_folder(&b, "b", child(&alice, 4, "a").await, 0);
    assert_eq!(alice.folder(id(&b)).await, b);
    assert_eq!(alice.by_path("/Default/a/b/").await, b);
    assert_eq!(id(&alice.by_path("/").await), 5);
    assert_eq!(id(&alice.by_path("/Default").await), 4);
    let path = alice
        .list("getPath", &[("folderId", &id(&b).to_string())])
        .await;
    assert_eq!(names(&path), ["/", "Default", "a", "b"]);
    assert_eq!(ids(&path)[..2], [5, 4]);
    assert_eq!(path[3], b);
    assert_eq!(path[2]["id"], b["parentId"]);
    assert_eq!(
        names(&alice.list("getPath", &[("folderId", "5")]).await),
        ["/"]
    );
    assert_eq!(
        names(&alice.list("getPath", &[("folderId", "4")]).await),
        ["/", "Default"]
    );

    let xy = alice.by_path("/team/x y").await;
    let path = alice
        .list("getPath", &[("folderId", &id(&xy).to_string())])
        .await;
    assert_eq!(names(&path), ["/", "team", "x y"]);
    assert_eq!(path[1]["type"], 1);
    assert_eq!(path[1]["parentId"], 5);

    for missing in [
        "/Default/a/nope",
        "/Default/b",
        "/nope",
        "/team/x",
        "",
        "/default",
    ] {
        let r = alice.call("findByPath", &[("path", missing)]).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{missing:?}");
        assert_eq!(r.text().await.unwrap(), "");
    }
    let bob = Ld::folders(&s, "bob", BOB);
    assert_eq!(bob.by_path("/Default/team").await["id"], path[1]["id"]);
    let r = bob.call("findByPath", &[("path", "/Default/a")]).await;
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "alice's folders are not in bob's tree"
    );
}

#[tokio::test]
async fn permissions_come_from_the_role() {
    let s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    let viewed = mkdir(&wb, &bob_me.root, "viewed").await;
    let worked = mkdir(&wb, &bob_me.root, "worked").await;
    mkdir(&wb, &worked, "sub").await;
    share(&wb, &viewed, &alice_me.id, "VIEWER").await;
    share(&wb, &worked, &alice_me.id, "CONTRIBUTOR").await;
    let alice = Ld::folders(&s, "alice", ALICE);
    let v = id(&alice.by_path("/viewed").await);
    let w = id(&alice.by_path("/worked").await);
    let sub = id(&alice.by_path("/worked/sub").await);
    let q = |id: i64| [("folderId", id.to_string())];
    let check = |method: &'static str, id: i64| {
        let alice = &alice;
        async move {
            let id = id.to_string();
            alice.boolean(method, &[("folderId", id.as_str())]).await
        }
    };

    assert!(check("isReadable", v).await);
    assert!(!check("isWritable", v).await);
    assert!(check("isReadable", w).await);
    assert!(check("isWritable", w).await);
    assert!(check("isWritable", sub).await, "roles are inherited");
    assert!(check("isWritable", 4).await);
    assert!(check("isReadable", 5).await);
    assert!(!check("isWritable", 5).await, "the root is read-only");
    for (perm, on_v, on_w) in [
        ("READ", true, true),
        ("PREVIEW", true, true),
        ("DOWNLOAD", true, true),
        ("WRITE", false, true),
        ("ADD", false, true),
        ("RENAME", false, true),
        ("MOVE", false, true),
        ("DELETE", false, true),
        ("SECURITY", false, false),
        ("IMMUTABLE", false, false),
    ] {
        assert_eq!(alice.granted(v, perm).await, on_v, "{perm} as VIEWER");
        assert_eq!(alice.granted(w, perm).await, on_w, "{perm} as CONTRIBUTOR");
        assert!(alice.granted(4, perm).await, "{perm} as OWNER");
    }
    assert!(!alice.granted(w, "write").await, "names are case-sensitive");
    assert!(!alice.granted(4, "NOPE").await);
    assert!(!alice.boolean("isGranted", &[("folderId", "4")]).await);
    assert!(!alice.granted(999_999, "READ").await);

    let acl = |id: i64| {
        let alice = &alice;
        async move {
            let q = q(id);
            let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
            alice.list("getAccessControlList", &q).await
        }
    };
    let (on_v, on_w, on_home) = (acl(v).await, acl(w).await, acl(4).await);
    assert_eq!((on_v.len(), on_w.len(), on_home.len()), (1, 1, 1));
    let user_id = on_v[0]["userId"].as_i64().unwrap();
    assert!(user_id >= 10, "{user_id}");
    for e in [&on_v[0], &on_w[0], &on_home[0]] {
        assert_eq!(e["userId"], user_id, "one numeric id per user");
        assert_eq!(e["groupId"], 0);
    }
    assert_eq!(flags(&on_v[0]), ["download", "preview", "read"]);
    assert_eq!(
        flags(&on_w[0]),
        [
            "add", "delete", "download", "move", "preview", "read", "rename", "write"
        ]
    );
    let all = on_home[0].as_object().unwrap();
    assert_eq!(all.len(), 27, "{all:?}");
    assert!(
        all.iter().all(|(k, v)| k.ends_with("Id") || *v == 1),
        "{all:?}"
    );
    assert_eq!(on_v[0]["security"], 0);
    assert_eq!(on_v[0]["iimport"], 0);
    let bob = Ld::folders(&s, "bob", BOB);
    let bobs = bob.list("getAccessControlList", &[("folderId", "4")]).await;
    assert_ne!(bobs[0]["userId"], user_id);
}

#[tokio::test]
async fn recycled_folders_are_invisible() {
    let s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    let gone = mkdir(&wa, &alice_me.root, "gone").await;
    mkdir(&wa, &gone, "inside").await;
    mkdir(&wa, &alice_me.root, "kept").await;
    let shared = mkdir(&wb, &bob_me.root, "shared").await;
    share(&wb, &shared, &alice_me.id, "VIEWER").await;
    let alice = Ld::folders(&s, "alice", ALICE);
    let gone_id = id(&alice.by_path("/Default/gone").await);
    let inside_id = id(&alice.by_path("/Default/gone/inside").await);
    let shared_id = id(&alice.by_path("/shared").await);
    recycle(&wa, &gone).await;
    recycle(&wb, &shared).await;

    assert_eq!(names(&alice.children(4).await), ["kept"]);
    assert_eq!(names(&alice.list("listWorkspaces", &[]).await), ["Default"]);
    for id in [gone_id, inside_id, shared_id] {
        let id = id.to_string();
        let q = [("folderId", id.as_str())];
        alice.assert_fails("getFolder", &q).await;
        alice.assert_fails("listChildren", &q).await;
        alice.assert_fails("getPath", &q).await;
        assert!(!alice.boolean("isReadable", &q).await);
    }
    for path in ["/Default/gone", "/Default/gone/inside", "/shared"] {
        assert_eq!(alice.status("findByPath", &[("path", path)]).await, 204);
    }
}

#[tokio::test]
async fn bad_missing_and_foreign_ids() {
    let s = Server::start();
    let wb = s.bob();
    let bob_me = me(&wb).await;
    mkdir(&wb, &bob_me.root, "secret").await;
    let (alice, bob) = (Ld::folders(&s, "alice", ALICE), Ld::folders(&s, "bob", BOB));
    let secret = child(&bob, 4, "secret").await.to_string();
    let foreign = [("folderId", secret.as_str())];
    for method in [
        "getFolder",
        "listChildren",
        "list",
        "getPath",
        "getAccessControlList",
    ] {
        for bad in ["abc", "1.5", "4x", "99999999999999999999"] {
            let status = alice.status(method, &[("folderId", bad)]).await;
            assert_eq!(status, 404, "{method} {bad}");
        }
        alice.assert_fails(method, &[]).await;
        alice.assert_fails(method, &[("folderId", "999999")]).await;
        alice.assert_fails(method, &[("folderId", "-4")]).await;
        alice.assert_fails(method, &foreign).await;
    }
    for method in ["isReadable", "isWritable", "isGranted"] {
        assert_eq!(alice.status(method, &[("folderId", "abc")]).await, 404);
        let q = [("folderId", secret.as_str()), ("permission", "READ")];
        assert!(!alice.boolean(method, &q).await, "{method}");
        assert!(bob.boolean(method, &q).await, "{method}");
    }
    assert_eq!(alice.status("isReadable", &[]).await, 200);
    // Wrong verb: 405; no credentials: 401 from the session middleware.
    let url = format!("{}?folderId=4", alice.url("getFolder"));
    let post = alice.http.post(&url).basic_auth("alice", Some(ALICE));
    assert_eq!(
        post.send().await.unwrap().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let r = alice.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_sid_works_as_well_as_basic() {
    let s = Server::start();
    let http = Client::new();
    let login = format!("{}/services/rest/auth/login", s.base);
    let r = http.get(login).query(&[("u", "alice"), ("pw", ALICE)]);
    let sid = r.send().await.unwrap().text().await.unwrap();
    let url = format!("{}/services/rest/folder/getDefaultWorkspace", s.base);
    let r = http.get(&url).header("sid", &sid).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["id"].as_i64(), body["name"].as_str()),
        (Some(4), Some("Default"))
    );
}

#[tokio::test]
async fn ids_are_stable_across_calls_users_and_restarts() {
    let mut s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    let a = mkdir(&wa, &alice_me.root, "a").await;
    mkdir(&wa, &a, "a1").await;
    mkdir(&wa, &alice_me.root, "b").await;
    let team = mkdir(&wb, &bob_me.root, "team").await;
    share(&wb, &team, &alice_me.id, "VIEWER").await;
    let (alice, bob) = (Ld::folders(&s, "alice", ALICE), Ld::folders(&s, "bob", BOB));
    let first = ids(&alice.children(4).await);
    let a1 = id(&alice.by_path("/Default/a/a1").await);
    let team_id = id(&alice.by_path("/team").await);
    assert!(first.iter().chain([&a1, &team_id]).all(|id| *id >= 100));
    assert_eq!(ids(&alice.children(4).await), first);
    assert_eq!(id(&alice.folder(first[0]).await), first[0]);
    assert_eq!(child(&bob, 4, "team").await, team_id);
    let acl = alice
        .list("getAccessControlList", &[("folderId", "4")])
        .await;

    s.restart();
    let (alice, bob) = (Ld::folders(&s, "alice", ALICE), Ld::folders(&s, "bob", BOB));
    assert_eq!(ids(&alice.children(4).await), first);
    assert_eq!(id(&alice.by_path("/Default/a/a1").await), a1);
    assert_eq!(id(&alice.by_path("/team").await), team_id);
    assert_eq!(child(&bob, 4, "team").await, team_id);
    let again = alice
        .list("getAccessControlList", &[("folderId", "4")])
        .await;
    assert_eq!(again[0]["userId"], acl[0]["userId"]);
    mkdir(&s.alice(), &alice_me.root, "c").await;
    let c = child(&alice, 4, "c").await;
    assert!(
        c > *first.iter().chain([&a1, &team_id]).max().unwrap(),
        "new ids are new"
    );
}
