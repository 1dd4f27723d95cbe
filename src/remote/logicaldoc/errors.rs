//! LogicalDOC's error answers → [`RemoteError`]. The server has no exception mapper: 401 (with
//! a Basic challenge) is the only status that names its cause; nearly every other failure —
//! a missing permission, a duplicate name, a lock, an unknown id — is a 500 whose body is an
//! exception message or an error page. The message is read for the few causes a filesystem
//! must tell apart (permission, name taken, lock, not found); anything else is a protocol
//! error (EIO) carrying the first line of the message.

use reqwest::StatusCode;

use crate::remote::RemoteError;

/// What the filesystem makes of a failed LogicalDOC call `op` answered with `status` and `body`.
pub fn from_answer(op: &str, status: StatusCode, body: &[u8]) -> RemoteError {
    let message = first_line(body);
    let detail = if message.is_empty() {
        format!("{op}: HTTP {}", status.as_u16())
    } else {
        format!("{op}: {message}")
    };
    match status.as_u16() {
        401 => RemoteError::Unauthenticated(detail),
        403 => RemoteError::Denied(detail),
        // No method matched (an older server), or a parameter of the wrong type.
        404 | 405 | 415 => RemoteError::Unsupported(detail),
        400 => RemoteError::Invalid(detail),
        429 | 502..=504 => RemoteError::Unavailable {
            message: detail,
            retry_after: None,
        },
        _ => by_message(&message.to_ascii_lowercase(), detail),
    }
}

/// The cause a 500's message names.
fn by_message(lower: &str, detail: String) -> RemoteError {
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&[
        "permission",
        "not granted",
        "not allowed",
        "access denied",
        "cannot access",
    ]) {
        RemoteError::Denied(detail)
    } else if has(&["already exists", "duplicate", "same name"]) {
        RemoteError::AlreadyExists(detail)
    } else if has(&["locked", "checked out", "checkedout", "immutable"]) {
        RemoteError::Conflict(detail)
    } else if has(&[
        "not found",
        "unexisting",
        "does not exist",
        "unknown",
        "no such",
    ]) {
        RemoteError::NotFound(detail)
    } else if has(&["invalid", "too many", "at most"]) {
        // A value the server's rules refuse (a tag's characters or length, a limit).
        RemoteError::Invalid(detail)
    } else {
        RemoteError::Protocol(detail)
    }
}

/// The first non-empty line of a body, printable and bounded (an error page's markup is cut).
fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    let mut out: String = line
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if out.starts_with('<') {
        out.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(status: u16, body: &str) -> RemoteError {
        from_answer("op", StatusCode::from_u16(status).unwrap(), body.as_bytes())
    }

    #[test]
    fn causes_read_from_messages() {
        assert!(matches!(e(401, ""), RemoteError::Unauthenticated(_)));
        let denied = e(500, "Permission WRITE not granted on folder 104\n");
        assert!(matches!(denied, RemoteError::Denied(_)));
        assert!(matches!(
            e(500, "A folder named x already exists"),
            RemoteError::AlreadyExists(_)
        ));
        assert!(matches!(
            e(500, "The document is locked by bob"),
            RemoteError::Conflict(_)
        ));
        assert!(matches!(
            e(500, "Unknown document 99"),
            RemoteError::NotFound(_)
        ));
        let other = e(
            500,
            "The call failed on the server; see server log for details.",
        );
        assert!(matches!(other, RemoteError::Protocol(m) if m.contains("see server log")));
        assert!(
            matches!(e(500, "<html><body>x"), RemoteError::Protocol(m) if m.ends_with("HTTP 500"))
        );
        assert!(matches!(
            e(500, "invalid label \"a\\b\""),
            RemoteError::Invalid(_)
        ));
        assert!(matches!(e(404, ""), RemoteError::Unsupported(_)));
        assert!(matches!(e(503, ""), RemoteError::Unavailable { .. }));
    }
}
