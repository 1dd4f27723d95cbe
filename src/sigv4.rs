//! AWS Signature Version 4 for the WorkDocs REST API (service `workdocs`), on both sides: the
//! admin-mode client signs its requests and `docsfs serve --admin-key ID:SECRET` verifies them.
//!
//! The algorithm (canonical request, string to sign, key derivation) is the `aws-sigv4` crate's,
//! so both sides canonicalise exactly like the AWS SDKs: the path is dot-segment normalised and
//! percent-encoded once more (the non-S3 rule), the query is decoded, re-encoded RFC 3986 style
//! and sorted, header values are trimmed. This module owns only the glue: which headers are
//! signed, parsing `Authorization`, the `x-amz-date` clock-skew check and the constant-time
//! comparison. Header signatures only (no presigned URLs). Secrets and signatures never appear
//! in errors or `Debug` output.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{self, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4::SigningParams;
use http::header::{AUTHORIZATION, HOST};

/// SigV4 signing name of Amazon WorkDocs.
pub const SERVICE: &str = "workdocs";
/// Region used when none is configured.
pub const DEFAULT_REGION: &str = "us-east-1";

/// A long-term access key pair. `Debug` shows the id only.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// Access key id, sent in clear in the credential scope.
    pub id: String,
    /// Secret access key; never logged.
    pub secret: String,
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKey {{ id: {:?}, secret: <redacted> }}", self.id)
    }
}

impl AccessKey {
    /// Parses `ID:SECRET`, split at the first `:`. The id must be `[A-Za-z0-9_-]+`, the secret
    /// non-empty printable ASCII without spaces.
    pub fn parse(s: &str) -> Result<Self, SigV4Error> {
        let Some((id, secret)) = s.split_once(':') else {
            return Err(malformed("key must be ID:SECRET"));
        };
        let id_char = |b: u8| b.is_ascii_alphanumeric() || b"_-".contains(&b);
        if id.is_empty() || !id.bytes().all(id_char) {
            return Err(malformed("access key id must be [A-Za-z0-9_-]+"));
        }
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(malformed("secret must be printable ASCII"));
        }
        let (id, secret) = (id.to_owned(), secret.to_owned());
        Ok(Self { id, secret })
    }
}

/// Why signing or verification failed. Messages never contain secrets or signatures.
#[derive(Debug, thiserror::Error)]
pub enum SigV4Error {
    /// The key, URL, `Authorization` or `x-amz-date` header is not well formed (HTTP 400).
    #[error("malformed SigV4 request: {0}")]
    Malformed(String),
    /// The access key id in the credential scope is not configured (HTTP 403).
    #[error("unknown access key id")]
    UnknownKey,
    /// `x-amz-date` is further from the server clock than the allowed skew (HTTP 403).
    #[error("request time is outside the allowed clock skew")]
    Expired,
    /// The signature or the signed-headers list does not match the request (HTTP 403).
    #[error("signature does not match")]
    Mismatch,
    /// `aws-sigv4` refused to sign (invalid URL, header name or value).
    #[error("SigV4 signing failed: {0}")]
    Signing(String),
}

fn malformed(msg: impl Into<String>) -> SigV4Error {
    SigV4Error::Malformed(msg.into())
}

fn identity(key: &AccessKey, session_token: Option<&str>) -> Credentials {
    let token = session_token.map(Into::into);
    Credentials::new(&key.id, &key.secret, token, None, "docsfs")
}

/// Signs a request; returns the headers the caller must *set* on it (replacing same-named
/// ones): `x-amz-date` and `authorization`.
///
/// `url` is the absolute, already percent-encoded URL that will be sent, query included.
/// Every header in `headers` is signed (except `authorization`), so pass only headers that
/// reach the server unchanged (not `user-agent` through a rewriting proxy). `host` need not be
/// passed: like the SDKs, aws-sigv4 derives it from the URL authority minus a default port
/// (80/443), which is the `Host` hyper/reqwest send; pass it only to sign a different `Host`.
/// The WorkDocs `Authentication` token may be signed (botocore does) or added unsigned.
/// Session tokens (`x-amz-security-token`) are not supported here.
pub fn sign(
    key: &AccessKey,
    region: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    time: SystemTime,
) -> Result<Vec<(String, String)>, SigV4Error> {
    let creds = identity(key, None);
    sign_service(&creds, SERVICE, region, method, url, headers, body, time)
}

