//! The server's one error type and its wire form. Store and route code raise a semantic
//! [`ApiError`]; the per-operation middleware ([`finish`]) turns it into the WorkDocs error the *operation's own
//! model* allows (`x-amzn-ErrorType` + `{"Message": …}` with that error's status), choosing the
//! first allowed name from a preference list. The per-operation error lists come from the vendored
//! service model, so the server can never answer with an error an SDK does not expect.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Generic errors every AWS rest-json service may return beside the modelled ones.
pub const GENERIC_ERRORS: &[(&str, u16)] = &[
    ("ValidationException", 400),
    ("ThrottlingException", 429),
    ("ServiceUnavailableException", 503),
];

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, unknown or malformed credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller may not see this resource at all.
    #[error("{0}")]
    NoAccess(String),
    /// The caller sees the resource but its role does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    NotFound { message: String, ids: Vec<String> },
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    Invalid(String),
    /// The resource is in a state that forbids the operation (recycled, not yet uploaded, …).
    #[error("{0}")]
    Prohibited(String),
    #[error("{0}")]
    InvalidOperation(String),
    /// The document is checked out or locked by someone else (a LogicalDOC lock).
    #[error("{0}")]
    Locked(String),
    #[error("{0}")]
    TooManyLabels(String),
    #[error("{0}")]
    TooMuchMetadata(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("store: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("blob storage: {0}")]
    Io(#[from] std::io::Error),
}

impl ApiError {
    pub fn not_found(what: &str, id: &str) -> Self {
        // EntityIds holds the model's IdType (1–256 of `[&\w+-.@]`); other ids stay in the message.
        let valid = (1..=256).contains(&id.chars().count())
            && id
                .chars()
                .all(|c| c.is_alphanumeric() || "&_+,-.@".contains(c));
        let ids = if valid { vec![id.to_owned()] } else { vec![] };
        Self::NotFound {
            message: format!("{what} {id} does not exist"),
            ids,
        }
    }

    /// Error names to try, best first; the first one the operation's model lists wins.
    fn preferences(&self) -> &'static [&'static str] {
        match self {
            Self::Unauthenticated(_) | Self::NoAccess(_) => {
                &["UnauthorizedResourceAccessException"]
            }
            Self::Forbidden(_) => &[
                "UnauthorizedOperationException",
                "UnauthorizedResourceAccessException",
            ],
            Self::NotFound { .. } => &[
                "EntityNotExistsException",
                "UnauthorizedResourceAccessException",
            ],
            Self::AlreadyExists(_) => &[
                "EntityAlreadyExistsException",
                "ConflictingOperationException",
                "ProhibitedStateException",
            ],
            Self::Invalid(_) => &["InvalidArgumentException", "ValidationException"],
            Self::Prohibited(_) => &[
                "ProhibitedStateException",
                "InvalidOperationException",
                "ConflictingOperationException",
            ],
            Self::InvalidOperation(_) => &[
                "InvalidOperationException",
                "ProhibitedStateException",
                "ConflictingOperationException",
            ],
            // UnauthorizedOperationException last: for operations (CreateLabels) that list
            // no state or conflict error at all.
            Self::Locked(_) => &[
                "ResourceAlreadyCheckedOutException",
                "ConflictingOperationException",
                "ProhibitedStateException",
                "UnauthorizedOperationException",
            ],
            Self::TooManyLabels(_) => &["TooManyLabelsException", "LimitExceededException"],
            Self::TooMuchMetadata(_) => &["CustomMetadataLimitExceededException"],
            Self::Unavailable(_) | Self::Storage(_) | Self::Io(_) => {
                &["ServiceUnavailableException", "FailedDependencyException"]
            }
        }
    }
}

/// An [`ApiError`] on its way out: handlers return it as a response, and the per-operation
/// middleware ([`finish`]) turns it into the error the operation's model allows.
#[derive(Clone, Debug)]
pub struct PendingError {
    preferences: &'static [&'static str],
    message: String,
    ids: Vec<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, Self::Storage(_) | Self::Io(_)) {
            tracing::error!(error = %self, "internal failure");
        }
        let message = match &self {
            Self::Storage(_) | Self::Io(_) => {
                "the service is temporarily unable to store data".into()
            }
            other => other.to_string(),
        };
        let ids = match &self {
            Self::NotFound { ids, .. } => ids.clone(),
            _ => vec![],
        };
        let pending = PendingError {
            preferences: self.preferences(),
            message,
            ids,
        };
        let mut resp = StatusCode::SERVICE_UNAVAILABLE.into_response();
        resp.extensions_mut().insert(pending);
        resp
    }
}

