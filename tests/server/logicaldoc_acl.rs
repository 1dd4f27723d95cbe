//! `setAccessControlList` and `getAccessControlList` on folders against a real `docsfs serve`:
//! entries become WorkDocs shares (write → CONTRIBUTOR, security → COOWNER, read → VIEWER) with
//! 0/1 or boolean flags, read back whole by who holds SECURITY (and as one own entry by anyone
//! else), users left out lose their direct share but keep inherited ones, and the failures (no
//! SECURITY, unknown users, the root, bodies of the wrong shape).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::fixtures::{me, mkdir};
use super::harness::{ALICE, BOB, CAROL, Server};
use super::ld_client::{Ld, assert_failed, assert_no_content, id};

async fn set(ld: &Ld, folder: i64, acl: Value) -> reqwest::Response {
    let folder = folder.to_string();
    ld.send_json(
        Method::PUT,
        "setAccessControlList",
        &[("folderId", &folder)],
        &acl,
    )
    .await
}

async fn get(ld: &Ld, folder: i64) -> Vec<Value> {
    ld.list("getAccessControlList", &[("folderId", &folder.to_string())])
        .await
}

/// The flags set to 1 in an entry, sorted.
fn flags(e: &Value) -> Vec<&str> {
    let mut on: Vec<&str> = e
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, v)| !k.ends_with("Id") && **v == 1)
        .map(|(k, _)| k.as_str())
        .collect();
    on.sort();
    on
}

/// (userId, flags) of every entry.
fn summary(list: &[Value]) -> Vec<(i64, Vec<&str>)> {
    list.iter()
        .map(|e| (e["userId"].as_i64().unwrap(), flags(e)))
        .collect()
}

const VIEWER: &[&str] = &["download", "preview", "read"];
const CONTRIBUTOR: &[&str] = &[
    "add", "delete", "download", "move", "preview", "read", "rename", "write",
];

/// The WorkDocs roles on a resource: (principal id, roles).
async fn workdocs_roles(s: &Server, resource: &str) -> Vec<(String, Vec<String>)> {
    let r = s
        .alice()
        .call(
            "DescribeResourcePermissions",
            json!({ "ResourceId": resource }),
        )
        .await
        .ok();
    r["Principals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let roles = p["Roles"].as_array().unwrap();
            let roles = roles
                .iter()
                .map(|r| r["Role"].as_str().unwrap().to_owned())
                .collect();
            (p["Id"].as_str().unwrap().to_owned(), roles)
        })
        .collect()
}