/// [`sign`] with explicit credentials and service name (used by `verify` and the tests).
fn sign_service(
    creds: &Credentials,
    service: &str,
    region: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    time: SystemTime,
) -> Result<Vec<(String, String)>, SigV4Error> {
    // aws-sigv4 panics when neither a host header nor a URL authority is present.
    let uri: http::Uri = url.parse().map_err(|_| malformed("invalid url"))?;
    if uri.scheme().is_none() || uri.authority().is_none() {
        return Err(malformed("url must be absolute"));
    }
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(vec![AUTHORIZATION.as_str().into()]);
    let identity = creds.clone().into();
    let params = SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| SigV4Error::Signing(e.to_string()))?
        .into();
    let (headers, body) = (headers.iter().copied(), SignableBody::Bytes(body));
    let signed = SignableRequest::new(method, url, headers, body)
        .and_then(|request| http_request::sign(request, &params))
        .map_err(signing_error)?;
    let headers = signed.output().headers();
    Ok(headers.map(|(n, v)| (n.into(), v.into())).collect())
}

/// aws-sigv4's messages name the problem ("invalid header value"), never a value.
fn signing_error(e: http_request::SigningError) -> SigV4Error {
    let cause = std::error::Error::source(&e).map(|s| format!(": {s}"));
    SigV4Error::Signing(format!("{e}{}", cause.unwrap_or_default()))
}

/// True if the request carries a SigV4 (`AWS4-HMAC-SHA256`) `Authorization` header.
pub fn is_signed(headers: &http::HeaderMap) -> bool {
    let sigv4 = |v: &http::HeaderValue| v.as_bytes().starts_with(b"AWS4-HMAC-SHA256 ");
    headers.get_all(AUTHORIZATION).iter().any(sigv4)
}

/// Verifies a received request and returns the access key id that signed it.
///
/// `uri` is the request target as received (axum's `OriginalUri` under nested routers); only
/// its path and query are used. Exactly the headers named in `SignedHeaders` are fed to
/// aws-sigv4, with their received values; `host` comes from `Host`, or the URI authority when
/// there is none (HTTP/2). Unsigned headers (`User-Agent`, an unsigned `Authentication`, ...)
/// are ignored. The credential scope must name `workdocs` and the `x-amz-date` day; any region
/// is accepted. A signed `x-amz-security-token` is checked like any header but not validated:
/// this server issues no session credentials, the configured secret is what authenticates.
pub fn verify(
    keys: &[AccessKey],
    method: &str,
    uri: &http::Uri,
    headers: &http::HeaderMap,
    body: &[u8],
    now: SystemTime,
    max_skew: Duration,
) -> Result<String, SigV4Error> {
    let auth = parse_authorization(single_header(headers, AUTHORIZATION.as_str())?)?;
    if auth.service != SERVICE {
        return Err(malformed("credential scope service must be workdocs"));
    }
    let key = keys.iter().find(|k| k.id == auth.key_id);
    let key = key.ok_or(SigV4Error::UnknownKey)?;
    let date = single_header(headers, "x-amz-date")?;
    let time =
        parse_amz_date(date).ok_or_else(|| malformed("x-amz-date is not YYYYMMDDTHHMMSSZ"))?;
    if auth.date != &date[..8] {
        return Err(malformed("credential scope date differs from x-amz-date"));
    }
    if now.duration_since(time).unwrap_or_else(|e| e.duration()) > max_skew {
        return Err(SigV4Error::Expired);
    }
    // Any listing problem (unsorted, upper case, missing host or x-amz-date) makes aws-sigv4's
    // own SignedHeaders differ from the client's, hence a Mismatch below.
    let mut signable = Vec::new();
    for name in auth.signed_headers.split(';') {
        match name {
            "x-amz-date" => {} // aws-sigv4 writes it from `time`: the same text, parsing is strict
            "host" if !headers.contains_key(HOST) => {
                let authority = uri.authority().ok_or_else(|| malformed("no Host header"))?;
                signable.push((name, authority.as_str()));
            }
            _ => {
                let before = signable.len();
                for value in headers.get_all(name) {
                    let value = value.to_str().map_err(|_| malformed("non-ASCII header"))?;
                    signable.push((name, value));
                }
                if signable.len() == before {
                    return Err(malformed(format!("signed header {name} is missing")));
                }
            }
        }
    }
    // A placeholder authority: `host` is passed as a header, which aws-sigv4 prefers.
    let target = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let url = format!("http://sigv4.invalid{target}");
    let (creds, region) = (identity(key, None), auth.region);
    let ours = sign_service(&creds, SERVICE, region, method, &url, &signable, body, time);
    let ours = ours.map_err(|e| malformed(format!("cannot canonicalise the request ({e})")))?;
    let ours = ours.iter().find(|h| h.0 == "authorization");
    let ours = parse_authorization(ours.map_or("", |h| &h.1)).map_err(|_| SigV4Error::Mismatch)?;
    if ours.signed_headers != auth.signed_headers || !ct_eq(ours.signature, auth.signature) {
        return Err(SigV4Error::Mismatch);
    }
    Ok(auth.key_id.to_owned())
}

