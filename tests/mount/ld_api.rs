//! A few LogicalDOC calls the LogicalDOC-only mount tests use to arrange and check the server's
//! state (aliases, access control lists, locks, version labels), as a user with HTTP Basic.

use super::block;
use serde_json::Value;

pub struct Ld {
    base: String,
    user: String,
    password: String,
}

impl Ld {
    pub fn new(base: &str, user: &str, password: &str) -> Self {
        Self {
            base: base.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
        }
    }

    /// `method` on `service/op` with a query, a form or a JSON body; the answer must be 2xx.
    fn call(&self, method: &str, op: &str, query: &[(&str, String)], body: Body) -> Value {
        block(async {
            let url = format!("{}/services/rest/{op}", self.base);
            let mut req = reqwest::Client::new()
                .request(method.parse().unwrap(), url)
                .basic_auth(&self.user, Some(&self.password))
                .query(query);
            req = match body {
                Body::None => req,
                Body::Form(f) => req.form(&f),
                Body::Json(j) => req.json(&j),
            };
            let resp = req.send().await.unwrap();
            let status = resp.status();
            let text = resp.text().await.unwrap();
            assert!(status.is_success(), "{method} {op}: {status} {text}");
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        })
    }

    /// The id of the folder at `path` (`/Default/a`).
    pub fn folder_at(&self, path: &str) -> i64 {
        let f = self.call(
            "GET",
            "folder/findByPath",
            &[("path", path.into())],
            Body::None,
        );
        f["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no folder at {path}: {f}"))
    }

    /// The document named `name` in folder `folder`.
    pub fn document_in(&self, folder: i64, name: &str) -> Value {
        let list = self.call(
            "GET",
            "document/list",
            &[("folderId", folder.to_string())],
            Body::None,
        );
        let docs = list.as_array().unwrap();
        let found = docs.iter().find(|d| d["fileName"] == name);
        found
            .unwrap_or_else(|| panic!("{name} not in {list}"))
            .clone()
    }

    pub fn versions(&self, doc: i64) -> Vec<String> {
        let list = self.call(
            "GET",
            "document/getVersions",
            &[("docId", doc.to_string())],
            Body::None,
        );
        let labels = list.as_array().unwrap().iter();
        labels
            .map(|v| v["version"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A folder alias to `target` in `parent`.
    pub fn create_alias(&self, parent: i64, target: i64) -> Value {
        let form = vec![
            ("parentId", parent.to_string()),
            ("foldRef", target.to_string()),
        ];
        self.call("POST", "folder/createAlias", &[], Body::Form(form))
    }

    /// This user's number (their own entry in their `Default` workspace's ACL).
    pub fn user_number(&self) -> i64 {
        let acl = self.call(
            "GET",
            "folder/getAccessControlList",
            &[("folderId", "4".into())],
            Body::None,
        );
        acl[0]["userId"].as_i64().unwrap()
    }

    /// Makes `acl` (WSAccessControlEntry objects) the folder's access control list.
    pub fn set_acl(&self, folder: i64, acl: Value) {
        let query = [("folderId", folder.to_string())];
        self.call(
            "PUT",
            "folder/setAccessControlList",
            &query,
            Body::Json(acl),
        );
    }

    pub fn lock(&self, doc: i64) {
        self.call(
            "PUT",
            "document/lock",
            &[("docId", doc.to_string())],
            Body::None,
        );
    }
}

enum Body {
    None,
    Form(Vec<(&'static str, String)>),
    Json(Value),
}
