//! `document/update`, `copy`, `replaceFile`, `deleteVersion` and `promoteVersion` against a real
//! `docsfs serve`, each checked back through LogicalDOC's read side, the `/download` servlet and
//! the WorkDocs API: renames and moves with unique names, copies that stay independent of their
//! source, bytes replaced under a version label, versions deleted (the answer is the current
//! label) and promoted (a new version with old content), and each call's failures.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::fixtures::{me, mkdir, upload, upload_version};
use super::harness::{ALICE, Server};
use super::ld_client::{
    Ld, assert_failed, assert_no_content, file_names, id, json_of, share, text_of,
};

/// Alice's document `name` in Default (through LogicalDOC `upload`), with later versions.
async fn doc(ld: &Ld, name: &str, contents: &[&[u8]]) -> String {
    let id = ld
        .upload(&[("folderId", "4"), ("filename", name)], contents[0])
        .await
        .to_string();
    for c in &contents[1..] {
        ld.upload(&[("docId", &id)], c).await;
    }
    id
}

fn labels(versions: &[Value]) -> Vec<&str> {
    versions
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect()
}

async fn update(ld: &Ld, body: Value) -> reqwest::Response {
    ld.send_json(Method::PUT, "update", &[], &body).await
}

#[tokio::test]
async fn update_renames_and_moves() {
    let s = Server::start();
    let ld = Ld::documents(&s, "alice", ALICE);
    let a = doc(&ld, "a.txt", &[b"a"]).await;
    doc(&ld, "b.txt", &[b"b"]).await;
    let folders = Ld::folders(&s, "alice", ALICE);
    let r = folders
        .post_form("createFolder", &[("parentId", "4"), ("name", "f")])
        .await;
    let f = json_of(r, "createFolder").await.as_i64().unwrap();
    let n: i64 = a.parse().unwrap();

    assert_no_content(
        update(&ld, json!({ "id": n, "fileName": "B.TXT" })).await,
        "rename",
    )
    .await;
    assert_eq!(
        ld.document(n).await["fileName"],
        "B(1).TXT",
        "unique, case-insensitively"
    );
    let body = json!({ "id": a, "folderId": f, "language": "fr", "customId": "x", "tags": ["t"] });
    assert_no_content(update(&ld, body).await, "move").await;
    let d = ld.document(n).await;
    assert_eq!(
        (&d["folderId"], &d["fileName"]),
        (&json!(f), &json!("B(1).TXT"))
    );
    assert_eq!(d["language"], "en", "other fields are ignored");
    let body = json!({ "id": n, "folderId": 4, "fileName": "b.txt" });
    assert_no_content(update(&ld, body).await, "both").await;
    let d = ld.document(n).await;
    assert_eq!(
        (&d["folderId"], &d["fileName"]),
        (&json!(4), &json!("b(1).txt"))
    );
    assert_no_content(update(&ld, json!({ "id": n })).await, "nothing").await;
    assert_eq!(ld.document(n).await["version"], "1.0");

    // The WorkDocs API sees the rename.
    let wa = s.alice();
    let page = wa
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": me(&wa).await.root }),
        )
        .await
        .ok();
    let names: Vec<&str> = page["Documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["LatestVersionMetadata"]["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b(1).txt", "b.txt"]);

    for (body, what) in [
        (
            json!({ "id": 999_999, "fileName": "x" }),
            "an unknown document",
        ),
        (json!({ "id": n, "folderId": 5 }), "into the root"),
        (json!({ "id": n, "folderId": 999_999 }), "an unknown folder"),
        (
            json!({ "id": n, "fileName": "bad\u{1}" }),
            "an invalid name",
        ),
        (json!({ "fileName": "x" }), "no id"),
    ] {
        assert_failed(update(&ld, body).await, what).await;
    }
    for body in [
        json!([n]),
        json!({ "id": "x" }),
        json!({ "id": n, "fileName": 3 }),
    ] {
        assert_eq!(update(&ld, body).await.status(), StatusCode::BAD_REQUEST);
    }
    assert_eq!(ld.document(n).await["fileName"], "b(1).txt");
}