fn single_header<'a>(headers: &'a http::HeaderMap, name: &str) -> Result<&'a str, SigV4Error> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().map_err(|_| malformed("non-ASCII header")),
        (None, _) => Err(malformed(format!("missing {name} header"))),
        _ => Err(malformed(format!("more than one {name} header"))),
    }
}

/// `AWS4-HMAC-SHA256 Credential=ID/DAY/REGION/SERVICE/aws4_request, SignedHeaders=a;b,
/// Signature=hex`, split up.
struct Authorization<'a> {
    key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, SigV4Error> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ");
    let rest = rest.ok_or_else(|| malformed("authorization scheme must be AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let slot = match part.trim().split_once('=') {
            Some(("Credential", v)) => (&mut credential, v),
            Some(("SignedHeaders", v)) => (&mut signed_headers, v),
            Some(("Signature", v)) => (&mut signature, v),
            _ => return Err(malformed("unexpected authorization component")),
        };
        if slot.0.replace(slot.1).is_some() {
            return Err(malformed("repeated authorization component"));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(malformed("incomplete authorization header"));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, date, region, service, "aws4_request"] = scope[..] else {
        return Err(malformed("malformed credential scope"));
    };
    Ok(Authorization {
        key_id,
        date,
        region,
        service,
        signed_headers,
        signature,
    })
}

