//! Signed, expiring content URLs, the server's stand-in for S3 presigned URLs. A URL names one
//! version and carries an expiry and an HMAC-SHA256 over (method, version, expiry, declared size,
//! content type) with a key kept in the database, so URLs survive restarts and any change to
//! them — or an upload that does not match what was initiated — is refused with 403.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub const EXPIRES_PARAM: &str = "X-Docsfs-Expires";
pub const SIGNATURE_PARAM: &str = "X-Docsfs-Signature";

#[derive(Clone)]
pub struct UrlSigner {
    key: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("Request has expired")]
    Expired,
    #[error("The request signature we calculated does not match the signature you provided")]
    BadSignature,
    #[error("Query-string authentication requires the expiry and signature parameters")]
    Missing,
}

/// What a signature covers besides the method and version.
pub struct Signed<'a> {
    pub version_id: &'a str,
    pub expires: i64,
    pub size: Option<i64>,
    pub content_type: &'a str,
}

impl UrlSigner {
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, method: &str, s: &Signed<'_>) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        let size = s.size.map_or_else(|| "-".to_owned(), |n| n.to_string());
        let msg = format!(
            "{method}\n{}\n{}\n{size}\n{}",
            s.version_id, s.expires, s.content_type
        );
        mac.update(msg.as_bytes());
        mac
    }

    /// The query string (`X-Docsfs-Expires=…&X-Docsfs-Signature=…`) of a URL for `method`.
    pub fn query(&self, method: &str, s: &Signed<'_>) -> String {
        let sig = hex::encode(self.mac(method, s).finalize().into_bytes());
        format!("{EXPIRES_PARAM}={}&{SIGNATURE_PARAM}={sig}", s.expires)
    }

    /// Checks a URL's expiry and signature against what the server knows of the version.
    pub fn verify(
        &self,
        method: &str,
        s: &Signed<'_>,
        signature_hex: &str,
        now_secs: i64,
    ) -> Result<(), UrlError> {
        let sig = hex::decode(signature_hex).map_err(|_| UrlError::BadSignature)?;
        self.mac(method, s)
            .verify_slice(&sig)
            .map_err(|_| UrlError::BadSignature)?;
        if now_secs > s.expires {
            return Err(UrlError::Expired);
        }
        Ok(())
    }
}

/// Reads the expiry and signature parameters of a raw query string.
pub fn parse_query(raw: Option<&str>) -> Result<(i64, String), UrlError> {
    let (mut expires, mut sig) = (None, None);
    for pair in raw.unwrap_or("").split('&') {
        match pair.split_once('=') {
            Some((EXPIRES_PARAM, v)) => expires = v.parse::<i64>().ok(),
            Some((SIGNATURE_PARAM, v)) => sig = Some(v.to_owned()),
            _ => {}
        }
    }
    Ok((
        expires.ok_or(UrlError::Missing)?,
        sig.ok_or(UrlError::Missing)?,
    ))
}

/// A satisfiable byte range `start..=end` of a body of known length.
#[derive(Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// A `Range` that selects no byte of the body.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsatisfiable;

/// Parses a `Range` header for a body of `len` bytes. `Ok(None)` means "send the whole body" (no
/// header, or one this server ignores as RFC 9110 allows: several ranges, other units);
/// `Err(Unsatisfiable)` means 416.
pub fn parse_range(header: Option<&str>, len: u64) -> Result<Option<ByteRange>, Unsatisfiable> {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let range = match (a.trim(), b.trim()) {
        ("", "") => return Ok(None),
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| Unsatisfiable)?;
            if n == 0 || len == 0 {
                return Err(Unsatisfiable);
            }
            ByteRange {
                start: len.saturating_sub(n),
                end: len - 1,
            }
        }
        (start, end) => {
            let start: u64 = start.parse().map_err(|_| Unsatisfiable)?;
            if start >= len {
                return Err(Unsatisfiable);
            }
            let end = if end.is_empty() {
                len - 1
            } else {
                end.parse::<u64>().map_err(|_| Unsatisfiable)?.min(len - 1)
            };
            if end < start {
                return Err(Unsatisfiable);
            }
            ByteRange { start, end }
        }
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(expires: i64) -> Signed<'static> {
        Signed {
            version_id: "v1",
            expires,
            size: Some(5),
            content_type: "text/plain",
        }
    }

    #[test]
    fn signatures_bind_every_field() {
        let s = UrlSigner::new(b"k".to_vec());
        let q = s.query("GET", &signed(100));
        let (exp, sig) = parse_query(Some(&q)).unwrap();
        assert_eq!(exp, 100);
        assert_eq!(s.verify("GET", &signed(100), &sig, 50), Ok(()));
        assert_eq!(
            s.verify("GET", &signed(100), &sig, 101),
            Err(UrlError::Expired)
        );
        assert_eq!(
            s.verify("PUT", &signed(100), &sig, 50),
            Err(UrlError::BadSignature)
        );
        assert_eq!(
            s.verify("GET", &signed(101), &sig, 50),
            Err(UrlError::BadSignature)
        );
        let other = Signed {
            size: Some(6),
            ..signed(100)
        };
        assert_eq!(
            s.verify("GET", &other, &sig, 50),
            Err(UrlError::BadSignature)
        );
        assert_eq!(
            UrlSigner::new(b"j".to_vec()).verify("GET", &signed(100), &sig, 50),
            Err(UrlError::BadSignature)
        );
        assert_eq!(
            parse_query(Some("X-Docsfs-Expires=1")),
            Err(UrlError::Missing)
        );
    }

    #[test]
    fn ranges() {
        let r = |h: &str, len| parse_range(Some(h), len);
        assert_eq!(
            r("bytes=0-9", 100),
            Ok(Some(ByteRange { start: 0, end: 9 }))
        );
        assert_eq!(
            r("bytes=90-", 100),
            Ok(Some(ByteRange { start: 90, end: 99 }))
        );
        assert_eq!(
            r("bytes=-10", 100),
            Ok(Some(ByteRange { start: 90, end: 99 }))
        );
        assert_eq!(
            r("bytes=-1000", 100),
            Ok(Some(ByteRange { start: 0, end: 99 }))
        );
        assert_eq!(
            r("bytes=50-1000", 100),
            Ok(Some(ByteRange { start: 50, end: 99 }))
        );
        assert_eq!(r("bytes=100-", 100), Err(Unsatisfiable));
        assert_eq!(r("bytes=5-4", 100), Err(Unsatisfiable));
        assert_eq!(r("bytes=0-0", 0), Err(Unsatisfiable));
        assert_eq!(r("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(r("items=0-1", 100), Ok(None));
        assert_eq!(parse_range(None, 100), Ok(None));
    }
}
