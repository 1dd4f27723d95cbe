//! The LogicalDOC document service (read side) and download servlet against a real
//! `docsfs serve`: documents are made through the WorkDocs API and read back through
//! `/services/rest/document/*` and `/download`. Covers listings (sorted, recycled and
//! never-activated documents hidden, wildcards, the `listPaginated` quirk), WSDocument fields,
//! version labels and records, content of the live and of older versions, the servlet's Range
//! support with sid header and cookie, permissions from roles, errors, and a 5 MiB file.

use reqwest::Client;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::ApiClient;
use super::fixtures::{me, mkdir, upload, upload_version};
use super::harness::{ALICE, BOB, Server};
use super::ld_client::{Ld, file_names, id, login, share};

/// The document `name` in folder `folder`, through LogicalDOC.
async fn doc_in(ld: &Ld, folder: i64, name: &str) -> Value {
    let list = ld.list("list", &[("folderId", &folder.to_string())]).await;
    let found = list.iter().find(|d| d["fileName"] == name);
    found
        .unwrap_or_else(|| panic!("no {name} in {folder}: {list:?}"))
        .clone()
}

async fn recycle_document(c: &ApiClient, doc: &str) {
    let input = json!({ "DocumentId": doc, "ResourceState": "RECYCLED" });
    c.call("UpdateDocument", input).await.ok();
}

/// `GET /download` with a `sid` header and an optional Range: (status, headers, body).
async fn download(s: &Server, sid: &str, query: &[(&str, &str)], range: Option<&str>) -> Fetched {
    let req = Client::new().get(format!("{}/download", s.base));
    let mut req = req.header("sid", sid).query(query);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.bytes().await.unwrap().to_vec())
}

type Fetched = (u16, HeaderMap, Vec<u8>);

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn lists_are_sorted_filtered_and_paged() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    for name in ["b.txt", "A.md", "c.TXT", "d", "e.txt"] {
        upload(&wa, &home, name, name.as_bytes()).await;
    }
    let (gone, _) = upload(&wa, &home, "gone.txt", b"x").await;
    recycle_document(&wa, &gone).await;
    let init = json!({ "ParentFolderId": home, "Name": "pending.txt", "DocumentSizeInBytes": 1 });
    wa.call("InitiateDocumentVersionUpload", init).await.ok();
    let sub = mkdir(&wa, &home, "sub").await;
    upload(&wa, &sub, "inner.txt", b"inner").await;
    let alice = Ld::documents(&s, "alice", ALICE);

    let all = alice.list("list", &[("folderId", "4")]).await;
    assert_eq!(
        file_names(&all),
        ["A.md", "b.txt", "c.TXT", "d", "e.txt"],
        "by name; recycled, never-activated and subfolder documents hidden"
    );
    assert!(all.iter().all(|d| d["folderId"] == 4));
    assert!(alice.list("list", &[("folderId", "5")]).await.is_empty());

    let matching = |pattern: &'static str| {
        let alice = &alice;
        async move {
            let q = [("folderId", "4"), ("fileName", pattern)];
            file_names(&alice.list("listDocuments", &q).await)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(matching("*.txt").await, ["b.txt", "c.TXT", "e.txt"]);
    assert_eq!(matching("?.MD").await, ["A.md"]);
    assert_eq!(matching("*").await.len(), 5);
    assert_eq!(matching("d").await, ["d"]);
    assert!(matching("*.pdf").await.is_empty());
    assert_eq!(alice.list("listDocuments", &[("folderId", "4")]).await, all);

    let paged = |page: &'static str, max: &'static str| {
        let alice = &alice;
        async move {
            let q = [("folderId", "4"), ("page", page), ("max", max)];
            alice.list("listPaginated", &q).await
        }
    };
    assert_eq!(paged("1", "5").await, all, "max ≥ total: the whole list");
    assert_eq!(paged("3", "9").await, all);
    assert_eq!(file_names(&paged("1", "2").await), ["A.md", "b.txt"]);
    assert_eq!(file_names(&paged("3", "2").await), ["e.txt"]);
    assert!(paged("4", "2").await.is_empty());
    let q = [
        ("folderId", "4"),
        ("fileName", "*.txt"),
        ("sort", "fileName desc"),
        ("page", "1"),
        ("max", "2"),
    ];
    assert_eq!(
        file_names(&alice.list("listPaginated", &q).await),
        ["e.txt", "c.TXT"]
    );
    let q = [("folderId", "4"), ("sort", "lower(fileName) desc,date asc")];
    assert_eq!(
        file_names(&alice.list("listPaginated", &q).await),
        ["e.txt", "d", "c.TXT", "b.txt", "A.md"]
    );
    let q = [("folderId", "4"), ("sort", "fileName")];
    alice.assert_fails("listPaginated", &q).await;
    let q = [("folderId", "4"), ("max", "x")];
    assert_eq!(alice.status("listPaginated", &q).await, 404);

    let (b, e) = (id(&all[1]).to_string(), id(&all[4]).to_string());
    let q = [("docIds", e.as_str()), ("docIds", "999999"), ("docIds", &b)];
    assert_eq!(
        file_names(&alice.list("getDocuments", &q).await),
        ["e.txt", "b.txt"],
        "in the order asked; unknown ids left out"
    );
    assert_eq!(alice.status("getDocuments", &[("docIds", "x")]).await, 404);
    alice.assert_fails("list", &[("folderId", "999999")]).await;
    assert_eq!(alice.status("list", &[("folderId", "four")]).await, 404);
}

