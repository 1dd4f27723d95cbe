//! LogicalDOC tags are the store's labels (WorkDocs' name for the same thing), so a tag set
//! through one API is a label through the other. `create` and `update` take them from the
//! WSDocument they are given, folder `update` from the WSFolder (`update` replaces the whole
//! set, as LogicalDOC's does, and only when `tags` is present); every document and folder shape
//! carries them. Accepted forms: an array of strings, or one string (what Jettison makes of a
//! one-element list).
//!
//! String attributes (WSAttribute `type` 0, `stringValue`) are the store's custom metadata
//! (WorkDocs' CreateCustomMetadata), the same way: shapes carry them, `update` replaces them
//! all when `attributes` is present. Attributes of other types have nowhere to live here and
//! are ignored. Accepted forms: an array, one object, or an object wrapping the array.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde_json::{Value, json};

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

/// WSAttribute `type` of a string.
const STRING: i64 = 0;

/// The string `attributes` of a WSDocument / WSFolder: `None` if absent or null.
pub fn parse_attributes(v: &Value) -> Result<Option<BTreeMap<String, String>>, NotStrings> {
    let list: Vec<&Value> = match v.get("attributes") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(o)) if o.contains_key("name") => vec![one],
        Some(Value::Object(o)) if o.is_empty() => Vec::new(),
        Some(Value::Object(o)) if o.len() == 1 => match o.values().next() {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err(NotStrings),
        },
        Some(_) => return Err(NotStrings),
    };
    let mut out = BTreeMap::new();
    for a in list {
        let name = a.get("name").and_then(Value::as_str).ok_or(NotStrings)?;
        let kind = match a.get("type") {
            None | Some(Value::Null) => STRING,
            Some(Value::Number(n)) => n.as_i64().ok_or(NotStrings)?,
            Some(Value::String(s)) => s.trim().parse().map_err(|_| NotStrings)?,
            Some(_) => return Err(NotStrings),
        };
        if kind != STRING {
            continue;
        }
        let value = match a.get("stringValue") {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(_) => return Err(NotStrings),
        };
        out.insert(name.to_owned(), value);
    }
    Ok(Some(out))
}

/// The store's custom metadata of an item as WSAttributes.
pub fn attributes_json(custom: &BTreeMap<String, String>) -> Vec<Value> {
    custom
        .iter()
        .map(|(k, v)| json!({ "name": k, "type": STRING, "stringValue": v }))
        .collect()
}

/// The item's custom metadata (not a version's).
pub fn attributes_of(
    c: &Connection,
    resource_id: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    tags::metadata_of(c, resource_id, None)
}

/// Makes `attributes` the item's whole custom metadata (checked by the store's rules).
pub fn replace_attributes(
    c: &Connection,
    caller: &Caller,
    resource_id: &str,
    attributes: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    tags::delete_metadata(c, caller, resource_id, None, &[], true)?;
    if attributes.is_empty() {
        return Ok(());
    }
    tags::create_metadata(c, caller, resource_id, None, attributes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_in_every_form() {
        assert_eq!(parse_attributes(&json!({})), Ok(None));
        let one = json!({"attributes": {"name": "a", "type": 0, "stringValue": "x"}});
        assert_eq!(parse_attributes(&one).unwrap().unwrap()["a"], "x");
        let wrapped = json!({"attributes": {"attribute": [
            {"name": "a", "type": "0", "stringValue": "x"},
            {"name": "n", "type": 1, "intValue": 3}
        ]}});
        let got = parse_attributes(&wrapped).unwrap().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            parse_attributes(&json!({"attributes": []})),
            Ok(Some(BTreeMap::new()))
        );
        assert_eq!(
            parse_attributes(&json!({"attributes": [{"type": 0}]})),
            Err(NotStrings)
        );
        let round = attributes_json(&got);
        assert_eq!(
            parse_attributes(&json!({ "attributes": round })).unwrap(),
            Some(got)
        );
    }

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
