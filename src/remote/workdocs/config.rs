//! What a WorkDocs client is told (endpoint, credentials, time budget, region) and the checks
//! made before any traffic: TLS unless the endpoint is loopback (or plain http was allowed),
//! credentials that fit in a header. Owns the hand-written `Debug`s, so secrets cannot reach a log through `{:?}`.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::remote::http;
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
    /// Accept a plain-http endpoint that is not loopback, and signed content URLs in plain http
    /// to the same host (`--allow-insecure-http`): the token and content travel unencrypted.
    pub allow_insecure_http: bool,
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
            .field("endpoint", &crate::remote::http::redacted(&self.endpoint))
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("region", &self.region)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// Why a configuration was refused. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Endpoint(#[from] http::EndpointError),
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
/// byte for byte the URL sent; with the rule for the URLs its answers hand out.
pub fn endpoint_base(config: &WorkDocsConfig) -> Result<(String, http::ServerUrls), ConfigError> {
    let base = http::endpoint_base_with(&config.endpoint, config.allow_insecure_http)?;
    let urls = http::ServerUrls::new(&base, config.allow_insecure_http);
    Ok((base, urls))
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
