//! Shared pieces of the `WorkDocsRemote` tests: an in-process `docsfs serve` per test (stopped
//! when the guard drops, even on panic), a plain reqwest WorkDocs client to arrange content as a
//! user would (folders, uploads, shares, recycling), constructors for the client under test, and
//! tiny hand-rolled HTTP stubs for replies the real server never gives.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use docsfs::remote::workdocs::{WorkDocsAuth, WorkDocsConfig, WorkDocsRemote};
use docsfs::remote::{ByteStream, Collection, Node, Remote, Upload, UploadTarget};
use docsfs::server::faults::FaultSettings;
use docsfs::server::{self, RunningServer, ServerConfig};
use docsfs::sigv4::AccessKey;
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

pub const ALICE: &str = "tok-alice-0123456789";
pub const BOB: &str = "tok-bob-0123456789";

pub fn admin_key() -> AccessKey {
    AccessKey {
        id: "AKIDTESTADMIN".into(),
        secret: "admin-secret-never-logged".into(),
    }
}

/// How to start a test server.
#[derive(Default)]
pub struct Options {
    pub url_ttl: Option<Duration>,
    pub faults: FaultSettings,
    /// A local tree imported into alice's root before serving.
    pub import: Option<PathBuf>,
    /// Idle time after which a LogicalDOC session expires (default: the server's 30 minutes).
    pub ld_session_timeout: Option<Duration>,
}

/// A running server with its data folder. Dropping it starts a graceful shutdown; [`stop`]
/// waits for it.
pub struct TestServer {
    running: Option<RunningServer>,
    pub addr: SocketAddr,
    _data: tempfile::TempDir,
}

impl TestServer {
    pub async fn start(opts: Options) -> Self {
        let data = tempfile::tempdir().expect("temp dir");
        let config = ServerConfig {
            data: data.path().join("store"),
            listen: "127.0.0.1:0".parse().expect("address"),
            users: vec![("alice".into(), ALICE.into()), ("bob".into(), BOB.into())],
            admin_keys: vec![admin_key()],
            url_ttl: opts.url_ttl.unwrap_or(Duration::from_secs(900)),
            faults: opts.faults,
            import: opts.import.map(|src| (src, "alice".to_owned())),
            ld_session_timeout: opts
                .ld_session_timeout
                .unwrap_or(docsfs::server::logicaldoc::DEFAULT_TIMEOUT),
        };
        let running = server::start(config).await.expect("server starts");
        Self {
            addr: running.addr,
            running: Some(running),
            _data: data,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("server stops cleanly");
        }
    }

    pub fn alice(&self) -> Api {
        Api::new(&self.endpoint(), ALICE)
    }

    pub fn bob(&self) -> Api {
        Api::new(&self.endpoint(), BOB)
    }

    /// Changes the injected faults at run time.
    pub async fn set_faults(&self, faults: FaultSettings) {
        let url = format!("{}/_docsfs/faults", self.endpoint());
        let resp = reqwest::Client::new().put(url).json(&faults).send().await;
        assert!(resp.expect("fault control").status().is_success());
    }
}

pub fn config(endpoint: &str, auth: WorkDocsAuth, timeout: Duration) -> WorkDocsConfig {
    WorkDocsConfig {
        endpoint: endpoint.to_owned(),
        auth,
        timeout,
        region: docsfs::sigv4::DEFAULT_REGION.into(),
        allow_insecure_http: false,
    }
}

/// The client under test, with a user token and a 10 s budget.
pub fn remote(endpoint: &str, token: &str) -> WorkDocsRemote {
    remote_with(endpoint, token, Duration::from_secs(10))
}

pub fn remote_with(endpoint: &str, token: &str, timeout: Duration) -> WorkDocsRemote {
    let auth = WorkDocsAuth::Token(token.into());
    WorkDocsRemote::new(config(endpoint, auth, timeout)).expect("valid config")
}

/// Every item of a collection, following markers.
pub async fn list_all(r: &WorkDocsRemote, what: &Collection) -> (usize, Vec<Node>) {
    let (mut pages, mut items, mut marker) = (0, vec![], None::<String>);
    loop {
        let page = r.list(what, marker.as_deref()).await.expect("list");
        pages += 1;
        items.extend(page.items);
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => return (pages, items),
        }
    }
}

