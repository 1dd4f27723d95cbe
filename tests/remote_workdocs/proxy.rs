//! A recording HTTP proxy in front of a test server, for failures the server cannot be told to
//! make at one precise step: every request (API calls and content transfers alike) is logged
//! with its headers, then either refused as `rule` says or forwarded. Upload and download URLs
//! in answers are rewritten to point at the proxy, so the content PUT passes through it too.
//! Token mode only: SigV4 signs the host, which the proxy changes.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// What the proxy does with a request (given its method and path): `None` forwards it,
/// `Some((status, error name))` answers with that error instead (an empty name sends an answer
/// without one, as S3 would), and a name starting with `after:` forwards the request first and
/// then answers with the error named after the colon: an answer lost on its way back.
pub type Rule = dyn Fn(&str, &str) -> Option<(u16, &'static str)> + Send + Sync;

/// One request as the proxy received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body_len: usize,
}

struct Shared {
    upstream: String,
    own: String,
    rule: Box<Rule>,
    seen: Mutex<Vec<Seen>>,
    http: reqwest::Client,
}

pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Proxy {
    pub async fn start<F>(upstream: &str, rule: F) -> Self
    where
        F: Fn(&str, &str) -> Option<(u16, &'static str)> + Send + Sync + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            own: format!("http://{addr}"),
            rule: Box::new(rule),
            seen: Mutex::new(vec![]),
            http,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared }
    }

    pub fn endpoint(&self) -> String {
        self.shared.own.clone()
    }

    /// Every request so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("lock").clone()
    }

    /// "METHOD path" of every request so far.
    pub fn calls(&self) -> Vec<String> {
        let seen = self.seen();
        seen.iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    // Read the whole body first, so that a refusal is not a reset while the client sends.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (method, path) = (parts.method.as_str(), parts.uri.path());
    shared.seen.lock().expect("lock").push(Seen {
        method: method.to_owned(),
        path: path.to_owned(),
        headers: parts.headers.clone(),
        body_len: body.len(),
    });
    let refusal = (shared.rule)(method, path);
    let forwarded = match refusal {
        Some((_, name)) if !name.starts_with("after:") => None,
        _ => Some(forward(&shared, &parts, body).await),
    };
    match (refusal, forwarded) {
        (None, Some(answer)) => answer,
        (Some((status, name)), _) => {
            let status = StatusCode::from_u16(status).expect("status");
            let mut resp = (status, r#"{"Message":"refused by the test proxy"}"#).into_response();
            let name = name.strip_prefix("after:").unwrap_or(name);
            if !name.is_empty() {
                let value = name.parse().expect("header value");
                resp.headers_mut().insert("x-amzn-errortype", value);
            }
            resp
        }
        (None, None) => unreachable!("forwarded when not refused"),
    }
}

async fn forward(shared: &Shared, parts: &axum::http::request::Parts, body: Bytes) -> Response {
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut forward = shared
        .http
        .request(parts.method.clone(), format!("{}{target}", shared.upstream));
    for (name, value) in &parts.headers {
        if !matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            forward = forward.header(name, value);
        }
    }
    let answer = match forward.body(body).send().await {
        Ok(a) => a,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let status = answer.status();
    let mut headers = answer.headers().clone();
    for name in ["content-length", "connection", "transfer-encoding"] {
        headers.remove(name);
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    let bytes = match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains(&shared.upstream) => {
            text.replace(&shared.upstream, &shared.own).into_bytes()
        }
        _ => bytes.to_vec(),
    };
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}
