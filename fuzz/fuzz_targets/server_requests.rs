//! Fuzzes the request parsing of `docsfs serve`: the real router (`server::in_process`: every
//! WorkDocs route with its authentication — tokens, SigV4 signatures — and per-operation error
//! shaping, every LogicalDOC route with its sessions, cookies, API keys and Basic credentials,
//! the signed content URLs with their `Range` headers, the control routes) driven in-process
//! with `tower::ServiceExt::oneshot` on a current-thread runtime, over a store in a temp folder.
//! Any answer is fine, a 500 included; a panic is not (the server has no layer that catches
//! panics: one in a handler, or on the store thread, aborts the fuzzer).
//!
//! The input is a request as text: `METHOD TARGET`, `Name: value` header lines, an empty line,
//! the body. `$NAME` placeholders stand for what a real client would know (tokens, a fresh
//! LogicalDOC sid, the ids of a small tree, signed content URLs; see [`World::vars`]), and a
//! `X-Fuzz-Sign: admin` header has the request signed with the admin key, so that fuzzed
//! requests get past authentication. The world (store, users, tree) is made anew every
//! [`FRESH_EVERY`] inputs, so that it stays small; a replayed input starts from a fresh world,
//! so a failure that needed what earlier inputs left behind may not show again alone.
//! With `DOCSFS_FUZZ_SHOW` set, each request and the start of its answer are printed (to see
//! what a seed does: run the target binary on the seed files).

#![no_main]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use base64::Engine;
use docsfs::server::{self, ServerConfig};
use docsfs::sigv4::{self, AccessKey};
use http::header::{HeaderName, HeaderValue};
use http::{Method, Request, Uri};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tower::ServiceExt;

const ALICE: &str = "tok-alice-fuzz-0123456789";
const BOB: &str = "tok-bob-fuzz-0123456789";
const ADMIN_ID: &str = "AKIDDOCSFSFUZZ";
const ADMIN_SECRET: &str = "fuzz-admin-secret";
/// What content URLs name; nothing listens there (requests go to the router directly).
const BASE: &str = "http://127.0.0.1:9";
const PEER: &str = "127.0.0.1:40000";
/// Inputs served by one world before a new one is made.
const FRESH_EVERY: u32 = 500;
/// Answers are read to the end, up to this.
const MAX_ANSWER: usize = 64 << 20;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    })
}

/// A server over a fresh store, with two users and a small tree, and what a client knows of it.
struct World {
    router: Router,
    vars: Vec<(&'static str, String)>,
    served: u32,
    _data: tempfile::TempDir,
}

/// An answer: status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn send(router: &Router, req: Request<Body>) -> Answer {
    let (mut parts, body) = req.into_parts();
    let peer: SocketAddr = PEER.parse().expect("an address");
    parts.extensions.insert(ConnectInfo(peer));
    let resp = router
        .clone()
        .oneshot(Request::from_parts(parts, body))
        .await
        .expect("the router is infallible");
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), MAX_ANSWER)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    Answer { status, body }
}

