//! Document content: the signed download URLs (`Source.ORIGINAL` of GetDocumentVersion) and
//! their cache (the ranged downloads themselves are `remote/http.rs`'s). A URL is a capability: it
//! is requested without credentials (it may point to another host), never logged, and kept
//! until shortly before it expires (`X-Amz-Date` + `X-Amz-Expires`, or this project's server's
//! absolute `X-Docsfs-Expires`; 5 minutes when it says nothing).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::clock;

/// Assumed lifetime of a URL that does not say when it expires.
const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// A URL is refreshed this long before it expires (or at half its remaining life if shorter).
const EARLY: Duration = Duration::from_secs(30);
const MAX_CACHED: usize = 4096;

/// Where a version's bytes are, and how many there are.
#[derive(Clone)]
pub struct Source {
    pub url: String,
    pub size: Option<u64>,
}

struct Cached {
    source: Source,
    fresh_until: Instant,
}

/// Download URLs per (document, version), while they are fresh.
#[derive(Default)]
pub struct UrlCache {
    map: Mutex<HashMap<(String, String), Cached>>,
}

impl UrlCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Cached>> {
        self.map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get(&self, doc: &str, version: &str) -> Option<Source> {
        let key = (doc.to_owned(), version.to_owned());
        let map = self.lock();
        let hit = map.get(&key).filter(|c| c.fresh_until > Instant::now());
        hit.map(|c| c.source.clone())
    }

    pub fn put(&self, doc: &str, version: &str, source: &Source) {
        let Some(fresh_until) = fresh_until(&source.url, SystemTime::now(), Instant::now()) else {
            return;
        };
        let mut map = self.lock();
        if map.len() >= MAX_CACHED {
            let now = Instant::now();
            map.retain(|_, c| c.fresh_until > now);
            if map.len() >= MAX_CACHED {
                map.clear();
            }
        }
        let cached = Cached {
            source: source.clone(),
            fresh_until,
        };
        map.insert((doc.to_owned(), version.to_owned()), cached);
    }

    pub fn forget(&self, doc: &str, version: &str) {
        self.lock().remove(&(doc.to_owned(), version.to_owned()));
    }
}

/// Until when a URL may be reused; `None` when it is (nearly) expired already.
fn fresh_until(url: &str, now: SystemTime, now_instant: Instant) -> Option<Instant> {
    let now_secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs_f64();
    let left = match expiry_secs(url) {
        Some(expires) => Duration::try_from_secs_f64(expires - now_secs).ok()?,
        None => DEFAULT_TTL,
    };
    let keep = left - EARLY.min(left / 2);
    (!keep.is_zero()).then(|| now_instant + keep)
}

/// The absolute expiry (epoch seconds) a presigned URL states, if any.
fn expiry_secs(url: &str) -> Option<f64> {
    let query = url.split_once('?')?.1.split('#').next().unwrap_or("");
    let param = |name: &str| {
        let pairs = query.split('&').filter_map(|p| p.split_once('='));
        pairs
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .next()
    };
    if let Some(at) = param("X-Docsfs-Expires").and_then(|v| v.parse::<f64>().ok()) {
        return Some(at);
    }
    let ttl: f64 = param("X-Amz-Expires")?.parse().ok()?;
    let date = param("X-Amz-Date")?;
    // SigV4's basic format 20261123T191500Z, rewritten for the ISO 8601 parser.
    let b = date.as_bytes();
    if b.len() != 16 || !date.is_ascii() {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &date[0..4],
        &date[4..6],
        &date[6..8],
        &date[9..11],
        &date[11..13],
        &date[13..15]
    );
    let ms = clock::parse_iso8601_ms(&iso)?;
    Some(ms as f64 / 1000.0 + ttl)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_of_urls() {
        let u = "http://h/blobs/v?X-Docsfs-Expires=1000&X-Docsfs-Signature=ab";
        assert_eq!(expiry_secs(u), Some(1000.0));
        let s3 = "https://s3/k?X-Amz-Algorithm=A&X-Amz-Date=19700101T000100Z&X-Amz-Expires=900";
        assert_eq!(expiry_secs(s3), Some(960.0));
        assert_eq!(expiry_secs("https://s3/k?X-Amz-Expires=900"), None);
        assert_eq!(expiry_secs("https://s3/k"), None);

        let (now, at) = (UNIX_EPOCH + Duration::from_secs(900), Instant::now());
        let fresh = |url| fresh_until(url, now, at).map(|t| t - at);
        assert_eq!(fresh(u), Some(Duration::from_secs(70)));
        let soon = "http://h/b?X-Docsfs-Expires=902";
        assert_eq!(fresh(soon), Some(Duration::from_secs(1)));
        assert_eq!(fresh("http://h/b?X-Docsfs-Expires=899"), None);
        assert_eq!(fresh("http://h/b"), Some(Duration::from_secs(270)));
    }
}
