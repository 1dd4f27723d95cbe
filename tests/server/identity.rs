//! Who may call: user tokens, admin SigV4 keys, both at once, neither, and wrong ones.

use serde_json::json;

use super::client::Auth;
use super::fixtures::{me, mkdir};
use super::harness::{ADMIN_ID, ALICE, BOB, Server, admin_key};
use docsfs::sigv4::AccessKey;

#[tokio::test]
async fn current_user_and_root_folders() {
    let s = Server::start();
    let u = s.alice().call("GetCurrentUser", json!({})).await.ok();
    assert_eq!(u["User"]["Username"], "alice");
    assert_eq!(u["User"]["Status"], "ACTIVE");
    let root = u["User"]["RootFolderId"].as_str().unwrap();
    assert_ne!(root, u["User"]["RecycleBinFolderId"].as_str().unwrap());
    let roots = s.alice().call("DescribeRootFolders", json!({})).await.ok();
    assert_eq!(roots["Folders"].as_array().unwrap().len(), 1);
    assert_eq!(roots["Folders"][0]["Id"], root);
    let f = s
        .alice()
        .call("GetFolder", json!({ "FolderId": root }))
        .await
        .ok();
    assert_eq!(f["Metadata"]["ResourceState"], "ACTIVE");
    assert!(f["Metadata"].get("ParentFolderId").is_none());
    let bob = s.bob().call("GetCurrentUser", json!({})).await.ok();
    assert_ne!(bob["User"]["Id"], u["User"]["Id"]);
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused() {
    let s = Server::start();
    for auth in [Auth::Token("not-a-token".into()), Auth::None] {
        let c = s.client(auth);
        assert_eq!(
            c.call("GetCurrentUser", json!({})).await.err(),
            "UnauthorizedResourceAccessException"
        );
        let e = c
            .call("DescribeFolderContents", json!({ "FolderId": "abc" }))
            .await
            .err();
        assert_eq!(e, "UnauthorizedResourceAccessException");
    }
    let wrong_secret = s.client(Auth::Admin(AccessKey {
        id: ADMIN_ID.into(),
        secret: "wrong".into(),
    }));
    assert_eq!(
        wrong_secret
            .call("GetFolder", json!({ "FolderId": "abc" }))
            .await
            .err(),
        "UnauthorizedResourceAccessException"
    );
    let unknown_key = s.client(Auth::Admin(AccessKey {
        id: "AKIDUNKNOWN".into(),
        secret: "x".into(),
    }));
    assert_eq!(
        unknown_key
            .call("GetFolder", json!({ "FolderId": "abc" }))
            .await
            .err(),
        "UnauthorizedResourceAccessException"
    );
}

#[tokio::test]
async fn admin_key_acts_on_any_folder() {
    let s = Server::start();
    let bob = me(&s.bob()).await;
    let admin = s.admin();
    admin
        .call("GetFolder", json!({ "FolderId": bob.root }))
        .await
        .ok();
    let id = mkdir(&admin, &bob.root, "made-by-admin").await;
    // The folder belongs to the owner of its parent: bob sees and may change it.
    let f = s
        .bob()
        .call("GetFolder", json!({ "FolderId": id }))
        .await
        .ok();
    assert_eq!(f["Metadata"]["Name"], "made-by-admin");
    s.bob()
        .call("UpdateFolder", json!({ "FolderId": id, "Name": "renamed" }))
        .await
        .ok();
    // An admin key has no user of its own.
    assert_eq!(
        admin.call("GetCurrentUser", json!({})).await.err(),
        "UnauthorizedOperationException"
    );
}

#[tokio::test]
async fn a_token_makes_the_request_that_users_even_when_signed() {
    let s = Server::start();
    let alice = me(&s.alice()).await;
    let both = s.client(Auth::TokenAndSigned(BOB.into(), admin_key()));
    let u = both.call("GetCurrentUser", json!({})).await.ok();
    assert_eq!(u["User"]["Username"], "bob");
    // Bob's token, not the admin signature, decides: alice's folder stays closed.
    let e = both
        .call("GetFolder", json!({ "FolderId": alice.root }))
        .await
        .err();
    assert_eq!(e, "UnauthorizedResourceAccessException");
    let signed_alice = s.client(Auth::TokenAndSigned(ALICE.into(), admin_key()));
    signed_alice
        .call("GetFolder", json!({ "FolderId": alice.root }))
        .await
        .ok();
}

#[tokio::test]
async fn describe_users_filters_and_pages() {
    let s = Server::start();
    let all = s.alice().call("DescribeUsers", json!({})).await.ok();
    let names: Vec<_> = all["Users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["Username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert_eq!(all["TotalNumberOfUsers"], 3);
    let q = s
        .alice()
        .call("DescribeUsers", json!({ "Query": "bo" }))
        .await
        .ok();
    assert_eq!(q["Users"][0]["Username"], "bob");
    assert_eq!(q["Users"].as_array().unwrap().len(), 1);
    let bob_id = q["Users"][0]["Id"].as_str().unwrap().to_owned();
    let by_id = s
        .alice()
        .call("DescribeUsers", json!({ "UserIds": bob_id }))
        .await
        .ok();
    assert_eq!(by_id["Users"][0]["Id"], bob_id.as_str());
    let (mut seen, mut marker) = (vec![], None::<String>);
    loop {
        let mut input = json!({ "Limit": 1, "Order": "DESCENDING" });
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = s.alice().call("DescribeUsers", input).await.ok();
        seen.push(page["Users"][0]["Username"].as_str().unwrap().to_owned());
        match page["Marker"].as_str() {
            Some(m) => marker = Some(m.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["carol", "bob", "alice"]);
    assert_eq!(
        s.alice()
            .call("DescribeUsers", json!({ "Limit": 0 }))
            .await
            .err(),
        "InvalidArgumentException"
    );
    assert_eq!(
        s.alice()
            .call("DescribeUsers", json!({ "Marker": "zz" }))
            .await
            .err(),
        "InvalidArgumentException"
    );
}

#[tokio::test]
async fn logs_never_show_tokens_secrets_or_signed_urls() {
    let s = Server::start();
    let alice = me(&s.alice()).await;
    let (doc, v) = super::fixtures::upload(&s.alice(), &alice.root, "secret.txt", b"data").await;
    let url = super::fixtures::source_url(&s.alice(), &doc, &v).await;
    super::fixtures::fetch(&url, None).await;
    s.admin()
        .call("GetFolder", json!({ "FolderId": alice.root }))
        .await
        .ok();
    s.client(Auth::Token("wrong-token-value".into()))
        .call("GetCurrentUser", json!({}))
        .await
        .err();
    let log = s.log();
    assert!(
        log.contains("request"),
        "the debug log records requests: {log}"
    );
    let sig = url.split("X-Docsfs-Signature=").nth(1).unwrap();
    for secret in [
        ALICE,
        "wrong-token-value",
        super::harness::ADMIN_SECRET,
        sig,
        "Signature=",
    ] {
        assert!(!log.contains(secret), "the log shows {secret:?}");
    }
}
