//! One user's credentials open nothing of another's. Bob, who has no share on anything of
//! alice's, presents his own valid credentials with alice's ids:
//! - WorkDocs: every route of `ROUTES` that takes a resource id (in its path or its body), with
//!   alice's folders, documents, versions, recycle bin and user id, and bob's own items moved or
//!   restored into alice's folders. Each is `UnauthorizedResourceAccessException`; afterwards
//!   alice's side is exactly as it was.
//! - LogicalDOC: bob's session (a `sid` from his own login) on alice's folder and document
//!   numbers, on every folder and document method and the `/download` servlet. Each fails, no
//!   answer carries alice's names or content, and alice's side is unchanged.
//!
//! (`identity.rs` and `sharing.rs` cover bad and missing credentials and the roles of shares;
//! `logicaldoc_folders.rs` and `logicaldoc_documents.rs` the folder reads and a few document
//! reads with Basic credentials.)

use std::collections::BTreeSet;

use reqwest::{Client, Method};
use serde_json::{Value, json};

use super::client::ApiClient;
use super::fixtures::{me, mkdir, upload, upload_version};
use super::harness::{BOB, Server};
use super::ld_client::{Ld, id, login, multipart};
use docsfs::server::workdocs::{ROUTES, operation_of};

const URAE: &str = "UnauthorizedResourceAccessException";

/// Alice's side: a folder `team` with a subfolder `inner` and a document `plan.txt` (two
/// versions, a third initiated and never uploaded, a label, custom metadata, shared with carol),
/// and a recycled `old.txt`.
struct Alice {
    id: String,
    root: String,
    bin: String,
    team: String,
    inner: String,
    doc: String,
    v1: String,
    v2: String,
    pending: String,
    old: String,
    carol: String,
}

