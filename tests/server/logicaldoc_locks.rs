//! Document locks against a real `docsfs serve`: `checkout` / `checkin` and `lock` / `unlock`
//! (status 1 / 2 and `lockUserId` in WSDocument), every write by another user refused while the
//! lock is held — through LogicalDOC (500) and through the WorkDocs API (the error each
//! operation's model names) — the holder's own writes going through, and who may unlock.

use reqwest::Method;
use serde_json::{Value, json};

use super::client::ApiClient;
use super::fixtures::{me, mkdir, upload};
use super::harness::{ALICE, BOB, Server};
use super::ld_client::{Ld, assert_failed, assert_no_content, file_names, json_of, share};

/// Bob shares `/Default/shared` with alice as COOWNER; alice's document `doc.txt` lies in it.
/// Returns (alice, bob, their WorkDocs clients, the document's WorkDocs id and number).
struct Setup {
    alice: Ld,
    bob: Ld,
    wa: ApiClient,
    wb: ApiClient,
    doc_wd: String,
    version_wd: String,
    doc: String,
}

async fn setup(s: &Server) -> Setup {
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    let shared = mkdir(&wb, &bob_me.root, "shared").await;
    share(&wb, &shared, &alice_me.id, "COOWNER").await;
    let (doc_wd, version_wd) = upload(&wa, &shared, "doc.txt", b"one").await;
    let alice = Ld::documents(s, "alice", ALICE);
    let bob = Ld::documents(s, "bob", BOB);
    let folder = Ld::folders(s, "bob", BOB).by_path("/Default/shared").await["id"].to_string();
    let list = bob.list("list", &[("folderId", &folder)]).await;
    let doc = list[0]["id"].to_string();
    Setup {
        alice,
        bob,
        wa,
        wb,
        doc_wd,
        version_wd,
        doc,
    }
}

fn status(d: &Value) -> (i64, Option<i64>) {
    (d["status"].as_i64().unwrap(), d["lockUserId"].as_i64())
}

async fn checkout(ld: &Ld, doc: &str) -> reqwest::Response {
    ld.post_form("checkout", &[("docId", doc)]).await
}

async fn checkin(ld: &Ld, doc: &str, extra: &[(&str, &str)], bytes: &[u8]) -> reqwest::Response {
    let mut text = vec![("docId", doc)];
    text.extend_from_slice(extra);
    ld.post_multipart("checkin", &text, ("filedata", "up.bin", bytes))
        .await
}

/// Every LogicalDOC write `ld` may try on `doc`: each must fail with a 500 text body.
async fn writes_fail(ld: &Ld, doc: &str, who: &str) {
    let q = [("docId", doc)];
    let r = ld
        .post_multipart("upload", &[("docId", doc)], ("filedata", "x", b"x"))
        .await;
    assert_failed(r, &format!("{who}: upload")).await;
    assert_failed(checkin(ld, doc, &[("filename", "x")], b"x").await, who).await;
    let r = ld
        .put("rename", &[("docId", doc), ("name", "other.txt")])
        .await;
    assert_failed(r, &format!("{who}: rename")).await;
    let r = ld.put("move", &[("docId", doc), ("folderId", "4")]).await;
    assert_failed(r, &format!("{who}: move")).await;
    let body = json!({ "id": doc.parse::<i64>().unwrap(), "fileName": "u.txt" });
    let r = ld.send_json(Method::PUT, "update", &[], &body).await;
    assert_failed(r, &format!("{who}: update")).await;
    let body = json!({ "id": doc });
    let r = ld.send_json(Method::PUT, "update", &[], &body).await;
    assert_failed(r, &format!("{who}: an update that changes nothing")).await;
    let r = ld
        .post_multipart(
            "replaceFile",
            &[("docId", doc), ("fileVersion", "1.0")],
            ("filedata", "x", b"x"),
        )
        .await;
    assert_failed(r, &format!("{who}: replaceFile")).await;
    let r = ld
        .put("promoteVersion", &[("docId", doc), ("version", "1.0")])
        .await;
    assert_failed(r, &format!("{who}: promoteVersion")).await;
    let r = ld
        .delete("deleteVersion", &[("docId", doc), ("version", "1.0")])
        .await;
    assert_failed(r, &format!("{who}: deleteVersion")).await;
    assert_failed(ld.delete("delete", &q).await, &format!("{who}: delete")).await;
    assert_failed(ld.put("lock", &q).await, &format!("{who}: lock")).await;
    assert_failed(checkout(ld, doc).await, &format!("{who}: checkout")).await;
}

/// The WorkDocs writes `c` may try on `doc`, each refused with the error its model names.
async fn workdocs_writes_fail(c: &ApiClient, doc: &str, version: &str) {
    let r = c
        .call(
            "InitiateDocumentVersionUpload",
            json!({ "Id": doc, "DocumentSizeInBytes": 1 }),
        )
        .await;
    assert_eq!(
        (r.status, r.err()),
        (409, "ResourceAlreadyCheckedOutException".into())
    );
    let r = c
        .call(
            "UpdateDocument",
            json!({ "DocumentId": doc, "Name": "wd.txt" }),
        )
        .await;
    assert_eq!(
        (r.status, r.err()),
        (409, "ConflictingOperationException".into())
    );
    let r = c.call("DeleteDocument", json!({ "DocumentId": doc })).await;
    assert_eq!(r.err(), "ConflictingOperationException");
    let input = json!({ "DocumentId": doc, "VersionId": version, "DeletePriorVersions": false });
    let r = c.call("DeleteDocumentVersion", input).await;
    assert_eq!(r.err(), "ConflictingOperationException");
    let r = c
        .call("RestoreDocumentVersions", json!({ "DocumentId": doc }))
        .await;
    assert_eq!(r.err(), "ConflictingOperationException");
    let r = c
        .call(
            "CreateLabels",
            json!({ "ResourceId": doc, "Labels": ["l"] }),
        )
        .await;
    assert_eq!(r.err(), "UnauthorizedOperationException");
    let r = c
        .call(
            "DeleteCustomMetadata",
            json!({ "ResourceId": doc, "DeleteAll": true }),
        )
        .await;
    assert_eq!(r.err(), "ProhibitedStateException");
}

