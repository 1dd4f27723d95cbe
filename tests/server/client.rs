//! The model-driven WorkDocs client the integration tests use to talk to `docsfs serve`.
//!
//! Owns transport and authentication (the `Authentication` token header and/or SigV4) on top of
//! `model.rs`: every reply to `call`/`send` is checked against the service model and a violation
//! panics with the whole story, so no test can pass on a response an official SDK would reject.
//! It also counts checked responses per operation, so a suite can assert that every operation
//! was exercised. `raw` is the unchecked escape hatch for malformed requests.
#![allow(dead_code)]

use super::model::{BuiltRequest, Model, error_name};
use docsfs::sigv4::{AccessKey, DEFAULT_REGION, sign};
use http::{HeaderMap, Method};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// How requests authenticate: a WorkDocs user token, SigV4 (administrative API), or both.
/// The token goes in the `Authentication` header of every request (even for operations whose
/// input does not model it) unless the request already carries one. No `Debug`: it holds secrets.
#[derive(Clone)]
pub enum Auth {
    None,
    Token(String),
    Admin(AccessKey),
    TokenAndSigned(String, AccessKey),
}

impl Auth {
    fn token(&self) -> Option<&str> {
        match self {
            Auth::Token(t) | Auth::TokenAndSigned(t, _) => Some(t),
            Auth::None | Auth::Admin(_) => None,
        }
    }

    fn key(&self) -> Option<&AccessKey> {
        match self {
            Auth::Admin(k) | Auth::TokenAndSigned(_, k) => Some(k),
            Auth::None | Auth::Token(_) => None,
        }
    }
}

/// Headers whose values must never appear in a panic message.
const SECRET_HEADERS: &[&str] = &["authentication", "authorization", "x-amz-security-token"];

pub struct ApiClient {
    base: String,
    host: String,
    http: reqwest::Client,
    auth: Auth,
}

/// A response that has passed the model check.
#[derive(Debug)]
pub struct Reply {
    pub op: String,
    pub status: u16,
    /// The `x-amzn-ErrorType` name (without any `:suffix`) of an error response.
    pub error: Option<String>,
    /// The JSON body; `Null` when the body was empty.
    pub body: Value,
    pub headers: HeaderMap,
}

impl Reply {
    pub fn is_ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body of a success; panics with the error otherwise.
    #[track_caller]
    pub fn ok(self) -> Value {
        if !self.is_ok() {
            let (op, status, body) = (&self.op, self.status, &self.body);
            panic!(
                "{op}: expected success, got {status} {:?}: {body}",
                self.error
            );
        }
        self.body
    }

    /// The error name of a failure; panics on success.
    #[track_caller]
    pub fn err(self) -> String {
        if self.is_ok() {
            let (op, status, body) = (&self.op, self.status, &self.body);
            panic!("{op}: expected an error, got {status}: {body}");
        }
        self.error
            .expect("check_response guarantees x-amzn-ErrorType on errors")
    }
}

static CHECKED: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

fn checked() -> MutexGuard<'static, BTreeMap<String, usize>> {
    CHECKED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Operations with at least one checked response so far (in this test binary).
pub fn checked_ops() -> Vec<String> {
    checked().keys().cloned().collect()
}

/// Number of checked responses per operation so far (in this test binary).
pub fn checked_counts() -> BTreeMap<String, usize> {
    checked().clone()
}

/// Operations of the model that no checked response has covered yet.
pub fn unchecked_ops() -> Vec<String> {
    let seen = checked();
    let ops = Model::get().op_names().filter(|op| !seen.contains_key(*op));
    ops.map(str::to_string).collect()
}

fn clip(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], bytes.len()),
        None => text.into_owned(),
    }
}