/// Parses SigV4's basic format `YYYYMMDDTHHMMSSZ` strictly (UTC, 1970 or later).
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digit = |n: i64, c: &u8| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'));
    let num = |r: std::ops::Range<usize>| b[r].iter().try_fold(0, digit);
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, sec) = (num(9..11)?, num(11..13)?, num(13..15)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match mo {
        2 => 28 + i64::from(leap),
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&mo) || !(1..=month_days).contains(&d) || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let yy = if mo <= 2 { y - 1 } else { y };
    let (era, yoe) = (yy.div_euclid(400), yy.rem_euclid(400));
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = u64::try_from(days * 86_400 + h * 3600 + mi * 60 + sec).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Comparison whose time does not depend on where the inputs differ.
fn ct_eq(a: &str, b: &str) -> bool {
    let diff = std::iter::zip(a.bytes(), b.bytes()).fold(0, |acc, (x, y)| acc | (x ^ y));
    a.len() == b.len() && std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use SigV4Error::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const SKEW: Duration = Duration::from_secs(900);
    const LIST: &str = "/api/v1/folders/f%201/contents?marker=a%2Bb%2Fc%3D%20d%20e&limit=10";
    type Req = (http::Uri, http::HeaderMap);

    fn key() -> AccessKey {
        AccessKey::parse(&format!("AKIDEXAMPLE:{SECRET}")).unwrap()
    }

    fn t(s: &str) -> SystemTime {
        parse_amz_date(s).unwrap()
    }

    fn hmap<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> http::HeaderMap {
        let parse = |(n, v): (&str, &str)| (n.parse().unwrap(), v.parse().unwrap());
        pairs.into_iter().map(parse).collect()
    }

    /// Signs for `http://127.0.0.1:8080{target}` and returns what the server receives: the
    /// target, `Host` as hyper sends it, the caller's and the signing headers, a User-Agent.
    fn signed(method: &str, target: &str, sent: &[(&str, &str)], body: &[u8]) -> Req {
        let url = format!("http://127.0.0.1:8080{target}");
        let time = t("20261123T191500Z");
        let added = sign(&key(), DEFAULT_REGION, method, &url, sent, body, time).unwrap();
        let added = added.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let extra = [("host", "127.0.0.1:8080"), ("user-agent", "reqwest")];
        let headers = hmap(sent.iter().copied().chain(added).chain(extra));
        (target.parse().unwrap(), headers)
    }

    fn check(method: &str, (uri, headers): &Req, body: &[u8]) -> Result<String, SigV4Error> {
        let now = t("20261123T191000Z");
        verify(&[key()], method, uri, headers, body, now, SKEW)
    }

    /// `req` with header `name` set to `value`, or removed.
    fn with(req: &Req, name: &'static str, value: Option<&str>) -> Req {
        let mut req = req.clone();
        match value {
            Some(v) => req.1.insert(name, v.parse().unwrap()),
            None => req.1.remove(name),
        };
        req
    }

    #[test]
    fn round_trips_and_tampering() {
        let get = signed("GET", LIST, &[], b"");
        assert_eq!(check("GET", &get, b"").unwrap(), "AKIDEXAMPLE");
        assert!(is_signed(&get.1) && !is_signed(&hmap([("authentication", "tok")])));
        let requery = (LIST.replace("%20e", "%20f").parse().unwrap(), get.1.clone());
        assert!(matches!(check("GET", &requery, b""), Err(Mismatch)));
        assert!(check("GET", &with(&get, "x-extra", Some("unsigned")), b"").is_ok());

        let json = [("content-type", "application/json")];
        let (a, b) = (br#"{"a":1}"#, br#"{"a":2}"#);
        let post = signed("POST", "/api/v1/folders", &json, a);
        assert_eq!(check("POST", &post, a).unwrap(), "AKIDEXAMPLE");
        assert!(matches!(check("POST", &post, b), Err(Mismatch)));
        assert!(matches!(check("PUT", &post, a), Err(Mismatch)));
        let patch = signed("PATCH", "/api/v1/documents/d1", &json, a);
        assert_eq!(check("PATCH", &patch, a).unwrap(), "AKIDEXAMPLE");
        let retyped = with(&patch, "content-type", Some("text/plain"));
        assert!(matches!(check("PATCH", &retyped, a), Err(Mismatch)));
        let rehosted = with(&patch, "host", Some("evil.example"));
        assert!(matches!(check("PATCH", &rehosted, a), Err(Mismatch)));
        let stripped = with(&patch, "content-type", None);
        assert!(matches!(check("PATCH", &stripped, a), Err(Malformed(_))));
        let undated = with(&patch, "x-amz-date", None);
        assert!(matches!(check("PATCH", &undated, a), Err(Malformed(_))));
    }

    #[test]
    fn keys_and_clock() {
        let (uri, h) = signed("GET", LIST, &[], b"");
        let run = |key: AccessKey, now| verify(&[key], "GET", &uri, &h, b"", now, SKEW);
        let (now, other) = (t("20261123T191500Z"), AccessKey::parse("OTHER:x").unwrap());
        let wrong = AccessKey::parse("AKIDEXAMPLE:not-it").unwrap();
        assert!(matches!(run(wrong, now), Err(Mismatch)));
        assert!(matches!(run(other, now), Err(UnknownKey)));
        assert!(matches!(run(key(), t("20261123T193001Z")), Err(Expired)));
        assert!(matches!(run(key(), t("20261123T185959Z")), Err(Expired)));
        assert!(run(key(), t("20261123T193000Z")).is_ok());
    }

    #[test]
    fn workdocs_authentication_header_signed_or_not() {
        let req = signed("GET", LIST, &[("Authentication", "user-token abc")], b"");
        let list = "SignedHeaders=authentication;host;x-amz-date,";
        assert!(req.1["authorization"].to_str().unwrap().contains(list));
        assert!(check("GET", &req, b"").is_ok());
        let swapped = with(&req, "authentication", Some("other-token"));
        assert!(matches!(check("GET", &swapped, b""), Err(Mismatch)));
        let unsigned = signed("GET", LIST, &[], b"");
        let unsigned = with(&unsigned, "authentication", Some("tok"));
        assert!(check("GET", &unsigned, b"").is_ok());
    }

    #[test]
    fn access_keys_and_dates() {
        let k = key();
        assert_eq!((k.id.as_str(), k.secret.as_str()), ("AKIDEXAMPLE", SECRET));
        assert!(!format!("{k:?}").contains("wJalr"));
        for bad in ["", "none", ":s3cr3t", "id:", "i d:s3cr3t", "id:s3 cr3t"] {
            let err = AccessKey::parse(bad).unwrap_err();
            let quiet = matches!(err, Malformed(ref m) if !m.contains("3cr3"));
            assert!(quiet, "{bad}");
        }
        let leap_day_end = UNIX_EPOCH + Duration::from_secs(1_709_251_199);
        assert_eq!(t("20240229T235959Z"), leap_day_end);
        for bad in ["20230229T000000Z", "20261123T240000Z", "19691231T235959Z"] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    /// The AWS documentation's example: GET iam ListUsers.
    #[test]
    fn known_answer_aws_docs_vector() {
        let ct = (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        let url = "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08";
        let (creds, time) = (identity(&key(), None), t("20150830T123600Z"));
        let out = sign_service(&creds, "iam", "us-east-1", "GET", url, &[ct], b"", time);
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
            SignedHeaders=content-type;host;x-amz-date, \
            Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        let out = out.unwrap();
        assert_eq!(out[0], ("x-amz-date".into(), "20150830T123600Z".into()));
        assert_eq!(out[1], ("authorization".into(), auth.into()));
    }

    /// Requests from botocore 1.43.11's `workdocs` client, key AKIDEXAMPLE, time frozen at
    /// 20261123T191500Z, host workdocs.us-east-1.amazonaws.com: method|target|body|signed
    /// headers|signature. verify() accepts them as received; sign() reproduces them exactly.
    const BOTOCORE: &str = r#"
GET|/api/v1/folders/fold-1/contents?marker=a%2Bb%2Fc%3D%20d%20e&limit=10||authentication;host;x-amz-date|5a25914c88bd2175fe2dc5deee789dda2fd40229b441d9d83951ae6acd51840c
GET|/api/v1/folders/fold-1/contents?marker=a%2Bb%2Fc%3D%20d%20e&limit=10||authentication;host;x-amz-date;x-amz-security-token|506b590464095e82d1255555afd817d224a236ea6a886bc2c92d9cac4e3264eb
POST|/api/v1/folders|{"Name": "New folder \u00e9", "ParentFolderId": "fold-1"}|content-type;host;x-amz-date|000f5901caa141f59b12ea83ca89cdf2aec554094f89a0ea0f90265c768c10ee
PATCH|/api/v1/documents/doc%201|{"Name": "renamed"}|content-type;host;x-amz-date|8347738cb7db179b2a1414ea999997f0953f56edbf993ddc560e3b0aa9e50f34"#;

    #[test]
    fn botocore_workdocs_vectors() {
        let host = "workdocs.us-east-1.amazonaws.com";
        let token = "FQoGZXIvYXdzEXAMPLETOKEN//+=";
        let value = |name| match name {
            "authentication" => "tok en",
            "content-type" => "application/json",
            _ => token, // x-amz-security-token
        };
        let time = t("20261123T191500Z");
        for line in BOTOCORE.lines().skip(1) {
            let [method, target, body, list, signature] = line.split('|').collect::<Vec<_>>()[..]
            else {
                panic!("bad vector {line}");
            };
            let scope = "AKIDEXAMPLE/20261123/us-east-1/workdocs/aws4_request";
            let authz = format!(
                "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders={list}, Signature={signature}"
            );
            let names = list
                .split(';')
                .filter(|n| !["host", "x-amz-date"].contains(n));
            let sent: Vec<_> = names.map(|n| (n, value(n))).collect();
            let extra = [("host", host), ("x-amz-date", "20261123T191500Z")];
            let extra = extra.into_iter().chain([("authorization", authz.as_str())]);
            let received = hmap(sent.iter().copied().chain(extra));
            let (uri, body) = (target.parse().unwrap(), body.as_bytes());
            let verified = verify(&[key()], method, &uri, &received, body, time, SKEW);
            assert_eq!(verified.unwrap(), "AKIDEXAMPLE", "{line}");

            let session = list.contains("x-amz-security-token").then_some(token);
            let sent: Vec<_> = sent.into_iter().filter(|h| h.1 != token).collect();
            let (creds, url) = (identity(&key(), session), format!("https://{host}{target}"));
            let region = "us-east-1";
            let out = sign_service(&creds, SERVICE, region, method, &url, &sent, body, time);
            let out = out.unwrap();
            assert!(out.contains(&("authorization".into(), authz)), "{line}");
        }
    }
}
