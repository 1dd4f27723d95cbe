//! Reading LogicalDOC's JSON tolerantly. Servers up to 9.2.1 answer through Jackson (every key,
//! nulls included); 9.2.2 and later through Jettison, which drops nulls, may wrap a list in an
//! object (`{"folder":[…]}`), may send a one-element list as the element itself, and may send
//! number-like strings as numbers (`"version":"1.0"` → `1.0`) or numbers as strings. Every read
//! of an answer goes through these accessors, so each of those forms is accepted everywhere; bare
//! numbers standing for text (`"fileVersion":1.10`) are quoted before parsing so that no digit
//! is lost.

use serde_json::Value;

/// Members whose value is text even when a server sends it as a bare number (`1.10` must not
/// become `1.1`, nor a file named `1e3` become `1000.0`).
const TEXT_MEMBERS: &[&str] = &["fileVersion", "version", "fileName", "name"];

/// `body` with the bare numbers of [`TEXT_MEMBERS`] quoted, digits kept as sent, so that they
/// parse as the strings they stand for. Anything else is left alone.
pub fn quote_text_numbers(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < body.len() {
        let Some(key_len) = text_member_at(body, i) else {
            i += 1;
            continue;
        };
        // After the key: spaces, a colon, spaces, then perhaps a number.
        let mut j = i + key_len;
        while j < body.len() && body[j].is_ascii_whitespace() {
            j += 1;
        }
        if body.get(j) != Some(&b':') {
            i += key_len;
            continue;
        }
        j += 1;
        while j < body.len() && body[j].is_ascii_whitespace() {
            j += 1;
        }
        let start = j;
        while j < body.len() && matches!(body[j], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
            j += 1;
        }
        if j > start && body[start] != b'+' {
            let o = out.get_or_insert_with(|| Vec::with_capacity(body.len() + 16));
            o.extend_from_slice(&body[copied..start]);
            o.push(b'"');
            o.extend_from_slice(&body[start..j]);
            o.push(b'"');
            copied = j;
        }
        i = j.max(i + 1);
    }
    match out {
        None => std::borrow::Cow::Borrowed(body),
        Some(mut o) => {
            o.extend_from_slice(&body[copied..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

/// The length of a `"key"` of [`TEXT_MEMBERS`] starting at `i` (not inside a string: the quote
/// is not escaped).
fn text_member_at(body: &[u8], i: usize) -> Option<usize> {
    if body[i] != b'"' || (i > 0 && body[i - 1] == b'\\') {
        return None;
    }
    TEXT_MEMBERS.iter().find_map(|k| {
        let end = i + 1 + k.len();
        (body.get(i + 1..end) == Some(k.as_bytes()) && body.get(end) == Some(&b'"'))
            .then_some(k.len() + 2)
    })
}

/// The items of a list answer: an array, an object wrapping one array, a single object (a
/// one-element list), or nothing (`null`, an empty body).
pub fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        // Jettison's empty list.
        Value::Object(o) if o.is_empty() => Vec::new(),
        Value::Object(o) if o.len() == 1 => match o.values().next() {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(inner @ Value::Object(_)) if looks_wrapped(inner) => vec![inner],
            _ => vec![v],
        },
        Value::Object(_) => vec![v],
        _ => Vec::new(),
    }
}

/// Whether `inner`, the only member of an object, is an item rather than a field value: items
/// have an `id`.
fn looks_wrapped(inner: &Value) -> bool {
    inner.get("id").is_some()
}

/// An integer member: a JSON number, or a string holding one.
pub fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// A string member: a JSON string, or a number or boolean written as text (`1.0` stays `1.0`;
/// a number is printed as serde_json read it).
pub fn string(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A version label such as `1.0`: like [`string`], but a number that lost its trailing zero
/// (`1.0` sent as `1` or `1.10` as `1.1` cannot be told apart) gets a `.0` when it has no dot.
pub fn version(v: &Value, key: &str) -> Option<String> {
    let s = string(v, key)?;
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Some(if s.contains('.') {
        s.to_owned()
    } else {
        format!("{s}.0")
    })
}

/// A flag member: `true`/`false`, `1`/`0`, or those as strings.
pub fn flag(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A list of strings (`tags`): an array, a single string, or nothing.
pub fn strings(v: &Value, key: &str) -> Vec<String> {
    let one = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v.get(key) {
        Some(Value::Array(a)) => a.iter().filter_map(one).collect(),
        Some(Value::Object(o)) if o.len() == 1 => match o.values().next() {
            Some(Value::Array(a)) => a.iter().filter_map(one).collect(),
            Some(x) => one(x).into_iter().collect(),
            None => Vec::new(),
        },
        Some(x) => one(x).into_iter().collect(),
        None => Vec::new(),
    }
}

/// A bare `true`/`false` answer (boolean methods), tolerating quotes and whitespace.
pub fn boolean_answer(body: &[u8]) -> Option<bool> {
    match String::from_utf8_lossy(body).trim().trim_matches('"') {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A bare id answer (`createFolder`, `upload`): a number, possibly quoted.
pub fn id_answer(body: &[u8]) -> Option<i64> {
    String::from_utf8_lossy(body)
        .trim()
        .trim_matches('"')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_in_every_form() {
        let a = json!([{"id": 1}, {"id": 2}]);
        assert_eq!(items(&a).len(), 2);
        let wrapped = json!({"folder": [{"id": 1}, {"id": 2}, {"id": 3}]});
        assert_eq!(items(&wrapped).len(), 3);
        let single = json!({"id": 7, "name": "x"});
        assert_eq!(int(items(&single)[0], "id"), Some(7));
        let wrapped_single = json!({"document": {"id": 8}});
        assert_eq!(int(items(&wrapped_single)[0], "id"), Some(8));
        assert!(items(&Value::Null).is_empty());
    }

    #[test]
    fn bare_numbers_of_text_members_keep_their_digits() {
        let body = br#"{"id":7,"fileVersion":1.10,"version" : 2,"fileName":1e3,"fileSize":12,"n":"\"name\":5"}"#;
        let quoted = quote_text_numbers(body);
        let v: Value = serde_json::from_slice(&quoted).unwrap();
        assert_eq!(version(&v, "fileVersion").as_deref(), Some("1.10"));
        assert_eq!(version(&v, "version").as_deref(), Some("2.0"));
        assert_eq!(string(&v, "fileName").as_deref(), Some("1e3"));
        assert_eq!(int(&v, "fileSize"), Some(12));
        assert_eq!(string(&v, "n").as_deref(), Some("\"name\":5"));
        let plain = br#"{"fileVersion":"1.0"}"#;
        assert!(matches!(
            quote_text_numbers(plain),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(items(&serde_json::json!({})).is_empty());
    }

    #[test]
    fn scalars_in_every_form() {
        let v = json!({"id": "12", "size": 3.0, "version": 1.0, "v2": "2.1", "v3": 2,
                       "h": 1, "h2": "false", "b": true, "tags": "one", "none": null});
        assert_eq!(int(&v, "id"), Some(12));
        assert_eq!(int(&v, "size"), Some(3));
        assert_eq!(version(&v, "version").as_deref(), Some("1.0"));
        assert_eq!(version(&v, "v2").as_deref(), Some("2.1"));
        assert_eq!(version(&v, "v3").as_deref(), Some("2.0"));
        assert_eq!(flag(&v, "h"), Some(true));
        assert_eq!(flag(&v, "h2"), Some(false));
        assert_eq!(flag(&v, "b"), Some(true));
        assert_eq!(strings(&v, "tags"), vec!["one".to_owned()]);
        assert_eq!(string(&v, "none"), None);
        assert_eq!(int(&v, "missing"), None);
        assert_eq!(boolean_answer(b" true\n"), Some(true));
        assert_eq!(id_answer(b"\"104\""), Some(104));
    }
}
