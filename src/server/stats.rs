//! Request counts per WorkDocs operation (and content URLs as `Content GET` / `Content PUT`) and per LogicalDOC method
//! (`LogicalDOC folder/listChildren`), so tests and benchmarks can see how many calls a client
//! made: `GET /_docsfs/stats` from loopback.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};

#[derive(Default)]
pub struct Stats {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Stats {
    pub fn record(&self, op: &str) {
        *self
            .counts
            .lock()
            .expect("stats lock")
            .entry(op.to_owned())
            .or_default() += 1;
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().expect("stats lock").clone()
    }
}

/// `GET /_docsfs/stats`: `{"total": N, "operations": {"DescribeFolderContents": n, …}}`.
pub async fn get_stats(
    State(stats): State<Arc<Stats>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
) -> Response {
    if !peer.ip().is_loopback() {
        return (
            http::StatusCode::FORBIDDEN,
            "the stats route answers loopback peers only\n",
        )
            .into_response();
    }
    let ops = stats.snapshot();
    let total: u64 = ops.values().sum();
    axum::Json(serde_json::json!({ "total": total, "operations": ops })).into_response()
}
