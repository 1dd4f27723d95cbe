//! What a WorkDocs client is told (endpoint, credentials, time budget, region) and the checks
//! made before any traffic: TLS unless the endpoint is loopback, credentials that fit in a
//! header. Owns the hand-written `Debug`s, so secrets cannot reach a log through `{:?}`.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;

use crate::sigv4::AccessKey;

/// How a [`super::WorkDocsRemote`] reaches and authenticates to a WorkDocs API.
#[derive(Clone)]
pub struct WorkDocsConfig {
    /// Base URL, e.g. `https://workdocs.us-east-1.amazonaws.com` or `http://127.0.0.1:8080`.
    pub endpoint: String,
    pub auth: WorkDocsAuth,
    /// Bound for one whole API call, retries included.
    pub timeout: Duration,
    /// SigV4 region (admin mode); empty means [`crate::sigv4::DEFAULT_REGION`].
    pub region: String,
}

/// The caller's credentials.
#[derive(Clone)]
pub enum WorkDocsAuth {
    /// A user's token, sent in the `Authentication` header.
    Token(String),
    /// An administrative access key: every request is SigV4-signed; there is no current user,
    /// so the tree starts at `root_folder_id`.
    Admin {
        key: AccessKey,
        root_folder_id: String,
    },
}

impl fmt::Debug for WorkDocsAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token(_) => f.write_str("Token(<redacted>)"),
            Self::Admin {
                key,
                root_folder_id,
            } => f
                .debug_struct("Admin")
                .field("key", key)
                .field("root_folder_id", root_folder_id)
                .finish(),
        }
    }
}

impl fmt::Debug for WorkDocsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkDocsConfig")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("region", &self.region)
            .finish()
    }
}

/// Why a configuration was refused. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid endpoint {0:?}: {1}")]
    Endpoint(String, &'static str),
    #[error(
        "endpoint {0:?} uses plain http to a host that is not loopback; use https (http is \
         accepted for 127.0.0.0/8, ::1 and localhost only)"
    )]
    Insecure(String),
    #[error("the token is empty or contains characters not allowed in an HTTP header")]
    Token,
    #[error("the root folder id of the admin mode is empty")]
    RootFolder,
    #[error("the timeout must be greater than zero")]
    Timeout,
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

/// A validated endpoint: its canonical form without a trailing `/`, so that the URL signed is
/// byte for byte the URL sent.
pub fn endpoint_base(endpoint: &str) -> Result<String, ConfigError> {
    let bad = |why| ConfigError::Endpoint(endpoint.to_owned(), why);
    let url = Url::parse(endpoint.trim()).map_err(|_| bad("not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a query or fragment is not allowed"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(ConfigError::Insecure(endpoint.to_owned())),
        _ => return Err(bad("the scheme must be https or http")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether a URL may carry a secret: https, or http to a loopback host.
pub fn is_secure(url: &str) -> bool {
    Url::parse(url)
        .is_ok_and(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback(&u)))
}

fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// The `Authentication` header value of a token, marked sensitive so that `http` and `reqwest`
/// keep it out of their own `Debug` output.
pub fn token_header(token: &str) -> Result<HeaderValue, ConfigError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ConfigError::Token);
    }
    let mut value = HeaderValue::from_str(token).map_err(|_| ConfigError::Token)?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

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
                Err(ConfigError::Insecure(_))
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
                matches!(endpoint_base(bad), Err(ConfigError::Endpoint(..))),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_hides_secrets() {
        let key = AccessKey::parse("AKID:very-secret").unwrap();
        let admin = WorkDocsAuth::Admin {
            key,
            root_folder_id: "root".into(),
        };
        let token = WorkDocsAuth::Token("tok-secret".into());
        let shown = format!("{admin:?} {token:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("tok-secret"),
            "{shown}"
        );
        assert!(matches!(token_header(" "), Err(ConfigError::Token)));
        assert!(matches!(token_header("a\nb"), Err(ConfigError::Token)));
    }
}
