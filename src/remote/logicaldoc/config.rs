//! What a LogicalDOC client is told (endpoint, credentials, time budget, where to keep its
//! recycle-bin record) and the checks made before any traffic: TLS unless the endpoint is
//! loopback (or plain http was allowed), credentials that fit in a header. Owns the hand-written `Debug`s, so a password or
//! API key cannot reach a log through `{:?}`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::remote::http::EndpointError;

/// How a [`super::LogicalDocRemote`] reaches and authenticates to a LogicalDOC server.
#[derive(Clone)]
pub struct LogicalDocConfig {
    /// Base URL of the web application, e.g. `https://dms.example.com/logicaldoc` (the REST
    /// services are under `/services/rest`, the download servlet at `/download`).
    pub endpoint: String,
    pub auth: LogicalDocAuth,
    /// Bound for one whole API call, retries included.
    pub timeout: Duration,
    /// Folder for the durable record of what this client deleted (the recycle bin it shows);
    /// `None`: no recycle bin.
    pub trash_dir: Option<PathBuf>,
    /// Accept a plain-http endpoint that is not loopback (`--allow-insecure-http`): the
    /// password or API key, the session and the content travel unencrypted. (Downloads go to
    /// the endpoint's own `/download`, so no other URL needs a rule.)
    pub allow_insecure_http: bool,
}

/// The caller's credentials.
#[derive(Clone)]
pub enum LogicalDocAuth {
    /// A user name and password: one session (`sid`) is opened and renewed when it expires.
    Password { user: String, password: String },
    /// An API key (LogicalDOC 9.0+), sent as `X-API-KEY` with every request.
    ApiKey(String),
}

impl fmt::Debug for LogicalDocAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password { user, .. } => f
                .debug_struct("Password")
                .field("user", user)
                .field("password", &"<redacted>")
                .finish(),
            Self::ApiKey(_) => f.write_str("ApiKey(<redacted>)"),
        }
    }
}

impl fmt::Debug for LogicalDocConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogicalDocConfig")
            .field("endpoint", &crate::remote::http::redacted(&self.endpoint))
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("trash_dir", &self.trash_dir)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// Why a configuration was refused. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    #[error("the {0} is empty or contains characters not allowed in an HTTP header")]
    Credentials(&'static str),
    #[error("the timeout must be greater than zero")]
    Timeout,
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    #[error("cannot open the recycle-bin record: {0}")]
    Trash(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let pw = LogicalDocAuth::Password {
            user: "alice".into(),
            password: "pw-secret".into(),
        };
        let key = LogicalDocAuth::ApiKey("ld-key-secret".into());
        let shown = format!("{pw:?} {key:?}");
        assert!(shown.contains("alice"));
        assert!(
            !shown.contains("pw-secret") && !shown.contains("key-secret"),
            "{shown}"
        );
    }
}
