//! Reading requests the way the rest-json protocol writes them: query-string members (repeated
//! keys for lists, `true`/`false`, ISO 8601 timestamps), JSON bodies (epoch-second timestamps),
//! and the model's enums. Every failure is an `ApiError::Invalid` naming the member.

use serde::de::DeserializeOwned;

use crate::clock;
use crate::server::error::ApiError;

/// Decoded query-string pairs, in order.
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let decode = |s: &str| {
            let s = s.replace('+', " ");
            percent_encoding::percent_decode_str(&s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        Self(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a list member (repeated keys; comma-separated values are split too).
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::Invalid(format!(
                "{key} must be true or false, not {v:?}"
            ))),
        }
    }

    /// A timestamp member: ISO 8601 (or epoch seconds), as epoch milliseconds.
    pub fn time_ms(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key)
            .map(|v| {
                clock::parse_iso8601_ms(v)
                    .ok_or_else(|| ApiError::Invalid(format!("{key} is not a timestamp: {v:?}")))
            })
            .transpose()
    }

    /// An enum member: one of `allowed`, or `default` when absent.
    pub fn one_of<'a>(
        &self,
        key: &str,
        allowed: &[&'a str],
        default: &'a str,
    ) -> Result<&'a str, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => allowed.iter().copied().find(|a| *a == v).ok_or_else(|| {
                ApiError::Invalid(format!(
                    "{key} must be one of {}, not {v:?}",
                    allowed.join(", ")
                ))
            }),
        }
    }

    /// A `FieldNamesType` member (comma-separated names) contains `name`.
    pub fn has_field(&self, key: &str, name: &str) -> bool {
        self.all(key).iter().any(|f| f.eq_ignore_ascii_case(name))
    }

    /// The page marker, checked against the model's `PageMarkerType` length (1–2048).
    pub fn marker(&self) -> Result<Option<String>, ApiError> {
        match self.get("marker") {
            None => Ok(None),
            Some(m) if (1..=2048).contains(&m.len()) => Ok(Some(m.to_owned())),
            Some(_) => Err(ApiError::Invalid(
                "marker must have 1 to 2048 characters".into(),
            )),
        }
    }
}

/// Parses a JSON request body into `T`; an empty body reads as `{}`.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::Invalid(format!("the request body is not valid: {e}")))
}

/// A JSON timestamp (epoch seconds) as epoch milliseconds.
pub fn body_time_ms(key: &str, v: Option<f64>) -> Result<Option<i64>, ApiError> {
    v.map(|s| {
        clock::epoch_seconds_to_ms(s)
            .ok_or_else(|| ApiError::Invalid(format!("{key} is not a timestamp")))
    })
    .transpose()
}

/// Checks an id against the model's `ResourceIdType`: 1–128 characters of `[\w+-.@]`.
pub fn resource_id(key: &str, id: &str) -> Result<(), ApiError> {
    let ok_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '+' | ',' | '-' | '.' | '@');
    if (1..=128).contains(&id.chars().count()) && id.chars().all(ok_char) {
        Ok(())
    } else {
        Err(ApiError::Invalid(format!("{key} is not a valid id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = Query::parse(Some(
            "a=1&labels=x&labels=y%20z&keys=p,q&flag=TRUE&t=2026-01-01T00:00:00Z",
        ));
        assert_eq!(q.get("a"), Some("1"));
        assert_eq!(q.all("labels"), vec!["x", "y z"]);
        assert_eq!(q.all("keys"), vec!["p", "q"]);
        assert_eq!(q.bool("flag").unwrap(), Some(true));
        assert!(q.time_ms("t").unwrap().is_some());
        assert!(q.bool("a").is_err());
        assert_eq!(q.one_of("sort", &["NAME", "DATE"], "NAME").unwrap(), "NAME");
    }

    #[test]
    fn ids() {
        assert!(resource_id("Id", "abc-1.2@x").is_ok());
        assert!(resource_id("Id", "../etc").is_err());
        assert!(resource_id("Id", "").is_err());
    }
}
