//! Common steps of the server tests, each done through the model-driven client so that every
//! response on the way is checked against the model too.

use serde_json::{Value, json};

use super::client::ApiClient;

pub struct Me {
    pub id: String,
    pub root: String,
    pub bin: String,
}

pub async fn me(c: &ApiClient) -> Me {
    let u = c.call("GetCurrentUser", json!({})).await.ok();
    let s = |k: &str| u["User"][k].as_str().unwrap().to_owned();
    Me {
        id: s("Id"),
        root: s("RootFolderId"),
        bin: s("RecycleBinFolderId"),
    }
}

pub async fn mkdir(c: &ApiClient, parent: &str, name: &str) -> String {
    let r = c
        .call(
            "CreateFolder",
            json!({ "ParentFolderId": parent, "Name": name }),
        )
        .await
        .ok();
    r["Metadata"]["Id"].as_str().unwrap().to_owned()
}

/// PUTs `bytes` to an upload URL with the signed headers; returns the HTTP status.
pub async fn put_content(upload: &Value, bytes: &[u8]) -> u16 {
    let url = upload["UploadUrl"].as_str().unwrap();
    let mut req = reqwest::Client::new().put(url).body(bytes.to_vec());
    for (k, v) in upload["SignedHeaders"].as_object().unwrap() {
        req = req.header(k, v.as_str().unwrap());
    }
    req.send().await.unwrap().status().as_u16()
}

/// Initiates, PUTs and activates; returns (document id, version id).
pub async fn upload_with(c: &ApiClient, mut init: Value, bytes: &[u8]) -> (String, String) {
    init["DocumentSizeInBytes"] = json!(bytes.len());
    let r = c.call("InitiateDocumentVersionUpload", init).await.ok();
    let doc = r["Metadata"]["Id"].as_str().unwrap().to_owned();
    let version = r["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(put_content(&r["UploadMetadata"], bytes).await, 200);
    c.call(
        "UpdateDocumentVersion",
        json!({ "DocumentId": doc, "VersionId": version, "VersionStatus": "ACTIVE" }),
    )
    .await
    .ok();
    (doc, version)
}

/// Uploads a new document `name` into `parent`.
pub async fn upload(c: &ApiClient, parent: &str, name: &str, bytes: &[u8]) -> (String, String) {
    upload_with(c, json!({ "ParentFolderId": parent, "Name": name }), bytes).await
}

/// Uploads a new version of document `doc`; returns the version id.
pub async fn upload_version(c: &ApiClient, doc: &str, bytes: &[u8]) -> String {
    upload_with(c, json!({ "Id": doc }), bytes).await.1
}

/// The signed download URL of a version.
pub async fn source_url(c: &ApiClient, doc: &str, version: &str) -> String {
    let r = c
        .call(
            "GetDocumentVersion",
            json!({ "DocumentId": doc, "VersionId": version, "Fields": "SOURCE" }),
        )
        .await
        .ok();
    r["Metadata"]["Source"]["ORIGINAL"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// GETs a URL, optionally with a Range header; returns (status, headers, body).
pub async fn fetch(url: &str, range: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(r) = range {
        req = req.header("Range", r);
    }
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

/// Downloads the latest content of a document.
pub async fn read_document(c: &ApiClient, doc: &str) -> Vec<u8> {
    let d = c
        .call("GetDocument", json!({ "DocumentId": doc }))
        .await
        .ok();
    let version = d["Metadata"]["LatestVersionMetadata"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, body) = fetch(&source_url(c, doc, &version).await, None).await;
    assert_eq!(status, 200);
    body
}

/// Names in one page of a folder listing: (folder names, document names).
pub fn names(page: &Value) -> (Vec<String>, Vec<String>) {
    let folders = page["Folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Name"].as_str().unwrap().to_owned())
        .collect();
    let docs = page["Documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["LatestVersionMetadata"]["Name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    (folders, docs)
}

/// Every item of a folder, following markers with `limit`; returns (pages, folder names, document names).
pub async fn list_all(
    c: &ApiClient,
    folder: &str,
    limit: u32,
    extra: Value,
) -> (usize, Vec<String>, Vec<String>) {
    let (mut pages, mut folders, mut docs, mut marker) = (0, vec![], vec![], None::<String>);
    loop {
        let mut input = json!({ "FolderId": folder, "Limit": limit });
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        if let Some(m) = &marker {
            input["Marker"] = json!(m);
        }
        let page = c.call("DescribeFolderContents", input).await.ok();
        pages += 1;
        let (f, d) = names(&page);
        folders.extend(f);
        docs.extend(d);
        match page["Marker"].as_str() {
            Some(m) => marker = Some(m.to_owned()),
            None => return (pages, folders, docs),
        }
    }
}