impl ApiClient {
    /// `base_url` is the server root, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: impl Into<String>, auth: Auth) -> Self {
        let base = base_url.into().trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&base).unwrap_or_else(|e| panic!("base {base:?}: {e}"));
        let host = url.host_str().expect("base URL has a host");
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(120));
        let http = http.build().expect("reqwest client");
        ApiClient {
            base,
            host,
            http,
            auth,
        }
    }

    /// A client for the same server with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Self {
        ApiClient::new(self.base.clone(), auth)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Builds `op` from `input` (keyed by model member names) via the model, sends it and
    /// checks the response; panics on any model violation. An explicit `AuthenticationToken`
    /// in `input` overrides the client's token.
    pub async fn call(&self, op: &str, input: Value) -> Reply {
        let built = Model::get().build_request(op, &input);
        let req = built.unwrap_or_else(|e| panic!("{op}: cannot build request: {e}"));
        self.send(op, req).await
    }

    /// Sends an already built (possibly doctored) request for `op` and checks the response.
    pub async fn send(&self, op: &str, req: BuiltRequest) -> Reply {
        let BuiltRequest {
            method,
            path_and_query,
            headers,
            body,
        } = req;
        let headers: Vec<_> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (resp, summary) = self.dispatch(method, &path_and_query, &headers, body).await;
        let resp = resp.unwrap_or_else(|e| panic!("{op}: request failed: {e}\n{summary}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await;
        let bytes = bytes.unwrap_or_else(|e| panic!("{op}: reading body: {e}\n{summary}"));
        if let Err(violations) = Model::get().check_response(op, status, &headers, &bytes) {
            let list: Vec<_> = violations.iter().map(|v| format!("  - {v}")).collect();
            let body = clip(&bytes, 4000);
            panic!(
                "{op}: response violates the WorkDocs model:\n{}\n{summary}\n\
                 response: {status}\n{headers:#?}\nresponse body: {body}",
                list.join("\n")
            );
        }
        *checked().entry(op.to_string()).or_default() += 1;
        let error = if status >= 300 {
            error_name(&headers)
        } else {
            None
        };
        let body = match bytes.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&bytes).unwrap_or_else(|_| clip(&bytes, 4000).into()),
        };
        let op = op.to_string();
        Reply {
            op,
            status,
            error,
            body,
            headers,
        }
    }

    /// Sends anything, unchecked, for malformed-request tests. The client's credentials are
    /// still applied (unless `headers` already carries an `Authentication` header).
    /// `method` may be any token (`"GET"`, `Method::PUT`, `"BREW"`).
    pub async fn raw(
        &self,
        method: impl AsRef<str>,
        path_and_query: &str,
        headers: Vec<(&str, &str)>,
        body: Option<Vec<u8>>,
    ) -> reqwest::Response {
        let method = method.as_ref();
        let method = Method::from_bytes(method.as_bytes());
        let method = method.unwrap_or_else(|e| panic!("raw: bad method: {e}"));
        let (resp, summary) = self.dispatch(method, path_and_query, &headers, body).await;
        resp.unwrap_or_else(|e| panic!("raw request failed: {e}\n{summary}"))
    }

    /// Adds Host, the token and the SigV4 headers, then sends. Also returns a request summary
    /// with secrets redacted, for failure messages.
    async fn dispatch(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> (reqwest::Result<reqwest::Response>, String) {
        let url = format!("{}{path_and_query}", self.base);
        let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        let mut all: Vec<(String, String)> = vec![];
        if !has("host") {
            all.push(("host".into(), self.host.clone()));
        }
        all.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        if let Some(token) = self.auth.token().filter(|_| !has("authentication")) {
            all.push(("Authentication".into(), token.to_string()));
        }
        if let Some(key) = self.auth.key() {
            let to_sign: Vec<_> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let payload = body.as_deref().unwrap_or_default();
            let now = SystemTime::now();
            let signed = sign(
                key,
                DEFAULT_REGION,
                method.as_str(),
                &url,
                &to_sign,
                payload,
                now,
            );
            let signed = signed.unwrap_or_else(|e| panic!("SigV4 signing of {url} failed: {e}"));
            // The signer's headers replace same-named ones (e.g. a caller's x-amz-date).
            all.retain(|(k, _)| !signed.iter().any(|(s, _)| s.eq_ignore_ascii_case(k)));
            all.extend(signed);
        }
        let summary = summarize(&method, &url, &all, body.as_deref());
        let mut req = self.http.request(method, &url);
        for (k, v) in &all {
            req = req.header(k, v);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        (req.send().await, summary)
    }
}

fn summarize(
    method: &Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> String {
    let mut out = format!("request: {method} {url}\n");
    for (k, v) in headers {
        let secret = SECRET_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s));
        let v = if secret { "<redacted>" } else { v.as_str() };
        out.push_str(&format!("  {k}: {v}\n"));
    }
    let body = body.map_or("<none>".into(), |b| clip(b, 2000));
    out.push_str(&format!("request body: {body}"));
    out
}
