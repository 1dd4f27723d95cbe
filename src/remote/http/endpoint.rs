//! Where the clients may send requests, and with what: the one HTTP client both backends build
//! (no redirects, TCP_NODELAY, pooled connections), the endpoint checks made before any traffic
//! (TLS unless loopback or `--allow-insecure-http`, no credentials in URLs), endpoints as logs
//! may show them, and which URLs a server hands out may be followed.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

/// The HTTP client both backends use: no redirects (`reqwest` would carry credentials to another
/// host), TCP_NODELAY (a small request must not wait for an ACK), idle connections kept for
/// reuse, and `timeout` to connect.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("docsfs/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout)
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
}

/// A validated endpoint: its canonical form without a trailing `/`, or why it is refused. Plain
/// http is accepted for loopback hosts only (see [`endpoint_base_with`]).
pub fn endpoint_base(endpoint: &str) -> Result<String, EndpointError> {
    endpoint_base_with(endpoint, false)
}

/// [`endpoint_base`]; with `allow_insecure_http` (`docsfs mount --allow-insecure-http`), plain
/// http to any host is accepted too — credentials, sessions and content then travel
/// unencrypted, which only a network the user trusts makes acceptable.
pub fn endpoint_base_with(
    endpoint: &str,
    allow_insecure_http: bool,
) -> Result<String, EndpointError> {
    let bad = |why| EndpointError::Invalid(redacted(endpoint), why);
    let url = Url::parse(endpoint.trim()).map_err(|_| bad("not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a query or fragment is not allowed"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) || allow_insecure_http => {}
        "http" => return Err(EndpointError::Insecure(redacted(endpoint))),
        _ => return Err(bad("the scheme must be https or http")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The name of the `docsfs mount` flag that lets plain http through, for messages.
pub const ALLOW_INSECURE_HTTP_FLAG: &str = "--allow-insecure-http";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("invalid endpoint {0:?}: {1}")]
    Invalid(String, &'static str),
    #[error(
        "endpoint {0:?} uses plain http to a host that is not loopback, which would send \
         credentials and content unencrypted; use https, or pass {ALLOW_INSECURE_HTTP_FLAG} if \
         the network to it is trusted (http is always accepted for 127.0.0.0/8, ::1 and \
         localhost)"
    )]
    Insecure(String),
}

/// `endpoint` fit for a message or a log: a `user:password@` part is replaced by `…@`.
pub fn redacted(endpoint: &str) -> String {
    let Some((scheme, rest)) = endpoint.split_once("://") else {
        return endpoint.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => endpoint.to_owned(),
    }
}

/// Whether a URL may carry a secret: https, or http to a loopback host.
pub fn is_secure(url: &str) -> bool {
    Url::parse(url)
        .is_ok_and(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback(&u)))
}

/// Which of the URLs a server hands out (signed download and upload URLs, each a capability)
/// a client uses: https; http to a loopback host; and, only when the endpoint itself was let
/// through with `--allow-insecure-http` as plain http, plain http to its own host (any port). A
/// plain-http URL to any other host is refused: the user trusted the path to one host, not
/// wherever a server's answer points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerUrls {
    /// The endpoint's host, when plain http to it is allowed.
    plain_host: Option<String>,
}

impl ServerUrls {
    /// The rule for a client of `endpoint_base` (as [`endpoint_base_with`] returned it).
    pub fn new(endpoint_base: &str, allow_insecure_http: bool) -> Self {
        let plain_host = allow_insecure_http
            .then(|| Url::parse(endpoint_base).ok())
            .flatten()
            .filter(|u| u.scheme() == "http")
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        Self { plain_host }
    }

    /// Whether `url` may be used.
    pub fn allows(&self, url: &str) -> bool {
        if is_secure(url) {
            return true;
        }
        let Ok(u) = Url::parse(url) else {
            return false;
        };
        u.scheme() == "http"
            && self
                .plain_host
                .as_deref()
                .is_some_and(|h| u.host_str().is_some_and(|x| x.eq_ignore_ascii_case(h)))
    }
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_endpoints_are_never_shown() {
        let e = endpoint_base("https://u:hunter2@x/?a=1").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = endpoint_base("http://u:hunter2@example.com").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert_eq!(redacted("https://a:b@h/p@q"), "https://…@h/p@q");
        assert_eq!(redacted("https://h/x"), "https://h/x");
    }