#[tokio::test]
async fn documents_carry_fields_versions_and_content() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let (doc, _) = upload(&wa, &home, "Report.PDF", b"first version").await;
    let sub = mkdir(&wa, &home, "sub").await;
    upload(&wa, &sub, "README", b"no extension").await;
    let alice = Ld::documents(&s, "alice", ALICE);

    let d = doc_in(&alice, 4, "Report.PDF").await;
    assert!(id(&d) >= 100, "{d}");
    assert_eq!(alice.document(id(&d)).await, d);
    assert_eq!(d["type"], "pdf");
    assert_eq!(d["folderId"], 4);
    assert_eq!(d["fileSize"], 13);
    assert_eq!(
        (&d["version"], &d["fileVersion"]),
        (&json!("1.0"), &json!("1.0"))
    );
    assert_eq!(
        (&d["creator"], &d["publisher"]),
        (&json!("alice"), &json!("alice"))
    );
    assert!(d["creatorId"].as_i64().unwrap() >= 10);
    assert_eq!(d["creatorId"], d["publisherId"]);
    let fixed = [
        ("status", 0),
        ("immutable", 0),
        ("published", 1),
        ("indexed", 0),
    ];
    for (k, v) in fixed {
        assert_eq!(d[k], v, "{k}");
    }
    assert_eq!(
        (&d["language"], &d["tags"], &d["attributes"]),
        (&json!("en"), &json!([]), &json!([]))
    );
    for k in ["creation", "lastModified", "date"] {
        let v = d[k].as_str().unwrap();
        assert!(v.len() == 25 && v.ends_with(" +0000"), "{k}: {v}");
    }
    let sha1 = hex::encode(sha1::Sha1::digest(b"first version"));
    assert_eq!(d["digest"], sha1, "the SHA-1 of the content");

    let folders = format!("{}/services/rest/folder/findByPath", s.base);
    let req = Client::new().get(folders).basic_auth("alice", Some(ALICE));
    let sub_folder: Value = req
        .query(&[("path", "/Default/sub")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let readme = doc_in(&alice, id(&sub_folder), "README").await;
    assert_eq!(
        (&readme["type"], &readme["folderId"]),
        (&json!(""), &sub_folder["id"])
    );

    upload_version(&wa, &doc, b"the second version").await;
    let docid = id(&d).to_string();
    let d2 = alice.document(id(&d)).await;
    assert_eq!(
        (&d2["version"], &d2["fileVersion"]),
        (&json!("1.1"), &json!("1.1"))
    );
    assert_eq!(d2["fileSize"], 18);
    assert_eq!(d2["id"], d["id"]);
    let q = [("docId", docid.as_str())];
    assert_eq!(alice.bytes("getContent", &q).await, b"the second version");
    let q = [("docId", docid.as_str()), ("version", "1.0")];
    assert_eq!(alice.bytes("getVersionContent", &q).await, b"first version");
    let q = [("docId", docid.as_str()), ("version", "1.1")];
    assert_eq!(
        alice.bytes("getVersionContent", &q).await,
        b"the second version"
    );
    let q = [("docId", docid.as_str()), ("version", "2.0")];
    alice.assert_fails("getVersionContent", &q).await;

    let versions = alice.list("getVersions", &[("docId", &docid)]).await;
    let labels: Vec<&Value> = versions.iter().map(|v| &v["version"]).collect();
    assert_eq!(labels, [&json!("1.1"), &json!("1.0")], "newest first");
    assert_eq!(
        (&versions[0]["fileSize"], &versions[1]["fileSize"]),
        (&json!(18), &json!(13))
    );
    let (v1, v0) = (id(&versions[0]), id(&versions[1]));
    assert_ne!(v1, v0);
    assert!(
        v1 >= 100 && v0 >= 100,
        "version records have numbers of their own"
    );
    assert!(versions.iter().all(|v| v["fileName"] == "Report.PDF"));
    let again = alice.list("getVersions", &[("docId", &docid)]).await;
    assert_eq!(
        (id(&again[0]), id(&again[1])),
        (v1, v0),
        "version numbers stay"
    );
    alice
        .assert_fails("getVersions", &[("docId", "999999")])
        .await;
    alice
        .assert_fails("getContent", &[("docId", "999999")])
        .await;
}

#[tokio::test]
async fn the_download_servlet_serves_ranges() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let body: Vec<u8> = (0..100u8).collect();
    let (doc, _) = upload(&wa, &home, "bytes naïve.bin", b"old").await;
    upload_version(&wa, &doc, &body).await;
    let alice = Ld::documents(&s, "alice", ALICE);
    let d = doc_in(&alice, 4, "bytes naïve.bin").await;
    let docid = id(&d).to_string();
    let sid = login(&s, "alice", ALICE).await;
    let q = [("docId", docid.as_str())];

    let (status, h, whole) = download(&s, &sid, &q, None).await;
    assert_eq!(status, 200);
    assert_eq!(whole, body);
    assert_eq!(header(&h, "accept-ranges"), "bytes");
    assert_eq!(header(&h, "content-length"), "100");
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(&body)));
    assert_eq!(header(&h, "etag"), etag);
    let cd = header(&h, "content-disposition");
    assert!(
        cd.starts_with("attachment; filename=\"bytes na_ve.bin\""),
        "{cd}"
    );
    assert!(
        cd.contains("filename*=UTF-8''bytes%20na%C3%AFve%2Ebin"),
        "{cd}"
    );

    let ranged = |range: &'static str| {
        let (s, sid, q) = (&s, &sid, &q);
        async move { download(s, sid, q, Some(range)).await }
    };
    let (status, h, part) = ranged("bytes=10-19").await;
    assert_eq!(status, 206);
    assert_eq!(part, &body[10..20]);
    assert_eq!(header(&h, "content-range"), "bytes 10-19/100");
    assert_eq!(header(&h, "content-length"), "10");
    let (status, h, part) = ranged("bytes=-5").await;
    assert_eq!((status, part.as_slice()), (206, &body[95..]));
    assert_eq!(header(&h, "content-range"), "bytes 95-99/100");
    let (status, h, part) = ranged("bytes=90-").await;
    assert_eq!((status, part.as_slice()), (206, &body[90..]));
    assert_eq!(header(&h, "content-range"), "bytes 90-99/100");
    let (status, h, _) = ranged("bytes=100-").await;
    assert_eq!(status, 416);
    assert_eq!(header(&h, "content-range"), "bytes */100");

    let old = [("docId", docid.as_str()), ("fileVersion", "1.0")];
    let (status, _, bytes) = download(&s, &sid, &old, None).await;
    assert_eq!((status, bytes.as_slice()), (200, b"old".as_slice()));
    let missing = [("docId", docid.as_str()), ("fileVersion", "7.0")];
    assert_eq!(download(&s, &sid, &missing, None).await.0, 500);
    assert_eq!(download(&s, &sid, &[("docId", "x")], None).await.0, 500);

    let url = format!("{}/download", s.base);
    let by_cookie = Client::new()
        .get(&url)
        .header("Cookie", format!("ldoc-sid={sid}"));
    let r = by_cookie.query(&q).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), body);
    let r = alice
        .get("/download")
        .query(&q)
        .header("Range", "bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206, "Basic works too");
    let r = Client::new().get(&url).query(&q).send().await.unwrap();
    assert_eq!(r.status(), 401, "no credential");
    let r = Client::new()
        .get(&url)
        .header("sid", "nope")
        .query(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn access_follows_roles_and_errors_follow_logicaldoc() {
    let s = Server::start();
    let (wa, wb) = (s.alice(), s.bob());
    let (alice_me, bob_me) = (me(&wa).await, me(&wb).await);
    upload(&wb, &bob_me.root, "private.txt", b"bob only").await;
    let proj = mkdir(&wb, &bob_me.root, "proj").await;
    upload(&wb, &proj, "shared.txt", b"for alice").await;
    share(&wb, &proj, &alice_me.id, "VIEWER").await;
    let (alice, bob) = (
        Ld::documents(&s, "alice", ALICE),
        Ld::documents(&s, "bob", BOB),
    );

    let private = id(&doc_in(&bob, 4, "private.txt").await);
    let r = alice
        .call("getDocument", &[("docId", &private.to_string())])
        .await;
    assert_eq!(r.status(), 401, "someone else's document");
    let q = [("docId", private.to_string())];
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    alice.assert_fails("getContent", &q).await;
    alice.assert_fails("getVersions", &q).await;
    assert!(!alice.doc_boolean("isRead", private, &[]).await);
    assert!(bob.doc_boolean("isWrite", private, &[]).await);

    let workspaces = format!("{}/services/rest/folder/listWorkspaces", s.base);
    let req = Client::new()
        .get(workspaces)
        .basic_auth("alice", Some(ALICE));
    let ws: Vec<Value> = req.send().await.unwrap().json().await.unwrap();
    let proj_ws = ws.iter().find(|w| w["name"] == "proj").unwrap();
    let shared = doc_in(&alice, id(proj_ws), "shared.txt").await;
    assert_eq!(shared["folderId"], proj_ws["id"]);
    assert_eq!(shared["creator"], "bob");
    let sid = id(&shared);
    assert_eq!(alice.document(sid).await, shared);
    assert!(alice.doc_boolean("isRead", sid, &[]).await);
    assert!(alice.doc_boolean("isDownload", sid, &[]).await);
    assert!(!alice.doc_boolean("isWrite", sid, &[]).await);
    assert!(
        !alice
            .doc_boolean("isGranted", sid, &[("permission", "DELETE")])
            .await
    );
    assert!(
        alice
            .doc_boolean("isGranted", sid, &[("permission", "PREVIEW")])
            .await
    );
    assert!(
        !alice
            .doc_boolean("isGranted", sid, &[("permission", "read")])
            .await
    );
    assert!(!alice.doc_boolean("isGranted", sid, &[]).await);
    assert!(
        bob.doc_boolean("isGranted", sid, &[("permission", "SECURITY")])
            .await
    );
    let q = [("docId", sid.to_string())];
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(alice.bytes("getContent", &q).await, b"for alice");

    assert_eq!(alice.status("getDocument", &[("docId", "abc")]).await, 404);
    assert_eq!(alice.status("getContent", &[("docId", "1.5")]).await, 404);
    assert_eq!(alice.status("isRead", &[("docId", "x")]).await, 404);
    assert_eq!(alice.status("getDocument", &[]).await, 401, "docId 0");
    assert_eq!(
        alice.status("getDocument", &[("docId", "4")]).await,
        401,
        "a folder"
    );
    assert!(!alice.doc_boolean("isRead", 999_999, &[]).await);
    let r = Client::new()
        .get(format!("{}/services/rest/document/list?folderId=4", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"Security Realm\""
    );
    let r = alice
        .http
        .post(format!("{}/services/rest/document/getDocument", s.base));
    let r = r.basic_auth("alice", Some(ALICE)).send().await.unwrap();
    assert_eq!(r.status(), 405);

    // Recycling hides the document everywhere.
    let (gone, _) = upload(&wa, &alice_me.root, "soon gone.txt", b"x").await;
    let gone_ld = id(&doc_in(&alice, 4, "soon gone.txt").await);
    recycle_document(&wa, &gone).await;
    let r = alice
        .call("getDocument", &[("docId", &gone_ld.to_string())])
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_large_document_streams_intact() {
    let s = Server::start();
    let wa = s.alice();
    let home = me(&wa).await.root;
    let mut data = vec![0u8; 5 << 20];
    let mut x: u32 = 0x1234_5678;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    upload(&wa, &home, "big.bin", &data).await;
    let alice = Ld::documents(&s, "alice", ALICE);
    let d = doc_in(&alice, 4, "big.bin").await;
    assert_eq!(d["fileSize"], 5 << 20);
    let docid = id(&d).to_string();
    let q = [("docId", docid.as_str())];
    let got = alice.bytes("getContent", &q).await;
    assert_eq!(Sha256::digest(&got), Sha256::digest(&data));
    let sid = login(&s, "alice", ALICE).await;
    let (status, h, got) = download(&s, &sid, &q, None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-length"), (5u32 << 20).to_string());
    assert_eq!(Sha256::digest(&got), Sha256::digest(&data));
    let (status, _, tail) = download(&s, &sid, &q, Some("bytes=5000000-")).await;
    assert_eq!(status, 206);
    assert_eq!(tail, &data[5_000_000..]);
}
