//! WorkDocs wire errors → [`RemoteError`]: the error name (`x-amzn-ErrorType`, else the body's
//! `__type`), the status, `Retry-After`, and which failures are worth retrying. Also turns
//! `reqwest` errors into `Network` messages with the URL cut out (content URLs are capabilities).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::wire::ErrorBody;
use crate::remote::RemoteError;

/// An error response as received.
#[derive(Debug)]
pub struct WireError {
    pub status: StatusCode,
    /// The error name without namespace or `:suffix`, when the service gave one.
    pub name: Option<String>,
    pub message: String,
    pub retry_after: Option<Duration>,
}

/// Quotas and limits, reported as 429 (not throttling), 409 or 413: retrying cannot help.
const LIMIT_ERRORS: &[&str] = &[
    "TooManyLabelsException",
    "TooManySubscriptionsException",
    "CustomMetadataLimitExceededException",
    "LimitExceededException",
    "StorageLimitExceededException",
    "StorageLimitWillExceedException",
    "RequestedEntityTooLargeException",
];

/// 409s that mean "an item of that name is already there", whatever the error name: an
/// operation whose model lacks `EntityAlreadyExistsException` (UpdateDocumentVersion, when a
/// new document's name was taken since its upload began) reports it as a state conflict.
fn means_name_taken(status: StatusCode, message: &str) -> bool {
    status == StatusCode::CONFLICT && message.to_ascii_lowercase().contains("already exists")
}

/// AWS's generic answers to missing, bad or expired credentials.
const CREDENTIAL_ERRORS: &[&str] = &[
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "IncompleteSignatureException",
    "MissingAuthenticationTokenException",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
];

impl WireError {
    pub fn new(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let header = headers
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(':').next().unwrap_or(v));
        let from_body = parsed
            .error_type
            .as_deref()
            .map(|t| t.rsplit('#').next().unwrap_or(t));
        let name = header
            .or(from_body)
            .map(str::trim)
            .filter(|n| !n.is_empty());
        Self {
            status,
            name: name.map(str::to_owned),
            message: clean(parsed.message.as_deref().unwrap_or("")),
            retry_after: crate::remote::http::retry_after(headers),
        }
    }

    /// Throttling and server-side failures; never another 4xx.
    pub fn is_retryable(&self) -> bool {
        match self.status.as_u16() {
            429 => !self
                .name
                .as_deref()
                .is_some_and(|n| LIMIT_ERRORS.contains(&n)),
            s => s >= 500,
        }
    }

    /// The error as the filesystem sees it; `op` prefixes the message.
    pub fn to_remote(&self, op: &str) -> RemoteError {
        let name = self.name.as_deref().unwrap_or("");
        let detail = match (name, self.message.as_str()) {
            ("", "") => format!("{op}: HTTP {}", self.status.as_u16()),
            ("", m) => format!("{op}: {m}"),
            (n, "") => format!("{op}: {n}"),
            (n, m) => format!("{op}: {n}: {m}"),
        };
        let unavailable = || RemoteError::Unavailable {
            message: detail.clone(),
            retry_after: self.retry_after,
        };
        match name {
            "EntityNotExistsException" => RemoteError::NotFound(detail),
            "UnauthorizedResourceAccessException" if means_bad_credentials(&self.message) => {
                RemoteError::Unauthenticated(detail)
            }
            "UnauthorizedResourceAccessException"
            | "UnauthorizedOperationException"
            | "AccessDeniedException"
            | "InvalidPasswordException" => RemoteError::Denied(detail),
            n if CREDENTIAL_ERRORS.contains(&n) => RemoteError::Unauthenticated(detail),
            "EntityAlreadyExistsException" => RemoteError::AlreadyExists(detail),
            "ProhibitedStateException" | "ConflictingOperationException" | ""
                if means_name_taken(self.status, &self.message) =>
            {
                RemoteError::AlreadyExists(detail)
            }
            "ProhibitedStateException"
            | "ConflictingOperationException"
            | "ConcurrentModificationException"
            | "ResourceAlreadyCheckedOutException"
            | "DocumentLockedForCommentsException"
            | "DraftUploadOutOfSyncException" => RemoteError::Conflict(detail),
            "InvalidArgumentException" | "ValidationException" | "InvalidOperationException" => {
                RemoteError::Invalid(detail)
            }
            n if LIMIT_ERRORS.contains(&n) => RemoteError::Invalid(detail),
            "ThrottlingException" | "ServiceUnavailableException" | "FailedDependencyException" => {
                unavailable()
            }
            "UnknownOperationException" => RemoteError::Unsupported(detail),
            _ => match self.status.as_u16() {
                400 => RemoteError::Invalid(detail),
                401 => RemoteError::Unauthenticated(detail),
                403 => RemoteError::Denied(detail),
                404 => RemoteError::NotFound(detail),
                409 => RemoteError::Conflict(detail),
                429 | 500..=599 => unavailable(),
                _ => RemoteError::Protocol(format!("{detail} (unexpected status)")),
            },
        }
    }
}