    #[test]
    fn plain_http_to_another_host_needs_the_flag() {
        for endpoint in ["http://10.1.2.3:8080/", "http://dms.example.com/logicaldoc"] {
            let refused = endpoint_base(endpoint).unwrap_err();
            assert!(matches!(refused, EndpointError::Insecure(_)), "{refused}");
            let shown = refused.to_string();
            assert!(shown.contains(ALLOW_INSECURE_HTTP_FLAG), "{shown}");
            assert_eq!(endpoint_base_with(endpoint, false), Err(refused));
            let base = endpoint_base_with(endpoint, true).unwrap();
            assert_eq!(base, endpoint.trim_end_matches('/'));
        }
        // The flag lets plain http through, nothing else.
        for bad in [
            "ftp://x",
            "https://u:p@x",
            "http://u:p@10.0.0.1",
            "http://x/?a=1",
        ] {
            let e = endpoint_base_with(bad, true).unwrap_err();
            assert!(matches!(e, EndpointError::Invalid(..)), "{bad}: {e}");
            assert!(!e.to_string().contains(":p@"), "{e}");
        }
        // The refusal never shows credentials either.
        let e = endpoint_base("http://10.0.0.1/x").unwrap_err().to_string();
        assert!(e.contains("\"http://10.0.0.1/x\""), "{e}");
    }

    #[test]
    fn server_urls_follow_the_endpoint_rule() {
        let strict = ServerUrls::new("http://10.1.2.3:8080", false);
        let relaxed = ServerUrls::new("http://10.1.2.3:8080", true);
        for both in [
            "https://s3.example.com/b/k?X-Amz-Signature=x",
            "http://127.0.0.1:9/blobs/v",
            "http://[::1]/blobs/v",
            "http://localhost:1/blobs/v",
        ] {
            assert!(strict.allows(both) && relaxed.allows(both), "{both}");
        }
        // Plain http to the endpoint's host (any port): only with the flag.
        for same_host in ["http://10.1.2.3:8080/blobs/v?s=1", "http://10.1.2.3:9000/b"] {
            assert!(!strict.allows(same_host), "{same_host}");
            assert!(relaxed.allows(same_host), "{same_host}");
        }
        // Plain http elsewhere, other schemes and garbage: never.
        for never in [
            "http://10.1.2.4:8080/blobs/v",
            "http://evil.example.com/blobs/v",
            "ftp://10.1.2.3/x",
            "not a url",
            "",
        ] {
            assert!(!strict.allows(never) && !relaxed.allows(never), "{never}");
        }
        // A host name compares case-insensitively; the default allows no plain http at all.
        let named = ServerUrls::new("http://DMS.lan", true);
        assert!(named.allows("http://dms.LAN:8080/download"));
        assert!(!ServerUrls::default().allows("http://dms.lan/x"));
        // An https endpoint with the flag still gives no plain http to its host.
        let tls = ServerUrls::new("https://dms.lan", true);
        assert!(!tls.allows("http://dms.lan/x"));
    }

    #[test]
    fn endpoints() {
        let ok = |e: &str| endpoint_base(e).unwrap();
        assert_eq!(ok("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://127.1.2.3"), "http://127.1.2.3");
        assert_eq!(ok("http://[::1]:9/"), "http://[::1]:9");
        assert_eq!(ok("http://LocalHost:80"), "http://localhost");
        assert_eq!(
            ok("https://Example.COM:443/api/"),
            "https://example.com/api"
        );
        for insecure in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.evil",
        ] {
            assert!(matches!(
                endpoint_base(insecure),
                Err(EndpointError::Insecure(_))
            ));
        }
        for bad in [
            "",
            "example.com",
            "ftp://x",
            "https://u:p@x",
            "https://x/?a=1",
        ] {
            assert!(
                matches!(endpoint_base(bad), Err(EndpointError::Invalid(..))),
                "{bad}"
            );
        }
    }
}
