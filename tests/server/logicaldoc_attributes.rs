//! LogicalDOC tags and string attributes over the store's labels and custom metadata, against a
//! real `docsfs serve`: documents and folders carry them in every shape (`getDocument`, `list`,
//! `getFolder`, `listChildren`), `document/update` and `folder/update` overwrite them with what
//! they are sent (and leave them alone when the field is absent), attributes of other types are
//! ignored, and the WorkDocs API sees the same values (GetDocument / GetFolder with
//! `includeCustomMetadata`, CreateCustomMetadata, CreateLabels) in both directions.

use reqwest::Method;
use serde_json::{Value, json};

use super::client::ApiClient;
use super::fixtures::{me, mkdir, upload};
use super::harness::{ALICE, Server};
use super::ld_client::{Ld, assert_failed, assert_no_content, id};

/// The string attributes of a shape, as (name, value) pairs in order.
fn strings(v: &Value) -> Vec<(String, String)> {
    v["attributes"]
        .as_array()
        .unwrap_or_else(|| panic!("attributes is always an array: {v}"))
        .iter()
        .map(|a| {
            assert_eq!(a["type"], 0, "{a}");
            let s = |k: &str| a[k].as_str().unwrap().to_owned();
            (s("name"), s("stringValue"))
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn workdocs(c: &ApiClient, op: &str, input: Value) -> Value {
    c.call(op, input).await.ok()
}

#[tokio::test]
async fn document_attributes_are_the_custom_metadata() {
    let s = Server::start();
    let c = s.alice();
    let root = me(&c).await.root;
    let (doc, _) = upload(&c, &root, "a.txt", b"a").await;
    let docs = Ld::documents(&s, "alice", ALICE);
    let listed = docs.list("list", &[("folderId", "4")]).await;
    let n = id(&listed[0]);
    let got = docs.document(n).await;
    assert_eq!(got["attributes"], json!([]), "none yet: an empty array");

    // update overwrites: string attributes kept, other types ignored.
    let mut body = got.clone();
    body["tags"] = json!(["t1"]);
    body["attributes"] = json!([
        { "name": "project", "type": 0, "stringValue": "apollo" },
        { "name": "count", "type": 1, "intValue": 3 },
        { "name": "stage", "type": 0, "stringValue": "draft" }
    ]);
    let r = docs.send_json(Method::PUT, "update", &[], &body).await;
    assert_no_content(r, "update").await;
    let want = pairs(&[("project", "apollo"), ("stage", "draft")]);
    let got = docs.document(n).await;
    assert_eq!(strings(&got), want);
    assert_eq!(got["tags"], json!(["t1"]));
    let listed = docs.list("list", &[("folderId", "4")]).await;
    assert_eq!(strings(&listed[0]), want, "listings carry them too");

    // The WorkDocs API sees custom metadata and labels.
    let wd = workdocs(
        &c,
        "GetDocument",
        json!({ "DocumentId": doc, "IncludeCustomMetadata": true }),
    )
    .await;
    assert_eq!(
        wd["CustomMetadata"],
        json!({ "project": "apollo", "stage": "draft" })
    );
    assert_eq!(wd["Metadata"]["Labels"], json!(["t1"]));
    // …and what it writes shows through LogicalDOC.
    workdocs(
        &c,
        "CreateCustomMetadata",
        json!({ "ResourceId": doc, "CustomMetadata": { "owner": "ops" } }),
    )
    .await;
    let got = docs.document(n).await;
    assert!(strings(&got).contains(&("owner".into(), "ops".into())));

    // Absent: untouched. Present: the whole set.
    let r = docs
        .send_json(
            Method::PUT,
            "update",
            &[],
            &json!({ "id": n, "fileName": "a.txt" }),
        )
        .await;
    assert_no_content(r, "update without attributes").await;
    assert_eq!(strings(&docs.document(n).await).len(), 3);
    let r = docs
        .send_json(
            Method::PUT,
            "update",
            &[],
            &json!({ "id": n, "attributes": { "name": "only", "type": 0, "stringValue": "one" } }),
        )
        .await;
    assert_no_content(r, "one attribute as an object").await;
    assert_eq!(strings(&docs.document(n).await), pairs(&[("only", "one")]));
    let r = docs
        .send_json(
            Method::PUT,
            "update",
            &[],
            &json!({ "id": n, "attributes": [] }),
        )
        .await;
    assert_no_content(r, "clear").await;
    assert!(strings(&docs.document(n).await).is_empty());

    // The store's rules: an empty value is refused, and nothing of the call remains.
    let bad = json!({ "id": n, "tags": ["kept?"], "attributes": [
        { "name": "k", "type": 0, "stringValue": "" }
    ]});
    assert_failed(
        docs.send_json(Method::PUT, "update", &[], &bad).await,
        "empty value",
    )
    .await;
    assert_eq!(docs.document(n).await["tags"], json!(["t1"]));
}

#[tokio::test]
async fn folder_update_overwrites_tags_and_attributes() {
    let s = Server::start();
    let c = s.alice();
    let root = me(&c).await.root;
    let dir = mkdir(&c, &root, "f").await;
    let folders = Ld::folders(&s, "alice", ALICE);
    let f = folders.by_path("/Default/f").await;
    let n = id(&f);
    assert_eq!((&f["tags"], &f["attributes"]), (&json!([]), &json!([])));

    // Sending back what getFolder gave changes nothing.
    assert_no_content(folders.post_json("update", &f).await, "same").await;
    let mut body = folders.folder(n).await;
    body["tags"] = json!(["team", "blue"]);
    body["attributes"] = json!([{ "name": "cost-centre", "type": 0, "stringValue": "42" }]);
    assert_no_content(folders.post_json("update", &body).await, "update").await;
    let got = folders.folder(n).await;
    assert_eq!(got["tags"], json!(["blue", "team"]));
    assert_eq!(strings(&got), pairs(&[("cost-centre", "42")]));
    assert_eq!(got["name"], "f");
    let children = folders.children(4).await;
    let listed = children.iter().find(|x| x["name"] == "f").unwrap();
    assert_eq!(listed["tags"], got["tags"], "listings carry them too");

    let wd = workdocs(
        &c,
        "GetFolder",
        json!({ "FolderId": dir, "IncludeCustomMetadata": true }),
    )
    .await;
    assert_eq!(wd["Metadata"]["Labels"], json!(["blue", "team"]));
    assert_eq!(wd["CustomMetadata"], json!({ "cost-centre": "42" }));
    workdocs(
        &c,
        "CreateLabels",
        json!({ "ResourceId": dir, "Labels": ["green"] }),
    )
    .await;
    assert_eq!(
        folders.folder(n).await["tags"],
        json!(["blue", "green", "team"])
    );

    // A rename alone keeps them; an empty list clears them.
    let r = folders
        .post_json("update", &json!({ "id": n, "name": "g" }))
        .await;
    assert_no_content(r, "rename").await;
    let got = folders.folder(n).await;
    assert_eq!(
        (got["name"].as_str(), got["tags"].as_array().unwrap().len()),
        (Some("g"), 3)
    );
    let r = folders
        .post_json("update", &json!({ "id": n, "tags": [], "attributes": [] }))
        .await;
    assert_no_content(r, "clear").await;
    let got = folders.folder(n).await;
    assert_eq!((&got["tags"], &got["attributes"]), (&json!([]), &json!([])));

    // The root keeps none.
    let r = folders
        .post_json("update", &json!({ "id": 5, "tags": ["x"] }))
        .await;
    assert_failed(r, "tags on the root").await;
}
