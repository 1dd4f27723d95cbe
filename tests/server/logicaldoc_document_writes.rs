//! The LogicalDOC document service (write side) against a real `docsfs serve`: `upload` of new
//! documents and new versions (labels, unique names, a 5 MiB file), `create`, roles, and the
//! rename / move / delete / restore cycle, each checked through LogicalDOC and through the
//! WorkDocs API over the same store.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::ApiClient;
use super::fixtures::{me, mkdir};
use super::harness::{ALICE, BOB, Server};
use super::ld_client::{Ld, assert_failed, file_names, id, json_of, share};

/// The WorkDocs id of the live document `name` in folder `folder`.
async fn workdocs_doc(c: &ApiClient, folder: &str, name: &str) -> String {
    let page = c
        .call("DescribeFolderContents", json!({ "FolderId": folder }))
        .await
        .ok();
    let docs = page["Documents"].as_array().cloned().unwrap_or_default();
    let found = docs
        .iter()
        .find(|d| d["LatestVersionMetadata"]["Name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {folder}: {docs:?}"));
    found["Id"].as_str().unwrap().to_owned()
}

fn labels(versions: &[Value]) -> Vec<String> {
    versions
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn uploads_make_documents_and_versions() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let alice = Ld::documents(&s, "alice", ALICE);

    let doc = alice
        .upload(&[("folderId", "4"), ("filename", "Report.txt")], b"first")
        .await;
    let d = alice.document(doc).await;
    assert_eq!(
        (&d["fileName"], &d["version"], &d["folderId"]),
        (&json!("Report.txt"), &json!("1.0"), &json!(4))
    );
    let q = [("docId", doc.to_string())];
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(alice.bytes("getContent", &q).await, b"first");

    let ds = doc.to_string();
    let again = alice
        .upload(&[("docId", &ds), ("filename", "Report.txt")], b"second")
        .await;
    assert_eq!(again, doc, "a new version answers the document's id");
    assert_eq!(alice.document(doc).await["version"], "1.1");
    let q3 = [("docId", ds.as_str()), ("release", "true")];
    alice.upload(&q3, b"third, released").await;
    assert_eq!(alice.document(doc).await["version"], "2.0");
    assert_eq!(alice.bytes("getContent", &q).await, b"third, released");
    let versions = alice.list("getVersions", &q).await;
    assert_eq!(labels(&versions), ["2.0", "1.1", "1.0"], "newest first");

    let wid = workdocs_doc(&wa, &home, "Report.txt").await;
    let vs = wa
        .call("DescribeDocumentVersions", json!({ "DocumentId": wid }))
        .await
        .ok();
    assert_eq!(
        vs["DocumentVersions"].as_array().unwrap().len(),
        3,
        "the versions are WorkDocs versions too"
    );

    // Unique names, case-insensitively.
    let dup = alice
        .upload(&[("folderId", "4"), ("filename", "REPORT.txt")], b"dup")
        .await;
    assert_eq!(alice.document(dup).await["fileName"], "REPORT(1).txt");
    let dup2 = alice
        .upload(&[("folderId", "4"), ("filename", "report.txt")], b"dup")
        .await;
    assert_eq!(alice.document(dup2).await["fileName"], "report(2).txt");
    let list = alice.list("list", &[("folderId", "4")]).await;
    assert_eq!(
        file_names(&list),
        ["REPORT(1).txt", "Report.txt", "report(2).txt"]
    );

    // No filename part: the file part's own name.
    let r = alice
        .post_multipart(
            "upload",
            &[("folderId", "4")],
            ("filedata", "own.bin", b"x"),
        )
        .await;
    let own = json_of(r, "upload").await.as_i64().unwrap();
    assert_eq!(alice.document(own).await["fileName"], "own.bin");

    // Failures: the root, an empty docId, no file, an unknown document.
    let r = alice
        .post_multipart(
            "upload",
            &[("folderId", "5"), ("filename", "x.txt")],
            ("filedata", "x.txt", b"x"),
        )
        .await;
    assert_failed(r, "upload into the root").await;
    let r = alice
        .post_multipart(
            "upload",
            &[("folderId", "4"), ("docId", ""), ("filename", "x.txt")],
            ("filedata", "x.txt", b"x"),
        )
        .await;
    assert_failed(r, "an empty docId").await;
    let r = alice
        .post_multipart(
            "upload",
            &[("docId", "999999")],
            ("filedata", "x.txt", b"x"),
        )
        .await;
    assert_failed(r, "an unknown document").await;
    let list = alice.list("list", &[("folderId", "4")]).await;
    assert_eq!(list.len(), 4, "failed uploads leave nothing behind");
}

