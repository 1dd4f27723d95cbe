//! Injected latency and failures, for tests and benchmarks: a per-request delay, a rate of
//! refused requests (503 ServiceUnavailableException or 429 ThrottlingException with
//! Retry-After), and a rate of connections dropped mid-response. Set at start from the command
//! line and changed at run time through `GET`/`PUT /_docsfs/faults`, which only answers loopback
//! peers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::error::error_response;

/// The knobs, as the control route reads and writes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSettings {
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub fail_rate: f64,
    #[serde(default)]
    pub reset_rate: f64,
}

impl FaultSettings {
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("fail_rate", self.fail_rate),
            ("reset_rate", self.reset_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be between 0 and 1, not {p}"));
            }
        }
        Ok(())
    }
}

/// Live fault settings shared by every request.
#[derive(Default)]
pub struct Faults {
    latency_ms: AtomicU64,
    fail_rate: AtomicU64,
    reset_rate: AtomicU64,
}

impl Faults {
    pub fn new(s: FaultSettings) -> Arc<Self> {
        let f = Arc::new(Self::default());
        f.set(s);
        f
    }

    pub fn set(&self, s: FaultSettings) {
        self.latency_ms.store(s.latency_ms, Ordering::Relaxed);
        self.fail_rate
            .store(s.fail_rate.to_bits(), Ordering::Relaxed);
        self.reset_rate
            .store(s.reset_rate.to_bits(), Ordering::Relaxed);
    }

    pub fn get(&self) -> FaultSettings {
        FaultSettings {
            latency_ms: self.latency_ms.load(Ordering::Relaxed),
            fail_rate: f64::from_bits(self.fail_rate.load(Ordering::Relaxed)),
            reset_rate: f64::from_bits(self.reset_rate.load(Ordering::Relaxed)),
        }
    }
}

/// Middleware: applies the current settings to one request.
pub async fn inject(State(faults): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    let s = faults.get();
    if s.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(s.latency_ms)).await;
    }
    let (fail, throttle, reset) = {
        let mut rng = rand::rng();
        (
            rng.random_bool(s.fail_rate),
            rng.random_bool(0.5),
            rng.random_bool(s.reset_rate),
        )
    };
    if fail {
        let message = serde_json::json!({ "Message": "injected failure" });
        if throttle {
            let mut resp = error_response(429, "ThrottlingException", &message);
            resp.headers_mut()
                .insert("retry-after", http::HeaderValue::from_static("1"));
            return resp;
        }
        return error_response(503, "ServiceUnavailableException", &message);
    }
    let resp = next.run(req).await;
    if reset { cut_off(resp) } else { resp }
}

/// Sends the head and about half of the body, then fails the body so the connection drops.
/// Streams: a large download is cut without being held in memory. A short answer is not flushed
/// before its body fails, so its client gets no answer at all: a connection lost after the
/// server acted. An answer without a body (204), which could not be cut, is dropped so too: it
/// becomes a 200 whose empty body fails.
fn cut_off(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    if matches!(parts.status.as_u16(), 204 | 304) {
        parts.status = http::StatusCode::OK;
        parts.headers.remove(http::header::CONTENT_LENGTH);
    }
    let budget = http_body::Body::size_hint(&body).exact().unwrap_or(0) / 2;
    let state = (body.into_data_stream(), budget, false);
    let stream = futures_util::stream::unfold(state, |(mut data, left, failed)| async move {
        if failed {
            return None;
        }
        let reset = || std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset");
        match data.next().await {
            Some(Ok(chunk)) if (chunk.len() as u64) < left => {
                let left = left - chunk.len() as u64;
                Some((Ok(chunk), (data, left, false)))
            }
            Some(Ok(chunk)) if left > 0 => {
                Some((Ok(chunk.slice(..left as usize)), (data, 0, false)))
            }
            _ => Some((Err(reset()), (data, 0, true))),
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

fn not_loopback() -> Response {
    let msg = "the fault control route answers loopback peers only\n";
    (http::StatusCode::FORBIDDEN, msg).into_response()
}

/// `GET /_docsfs/faults`: the current settings.
pub async fn get_settings(
    State(faults): State<Arc<Faults>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !peer.ip().is_loopback() {
        return not_loopback();
    }
    axum::Json(faults.get()).into_response()
}

/// `PUT /_docsfs/faults` with a JSON [`FaultSettings`]: replaces the settings.
pub async fn put_settings(
    State(faults): State<Arc<Faults>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    if !peer.ip().is_loopback() {
        return not_loopback();
    }
    let parsed: Result<FaultSettings, String> = serde_json::from_slice(&body)
        .map_err(|e| e.to_string())
        .and_then(|s: FaultSettings| {
            s.validate()?;
            Ok(s)
        });
    match parsed {
        Ok(s) => {
            faults.set(s);
            tracing::info!(?s, "fault settings changed");
            axum::Json(s).into_response()
        }
        Err(e) => (http::StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}