#[tokio::test]
async fn a_checkout_holds_off_everyone_else() {
    let s = Server::start();
    let t = setup(&s).await;
    let alice_n = Ld::folders(&s, "alice", ALICE).user_number().await;
    assert_eq!(
        status(&t.alice.document(t.doc.parse().unwrap()).await),
        (0, None)
    );
    assert_no_content(checkout(&t.alice, &t.doc).await, "checkout").await;
    assert_no_content(checkout(&t.alice, &t.doc).await, "again: no change").await;
    let d = t.bob.document(t.doc.parse().unwrap()).await;
    assert_eq!(status(&d), (1, Some(alice_n)));

    writes_fail(&t.bob, &t.doc, "bob").await;
    workdocs_writes_fail(&t.wb, &t.doc_wd, &t.version_wd).await;
    // Reads are not held off.
    let r =
        t.wb.call("GetDocument", json!({ "DocumentId": t.doc_wd }))
            .await;
    assert!(r.is_ok());
    let got = t.bob.bytes("getContent", &[("docId", &t.doc)]).await;
    assert_eq!(got, b"one");

    // The holder's own writes go through, then checkin releases the document.
    let r = t
        .alice
        .post_multipart("upload", &[("docId", &t.doc)], ("filedata", "x", b"two"))
        .await;
    json_of(r, "the holder's upload").await;
    let r =
        t.wa.call(
            "UpdateDocument",
            json!({ "DocumentId": t.doc_wd, "Name": "mine.txt" }),
        )
        .await;
    assert!(r.is_ok(), "the holder through WorkDocs: {r:?}");
    assert_failed(
        t.alice.put("lock", &[("docId", &t.doc)]).await,
        "lock after checkout",
    )
    .await;
    let r = checkin(
        &t.alice,
        &t.doc,
        &[
            ("filename", "final.txt"),
            ("release", "true"),
            ("comment", "done"),
        ],
        b"three",
    )
    .await;
    assert_no_content(r, "checkin").await;
    let d = t.bob.document(t.doc.parse().unwrap()).await;
    assert_eq!(status(&d), (0, None));
    assert_eq!(
        (&d["version"], &d["fileName"]),
        (&json!("2.0"), &json!("final.txt"))
    );
    assert_eq!(
        t.bob.bytes("getContent", &[("docId", &t.doc)]).await,
        b"three"
    );
    assert_failed(
        checkin(&t.alice, &t.doc, &[("filename", "x")], b"x").await,
        "checkin when not checked out",
    )
    .await;

    // Unlocked again: bob writes.
    let r = t
        .bob
        .put("rename", &[("docId", &t.doc), ("name", "bobs.txt")])
        .await;
    assert_no_content(r, "bob renames").await;
    let r =
        t.wb.call(
            "UpdateDocument",
            json!({ "DocumentId": t.doc_wd, "Name": "wd.txt" }),
        )
        .await;
    assert!(r.is_ok());
}

#[tokio::test]
async fn locks_and_who_may_unlock() {
    let s = Server::start();
    let t = setup(&s).await;
    let bob_n = Ld::folders(&s, "bob", BOB).user_number().await;
    assert_no_content(t.bob.put("lock", &[("docId", &t.doc)]).await, "bob locks").await;
    let d = t.alice.document(t.doc.parse().unwrap()).await;
    assert_eq!(status(&d), (2, Some(bob_n)));
    writes_fail(&t.alice, &t.doc, "alice").await;
    workdocs_writes_fail(&t.wa, &t.doc_wd, &t.version_wd).await;
    let r = t.alice.put("unlock", &[("docId", &t.doc)]).await;
    assert_failed(r, "a COOWNER who does not hold the lock").await;
    assert_no_content(t.bob.put("unlock", &[("docId", &t.doc)]).await, "unlock").await;
    assert_eq!(
        status(&t.alice.document(t.doc.parse().unwrap()).await),
        (0, None)
    );
    assert_no_content(t.bob.put("unlock", &[("docId", &t.doc)]).await, "unlocked").await;

    // The document's owner (bob owns the folder it lies in) may break alice's checkout.
    assert_no_content(checkout(&t.alice, &t.doc).await, "alice checks out").await;
    assert_no_content(t.bob.put("unlock", &[("docId", &t.doc)]).await, "owner").await;
    let r = checkin(&t.alice, &t.doc, &[("filename", "doc.txt")], b"late").await;
    assert_failed(r, "checkin after the checkout was broken").await;
    let r = t
        .alice
        .put("rename", &[("docId", &t.doc), ("name", "free.txt")])
        .await;
    assert_no_content(r, "free again").await;
    let folder = t.alice.document(t.doc.parse().unwrap()).await["folderId"].to_string();
    let list = t.alice.list("list", &[("folderId", &folder)]).await;
    assert_eq!(file_names(&list), ["free.txt"]);

    // Bad calls.
    assert_failed(t.alice.put("lock", &[("docId", "999999")]).await, "unknown").await;
    assert_eq!(t.alice.put("lock", &[("docId", "x")]).await.status(), 404);
    assert_eq!(checkout(&t.alice, "x").await.status(), 400);
    let r = t
        .alice
        .post_multipart("checkin", &[("filename", "a")], ("filedata", "a", b"a"))
        .await;
    assert_failed(r, "checkin without docId").await;
}