#[tokio::test]
async fn entries_become_shares_and_read_back() {
    let s = Server::start();
    let wa = s.alice();
    let team_wd = mkdir(&wa, &me(&wa).await.root, "team").await;
    let (bob_me, carol_me) = (me(&s.bob()).await, me(&s.carol()).await);
    let alice = Ld::folders(&s, "alice", ALICE);
    let bob = Ld::folders(&s, "bob", BOB);
    let carol = Ld::folders(&s, "carol", CAROL);
    let (a, b, c) = (
        alice.user_number().await,
        bob.user_number().await,
        carol.user_number().await,
    );
    let team = id(&alice.by_path("/Default/team").await);
    assert_eq!(
        summary(&get(&alice, team).await).len(),
        1,
        "only the owner yet"
    );

    let acl = json!([
        { "groupId": 0, "userId": b, "read": 1, "write": 1, "download": 1 },
        { "userId": c.to_string(), "read": true, "write": false },
        { "groupId": 3, "read": 1, "write": 1 },
    ]);
    assert_no_content(set(&alice, team, acl).await, "set").await;
    let got = get(&alice, team).await;
    let mut want = vec![
        (a, flags(&got[0])),
        (b, CONTRIBUTOR.to_vec()),
        (c, VIEWER.to_vec()),
    ];
    want.sort();
    assert_eq!(summary(&got), want);
    assert_eq!(flags(&got[0]).len(), 25, "the owner holds every permission");
    let roles = workdocs_roles(&s, &team_wd).await;
    assert!(
        roles.contains(&(bob_me.id.clone(), vec!["CONTRIBUTOR".into()])),
        "{roles:?}"
    );
    assert!(
        roles.contains(&(carol_me.id.clone(), vec!["VIEWER".into()])),
        "{roles:?}"
    );
    let q = [("folderId", team.to_string())];
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert!(bob.boolean("isWritable", &q).await);
    assert!(carol.boolean("isReadable", &q).await);
    assert!(!carol.boolean("isWritable", &q).await);
    let bobs = get(&bob, team).await;
    assert_eq!(
        summary(&bobs),
        [(b, CONTRIBUTOR.to_vec())],
        "no SECURITY: own entry only"
    );

    // A new list replaces the old: bob is left out, carol gets SECURITY.
    let acl = json!([{ "userId": c, "read": 1, "write": 0, "security": 1 }]);
    assert_no_content(set(&alice, team, acl).await, "replace").await;
    bob.assert_fails("getFolder", &q).await;
    let carols = get(&carol, team).await;
    assert_eq!(carols.len(), 2, "COOWNER sees the whole list: {carols:?}");
    assert_eq!(flags(&carols[1]).len(), 25);
    let roles = workdocs_roles(&s, &team_wd).await;
    assert!(roles.iter().all(|(p, _)| *p != bob_me.id), "{roles:?}");

    // Carol may set it in turn, even dropping herself.
    let acl = json!([{ "userId": b, "read": "1" }]);
    assert_no_content(set(&carol, team, acl).await, "carol sets").await;
    carol.assert_fails("getFolder", &q).await;
    assert_eq!(summary(&get(&bob, team).await), [(b, VIEWER.to_vec())]);
    assert_no_content(set(&alice, team, json!([])).await, "empty").await;
    assert_eq!(get(&alice, team).await.len(), 1);
    bob.assert_fails("getFolder", &q).await;
}

#[tokio::test]
async fn inherited_shares_stay_and_failures_change_nothing() {
    let s = Server::start();
    let wa = s.alice();
    let team_wd = mkdir(&wa, &me(&wa).await.root, "team").await;
    mkdir(&wa, &team_wd, "sub").await;
    let alice = Ld::folders(&s, "alice", ALICE);
    let bob = Ld::folders(&s, "bob", BOB);
    let carol = Ld::folders(&s, "carol", CAROL);
    let (b, c) = (bob.user_number().await, carol.user_number().await);
    let team = id(&alice.by_path("/Default/team").await);
    let sub = id(&alice.by_path("/Default/team/sub").await);
    let acl = json!([{ "userId": b, "read": 1, "write": 1 }]);
    assert_no_content(set(&alice, team, acl).await, "team").await;
    let acl = json!([{ "userId": c, "read": 1 }]);
    assert_no_content(set(&alice, sub, acl).await, "sub").await;
    let list = get(&alice, sub).await;
    let got = summary(&list);
    assert!(
        got.contains(&(b, CONTRIBUTOR.to_vec())),
        "inherited: {got:?}"
    );
    assert!(got.contains(&(c, VIEWER.to_vec())), "{got:?}");

    // Failures: no SECURITY, an unknown user, the root, shapes.
    let acl = json!([{ "userId": c, "read": 1, "write": 1 }]);
    assert_failed(set(&bob, team, acl).await, "CONTRIBUTOR has no SECURITY").await;
    let acl = json!([{ "userId": c, "read": 1 }, { "userId": 999_999, "read": 1 }]);
    assert_failed(set(&alice, team, acl).await, "an unknown user").await;
    assert_failed(set(&alice, 5, json!([])).await, "the root").await;
    assert_failed(set(&alice, 999_999, json!([])).await, "an unknown folder").await;
    let r = set(&alice, team, json!({ "userId": c })).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = set(&alice, team, json!([{ "userId": c, "read": [1] }])).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = alice
        .put("setAccessControlList", &[("folderId", "abc")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let list = get(&alice, team).await;
    let got = summary(&list);
    assert_eq!(got.len(), 2, "unchanged: {got:?}");
    assert!(got.contains(&(b, CONTRIBUTOR.to_vec())));
    let r = alice
        .send(
            Method::GET,
            "setAccessControlList",
            &[("folderId", "4")],
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}