async fn alice_side(s: &Server) -> Alice {
    let a = s.alice();
    let m = me(&a).await;
    let team = mkdir(&a, &m.root, "team").await;
    let inner = mkdir(&a, &team, "inner").await;
    let (doc, v1) = upload(&a, &team, "plan.txt", b"alice's plan v1").await;
    let v2 = upload_version(&a, &doc, b"alice's plan v2").await;
    let init = a
        .call("InitiateDocumentVersionUpload", json!({ "Id": doc }))
        .await
        .ok();
    let pending = init["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (old, _) = upload(&a, &team, "old.txt", b"alice's old").await;
    let recycle = json!({ "DocumentId": old, "ResourceState": "RECYCLED" });
    a.call("UpdateDocument", recycle).await.ok();
    let labels = json!({ "ResourceId": doc, "Labels": ["keep"] });
    a.call("CreateLabels", labels).await.ok();
    let meta = json!({ "ResourceId": doc, "CustomMetadata": { "k": "v" } });
    a.call("CreateCustomMetadata", meta).await.ok();
    let carol = me(&s.carol()).await.id;
    let share = json!({ "ResourceId": team, "Principals": [{ "Id": carol, "Type": "USER", "Role": "VIEWER" }] });
    a.call("AddResourcePermissions", share).await.ok();
    Alice {
        id: m.id,
        root: m.root,
        bin: m.bin,
        team,
        inner,
        doc,
        v1,
        v2,
        pending,
        old,
        carol,
    }
}

/// Everything of alice's side the cases could change, as alice sees it.
async fn snapshot(a: &ApiClient, x: &Alice) -> Value {
    let mut out = serde_json::Map::new();
    let mut put = |k: String, v: Value| {
        out.insert(k, v);
    };
    for folder in [&x.root, &x.bin, &x.team, &x.inner] {
        let input = json!({ "FolderId": folder, "Include": "INITIALIZED", "Limit": 999 });
        let contents = a.call("DescribeFolderContents", input).await.ok();
        put(format!("contents {folder}"), contents);
        let input = json!({ "FolderId": folder, "IncludeCustomMetadata": true });
        put(
            format!("folder {folder}"),
            a.call("GetFolder", input).await.ok(),
        );
    }
    for doc in [&x.doc, &x.old] {
        let input = json!({ "DocumentId": doc, "IncludeCustomMetadata": true });
        put(
            format!("document {doc}"),
            a.call("GetDocument", input).await.ok(),
        );
        let input = json!({ "DocumentId": doc, "Include": "INITIALIZED" });
        let versions = a.call("DescribeDocumentVersions", input).await.ok();
        put(format!("versions {doc}"), versions);
    }
    for resource in [&x.team, &x.doc] {
        let input = json!({ "ResourceId": resource });
        let p = a.call("DescribeResourcePermissions", input).await.ok();
        put(format!("permissions {resource}"), p);
    }
    Value::Object(out)
}

#[tokio::test]
async fn bobs_token_opens_nothing_of_alices_through_any_workdocs_route() {
    let s = Server::start();
    let x = alice_side(&s).await;
    let b = s.bob();
    let bob = me(&b).await;
    let bobs = mkdir(&b, &bob.root, "bobs").await;
    let (mine, _) = upload(&b, &bob.root, "mine.txt", b"bob's").await;
    let (binned, _) = upload(&b, &bob.root, "binned.txt", b"bob's old").await;
    let recycle = json!({ "DocumentId": binned, "ResourceState": "RECYCLED" });
    b.call("UpdateDocument", recycle).await.ok();
    let before = snapshot(&s.alice(), &x).await;

    let (team, inner, doc, old) = (&x.team, &x.inner, &x.doc, &x.old);
    let cases: Vec<(&str, Value)> = vec![
        (
            "CreateFolder",
            json!({ "ParentFolderId": team, "Name": "x" }),
        ),
        (
            "CreateFolder",
            json!({ "ParentFolderId": x.root, "Name": "x" }),
        ),
        (
            "CreateFolder",
            json!({ "ParentFolderId": x.bin, "Name": "x" }),
        ),
        ("GetFolder", json!({ "FolderId": team })),
        ("GetFolder", json!({ "FolderId": x.root })),
        ("GetFolder", json!({ "FolderId": x.bin })),
        ("UpdateFolder", json!({ "FolderId": team, "Name": "taken" })),
        (
            "UpdateFolder",
            json!({ "FolderId": inner, "ParentFolderId": bobs }),
        ),
        (
            "UpdateFolder",
            json!({ "FolderId": inner, "ResourceState": "RECYCLED" }),
        ),
        (
            "UpdateFolder",
            json!({ "FolderId": bobs, "ParentFolderId": team }),
        ),
        ("DeleteFolder", json!({ "FolderId": inner })),
        ("GetFolderPath", json!({ "FolderId": inner })),
        ("DescribeFolderContents", json!({ "FolderId": team })),
        ("DescribeFolderContents", json!({ "FolderId": x.root })),
        ("DescribeFolderContents", json!({ "FolderId": x.bin })),
        ("DeleteFolderContents", json!({ "FolderId": team })),
        ("DeleteFolderContents", json!({ "FolderId": x.bin })),
        (
            "InitiateDocumentVersionUpload",
            json!({ "ParentFolderId": team, "Name": "x", "DocumentSizeInBytes": 1 }),
        ),
        ("InitiateDocumentVersionUpload", json!({ "Id": doc })),
        ("GetDocument", json!({ "DocumentId": doc })),
        ("GetDocument", json!({ "DocumentId": old })),
        (
            "UpdateDocument",
            json!({ "DocumentId": doc, "Name": "taken.txt" }),
        ),
        (
            "UpdateDocument",
            json!({ "DocumentId": doc, "ParentFolderId": bobs }),
        ),
        (
            "UpdateDocument",
            json!({ "DocumentId": doc, "ResourceState": "RECYCLED" }),
        ),
        (
            "UpdateDocument",
            json!({ "DocumentId": old, "ResourceState": "ACTIVE" }),
        ),
        (
            "UpdateDocument",
            json!({ "DocumentId": old, "ResourceState": "ACTIVE", "ParentFolderId": bobs }),
        ),
        (
            "UpdateDocument",
            json!({ "DocumentId": mine, "ParentFolderId": team }),
        ),
        (
            "UpdateDocument",
            json!({ "DocumentId": binned, "ResourceState": "ACTIVE", "ParentFolderId": team }),
        ),
        ("DeleteDocument", json!({ "DocumentId": doc })),
        ("DeleteDocument", json!({ "DocumentId": old })),
        ("GetDocumentPath", json!({ "DocumentId": doc })),
        ("DescribeDocumentVersions", json!({ "DocumentId": doc })),
        (
            "GetDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": x.v2, "Fields": "SOURCE" }),
        ),
        (
            "GetDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": x.pending }),
        ),
        (
            "UpdateDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": x.pending, "VersionStatus": "ACTIVE" }),
        ),
        (
            "AbortDocumentVersionUpload",
            json!({ "DocumentId": doc, "VersionId": x.pending }),
        ),
        (
            "DeleteDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": x.v1, "DeletePriorVersions": false }),
        ),
        (
            "DeleteDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": x.v2, "DeletePriorVersions": true }),
        ),
        ("RestoreDocumentVersions", json!({ "DocumentId": doc })),
        ("GetResources", json!({ "UserId": x.id })),
        (
            "GetResources",
            json!({ "UserId": x.id, "CollectionType": "SHARED_WITH_ME" }),
        ),
        (
            "AddResourcePermissions",
            json!({ "ResourceId": team, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "COOWNER" }] }),
        ),
        (
            "AddResourcePermissions",
            json!({ "ResourceId": doc, "Principals": [{ "Id": bob.id, "Type": "USER", "Role": "VIEWER" }] }),
        ),
        ("DescribeResourcePermissions", json!({ "ResourceId": team })),
        ("DescribeResourcePermissions", json!({ "ResourceId": doc })),
        (
            "RemoveAllResourcePermissions",
            json!({ "ResourceId": team }),
        ),
        (
            "RemoveResourcePermission",
            json!({ "ResourceId": team, "PrincipalId": x.carol }),
        ),
        (
            "CreateLabels",
            json!({ "ResourceId": doc, "Labels": ["bob"] }),
        ),
        (
            "CreateLabels",
            json!({ "ResourceId": team, "Labels": ["bob"] }),
        ),
        (
            "DeleteLabels",
            json!({ "ResourceId": doc, "DeleteAll": true }),
        ),
        (
            "CreateCustomMetadata",
            json!({ "ResourceId": doc, "CustomMetadata": { "k": "bob" } }),
        ),
        (
            "DeleteCustomMetadata",
            json!({ "ResourceId": doc, "DeleteAll": true }),
        ),
    ];
    let mut refused = Vec::new();
    for (op, input) in &cases {
        let reply = b.call(op, input.clone()).await;
        let (status, body) = (reply.status, reply.body.to_string());
        if reply.is_ok() {
            panic!("{op} {input}: bob was let through ({status}): {body}");
        }
        let error = reply.err();
        // Asking for another user's shares is an operation no user may make; everything else
        // names a resource bob has no role on.
        let want = match *op {
            "GetResources" => "UnauthorizedOperationException",
            _ => URAE,
        };
        assert_eq!(error, want, "{op} {input}: {status} {body}");
        for secret in [
            "alice's", "plan.txt", "old.txt", "\"team\"", "inner", "keep",
        ] {
            assert!(
                !body.contains(secret),
                "{op} {input}: the refusal shows {secret}"
            );
        }
        refused.push(*op);
    }

    // Activities: bob sees none of alice's, whichever way he asks. Filtering by her items is
    // refused outright; filtering by her user id finds nothing.
    for input in [
        json!({ "ResourceId": team, "IncludeIndirectActivities": true }),
        json!({ "ResourceId": doc }),
    ] {
        let e = b.call("DescribeActivities", input.clone()).await.err();
        assert_eq!(e, URAE, "{input}");
    }
    for input in [json!({ "UserId": x.id }), json!({})] {
        let seen = b.call("DescribeActivities", input.clone()).await.ok();
        let list = seen["UserActivities"].as_array().unwrap();
        let foreign: Vec<_> = list
            .iter()
            .filter(|a| a["Initiator"]["Id"] != bob.id.as_str())
            .collect();
        assert!(foreign.is_empty(), "{input}: bob sees {foreign:?}");
        assert!(!seen.to_string().contains("alice's"), "{input}");
    }
    refused.push("DescribeActivities");

    // Every route that takes an id was tried; the rest take none (or, DescribeUsers, are open
    // to every user by design).
    let tried: BTreeSet<&str> = refused.into_iter().collect();
    let without_ids = ["GetCurrentUser", "DescribeRootFolders", "DescribeUsers"];
    for (method, route) in ROUTES {
        let op = operation_of(method, route).unwrap();
        assert!(
            tried.contains(op) || without_ids.contains(&op),
            "{method} {route} ({op}) is not in the cross-user matrix"
        );
    }

    // Nothing of alice's changed, and bob's own items are where they were.
    assert_eq!(snapshot(&s.alice(), &x).await, before);
    let mine_now = b
        .call("GetDocument", json!({ "DocumentId": mine }))
        .await
        .ok();
    assert_eq!(mine_now["Metadata"]["ParentFolderId"], bob.root.as_str());
    let binned_now = b
        .call("GetDocument", json!({ "DocumentId": binned }))
        .await
        .ok();
    assert_eq!(binned_now["Metadata"]["ResourceState"], "RECYCLED");
    let bobs_now = b.call("GetFolder", json!({ "FolderId": bobs })).await.ok();
    assert_eq!(bobs_now["Metadata"]["ParentFolderId"], bob.root.as_str());
}

