//! A LogicalDOC REST client for the tests: one user with Basic credentials, talking to one
//! service (`/services/rest/{service}/{method}`), plus the helpers the LogicalDOC test modules
//! share (ids, names, a sid login, sharing through the WorkDocs API).

use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use super::client::ApiClient;
use super::harness::Server;

/// A LogicalDOC client for one user and one service, with Basic credentials.
pub struct Ld {
    /// The server's base URL.
    pub base: String,
    pub http: Client,
    service: &'static str,
    user: &'static str,
    secret: &'static str,
}

impl Ld {
    pub fn new(
        s: &Server,
        service: &'static str,
        user: &'static str,
        secret: &'static str,
    ) -> Self {
        Self {
            base: s.base.clone(),
            http: Client::new(),
            service,
            user,
            secret,
        }
    }

    /// A client of the folder service.
    pub fn folders(s: &Server, user: &'static str, secret: &'static str) -> Self {
        Self::new(s, "folder", user, secret)
    }

    /// A client of the document service.
    pub fn documents(s: &Server, user: &'static str, secret: &'static str) -> Self {
        Self::new(s, "document", user, secret)
    }

    /// The URL of `method` in this client's service.
    pub fn url(&self, method: &str) -> String {
        format!("{}/services/rest/{}/{method}", self.base, self.service)
    }

    /// A GET of `path` (below the server's base) with this user's Basic credentials.
    pub fn get(&self, path: &str) -> RequestBuilder {
        let req = self.http.get(format!("{}{path}", self.base));
        req.basic_auth(self.user, Some(self.secret))
    }

    pub async fn call(&self, method: &str, query: &[(&str, &str)]) -> Response {
        let req = self.http.get(self.url(method));
        let req = req.basic_auth(self.user, Some(self.secret)).query(query);
        req.send().await.unwrap()
    }

    /// A `verb` call of `method` with a query and, if given, a form body.
    pub async fn send(
        &self,
        verb: Method,
        method: &str,
        query: &[(&str, &str)],
        form: Option<&[(&str, &str)]>,
    ) -> Response {
        let req = self.http.request(verb, self.url(method));
        let mut req = req.basic_auth(self.user, Some(self.secret)).query(query);
        if let Some(form) = form {
            req = req.form(form);
        }
        req.send().await.unwrap()
    }

    /// A POST of `method` with a form body.
    pub async fn post_form(&self, method: &str, form: &[(&str, &str)]) -> Response {
        self.send(Method::POST, method, &[], Some(form)).await
    }

    /// A POST of `method` with a JSON body.
    pub async fn post_json(&self, method: &str, body: &Value) -> Response {
        let req = self.http.post(self.url(method));
        let req = req.basic_auth(self.user, Some(self.secret)).json(body);
        req.send().await.unwrap()
    }

    pub async fn status(&self, method: &str, query: &[(&str, &str)]) -> u16 {
        self.call(method, query).await.status().as_u16()
    }

    /// A 200 JSON answer.
    pub async fn json(&self, method: &str, query: &[(&str, &str)]) -> Value {
        let r = self.call(method, query).await;
        let status = r.status();
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{method} {query:?}: {body}");
        assert!(ct.starts_with("application/json"), "content type {ct}");
        serde_json::from_str(&body).unwrap()
    }

    pub async fn list(&self, method: &str, query: &[(&str, &str)]) -> Vec<Value> {
        self.json(method, query).await.as_array().unwrap().clone()
    }

    /// A bare boolean answer.
    pub async fn boolean(&self, method: &str, query: &[(&str, &str)]) -> bool {
        let r = self.call(method, query).await;
        assert_eq!(r.status(), StatusCode::OK);
        match r.text().await.unwrap().as_str() {
            "true" => true,
            "false" => false,
            other => panic!("{method}: not a boolean: {other:?}"),
        }
    }

    /// A 200 binary answer.
    pub async fn bytes(&self, method: &str, query: &[(&str, &str)]) -> Vec<u8> {
        let r = self.call(method, query).await;
        assert_eq!(r.status(), StatusCode::OK, "{method} {query:?}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(ct, "application/octet-stream");
        r.bytes().await.unwrap().to_vec()
    }

    /// 500 with a short text body (LogicalDOC's unmapped exceptions).
    pub async fn assert_fails(&self, method: &str, query: &[(&str, &str)]) {
        let r = self.call(method, query).await;
        assert_eq!(
            r.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{method} {query:?}"
        );
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/plain"), "content type {ct}");
        let body = r.text().await.unwrap();
        assert!(!body.is_empty() && body.len() < 200, "body {body:?}");
    }

    // Folder service.

    pub async fn folder(&self, id: i64) -> Value {
        self.json("getFolder", &[("folderId", &id.to_string())])
            .await
    }

    pub async fn children(&self, id: i64) -> Vec<Value> {
        self.list("listChildren", &[("folderId", &id.to_string())])
            .await
    }

    pub async fn by_path(&self, path: &str) -> Value {
        self.json("findByPath", &[("path", path)]).await
    }

    /// `isGranted` on a folder.
    pub async fn granted(&self, id: i64, permission: &str) -> bool {
        let id = id.to_string();
        let q = [("folderId", id.as_str()), ("permission", permission)];
        self.boolean("isGranted", &q).await
    }

    // Document service.

    pub async fn document(&self, id: i64) -> Value {
        self.json("getDocument", &[("docId", &id.to_string())])
            .await
    }

    /// A boolean `method` on document `id`, with `extra` parameters.
    pub async fn doc_boolean(&self, method: &str, id: i64, extra: &[(&str, &str)]) -> bool {
        let id = id.to_string();
        let mut q = vec![("docId", id.as_str())];
        q.extend_from_slice(extra);
        self.boolean(method, &q).await
    }
}

/// Asserts a 500 with a short text body (LogicalDOC's unmapped exceptions) for any request.
pub async fn assert_failed(r: Response, what: &str) {
    let status = r.status();
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{what}: {body}");
    assert!(ct.starts_with("text/plain"), "{what}: content type {ct}");
    assert!(
        !body.is_empty() && body.len() < 200,
        "{what}: body {body:?}"
    );
}

/// A 200 JSON answer of any request.
pub async fn json_of(r: Response, what: &str) -> Value {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    serde_json::from_str(&body).unwrap()
}

pub fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

/// The `name`s of folders.
pub fn names(list: &[Value]) -> Vec<&str> {
    list.iter().map(|f| f["name"].as_str().unwrap()).collect()
}

/// The `fileName`s of documents.
pub fn file_names(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|d| d["fileName"].as_str().unwrap())
        .collect()
}

