//! LogicalDOC document tags are the store's labels (WorkDocs' name for the same thing), so a
//! tag set through one API is a label through the other. `create` and `update` take them from
//! the WSDocument they are given (`update` replaces the whole set, as LogicalDOC's does, and only
//! when `tags` is present); every document shape carries them. Accepted forms: an array of
//! strings, or one string (what Jettison makes of a one-element list).

use rusqlite::Connection;
use serde_json::Value;

use crate::server::error::ApiError;
use crate::server::store::rows::Caller;
use crate::server::store::tags;

/// `tags` that are not strings.
#[derive(Debug, PartialEq, Eq)]
pub struct NotStrings;

/// The `tags` of a WSDocument: `None` if absent or null.
pub fn parse(doc: &Value) -> Result<Option<Vec<String>>, NotStrings> {
    match doc.get("tags") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(a)) => a
            .iter()
            .map(|t| t.as_str().map(str::to_owned).ok_or(NotStrings))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(NotStrings),
    }
}

/// Makes `tags` the document's whole set (empty strings dropped).
pub fn replace(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    tags: &[String],
) -> Result<(), ApiError> {
    let wanted: Vec<String> = tags.iter().filter(|t| !t.is_empty()).cloned().collect();
    tags::delete_labels(c, caller, resource_id, &[], true)?;
    if wanted.is_empty() {
        return Ok(());
    }
    tags::create_labels(c, caller, resource_id, &wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_in_every_form() {
        assert_eq!(parse(&json!({})), Ok(None));
        assert_eq!(parse(&json!({"tags": null})), Ok(None));
        assert_eq!(parse(&json!({"tags": "a"})), Ok(Some(vec!["a".into()])));
        assert_eq!(
            parse(&json!({"tags": ["a", "b"]})),
            Ok(Some(vec!["a".into(), "b".into()]))
        );
        assert_eq!(parse(&json!({"tags": [1]})), Err(NotStrings));
    }
}