#[tokio::test]
async fn copies_are_new_documents_of_their_own() {
    let s = Server::start();
    let ld = Ld::documents(&s, "alice", ALICE);
    let a = doc(&ld, "a.txt", &[b"first", b"second"]).await;
    let copy = |folder: &'static str, extra: &'static [(&'static str, &'static str)]| {
        let (ld, a) = (&ld, a.clone());
        async move {
            let mut q = vec![("docId", a.as_str()), ("folderId", folder)];
            q.extend_from_slice(extra);
            ld.put("copy", &q).await
        }
    };
    let c = json_of(
        copy("4", &[("links", "true"), ("notes", "false")]).await,
        "copy",
    )
    .await;
    assert_eq!(
        (&c["fileName"], &c["version"], &c["folderId"]),
        (&json!("a(1).txt"), &json!("1.0"), &json!(4))
    );
    assert_ne!(c["id"].to_string(), a);
    let cid = id(&c).to_string();
    assert_eq!(ld.bytes("getContent", &[("docId", &cid)]).await, b"second");
    assert_eq!(ld.list("getVersions", &[("docId", &cid)]).await.len(), 1);

    // Independent: replacing or deleting the source's bytes leaves the copy's.
    let r = ld
        .post_multipart(
            "replaceFile",
            &[("docId", &a), ("fileVersion", "1.1")],
            ("filedata", "x", b"REPLACED"),
        )
        .await;
    assert_no_content(r, "replaceFile").await;
    assert_eq!(ld.bytes("getContent", &[("docId", &cid)]).await, b"second");
    let wa = s.alice();
    let root = me(&wa).await.root;
    let page = wa
        .call("DescribeFolderContents", json!({ "FolderId": root }))
        .await
        .ok();
    let src_wd = page["Documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["LatestVersionMetadata"]["Name"] == "a.txt")
        .map(|d| d["Id"].as_str().unwrap().to_owned())
        .unwrap();

    // `security=true` copies the document's direct shares.
    let bob_id = me(&s.bob()).await.id;
    share(&wa, &src_wd, &bob_id, "VIEWER").await;
    let sec = json_of(copy("4", &[("security", "true")]).await, "copy security").await;
    let plain = json_of(copy("4", &[("security", "false")]).await, "copy plain").await;
    assert_eq!(
        file_names(&[sec.clone(), plain.clone()]),
        ["a(2).txt", "a(3).txt"]
    );
    let page = wa
        .call("DescribeFolderContents", json!({ "FolderId": root }))
        .await
        .ok();
    let wd_of = |name: &str| {
        page["Documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["LatestVersionMetadata"]["Name"] == name)
            .map(|d| d["Id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let principals = |doc: String| {
        let wa = &wa;
        async move {
            let r = wa
                .call("DescribeResourcePermissions", json!({ "ResourceId": doc }))
                .await
                .ok();
            r["Principals"].as_array().unwrap().len()
        }
    };
    assert_eq!(principals(wd_of("a(2).txt")).await, 2, "alice and bob");
    assert_eq!(principals(wd_of("a(3).txt")).await, 1, "alice only");

    assert!(
        wa.call("DeleteDocument", json!({ "DocumentId": src_wd }))
            .await
            .is_ok()
    );
    assert_eq!(ld.bytes("getContent", &[("docId", &cid)]).await, b"second");
    assert_failed(copy("4", &[]).await, "the source is gone").await;

    let c2 = doc(&ld, "c.txt", &[b"c"]).await;
    for (folder, what) in [("5", "into the root"), ("999999", "an unknown folder")] {
        let r = ld
            .put("copy", &[("docId", &c2), ("folderId", folder)])
            .await;
        assert_failed(r, what).await;
    }
    let r = ld.put("copy", &[("docId", &c2), ("folderId", "x")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn replace_file_overwrites_a_version_in_place() {
    let s = Server::start();
    let ld = Ld::documents(&s, "alice", ALICE);
    let a = doc(&ld, "a.txt", &[b"one", b"two"]).await;
    let etag = |version: &'static str| {
        let (ld, a) = (&ld, a.clone());
        async move {
            let r = ld
                .get(&format!("/download?docId={a}&fileVersion={version}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.headers()["etag"].to_str().unwrap().to_owned()
        }
    };
    let before = etag("1.0").await;
    let r = ld
        .post_multipart(
            "replaceFile",
            &[("docId", &a), ("fileVersion", "1.0"), ("comment", "fix")],
            ("filedata", "x", b"ONE, longer"),
        )
        .await;
    assert_no_content(r, "replaceFile").await;
    let q = [("docId", a.as_str()), ("version", "1.0")];
    assert_eq!(ld.bytes("getVersionContent", &q).await, b"ONE, longer");
    assert_ne!(etag("1.0").await, before, "the digest follows");
    let versions = ld.list("getVersions", &[("docId", &a)]).await;
    assert_eq!(labels(&versions), ["1.1", "1.0"], "no version was made");
    assert_eq!(versions[1]["fileSize"], 11);
    assert_eq!(ld.bytes("getContent", &[("docId", &a)]).await, b"two");

    // WorkDocs sees the new size of that version.
    let wa = s.alice();
    let page = wa
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": me(&wa).await.root }),
        )
        .await
        .ok();
    let wd = page["Documents"][0]["Id"].as_str().unwrap().to_owned();
    let vs = wa
        .call("DescribeDocumentVersions", json!({ "DocumentId": wd }))
        .await
        .ok();
    let sizes: Vec<i64> = vs["DocumentVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Size"].as_i64().unwrap())
        .collect();
    assert_eq!(sizes, [3, 11]);

    for (text, what) in [
        (
            vec![("docId", a.as_str()), ("fileVersion", "9.9")],
            "an unknown version",
        ),
        (vec![("fileVersion", "1.0")], "no docId"),
        (
            vec![("docId", "999999"), ("fileVersion", "1.0")],
            "an unknown document",
        ),
    ] {
        let r = ld
            .post_multipart("replaceFile", &text, ("filedata", "x", b"nope"))
            .await;
        assert_failed(r, what).await;
    }
    assert_eq!(ld.bytes("getVersionContent", &q).await, b"ONE, longer");
}

#[tokio::test]
async fn versions_are_deleted_and_promoted() {
    let s = Server::start();
    let ld = Ld::documents(&s, "alice", ALICE);
    let a = doc(&ld, "a.txt", &[b"v0", b"v1", b"v2"]).await;
    let del = |version: &'static str| {
        let (ld, a) = (&ld, a.clone());
        async move {
            ld.delete("deleteVersion", &[("docId", &a), ("version", version)])
                .await
        }
    };
    assert_eq!(text_of(del("1.1").await, "delete 1.1").await, "1.2");
    let versions = ld.list("getVersions", &[("docId", &a)]).await;
    assert_eq!(labels(&versions), ["1.2", "1.0"]);
    assert_eq!(text_of(del("1.2").await, "delete the current").await, "1.0");
    let d = ld.document(a.parse().unwrap()).await;
    assert_eq!(d["version"], "1.0");
    assert_eq!(ld.bytes("getContent", &[("docId", &a)]).await, b"v0");
    assert_failed(del("1.0").await, "the only version").await;
    assert_failed(del("1.1").await, "a deleted version").await;
    assert_failed(del("7.0").await, "an unknown version").await;

    // WorkDocs can bring them back; labels keep their places.
    let wa = s.alice();
    let page = wa
        .call(
            "DescribeFolderContents",
            json!({ "FolderId": me(&wa).await.root }),
        )
        .await
        .ok();
    let wd = page["Documents"][0]["Id"].as_str().unwrap().to_owned();
    let r = wa
        .call("RestoreDocumentVersions", json!({ "DocumentId": wd }))
        .await;
    assert!(r.is_ok());
    let versions = ld.list("getVersions", &[("docId", &a)]).await;
    assert_eq!(labels(&versions), ["1.2", "1.1", "1.0"]);

    let promote = |version: &'static str| {
        let (ld, a) = (&ld, a.clone());
        async move {
            ld.put("promoteVersion", &[("docId", &a), ("version", version)])
                .await
        }
    };
    assert_no_content(promote("1.0").await, "promote").await;
    let d = ld.document(a.parse().unwrap()).await;
    assert_eq!((&d["version"], &d["fileSize"]), (&json!("1.3"), &json!(2)));
    assert_eq!(ld.bytes("getContent", &[("docId", &a)]).await, b"v0");
    let q = [("docId", a.as_str()), ("version", "1.0")];
    assert_eq!(ld.bytes("getVersionContent", &q).await, b"v0", "1.0 stays");
    let vs = wa
        .call("DescribeDocumentVersions", json!({ "DocumentId": wd }))
        .await
        .ok();
    assert_eq!(vs["DocumentVersions"].as_array().unwrap().len(), 4);
    assert_failed(promote("4.4").await, "an unknown version").await;
    let r = ld
        .put("promoteVersion", &[("docId", "x"), ("version", "1.0")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // A VIEWER may do neither.
    let (wb, bob_me) = (s.bob(), me(&s.bob()).await);
    let shared = mkdir(&wb, &bob_me.root, "shared").await;
    let (bobs, _) = upload(&wb, &shared, "b.txt", b"b0").await;
    upload_version(&wb, &bobs, b"b1").await;
    share(&wb, &shared, &me(&wa).await.id, "VIEWER").await;
    let folder = Ld::folders(&s, "alice", ALICE).by_path("/shared").await;
    let list = ld
        .list("list", &[("folderId", &id(&folder).to_string())])
        .await;
    let b = id(&list[0]).to_string();
    let r = ld
        .delete("deleteVersion", &[("docId", &b), ("version", "1.0")])
        .await;
    assert_failed(r, "VIEWER deleteVersion").await;
    let r = ld
        .put("promoteVersion", &[("docId", &b), ("version", "1.0")])
        .await;
    assert_failed(r, "VIEWER promoteVersion").await;
    assert_eq!(ld.list("getVersions", &[("docId", &b)]).await.len(), 2);
}

#[tokio::test]
async fn the_new_routes_need_credentials_and_their_verb() {
    let s = Server::start();
    let http = reqwest::Client::new();
    let routes = [
        (Method::POST, "folder/createSimple"),
        (Method::POST, "folder/createSimpleForm"),
        (Method::POST, "folder/createSimpleJSON"),
        (Method::POST, "folder/copy"),
        (Method::POST, "folder/createAlias"),
        (Method::PUT, "folder/setAccessControlList"),
        (Method::POST, "document/checkout"),
        (Method::POST, "document/checkin"),
        (Method::PUT, "document/lock"),
        (Method::PUT, "document/unlock"),
        (Method::POST, "document/replaceFile"),
        (Method::PUT, "document/update"),
        (Method::PUT, "document/copy"),
        (Method::DELETE, "document/deleteVersion"),
        (Method::PUT, "document/promoteVersion"),
    ];
    for (verb, route) in routes {
        let url = format!("{}/services/rest/{route}", s.base);
        let r = http.request(verb.clone(), &url).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{route}");
        assert!(r.headers().contains_key("www-authenticate"), "{route}");
        let wrong = if verb == Method::GET {
            Method::POST
        } else {
            Method::GET
        };
        let r = http
            .request(wrong, &url)
            .basic_auth("alice", Some(ALICE))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{route}");
    }
}