/// A login through LogicalDOC's auth service: the sid.
pub async fn login(s: &Server, user: &str, password: &str) -> String {
    let url = format!("{}/services/rest/auth/login", s.base);
    let r = Client::new()
        .get(url)
        .query(&[("u", user), ("pw", password)]);
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// Shares `resource` with user `with` in `role`, through the WorkDocs API.
pub async fn share(c: &ApiClient, resource: &str, with: &str, role: &str) {
    let principals = json!([{ "Id": with, "Type": "USER", "Role": role }]);
    let input = json!({ "ResourceId": resource, "Principals": principals });
    c.call("AddResourcePermissions", input).await.ok();
}

/// A `multipart/form-data` body: text parts, then one file part `file.0` named `file.1`
/// (the part's file name) holding `file.2`. Returns (content type, body).
pub fn multipart(text: &[(&str, &str)], file: (&str, &str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "docsfs-test-boundary-7c1e9a";
    let mut body = Vec::new();
    for (name, value) in text {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (name, file_name, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
             filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Ld {
    /// A multipart POST of `method` (see [`multipart`]).
    pub async fn post_multipart(
        &self,
        method: &str,
        text: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Response {
        let (ct, body) = multipart(text, file);
        let req = self.http.post(self.url(method));
        let req = req.basic_auth(self.user, Some(self.secret));
        let req = req.header("content-type", ct).body(body);
        req.send().await.unwrap()
    }

    /// `upload` with these text parts and `filedata` = `bytes`: the answered document id.
    pub async fn upload(&self, text: &[(&str, &str)], bytes: &[u8]) -> i64 {
        let r = self
            .post_multipart("upload", text, ("filedata", "file.bin", bytes))
            .await;
        let v = json_of(r, "upload").await;
        v.as_i64().unwrap_or_else(|| panic!("not a number: {v}"))
    }
}

impl Ld {
    /// A PUT of `method` with a query and no body.
    pub async fn put(&self, method: &str, query: &[(&str, &str)]) -> Response {
        self.send(Method::PUT, method, query, None).await
    }

    /// A DELETE of `method` with a query.
    pub async fn delete(&self, method: &str, query: &[(&str, &str)]) -> Response {
        self.send(Method::DELETE, method, query, None).await
    }

    /// A `verb` call of `method` with a query and a JSON body.
    pub async fn send_json(
        &self,
        verb: Method,
        method: &str,
        query: &[(&str, &str)],
        body: &Value,
    ) -> Response {
        let req = self.http.request(verb, self.url(method));
        let req = req.basic_auth(self.user, Some(self.secret)).query(query);
        req.json(body).send().await.unwrap()
    }

    /// A POST of `method` with a raw body of content type `ct`.
    pub async fn post_raw(&self, method: &str, ct: &str, body: &str) -> Response {
        let req = self.http.post(self.url(method));
        let req = req.basic_auth(self.user, Some(self.secret));
        let req = req.header("content-type", ct).body(body.to_owned());
        req.send().await.unwrap()
    }

    /// The caller's own LogicalDOC user number (from its entry on its `Default`).
    pub async fn user_number(&self) -> i64 {
        let url = format!("{}/services/rest/folder/getAccessControlList", self.base);
        let req = self.http.get(url).basic_auth(self.user, Some(self.secret));
        let r = req.query(&[("folderId", "4")]).send().await.unwrap();
        let list = json_of(r, "getAccessControlList").await;
        list[0]["userId"].as_i64().unwrap()
    }
}

/// Asserts a 204 with an empty body.
pub async fn assert_no_content(r: Response, what: &str) {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT, "{what}: {body}");
    assert!(body.is_empty(), "{what}: body {body:?}");
}

/// A 200 plain-text answer.
pub async fn text_of(r: Response, what: &str) -> String {
    let status = r.status();
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{what}: {body}");
    assert!(ct.starts_with("text/plain"), "{what}: content type {ct}");
    body
}