/// A LogicalDOC call with bob's `sid` header.
struct BobSession {
    http: Client,
    base: String,
    sid: String,
}

impl BobSession {
    async fn send(
        &self,
        verb: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> (u16, String) {
        let url = match path {
            "/download" => format!("{}/download", self.base),
            p => format!("{}/services/rest/{p}", self.base),
        };
        let req = self.http.request(verb, url).header("sid", &self.sid);
        let req = req.query(query);
        let req = match body {
            Body::None => req,
            Body::Form(form) => req.form(&form),
            Body::Json(v) => req.json(&v),
            Body::Multipart(ct, bytes) => req.header("content-type", ct).body(bytes),
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (
            status,
            String::from_utf8_lossy(&r.bytes().await.unwrap()).into_owned(),
        )
    }
}

type Query = Vec<(&'static str, String)>;

enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(Value),
    Multipart(String, Vec<u8>),
}

/// What LogicalDOC shows alice of her side (folders, documents, versions, ACLs, contents).
async fn ld_snapshot(s: &Server, folders: &[i64], docs: &[i64]) -> Value {
    let (f, d) = (
        Ld::folders(s, "alice", super::harness::ALICE),
        Ld::documents(s, "alice", super::harness::ALICE),
    );
    let mut out = serde_json::Map::new();
    for id in folders {
        let q = id.to_string();
        out.insert(format!("folder {id}"), f.folder(*id).await);
        out.insert(format!("children {id}"), json!(f.children(*id).await));
        let acl = f.list("getAccessControlList", &[("folderId", &q)]).await;
        out.insert(format!("acl {id}"), json!(acl));
        let docs = d.list("list", &[("folderId", &q)]).await;
        out.insert(format!("documents {id}"), json!(docs));
    }
    for id in docs {
        let q = id.to_string();
        let versions = d.list("getVersions", &[("docId", &q)]).await;
        out.insert(format!("versions {id}"), json!(versions));
        let content = d.bytes("getContent", &[("docId", &q)]).await;
        out.insert(
            format!("content {id}"),
            json!(String::from_utf8_lossy(&content)),
        );
    }
    Value::Object(out)
}

#[tokio::test]
async fn bobs_session_opens_nothing_of_alices_through_logicaldoc() {
    let s = Server::start();
    let x = alice_side(&s).await;
    // What is only alice's through LogicalDOC: her `team` folder, `inner` in it, `plan.txt`
    // (versions 1.0 and 1.1) and the recycled `old.txt`, by number.
    let alice_folders = Ld::folders(&s, "alice", super::harness::ALICE);
    let alice_docs = Ld::documents(&s, "alice", super::harness::ALICE);
    let team = id(&alice_folders.by_path("/Default/team").await);
    let inner = id(&alice_folders.by_path("/Default/team/inner").await);
    let listed = alice_docs
        .list("list", &[("folderId", &team.to_string())])
        .await;
    let doc = id(listed.iter().find(|d| d["fileName"] == "plan.txt").unwrap());
    // A number is given the first time a LogicalDOC answer shows an item: `old.txt`, recycled
    // before any did, gets one while alice restores it for a moment.
    let restore = json!({ "DocumentId": x.old, "ResourceState": "ACTIVE" });
    s.alice().call("UpdateDocument", restore).await.ok();
    let listed = alice_docs
        .list("list", &[("folderId", &team.to_string())])
        .await;
    let old = id(listed.iter().find(|d| d["fileName"] == "old.txt").unwrap());
    let recycle = json!({ "DocumentId": x.old, "ResourceState": "RECYCLED" });
    s.alice().call("UpdateDocument", recycle).await.ok();

    // Bob's own side: a folder and a document in his Default, and a recycled document.
    let bob_docs = Ld::documents(&s, "bob", BOB);
    let bob_folders = Ld::folders(&s, "bob", BOB);
    let b = s.bob();
    let bob_me = me(&b).await;
    mkdir(&b, &bob_me.root, "bobs").await;
    let bobs = id(&bob_folders.by_path("/Default/bobs").await);
    let bob_number = bob_folders.user_number().await;
    let mine = bob_docs
        .upload(&[("folderId", "4"), ("filename", "mine.txt")], b"bob's")
        .await;
    let binned = bob_docs
        .upload(
            &[("folderId", "4"), ("filename", "binned.txt")],
            b"bob's old",
        )
        .await;
    let r = bob_docs
        .delete("delete", &[("docId", &binned.to_string())])
        .await;
    assert_eq!(r.status(), 204);

    let before = ld_snapshot(&s, &[team, inner], &[doc]).await;
    let bob = BobSession {
        http: Client::new(),
        base: s.base.clone(),
        sid: login(&s, "bob", BOB).await,
    };
    let (t, i, d, o) = (
        team.to_string(),
        inner.to_string(),
        doc.to_string(),
        old.to_string(),
    );
    let (bobs_s, mine_s, binned_s) = (bobs.to_string(), mine.to_string(), binned.to_string());
    let q = |pairs: &[(&'static str, &str)]| -> Query {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    };
    let upload = |parts: &[(&str, &str)]| {
        let (ct, bytes) = multipart(parts, ("filedata", "x.txt", b"bob was here"));
        Body::Multipart(ct, bytes)
    };
    let create = {
        let doc_json = json!({ "folderId": team, "fileName": "x.txt" }).to_string();
        let (ct, bytes) = multipart(&[("document", &doc_json)], ("content", "x.txt", b"bob"));
        Body::Multipart(ct, bytes)
    };
    let checkin = upload(&[("docId", &d), ("filename", "x.txt")]);
    let replace = upload(&[("docId", &d), ("fileVersion", "1.0")]);
    let (get, post, put, del) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
    let cases: Vec<(Method, &str, Query, Body)> = vec![
        // Folder service, read side.
        (
            get.clone(),
            "folder/getFolder",
            q(&[("folderId", &t)]),
            Body::None,
        ),
        (
            get.clone(),
            "folder/listChildren",
            q(&[("folderId", &t)]),
            Body::None,
        ),
        (
            get.clone(),
            "folder/list",
            q(&[("folderId", &t)]),
            Body::None,
        ),
        (
            get.clone(),
            "folder/getPath",
            q(&[("folderId", &i)]),
            Body::None,
        ),
        (
            get.clone(),
            "folder/getAccessControlList",
            q(&[("folderId", &t)]),
            Body::None,
        ),
        // Folder service, write side.
        (
            post.clone(),
            "folder/createFolder",
            vec![],
            Body::Form(vec![("parentId", t.clone()), ("name", "x".into())]),
        ),
        (
            post.clone(),
            "folder/create",
            vec![],
            Body::Json(json!({ "parentId": team, "name": "x" })),
        ),
        (
            post.clone(),
            "folder/createPath",
            vec![],
            Body::Form(vec![("parentId", t.clone()), ("path", "x/y".into())]),
        ),
        (
            put.clone(),
            "folder/rename",
            q(&[("folderId", &i), ("name", "x")]),
            Body::None,
        ),
        (
            put.clone(),
            "folder/move",
            q(&[("folderId", &i), ("parentId", &bobs_s)]),
            Body::None,
        ),
        (
            put.clone(),
            "folder/move",
            q(&[("folderId", &bobs_s), ("parentId", &t)]),
            Body::None,
        ),
        (
            post.clone(),
            "folder/update",
            vec![],
            Body::Json(json!({ "id": inner, "name": "x" })),
        ),
        (
            del.clone(),
            "folder/delete",
            q(&[("folderId", &i)]),
            Body::None,
        ),
        (
            post.clone(),
            "folder/copy",
            vec![],
            Body::Form(vec![("folderId", t.clone()), ("targetId", bobs_s.clone())]),
        ),
        (
            post.clone(),
            "folder/copy",
            vec![],
            Body::Form(vec![("folderId", bobs_s.clone()), ("targetId", t.clone())]),
        ),
        (
            post.clone(),
            "folder/createAlias",
            vec![],
            Body::Form(vec![("parentId", bobs_s.clone()), ("foldRef", t.clone())]),
        ),
        (
            post.clone(),
            "folder/createAlias",
            vec![],
            Body::Form(vec![("parentId", t.clone()), ("foldRef", bobs_s.clone())]),
        ),
        (
            put.clone(),
            "folder/setAccessControlList",
            q(&[("folderId", &t)]),
            Body::Json(json!([{ "userId": bob_number, "read": 1, "write": 1, "security": 1 }])),
        ),
        // Document service, read side, and the servlet.
        (
            get.clone(),
            "document/list",
            q(&[("folderId", &t)]),
            Body::None,
        ),
        (
            get.clone(),
            "document/listDocuments",
            q(&[("folderId", &t)]),
            Body::None,
        ),
        (
            get.clone(),
            "document/listPaginated",
            q(&[("folderId", &t)]),
            Body::None,
        ),
        (
            get.clone(),
            "document/getDocument",
            q(&[("docId", &d)]),
            Body::None,
        ),
        (
            get.clone(),
            "document/getDocument",
            q(&[("docId", &o)]),
            Body::None,
        ),
        (
            get.clone(),
            "document/getVersions",
            q(&[("docId", &d)]),
            Body::None,
        ),
        (
            get.clone(),
            "document/getContent",
            q(&[("docId", &d)]),
            Body::None,
        ),
        (
            get.clone(),
            "document/getVersionContent",
            q(&[("docId", &d), ("version", "1.0")]),
            Body::None,
        ),
        (get.clone(), "/download", q(&[("docId", &d)]), Body::None),
        (
            get.clone(),
            "/download",
            q(&[("docId", &d), ("fileVersion", "1.0")]),
            Body::None,
        ),
        // Document service, write side.
        (
            post.clone(),
            "document/upload",
            vec![],
            upload(&[("docId", &d), ("filename", "x.txt")]),
        ),
        (
            post.clone(),
            "document/upload",
            vec![],
            upload(&[("folderId", &t), ("filename", "x.txt")]),
        ),
        (post.clone(), "document/create", vec![], create),
        (
            put.clone(),
            "document/rename",
            q(&[("docId", &d), ("name", "x.txt")]),
            Body::None,
        ),
        (
            put.clone(),
            "document/move",
            q(&[("docId", &d), ("folderId", &bobs_s)]),
            Body::None,
        ),
        (
            put.clone(),
            "document/move",
            q(&[("docId", &mine_s), ("folderId", &t)]),
            Body::None,
        ),
        (
            del.clone(),
            "document/delete",
            q(&[("docId", &d)]),
            Body::None,
        ),
        (
            put.clone(),
            "document/restore",
            q(&[("docId", &o), ("folderId", &bobs_s)]),
            Body::None,
        ),
        (
            put.clone(),
            "document/restore",
            q(&[("docId", &o), ("folderId", &t)]),
            Body::None,
        ),
        (
            put.clone(),
            "document/restore",
            q(&[("docId", &binned_s), ("folderId", &t)]),
            Body::None,
        ),
        (
            post.clone(),
            "document/checkout",
            vec![],
            Body::Form(vec![("docId", d.clone())]),
        ),
        (
            put.clone(),
            "document/lock",
            q(&[("docId", &d)]),
            Body::None,
        ),
        (
            put.clone(),
            "document/unlock",
            q(&[("docId", &d)]),
            Body::None,
        ),
        (post.clone(), "document/checkin", vec![], checkin),
        (
            put.clone(),
            "document/update",
            vec![],
            Body::Json(json!({ "id": doc, "fileName": "x.txt", "folderId": bobs })),
        ),
        (
            put.clone(),
            "document/copy",
            q(&[("docId", &d), ("folderId", &bobs_s)]),
            Body::None,
        ),
        (
            put.clone(),
            "document/copy",
            q(&[("docId", &mine_s), ("folderId", &t)]),
            Body::None,
        ),
        (post.clone(), "document/replaceFile", vec![], replace),
        (
            del.clone(),
            "document/deleteVersion",
            q(&[("docId", &d), ("version", "1.0")]),
            Body::None,
        ),
        (
            put.clone(),
            "document/promoteVersion",
            q(&[("docId", &d), ("version", "1.0")]),
            Body::None,
        ),
    ];
    for (verb, path, query, body) in cases {
        let what = format!("{verb} {path} {query:?}");
        let (status, text) = bob.send(verb, path, &query, body).await;
        assert!(
            status == 401 || status == 500,
            "{what}: bob got {status}: {text}"
        );
        for secret in ["alice's", "plan.txt", "old.txt", "team", "inner"] {
            assert!(
                !text.contains(secret),
                "{what}: the refusal shows {secret}: {text}"
            );
        }
    }
    // The boolean methods answer false; getDocuments leaves alice's documents out.
    for (path, key, id) in [
        ("folder/isReadable", "folderId", &t),
        ("folder/isWritable", "folderId", &t),
        ("document/isRead", "docId", &d),
        ("document/isWrite", "docId", &d),
        ("document/isDownload", "docId", &d),
    ] {
        let (status, text) = bob
            .send(Method::GET, path, &q(&[(key, id)]), Body::None)
            .await;
        assert_eq!((status, text.as_str()), (200, "false"), "{path}");
    }
    for permission in ["READ", "DOWNLOAD", "WRITE", "SECURITY"] {
        let query = q(&[("docId", &d), ("permission", permission)]);
        let (status, text) = bob
            .send(Method::GET, "document/isGranted", &query, Body::None)
            .await;
        assert_eq!((status, text.as_str()), (200, "false"), "{permission}");
    }
    let query = vec![
        ("docIds", d.clone()),
        ("docIds", o.clone()),
        ("docIds", mine_s.clone()),
    ];
    let (status, text) = bob
        .send(Method::GET, "document/getDocuments", &query, Body::None)
        .await;
    if status == 200 {
        let got: Value = serde_json::from_str(&text).unwrap();
        let ids: Vec<_> = got.as_array().unwrap().iter().map(id).collect();
        assert_eq!(ids, [mine], "getDocuments: {text}");
    } else {
        assert_eq!(status, 500, "getDocuments: {text}");
    }

    // Nothing of alice's changed; bob's own items stayed where they were.
    assert_eq!(ld_snapshot(&s, &[team, inner], &[doc]).await, before);
    assert_eq!(bob_docs.document(mine).await["folderId"], 4);
    let r = bob_docs.call("getDocument", &[("docId", &binned_s)]).await;
    assert_eq!(r.status(), 401, "bob's recycled document stays recycled");
    assert_eq!(bob_folders.folder(bobs).await["parentId"], 4);
    assert!(
        bob_folders.children(bobs).await.is_empty(),
        "no copy, no alias"
    );
}
