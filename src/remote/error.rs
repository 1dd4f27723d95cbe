//! Errors of a document store as the filesystem sees them. Backends map their own wire errors
//! (HTTP status, WorkDocs error names, LogicalDOC quirks) into these; nothing HTTP-shaped leaks up.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RemoteError {
    /// No such item (or version).
    #[error("not found: {0}")]
    NotFound(String),
    /// An item of that name already exists.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The caller may not do this to this item.
    #[error("access denied: {0}")]
    Denied(String),
    /// The credentials were refused (wrong or expired token, bad signature).
    #[error("authentication refused: {0}")]
    Unauthenticated(String),
    /// The item's state forbids the operation (recycled, locked, being changed by someone else).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request was refused as malformed (a name the store does not accept, …).
    #[error("invalid request: {0}")]
    Invalid(String),
    /// The store is throttling or temporarily unavailable; retrying later may succeed.
    #[error("service unavailable: {message}")]
    Unavailable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// No answer within the configured time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The connection failed or broke off.
    #[error("network: {0}")]
    Network(String),
    /// The store answered something this client cannot understand.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The bytes received do not match the checksum the store states for them.
    #[error("corrupt content: {0}")]
    Corrupt(String),
    /// The backend does not support the operation.
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl RemoteError {
    /// Whether retrying the same request may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. } | Self::Timeout(_) | Self::Network(_)
        )
    }
}