impl PendingError {
    /// The wire response for this error as operation `op` may send it.
    pub fn to_wire(&self, op: &str) -> Response {
        let allowed = op_errors(op);
        let status_of = |name: &str| {
            allowed
                .iter()
                .map(|(n, s)| (n.as_str(), *s))
                .chain(GENERIC_ERRORS.iter().copied())
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s)
        };
        let name = self
            .preferences
            .iter()
            .copied()
            .find(|n| status_of(n).is_some())
            .unwrap_or(self.preferences[0]);
        let status = status_of(name).unwrap_or(503);
        let body = match name {
            // Its model shape has no members; any member would be unknown to an SDK.
            "UnauthorizedOperationException" => serde_json::json!({}),
            "EntityNotExistsException" if !self.ids.is_empty() => {
                serde_json::json!({ "Message": self.message, "EntityIds": self.ids })
            }
            _ => serde_json::json!({ "Message": self.message }),
        };
        error_response(status, name, &body)
    }
}

/// Turns a handler's response into its wire form for `op`: a pending [`ApiError`] becomes the
/// modelled error, and a bare rejection (e.g. a path segment that is not UTF-8) becomes a
/// validation error, so nothing unmodelled reaches the client.
pub fn finish(op: &str, mut resp: Response) -> Response {
    if let Some(pending) = resp.extensions_mut().remove::<PendingError>() {
        return pending.to_wire(op);
    }
    let status = resp.status();
    if (status.is_client_error() || status.is_server_error())
        && !resp.headers().contains_key("x-amzn-errortype")
    {
        let message = format!("the request could not be read ({status})");
        return ApiError::Invalid(message).pending().to_wire(op);
    }
    resp
}

impl ApiError {
    fn pending(self) -> PendingError {
        PendingError {
            preferences: self.preferences(),
            message: self.to_string(),
            ids: vec![],
        }
    }
}

/// A rest-json error response.
pub fn error_response(status: u16, name: &str, body: &serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut resp = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(name) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

/// (error name, status) pairs the model lists for `op`.
pub fn op_errors(op: &str) -> &'static [(String, u16)] {
    static TABLE: OnceLock<HashMap<String, Vec<(String, u16)>>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            let model: serde_json::Value = serde_json::from_str(crate::server::MODEL_JSON)
                .expect("the vendored service model is valid JSON");
            let status_of = |shape: &str| {
                model["shapes"][shape]["error"]["httpStatusCode"]
                    .as_u64()
                    .unwrap_or(400) as u16
            };
            let mut table = HashMap::new();
            if let Some(ops) = model["operations"].as_object() {
                for (name, op) in ops {
                    let errors = op["errors"]
                        .as_array()
                        .map(|es| {
                            es.iter()
                                .filter_map(|e| e["shape"].as_str())
                                .map(|s| (s.to_owned(), status_of(s)))
                                .collect()
                        })
                        .unwrap_or_default();
                    table.insert(name.clone(), errors);
                }
            }
            table
        })
        .get(op)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(resp: &Response) -> &str {
        resp.headers()["x-amzn-errortype"].to_str().unwrap()
    }

    fn wire(e: ApiError, op: &str) -> Response {
        finish(op, e.into_response())
    }

    #[test]
    fn picks_an_error_the_operation_lists() {
        let r = wire(ApiError::Invalid("bad".into()), "DescribeFolderContents");
        assert_eq!(
            (name_of(&r), r.status().as_u16()),
            ("InvalidArgumentException", 400)
        );
        // CreateFolder lists no InvalidArgumentException: fall back to the generic one.
        let r = wire(ApiError::Invalid("bad".into()), "CreateFolder");
        assert_eq!(
            (name_of(&r), r.status().as_u16()),
            ("ValidationException", 400)
        );
        // DescribeFolderContents lists no UnauthorizedOperationException.
        let r = wire(ApiError::Forbidden("no".into()), "DescribeFolderContents");
        assert_eq!(
            (name_of(&r), r.status().as_u16()),
            ("UnauthorizedResourceAccessException", 404)
        );
        let locked = |op| wire(ApiError::Locked("held".into()), op);
        let r = locked("InitiateDocumentVersionUpload");
        assert_eq!(
            (name_of(&r), r.status().as_u16()),
            ("ResourceAlreadyCheckedOutException", 409)
        );
        let r = locked("UpdateDocument");
        assert_eq!(name_of(&r), "ConflictingOperationException");
        assert_eq!(
            name_of(&locked("UpdateDocumentVersion")),
            "ProhibitedStateException"
        );
        assert_eq!(
            name_of(&locked("CreateLabels")),
            "UnauthorizedOperationException"
        );
        let r = wire(ApiError::not_found("folder", "x"), "GetFolder");
        assert_eq!(
            (name_of(&r), r.status().as_u16()),
            ("EntityNotExistsException", 404)
        );
    }
}