#[tokio::test]
async fn a_large_upload_round_trips() {
    let s = Server::start();
    let alice = Ld::documents(&s, "alice", ALICE);
    let bytes: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let doc = alice
        .upload(&[("folderId", "4"), ("filename", "big.bin")], &bytes)
        .await;
    let d = alice.document(doc).await;
    assert_eq!(d["fileSize"], bytes.len());
    let got = alice
        .bytes("getContent", &[("docId", &doc.to_string())])
        .await;
    assert_eq!(
        hex::encode(Sha256::digest(&got)),
        hex::encode(Sha256::digest(&bytes))
    );
}

#[tokio::test]
async fn create_answers_the_document() {
    let s = Server::start();
    let alice = Ld::documents(&s, "alice", ALICE);
    let document = json!({ "folderId": 4, "fileName": "made.md" }).to_string();
    let r = alice
        .post_multipart(
            "create",
            &[("document", &document)],
            ("content", "made.md", b"# made"),
        )
        .await;
    let d = json_of(r, "create").await;
    assert_eq!(
        (&d["fileName"], &d["version"]),
        (&json!("made.md"), &json!("1.0"))
    );
    let got = alice
        .bytes("getContent", &[("docId", &id(&d).to_string())])
        .await;
    assert_eq!(got, b"# made");
    let document = json!({ "folderId": 5, "fileName": "root.md" }).to_string();
    let r = alice
        .post_multipart("create", &[("document", &document)], ("content", "r", b"r"))
        .await;
    assert_failed(r, "create in the root").await;
}

#[tokio::test]
async fn viewers_cannot_write() {
    let s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    let proj = mkdir(&wb, &bob_me.root, "proj").await;
    share(&wb, &proj, &alice_me.id, "VIEWER").await;
    let bob = Ld::documents(&s, "bob", BOB);
    let alice = Ld::documents(&s, "alice", ALICE);
    let folders = Ld::folders(&s, "alice", ALICE);
    let ws = folders.list("listWorkspaces", &[]).await;
    let shared = ws
        .iter()
        .find(|f| f["name"] == "proj")
        .expect("proj shared");
    let shared = id(shared).to_string();

    let r = alice
        .post_multipart(
            "upload",
            &[("folderId", &shared), ("filename", "no.txt")],
            ("filedata", "no.txt", b"no"),
        )
        .await;
    assert_failed(r, "a VIEWER uploads").await;
    assert!(
        alice
            .list("list", &[("folderId", &shared)])
            .await
            .is_empty()
    );

    let bob_proj = Ld::folders(&s, "bob", BOB).by_path("/Default/proj").await;
    let bp = id(&bob_proj).to_string();
    let doc = bob
        .upload(&[("folderId", &bp), ("filename", "b.txt")], b"bob's")
        .await;
    let ds = doc.to_string();
    let r = alice
        .post_multipart(
            "upload",
            &[("docId", &ds)],
            ("filedata", "b.txt", b"alice's"),
        )
        .await;
    assert_failed(r, "a VIEWER adds a version").await;
    for (verb, method, q) in [
        (
            reqwest::Method::PUT,
            "rename",
            vec![("docId", ds.as_str()), ("name", "x.txt")],
        ),
        (
            reqwest::Method::DELETE,
            "delete",
            vec![("docId", ds.as_str())],
        ),
    ] {
        let r = alice.send(verb, method, &q, None).await;
        assert_failed(r, method).await;
    }
    assert_eq!(bob.document(doc).await["fileName"], "b.txt");
}