/// A setup request, which must succeed.
async fn call(
    router: &Router,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Value {
    let mut req = Request::builder().method(method).uri(target);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let answer = send(
        router,
        req.body(Body::from(body.to_owned())).expect("a request"),
    )
    .await;
    assert!(
        (200..300).contains(&answer.status),
        "setup: {method} {target} answered {}: {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()
}

fn str_of(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => panic!("setup: no {pointer} in {v}"),
    }
}

/// The path and query of an absolute URL the server handed out.
fn target_of(url: &str) -> String {
    url.strip_prefix(BASE).unwrap_or(url).to_owned()
}

/// The first item named `name` of a LogicalDOC list.
fn ld_id(list: &Value, member: &str, name: &str) -> String {
    let items = list.as_array().expect("setup: a LogicalDOC list");
    let item = items.iter().find(|i| i[member] == name);
    str_of(item.expect("setup: the item is listed"), "/id")
}

impl World {
    async fn new() -> World {
        // tmpfs when there is one: the store syncs every write. The folder lives as long as the
        // fuzzing process (the world is never dropped), so fuzz/smoke.sh names one it removes.
        let shm = Path::new("/dev/shm");
        let data = if let Some(dir) = std::env::var_os("DOCSFS_FUZZ_TMP") {
            tempfile::Builder::new()
                .prefix("docsfs-fuzz-")
                .tempdir_in(dir)
        } else if shm.is_dir() {
            tempfile::Builder::new()
                .prefix("docsfs-fuzz-")
                .tempdir_in(shm)
        } else {
            tempfile::Builder::new().prefix("docsfs-fuzz-").tempdir()
        };
        let data = data.expect("a temp folder");
        let tree = data.path().join("tree");
        std::fs::create_dir_all(tree.join("fuzz/sub")).expect("the tree");
        std::fs::write(tree.join("fuzz/hello.txt"), "hello, fuzz\n").expect("a file");
        std::fs::write(tree.join("empty.bin"), "").expect("a file");
        let config = ServerConfig {
            data: data.path().join("store"),
            listen: PEER.parse().expect("an address"),
            users: vec![("alice".into(), ALICE.into()), ("bob".into(), BOB.into())],
            admin_keys: vec![AccessKey {
                id: ADMIN_ID.into(),
                secret: ADMIN_SECRET.into(),
            }],
            url_ttl: Duration::from_secs(900),
            faults: Default::default(),
            import: Some((tree, "alice".into())),
            ld_session_timeout: server::logicaldoc::DEFAULT_TIMEOUT,
        };
        let router = server::in_process(&config, BASE)
            .await
            .expect("the server starts");

        let alice = [("authentication", ALICE)];
        let me = call(&router, "GET", "/api/v1/me", &alice, "").await;
        let bob = call(&router, "GET", "/api/v1/me", &[("authentication", BOB)], "").await;
        let root = str_of(&me, "/User/RootFolderId");
        let listing = |id: &str| format!("/api/v1/folders/{id}/contents");
        let top = call(&router, "GET", &listing(&root), &alice, "").await;
        let folder = str_of(&top, "/Folders/0/Id");
        let inside = call(&router, "GET", &listing(&folder), &alice, "").await;
        let sub = str_of(&inside, "/Folders/0/Id");
        let doc = str_of(&inside, "/Documents/0/Id");
        let version = str_of(&inside, "/Documents/0/LatestVersionMetadata/Id");
        let source = format!("/api/v1/documents/{doc}/versions/{version}?fields=SOURCE");
        let source = call(&router, "GET", &source, &alice, "").await;
        let get_url = target_of(&str_of(&source, "/Metadata/Source/ORIGINAL"));
        let body = serde_json::json!({"Name": "new.txt", "ParentFolderId": folder,
            "ContentType": "text/plain", "DocumentSizeInBytes": 5});
        let json = [
            ("authentication", ALICE),
            ("content-type", "application/json"),
        ];
        let started = call(
            &router,
            "POST",
            "/api/v1/documents",
            &json,
            &body.to_string(),
        )
        .await;
        let put_url = target_of(&str_of(&started, "/UploadMetadata/UploadUrl"));
        let new_doc = str_of(&started, "/Metadata/Id");
        let new_version = str_of(&started, "/Metadata/LatestVersionMetadata/Id");

        let key = [("x-api-key", ALICE)];
        let rest = "/services/rest";
        let workspace = call(
            &router,
            "GET",
            &format!("{rest}/folder/getDefaultWorkspace"),
            &key,
            "",
        )
        .await;
        let workspace = str_of(&workspace, "/id");
        let children = format!("{rest}/folder/listChildren?folderId={workspace}");
        let children = call(&router, "GET", &children, &key, "").await;
        let ld_folder = ld_id(&children, "name", "fuzz");
        let sub_children = format!("{rest}/folder/listChildren?folderId={ld_folder}");
        let ld_sub = ld_id(
            &call(&router, "GET", &sub_children, &key, "").await,
            "name",
            "sub",
        );
        let docs = format!("{rest}/document/list?folderId={ld_folder}");
        let ld_doc = ld_id(
            &call(&router, "GET", &docs, &key, "").await,
            "fileName",
            "hello.txt",
        );

        let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{ALICE}"));
        let vars = vec![
            ("ALICE", ALICE.to_owned()),
            ("BOB", BOB.to_owned()),
            ("BASIC", basic),
            ("ADMIN_ID", ADMIN_ID.to_owned()),
            ("ALICE_USER", str_of(&me, "/User/Id")),
            ("BOB_USER", str_of(&bob, "/User/Id")),
            ("ROOT", root),
            ("FOLDER", folder),
            ("SUB", sub),
            ("DOC", doc),
            ("VERSION", version),
            ("NEWDOC", new_doc),
            ("NEWVERSION", new_version),
            ("GET_URL", get_url),
            ("PUT_URL", put_url),
            ("LD_WORKSPACE", workspace),
            ("LD_FOLDER", ld_folder),
            ("LD_SUB", ld_sub),
            ("LD_DOC", ld_doc),
        ];
        World {
            router,
            vars,
            served: 0,
            _data: data,
        }
    }

    /// A new LogicalDOC session of alice's.
    async fn sid(&self) -> String {
        let login = format!("/services/rest/auth/login?u=alice&pw={ALICE}");
        let answer = send(
            &self.router,
            Request::get(login).body(Body::empty()).expect("a request"),
        )
        .await;
        String::from_utf8_lossy(&answer.body).trim().to_owned()
    }

    /// `data` with its `$NAME` placeholders replaced (unknown names are left as they are).
    async fn substitute(&self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len());
        let mut sid = None;
        let mut i = 0;
        while i < data.len() {
            let name_len = data[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase() || **b == b'_')
                .count();
            if data[i] != b'$' || name_len == 0 {
                out.push(data[i]);
                i += 1;
                continue;
            }
            let name = &data[i + 1..i + 1 + name_len];
            let value = if name == b"SID" {
                if sid.is_none() {
                    sid = Some(self.sid().await);
                }
                sid.clone()
            } else {
                let known = self.vars.iter().find(|(n, _)| n.as_bytes() == name);
                known.map(|(_, v)| v.clone())
            };
            match value {
                Some(v) => out.extend_from_slice(v.as_bytes()),
                None => out.extend_from_slice(&data[i..i + 1 + name_len]),
            }
            i += 1 + name_len;
        }
        out
    }
}