/// WorkDocs (and this project's server) answer a wrong token with the same error as a missing
/// share, `UnauthorizedResourceAccessException`; only the message tells them apart.
fn means_bad_credentials(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    ["token", "signature", "credential"]
        .iter()
        .any(|w| m.contains(w))
}

/// A server message fit for an error: one line, printable, bounded.
fn clean(message: &str) -> String {
    let mut out: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if message.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(status: u16, name: &str, body: &str) -> WireError {
        let mut h = HeaderMap::new();
        if !name.is_empty() {
            h.insert("x-amzn-errortype", name.parse().unwrap());
        }
        h.insert("retry-after", "2".parse().unwrap());
        WireError::new(StatusCode::from_u16(status).unwrap(), &h, body.as_bytes())
    }

    #[test]
    fn mapping() {
        let e = |s, n, b| wire(s, n, b).to_remote("Op");
        let bad_token = r#"{"Message":"the authentication token is not valid"}"#;
        let no_share = r#"{"Message":"the caller has no access to resource x"}"#;
        let u = "UnauthorizedResourceAccessException";
        assert!(matches!(
            e(404, u, bad_token),
            RemoteError::Unauthenticated(_)
        ));
        assert!(matches!(e(404, u, no_share), RemoteError::Denied(_)));
        assert!(matches!(
            e(403, "UnauthorizedOperationException", "{}"),
            RemoteError::Denied(_)
        ));
        let nf = e(
            404,
            "EntityNotExistsException:http://x",
            r#"{"Message":"gone"}"#,
        );
        assert_eq!(
            nf.to_string(),
            "not found: Op: EntityNotExistsException: gone"
        );
        assert!(matches!(
            e(409, "EntityAlreadyExistsException", ""),
            RemoteError::AlreadyExists(_)
        ));
        assert!(matches!(
            e(409, "ProhibitedStateException", ""),
            RemoteError::Conflict(_)
        ));
        let taken = r#"{"Message":"an item named \"a\" already exists here"}"#;
        for name in [
            "ProhibitedStateException",
            "ConflictingOperationException",
            "",
        ] {
            assert!(
                matches!(e(409, name, taken), RemoteError::AlreadyExists(_)),
                "{name}"
            );
        }
        assert!(matches!(
            e(
                409,
                "ConflictingOperationException",
                r#"{"Message":"busy"}"#
            ),
            RemoteError::Conflict(_)
        ));
        assert!(matches!(
            e(409, "LimitExceededException", ""),
            RemoteError::Invalid(_)
        ));
        assert!(matches!(
            e(413, "StorageLimitWillExceedException", ""),
            RemoteError::Invalid(_)
        ));
        assert!(matches!(
            e(400, "ValidationException", ""),
            RemoteError::Invalid(_)
        ));
        let throttled = e(429, "ThrottlingException", "");
        let two = Some(Duration::from_secs(2));
        assert!(
            matches!(throttled, RemoteError::Unavailable { retry_after, .. } if retry_after == two)
        );
        assert!(matches!(
            e(502, "", "<html>"),
            RemoteError::Unavailable { .. }
        ));
        assert!(matches!(e(418, "", ""), RemoteError::Protocol(_)));
        let body = r#"{"__type":"com.amazon#UnrecognizedClientException","message":"bad"}"#;
        assert!(matches!(e(400, "", body), RemoteError::Unauthenticated(_)));
    }

    #[test]
    fn retryable() {
        assert!(wire(429, "ThrottlingException", "").is_retryable());
        assert!(!wire(429, "TooManyLabelsException", "").is_retryable());
        assert!(wire(503, "", "").is_retryable() && wire(500, "", "").is_retryable());
        assert!(!wire(404, "EntityNotExistsException", "").is_retryable());
        assert!(!wire(400, "", "").is_retryable());
    }
}
