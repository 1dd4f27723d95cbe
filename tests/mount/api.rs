//! A few WorkDocs calls the mount tests use to arrange the server's state (shares, recycling,
//! names the local file system cannot hold) and to read its request counters.

use super::block;
use serde_json::{Value, json};

pub struct Api {
    base: String,
    token: String,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.to_owned(),
            token: token.to_owned(),
        }
    }

    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        block(async {
            let mut req = reqwest::Client::new()
                .request(method.parse().unwrap(), format!("{}{path}", self.base))
                .header("Authentication", &self.token);
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let text = resp.text().await.unwrap();
            assert!(status.is_success(), "{method} {path}: {status} {text}");
            if text.is_empty() {
                Value::Null
            } else {
                serde_json::from_str(&text).unwrap()
            }
        })
    }

    /// The HTTP status of a GET (for checking that something is gone).
    pub fn status(&self, path: &str) -> u16 {
        block(async {
            let resp = reqwest::Client::new()
                .get(format!("{}{path}", self.base))
                .header("Authentication", &self.token)
                .send()
                .await
                .unwrap();
            resp.status().as_u16()
        })
    }

    pub fn me(&self) -> (String, String, String) {
        let u = self.call("GET", "/api/v1/me", None);
        let s = |k: &str| u["User"][k].as_str().unwrap().to_owned();
        (s("Id"), s("RootFolderId"), s("RecycleBinFolderId"))
    }

    pub fn mkdir(&self, parent: &str, name: &str) -> String {
        let r = self.call(
            "POST",
            "/api/v1/folders",
            Some(json!({ "ParentFolderId": parent, "Name": name })),
        );
        r["Metadata"]["Id"].as_str().unwrap().to_owned()
    }

    pub fn upload(&self, parent: &str, name: &str, bytes: &[u8]) -> String {
        let init =
            json!({ "ParentFolderId": parent, "Name": name, "DocumentSizeInBytes": bytes.len() });
        let r = self.call("POST", "/api/v1/documents", Some(init));
        let doc = r["Metadata"]["Id"].as_str().unwrap().to_owned();
        self.put_and_activate(&doc, &r, bytes);
        doc
    }

    /// PUTs `bytes` for an initiated upload (`r` is the InitiateDocumentVersionUpload reply) and
    /// activates the version.
    pub fn put_and_activate(&self, doc: &str, r: &Value, bytes: &[u8]) {
        let version = r["Metadata"]["LatestVersionMetadata"]["Id"]
            .as_str()
            .unwrap()
            .to_owned();
        block(async {
            let mut put = reqwest::Client::new()
                .put(r["UploadMetadata"]["UploadUrl"].as_str().unwrap())
                .body(bytes.to_vec());
            for (k, v) in r["UploadMetadata"]["SignedHeaders"].as_object().unwrap() {
                put = put.header(k, v.as_str().unwrap());
            }
            assert!(put.send().await.unwrap().status().is_success());
        });
        let path = format!("/api/v1/documents/{doc}/versions/{version}");
        self.call("PATCH", &path, Some(json!({ "VersionStatus": "ACTIVE" })));
    }

    pub fn share(&self, resource: &str, user_id: &str, role: &str) {
        let body = json!({ "Principals": [{ "Id": user_id, "Type": "USER", "Role": role }] });
        self.call(
            "POST",
            &format!("/api/v1/resources/{resource}/permissions"),
            Some(body),
        );
    }

    pub fn recycle_document(&self, doc: &str) {
        self.call(
            "PATCH",
            &format!("/api/v1/documents/{doc}"),
            Some(json!({ "ResourceState": "RECYCLED" })),
        );
    }

    /// Every item of a folder (documents and folders), all pages.
    pub fn children(&self, folder: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut marker = String::new();
        loop {
            let r = self.call(
                "GET",
                &format!("/api/v1/folders/{folder}/contents?limit=999{marker}"),
                None,
            );
            for key in ["Folders", "Documents"] {
                out.extend(r[key].as_array().cloned().unwrap_or_default());
            }
            match r["Marker"].as_str() {
                Some(m) if !m.is_empty() => marker = format!("&marker={m}"),
                _ => return out,
            }
        }
    }

    /// The id of the item at `path` (`/`-separated names) under `folder`.
    pub fn id_at(&self, folder: &str, path: &str) -> String {
        let mut at = folder.to_owned();
        for name in path.split('/') {
            let item = self
                .children(&at)
                .into_iter()
                .find(|c| c["Name"] == name || c["LatestVersionMetadata"]["Name"] == name)
                .unwrap_or_else(|| panic!("no {name:?} in {at}"));
            at = item["Id"].as_str().unwrap().to_owned();
        }
        at
    }

    /// The ACTIVE versions of a document.
    pub fn versions(&self, doc: &str) -> Vec<Value> {
        let r = self.call(
            "GET",
            &format!("/api/v1/documents/{doc}/versions?limit=999"),
            None,
        );
        r["DocumentVersions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The bytes of a document's latest version, through its content URL.
    pub fn content(&self, doc: &str) -> Vec<u8> {
        let d = self.call("GET", &format!("/api/v1/documents/{doc}"), None);
        let version = d["Metadata"]["LatestVersionMetadata"]["Id"]
            .as_str()
            .unwrap();
        let path = format!("/api/v1/documents/{doc}/versions/{version}?fields=SOURCE");
        let v = self.call("GET", &path, None);
        let url = v["Metadata"]["Source"]["ORIGINAL"]
            .as_str()
            .unwrap()
            .to_owned();
        block(async {
            let resp = reqwest::get(url).await.unwrap();
            assert!(resp.status().is_success(), "download: {}", resp.status());
            resp.bytes().await.unwrap().to_vec()
        })
    }

    /// Requests the server has answered, per operation.
    pub fn stats(&self) -> Value {
        block(async {
            reqwest::get(format!("{}/_docsfs/stats", self.base))
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        })
    }
}