/// Splits off the first line (without its `\n` or `\r\n`).
fn line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (
            data[..i].strip_suffix(b"\r").unwrap_or(&data[..i]),
            &data[i + 1..],
        ),
        None => (data, &[]),
    }
}

/// The request `text` describes, or `None` when its method or target is not one a server could
/// receive. Header lines that are not valid headers are left out.
fn request(text: &[u8]) -> Option<Request<Body>> {
    let (first, mut rest) = line(text);
    let space = first.iter().position(|&b| b == b' ')?;
    let method = Method::from_bytes(&first[..space]).ok()?;
    let target = Uri::try_from(&first[space + 1..]).ok()?;
    // Origin-form only, as a server receives it from HTTP/1.1 clients.
    target.scheme().is_none().then_some(())?;
    let mut headers = Vec::new();
    let mut sign = false;
    loop {
        let (l, next) = line(rest);
        rest = next;
        if l.is_empty() {
            break;
        }
        let Some(colon) = l.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&l[..colon]),
            HeaderValue::from_bytes(l[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        if name == "x-fuzz-sign" {
            sign = value == "admin";
        } else {
            headers.push((name, value));
        }
    }
    let body = rest.to_vec();
    if sign {
        if !headers.iter().any(|(n, _)| n == http::header::HOST) {
            let host = BASE.strip_prefix("http://").expect("an http base");
            headers.push((http::header::HOST, HeaderValue::from_static(host)));
        }
        let signable: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(n, _)| *n != http::header::AUTHORIZATION)
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
            .collect();
        let key = AccessKey {
            id: ADMIN_ID.into(),
            secret: ADMIN_SECRET.into(),
        };
        let url = format!("{BASE}{target}");
        let method = method.as_str();
        let now = SystemTime::now();
        if let Ok(signed) = sigv4::sign(&key, "us-east-1", method, &url, &signable, &body, now) {
            headers.retain(|(n, _)| *n != http::header::AUTHORIZATION);
            for (name, value) in signed {
                let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
                headers.push((name, HeaderValue::from_str(&value).ok()?));
            }
        }
    }
    let mut req = Request::builder().method(method).uri(target);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.body(Body::from(body)).ok()
}

fuzz_target!(|data: &[u8]| {
    static WORLD: Mutex<Option<World>> = Mutex::new(None);
    let rt = runtime();
    let mut world = WORLD.lock().unwrap_or_else(|p| p.into_inner());
    if world.as_ref().is_none_or(|w| w.served >= FRESH_EVERY) {
        *world = None;
        *world = Some(rt.block_on(World::new()));
    }
    let world = world.as_mut().expect("a world");
    world.served += 1;
    rt.block_on(async {
        let text = world.substitute(data).await;
        let Some(req) = request(&text) else {
            return;
        };
        let control = req.uri().path().starts_with("/_docsfs/faults");
        let what = format!("{} {}", req.method(), req.uri());
        let answer = send(&world.router, req).await;
        if std::env::var_os("DOCSFS_FUZZ_SHOW").is_some() {
            let body = String::from_utf8_lossy(&answer.body);
            eprintln!(
                "{what} → {}: {}",
                answer.status,
                body.chars().take(300).collect::<String>()
            );
        }
        if control {
            // Injected latency or failures would slow down or blank out every input after this.
            let reset = Request::put("/_docsfs/faults").body(Body::from("{}"));
            let answer = send(&world.router, reset.expect("a request")).await;
            assert_eq!(answer.status, 200, "the faults could not be reset");
        }
    });
});