#[tokio::test]
async fn rename_move_delete_and_restore() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let sub = mkdir(&wa, &home, "sub").await;
    let alice = Ld::documents(&s, "alice", ALICE);
    let folders = Ld::folders(&s, "alice", ALICE);
    let sub_ld = id(&folders.by_path("/Default/sub").await).to_string();
    let a = alice
        .upload(&[("folderId", "4"), ("filename", "a.txt")], b"a")
        .await;
    alice
        .upload(&[("folderId", "4"), ("filename", "b.txt")], b"b")
        .await;
    let ids = a.to_string();
    let put = |method: &'static str, q: Vec<(&'static str, String)>| {
        let alice = &alice;
        async move {
            let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let verb = if method == "delete" {
                reqwest::Method::DELETE
            } else {
                reqwest::Method::PUT
            };
            alice.send(verb, method, &q, None).await
        }
    };

    let r = put(
        "rename",
        vec![("docId", ids.clone()), ("name", "c.txt".into())],
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(alice.document(a).await["fileName"], "c.txt");
    let r = put(
        "rename",
        vec![("docId", ids.clone()), ("name", "B.TXT".into())],
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        alice.document(a).await["fileName"],
        "B(1).TXT",
        "a taken name is made unique"
    );
    let r = put(
        "rename",
        vec![("docId", ids.clone()), ("name", String::new())],
    )
    .await;
    assert_failed(r, "an empty name").await;
    let wid = workdocs_doc(&wa, &home, "B(1).TXT").await;

    let r = put(
        "move",
        vec![("docId", ids.clone()), ("folderId", sub_ld.clone())],
    )
    .await;
    assert_eq!(r.status(), 204);
    let d = alice.document(a).await;
    assert_eq!(d["folderId"].to_string(), sub_ld);
    assert_eq!(workdocs_doc(&wa, &sub, "B(1).TXT").await, wid);
    let r = put(
        "move",
        vec![("docId", ids.clone()), ("folderId", "5".into())],
    )
    .await;
    assert_failed(r, "a move into the root").await;

    let r = put("delete", vec![("docId", ids.clone())]).await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        alice.call("getDocument", &[("docId", &ids)]).await.status(),
        401
    );
    assert!(
        alice
            .list("list", &[("folderId", &sub_ld)])
            .await
            .is_empty()
    );
    let meta = wa
        .call("GetDocument", json!({ "DocumentId": wid }))
        .await
        .ok();
    assert_eq!(meta["Metadata"]["ResourceState"], "RECYCLED");

    // Restored into Default, where "b.txt" lives: the name stays free ("B(1).TXT").
    let r = put(
        "restore",
        vec![("docId", ids.clone()), ("folderId", "4".into())],
    )
    .await;
    assert_eq!(r.status(), 204);
    let d = alice.document(a).await;
    assert_eq!(
        (&d["folderId"], &d["fileName"]),
        (&json!(4), &json!("B(1).TXT"))
    );
    let meta = wa
        .call("GetDocument", json!({ "DocumentId": wid }))
        .await
        .ok();
    assert_eq!(meta["Metadata"]["ResourceState"], "ACTIVE");
    assert_eq!(meta["Metadata"]["ParentFolderId"], home.as_str());
    let r = put(
        "restore",
        vec![("docId", ids.clone()), ("folderId", "4".into())],
    )
    .await;
    assert_failed(r, "restoring a live document").await;
    let r = put(
        "restore",
        vec![("docId", "999999".into()), ("folderId", "4".into())],
    )
    .await;
    assert_failed(r, "restoring an unknown document").await;
}