pub fn named<'a>(items: &'a [Node], name: &str) -> &'a Node {
    let found = items.iter().find(|n| n.name == name);
    found.unwrap_or_else(|| panic!("no item named {name:?}"))
}

/// The whole stream; panics on an error.
pub async fn collect(mut s: ByteStream) -> Vec<u8> {
    let mut out = vec![];
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

/// Deterministic, incompressible-looking bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A spool file holding `bytes` in `dir`.
pub fn spool(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write spool file");
    path
}

/// An upload of the whole file at `path` with modification time `modified`.
pub fn upload_of(target: UploadTarget, path: &std::path::Path, modified: SystemTime) -> Upload {
    let size = std::fs::metadata(path).expect("spool file").len();
    Upload {
        target,
        path: path.to_path_buf(),
        size,
        modified,
        created: None,
    }
}

pub fn new_document(parent: &str, name: &str) -> UploadTarget {
    UploadTarget::NewDocument {
        parent: parent.to_owned(),
        name: name.to_owned(),
    }
}

pub fn new_version(doc: &str) -> UploadTarget {
    UploadTarget::NewVersion {
        doc: doc.to_owned(),
    }
}

/// A time with nanoseconds, as `touch` and `rsync` set them.
pub fn at_ns(ns: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(ns)
}

/// `t` rounded down to milliseconds, the API's precision.
pub fn to_ms(t: SystemTime) -> SystemTime {
    let d = t.duration_since(UNIX_EPOCH).expect("after 1970");
    UNIX_EPOCH + Duration::from_millis(d.as_millis() as u64)
}

/// The client under test in admin (SigV4) mode, rooted at `root`.
pub fn admin_remote(endpoint: &str, root: &str) -> WorkDocsRemote {
    let auth = WorkDocsAuth::Admin {
        key: admin_key(),
        root_folder_id: root.to_owned(),
    };
    WorkDocsRemote::new(config(endpoint, auth, Duration::from_secs(10))).expect("config")
}

/// A plain WorkDocs API client for arranging test content as a user.
pub struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

pub struct Me {
    pub id: String,
    pub root: String,
    pub bin: String,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// One API call that must succeed; returns its JSON body (`Null` when empty).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("Authentication", &self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("API reachable");
        let status = resp.status();
        let text = resp.text().await.expect("API body");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    pub async fn me(&self) -> Me {
        let u = self.call(Method::GET, "/api/v1/me", None).await;
        let s = |k: &str| u["User"][k].as_str().expect("user member").to_owned();
        Me {
            id: s("Id"),
            root: s("RootFolderId"),
            bin: s("RecycleBinFolderId"),
        }
    }

    pub async fn mkdir(&self, parent: &str, name: &str) -> String {
        let body = json!({ "ParentFolderId": parent, "Name": name });
        let r = self.call(Method::POST, "/api/v1/folders", Some(body)).await;
        r["Metadata"]["Id"].as_str().expect("folder id").to_owned()
    }

    /// Initiate, PUT with every signed header, activate; returns (document, version).
    pub async fn upload(&self, parent: &str, name: &str, bytes: &[u8]) -> (String, String) {
        let init =
            json!({ "ParentFolderId": parent, "Name": name, "DocumentSizeInBytes": bytes.len() });
        let r = self
            .call(Method::POST, "/api/v1/documents", Some(init))
            .await;
        let doc = r["Metadata"]["Id"].as_str().expect("doc id").to_owned();
        let version = r["Metadata"]["LatestVersionMetadata"]["Id"]
            .as_str()
            .expect("version");
        let version = version.to_owned();
        let upload = &r["UploadMetadata"];
        let url = upload["UploadUrl"].as_str().expect("upload url");
        let mut put = self.http.put(url).body(bytes.to_vec());
        for (k, v) in upload["SignedHeaders"].as_object().expect("signed headers") {
            put = put.header(k, v.as_str().expect("header value"));
        }
        assert_eq!(put.send().await.expect("PUT").status().as_u16(), 200);
        let path = format!("/api/v1/documents/{doc}/versions/{version}");
        let active = json!({ "VersionStatus": "ACTIVE" });
        self.call(Method::PATCH, &path, Some(active)).await;
        (doc, version)
    }

    pub async fn share(&self, resource: &str, user: &str, role: &str) {
        let path = format!("/api/v1/resources/{resource}/permissions");
        let body = json!({ "Principals": [{ "Id": user, "Type": "USER", "Role": role }] });
        let r = self.call(Method::POST, &path, Some(body)).await;
        assert_eq!(r["ShareResults"][0]["Status"], "SUCCESS", "{r}");
    }

    /// Names and ids of a folder's items, INITIALIZED documents included.
    pub async fn contents_with_initialized(&self, folder: &str) -> Vec<(String, String)> {
        let path = format!("/api/v1/folders/{folder}/contents?include=INITIALIZED&limit=999");
        let r = self.call(Method::GET, &path, None).await;
        let mut out = vec![];
        for f in r["Folders"].as_array().into_iter().flatten() {
            out.push((
                f["Name"].as_str().expect("name").to_owned(),
                f["Id"].as_str().expect("id").to_owned(),
            ));
        }
        for d in r["Documents"].as_array().into_iter().flatten() {
            let name = d["LatestVersionMetadata"]["Name"]
                .as_str()
                .unwrap_or("?")
                .to_owned();
            out.push((name, d["Id"].as_str().expect("id").to_owned()));
        }
        out
    }

    /// (id, status) of a document's versions, newest first, INITIALIZED ones included.
    pub async fn versions(&self, doc: &str) -> Vec<(String, String)> {
        let path = format!("/api/v1/documents/{doc}/versions?include=INITIALIZED&limit=999");
        let r = self.call(Method::GET, &path, None).await;
        let list = r["DocumentVersions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        list.iter()
            .map(|v| {
                let s = |k: &str| v[k].as_str().expect("member").to_owned();
                (s("Id"), s("Status"))
            })
            .collect()
    }

    /// A document's labels (GetDocument).
    pub async fn labels(&self, doc: &str) -> Vec<String> {
        let r = self
            .call(Method::GET, &format!("/api/v1/documents/{doc}"), None)
            .await;
        let labels = r["Metadata"]["Labels"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        labels
            .iter()
            .map(|l| l.as_str().expect("label").to_owned())
            .collect()
    }

    pub async fn recycle_document(&self, doc: &str) {
        let body = json!({ "ResourceState": "RECYCLED" });
        let path = format!("/api/v1/documents/{doc}");
        self.call(Method::PATCH, &path, Some(body)).await;
    }
}

/// A one-route-at-a-time HTTP/1.1 stub on 127.0.0.1:0: `answer(method, target, headers)` gives
/// (status, extra header lines, body) for each request. Every connection is closed after one
/// answer. The task ends with the test's runtime.
pub async fn stub<F>(answer: F) -> SocketAddr
where
    F: Fn(&str, &str, &str) -> (u16, String, Vec<u8>) + Send + Sync + 'static,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let mut first = head.lines().next().unwrap_or("").split(' ');
                let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
                let (status, extra, body) = answer(method, target, &head.to_ascii_lowercase());
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
                    body.len()
                );
                let _ = sock.write_all(reply.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    addr
}

/// `listed` (from a listing) is `uploaded` (an upload's answer) plus the store's checksum, which
/// the listing states and the upload's answer does not: the SHA-256 of `data`.
pub fn assert_listed_as_uploaded(
    listed: &docsfs::remote::Node,
    uploaded: &docsfs::remote::Node,
    data: &[u8],
) {
    use sha2::Digest;
    let sha256 = hex::encode(sha2::Sha256::digest(data));
    assert_eq!(listed.digest.as_deref(), Some(sha256.as_str()));
    let listed = docsfs::remote::Node {
        digest: None,
        ..listed.clone()
    };
    assert_eq!(&listed, uploaded, "as a listing shows it");
}
