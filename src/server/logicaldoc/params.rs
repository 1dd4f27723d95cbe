//! Query parameters read the way JAX-RS (CXF) reads them into LogicalDOC's method arguments: a
//! `long` that is missing (or empty) is 0, an `Integer` that is missing is `null`, and a value
//! that does not parse as that type makes the whole request a 404 (no method matched).

use axum::response::Response;

use super::wire;
use crate::server::workdocs::params::Query;

/// A request's query string, decoded.
pub struct Params(Query);

/// A parameter that is not a number of its type: the request is answered 404.
pub struct NotANumber;

impl From<NotANumber> for Response {
    fn from(_: NotANumber) -> Self {
        wire::not_found_now()
    }
}

impl Params {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(Query::parse(raw))
    }

    pub fn string(&self, key: &str) -> Option<String> {
        self.0.get(key).map(str::to_owned)
    }

    /// A primitive `long`: 0 when missing or empty.
    pub fn long(&self, key: &str) -> Result<i64, NotANumber> {
        match self.0.get(key).map(str::trim) {
            None | Some("") => Ok(0),
            Some(v) => v.parse().map_err(|_| NotANumber),
        }
    }

    /// A boxed `Integer`: `None` when missing or empty.
    pub fn integer(&self, key: &str) -> Result<Option<i32>, NotANumber> {
        match self.0.get(key).map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| NotANumber),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_jax_rs() {
        let p = Params::parse(Some("a=12&b=x&c=&d=-3&e=%2B7&f=3000000000"));
        assert_eq!(p.long("a").ok(), Some(12));
        assert!(p.long("b").is_err());
        assert_eq!(p.long("c").ok(), Some(0));
        assert_eq!(p.long("missing").ok(), Some(0));
        assert_eq!(p.long("d").ok(), Some(-3));
        assert_eq!(p.long("e").ok(), Some(7));
        assert_eq!(p.long("f").ok(), Some(3_000_000_000));
        assert!(p.integer("f").is_err());
        assert_eq!(p.integer("missing").ok(), Some(None));
        assert_eq!(p.integer("a").ok(), Some(Some(12)));
    }
}
