//! The vendored WorkDocs service model (`specs/workdocs-2016-05-01.model.json`) as a test oracle.
//!
//! Owns the two halves of the "tiny SDK" the integration tests drive `docsfs serve` with, so the
//! server is held to the official API definition rather than to our own reading of it:
//! * `build_request` serialises an operation input the way botocore's rest-json serializer does
//!   (uri labels, querystring, headers, JSON body) without validating values, so tests can also
//!   send deliberately bad input;
//! * `check_response` validates every response (success or error) against the model and returns
//!   every violation with a JSON-path-like location.
#![allow(dead_code)]

use http::HeaderMap;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Errors any operation may return although the model does not list them (name, HTTP status).
pub const GENERIC_ERRORS: &[(&str, u16)] = &[
    ("ThrottlingException", 429),
    ("ValidationException", 400),
    ("ServiceUnavailableException", 503),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Operation {
    pub name: String,
    pub http: Http,
    pub input: Option<ShapeRef>,
    pub output: Option<ShapeRef>,
    pub errors: Vec<ShapeRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Http {
    pub method: String,
    pub request_uri: String,
    pub response_code: Option<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    pub location: Option<String>,
    pub location_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    pub members: BTreeMap<String, ShapeRef>,
    pub required: Vec<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub member: Option<ShapeRef>,
    pub key: Option<ShapeRef>,
    pub value: Option<ShapeRef>,
    /// `error.httpStatusCode` of exception shapes.
    pub error: Option<BTreeMap<String, Value>>,
}

impl Shape {
    pub fn error_status(&self) -> Option<u16> {
        let code = self.error.as_ref()?.get("httpStatusCode")?.as_u64();
        code.and_then(|c| u16::try_from(c).ok())
    }
}

#[derive(Debug, Deserialize)]
pub struct Model {
    pub operations: BTreeMap<String, Operation>,
    pub shapes: BTreeMap<String, Shape>,
}

/// A serialised request, relative to the endpoint.
#[derive(Debug, Clone)]
pub struct BuiltRequest {
    pub method: http::Method,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// botocore's `percent_encode`: only RFC 3986 unreserved characters stay literal.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Greedy `{Name+}` labels keep their slashes.
const GREEDY: &AsciiSet = &LABEL.remove(b'/');

fn enc(s: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(s, set).to_string()
}

/// The `x-amzn-ErrorType` name with any `:suffix` removed.
pub fn error_name(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get("x-amzn-ErrorType")?.to_str();
    let name = raw.unwrap_or("<non-ascii>").split(':').next();
    Some(name.unwrap_or_default().trim().to_string())
}

type Members<'a> = BTreeMap<&'a String, &'a ShapeRef>;

impl Model {
    pub fn get() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| {
            let text = include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/specs/workdocs-2016-05-01.model.json"
            ));
            let m: Model = serde_json::from_str(text).expect("parse service model");
            // check_response reads outputs and errors from the body only; this WorkDocs model
            // locates none of their members in headers. Fail loudly if a model update does.
            for o in m.operations.values() {
                let outs = o.output.iter().chain(&o.errors);
                let located = outs.flat_map(|r| &m.shapes[&r.shape].members);
                if let Some((name, _)) = located.into_iter().find(|(_, r)| r.location.is_some()) {
                    panic!("{}: output member {name} is not in the body", o.name);
                }
            }
            m
        })
    }

    pub fn op(&self, op: &str) -> Option<&Operation> {
        self.operations.get(op)
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    pub fn op_names(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    /// Success status of the op (botocore's default is 200).
    pub fn response_code(&self, op: &str) -> Option<u16> {
        self.op(op).map(|o| o.http.response_code.unwrap_or(200))
    }

    fn members_of(&self, r: &Option<ShapeRef>) -> Option<&Shape> {
        r.as_ref().map(|r| &self.shapes[&r.shape])
    }

    /// (member name, location: uri|querystring|header|body, shape type) of the op's input.
    pub fn input_members(&self, op: &str) -> Vec<(String, String, String)> {
        let input = self.op(op).and_then(|o| self.members_of(&o.input));
        let mut out = Vec::new();
        for (name, r) in input.into_iter().flat_map(|s| &s.members) {
            let loc = r.location.as_deref().unwrap_or("body").to_string();
            out.push((name.clone(), loc, self.shapes[&r.shape].kind.clone()));
        }
        out
    }

    /// Shape name of an input member, for tests that need its enum/min/max.
    pub fn input_member_shape(&self, op: &str, member: &str) -> Option<&str> {
        let input = self.members_of(&self.op(op)?.input)?;
        input.members.get(member).map(|r| r.shape.as_str())
    }

    /// Modelled errors of the op with their HTTP status (the generic set is not included).
    pub fn errors_of(&self, op: &str) -> Vec<(String, u16)> {
        let errors = self.op(op).into_iter().flat_map(|o| &o.errors);
        let status = |r: &ShapeRef| self.shapes[&r.shape].error_status();
        let pair = |r: &ShapeRef| (r.shape.clone(), status(r).unwrap_or(400));
        errors.map(pair).collect()
    }

    /// Serialises `input` (a JSON object keyed by member name) like botocore's rest-json
    /// serializer. Values are not validated: only unknown members (at any depth of the body),
    /// non-scalar uri/header values and missing uri labels are errors.
    pub fn build_request(&self, op: &str, input: &Value) -> Result<BuiltRequest, String> {
        let o = self.op(op).ok_or(format!("unknown operation {op}"))?;
        let no_input = Shape::default();
        let shape = self.members_of(&o.input).unwrap_or(&no_input);
        let fields = match input {
            Value::Object(m) => m.clone(),
            Value::Null => Map::new(),
            other => return Err(format!("{op}: input must be an object, not {other}")),
        };
        let (mut labels, mut query, mut headers) = (BTreeMap::new(), vec![], vec![]);
        let mut body = Map::new();
        for (name, value) in fields {
            let Some(r) = shape.members.get(&name) else {
                let known: Vec<_> = shape.members.keys().collect();
                return Err(format!("{op}: unknown member {name:?}; known: {known:?}"));
            };
            let wire = r.location_name.clone().unwrap_or(name.clone());
            let kind = self.shapes[&r.shape].kind.as_str();
            let scalar = || scalar(&value).ok_or(format!("{op}.{name}: not a scalar"));
            match r.location.as_deref() {
                // Like botocore, null means "not set" for members outside the body.
                Some(_) if value.is_null() => {}
                Some("uri") => drop(labels.insert(wire, scalar()?)),
                Some("header") => headers.push((wire, scalar()?)),
                Some("querystring") => match &value {
                    // botocore: lists repeat the key; maps spread into key=value pairs.
                    Value::Array(items) => {
                        let pairs = items.iter().map(|v| (wire.clone(), query_value(v, kind)));
                        query.extend(pairs);
                    }
                    Value::Object(map) => {
                        let pairs = map.iter().map(|(k, v)| (k.clone(), query_value(v, kind)));
                        query.extend(pairs);
                    }
                    v => query.push((wire, query_value(v, kind))),
                },
                Some(other) => return Err(format!("{op}.{name}: unknown location {other}")),
                None => {
                    self.known_members(&value, &r.shape, &format!("{op}.{name}"))?;
                    body.insert(wire, value);
                }
            }
        }
        let mut path = String::new();
        let mut rest = o.http.request_uri.as_str();
        while let Some(start) = rest.find('{') {
            let end = start + rest[start..].find('}').ok_or("unterminated label")?;
            let label = &rest[start + 1..end];
            let (name, set) = match label.strip_suffix('+') {
                Some(greedy) => (greedy, GREEDY),
                None => (label, LABEL),
            };
            let missing = || format!("{op}: missing uri member {name}");
            let value = labels.get(name).ok_or_else(missing)?;
            path.push_str(&rest[..start]);
            path.push_str(&enc(value, set));
            rest = &rest[end + 1..];
        }
        path.push_str(rest);
        let mut sep = if path.contains('?') { '&' } else { '?' };
        for (k, v) in &query {
            path.push_str(&format!("{sep}{}={}", enc(k, LABEL), enc(v, LABEL)));
            sep = '&';
        }
        // Current botocore sends `{}` when the input has body members but none were given.
        let mut body = Some(Value::Object(body).to_string().into_bytes());
        if shape.members.values().all(|r| r.location.is_some()) {
            body = None;
        } else {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        let method = o.http.method.parse().map_err(|e| format!("{op}: {e}"))?;
        let path_and_query = path;
        Ok(BuiltRequest {
            method,
            path_and_query,
            headers,
            body,
        })
    }

    /// Rejects member names the body shapes do not define (catches typos in tests).
    fn known_members(&self, v: &Value, shape: &str, at: &str) -> Result<(), String> {
        let s = &self.shapes[shape];
        let inner = |r: &Option<ShapeRef>| r.as_ref().map(|r| r.shape.clone()).unwrap_or_default();
        match (s.kind.as_str(), v) {
            ("structure", Value::Object(m)) => m.iter().try_for_each(|(k, x)| {
                let r = s.members.get(k);
                let r = r.ok_or(format!("{at}: unknown member {k:?}"))?;
                self.known_members(x, &r.shape, &format!("{at}.{k}"))
            }),
            ("list", Value::Array(items)) => {
                let item = inner(&s.member);
                items
                    .iter()
                    .try_for_each(|x| self.known_members(x, &item, at))
            }
            ("map", Value::Object(m)) => {
                let value = inner(&s.value);
                m.values()
                    .try_for_each(|x| self.known_members(x, &value, at))
            }
            _ => Ok(()),
        }
    }

    /// Checks one response of `op` against the model; `Err` lists every violation found.
    pub fn check_response(
        &self,
        op: &str,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), Vec<String>> {
        let o = self.op(op).ok_or(vec![format!("unknown operation {op}")])?;
        let mut c = Checker::new(self);
        match status {
            200..=299 => c.success(o, status, headers, body),
            400.. => c.error(o, status, headers, body),
            _ => c.bad(format!("status: unexpected {status}")),
        }
        if c.out.is_empty() { Ok(()) } else { Err(c.out) }
    }

    /// Validates one JSON value against a shape; returns the violations.
    pub fn check_value(&self, v: &Value, shape: &str, path: &str) -> Vec<String> {
        let mut c = Checker::new(self);
        c.value(v, shape, path);
        c.out
    }
}

struct Checker<'m> {
    m: &'m Model,
    out: Vec<String>,
}

impl<'m> Checker<'m> {
    fn new(m: &'m Model) -> Self {
        Checker { m, out: vec![] }
    }

    fn bad(&mut self, violation: String) {
        self.out.push(violation);
    }

    fn success(&mut self, o: &Operation, status: u16, headers: &HeaderMap, body: &[u8]) {
        let code = o.http.response_code.unwrap_or(200);
        if status != code {
            self.bad(format!("status: {status}, but the model says {code}"));
        }
        if let Some(name) = error_name(headers) {
            self.bad(format!("header x-amzn-ErrorType: {name} on a success"));
        }
        if status == 204 || code == 204 {
            if !body.is_empty() {
                self.bad(format!("$: {} body bytes in a 204", body.len()));
            }
            return;
        }
        let no_output = Shape::default();
        let shape = self.m.members_of(&o.output).unwrap_or(&no_output);
        // SDKs read an empty body as `{}`.
        let value = match body.is_empty() {
            true => Some(Value::Object(Map::new())),
            false => self.json(headers, body),
        };
        match value {
            Some(Value::Object(obj)) => {
                let members = shape.members.iter().collect();
                self.object(&obj, &members, &shape.required, "$", &[]);
            }
            Some(v) => self.bad(format!("$: expected an object, got {}", kind_of(&v))),
            None => {} // not JSON; already reported
        }
    }

    fn error(&mut self, o: &Operation, status: u16, headers: &HeaderMap, body: &[u8]) {
        let header = "header x-amzn-ErrorType";
        if status >= 500 && status != 503 {
            self.bad(format!("status: {status} is a fault; only 503 is allowed"));
        }
        let Some(name) = error_name(headers) else {
            return self.bad(format!("{header}: missing on a {status}"));
        };
        if name.contains('#') {
            self.bad(format!("{header}: {name:?} carries a namespace"));
        }
        let name = name.rsplit('#').next().unwrap_or_default().to_string();
        let shape = self.m.shapes.get(&name).filter(|s| s.error.is_some());
        let modelled = o.errors.iter().any(|r| r.shape == name);
        let generic = GENERIC_ERRORS.iter().find(|(n, _)| *n == name);
        let expected = match (modelled, shape, generic) {
            (true, Some(s), _) => s.error_status(),
            (_, _, Some((_, code))) => Some(*code),
            _ => {
                let op = &o.name;
                self.bad(format!("{header}: {name} is not an error of {op}"));
                None
            }
        };
        if let Some(code) = expected.filter(|c| *c != status) {
            self.bad(format!("status: {status}, but {name} has {code}"));
        }
        let obj = match self.json(headers, body) {
            Some(Value::Object(obj)) => obj,
            Some(v) => return self.bad(format!("$: expected an object, got {}", kind_of(&v))),
            None => return, // not JSON; already reported
        };
        if let Some(t) = obj.get("__type") {
            let t = t.as_str().unwrap_or_default();
            let short = t.split(':').next().unwrap_or_default().rsplit('#').next();
            if short != Some(name.as_str()) {
                self.bad(format!("$.__type: {t:?} is not {name}"));
            }
        }
        // Every SDK reads `Message` whatever the error shape says, so it is always allowed.
        let (key, message) = (String::from("Message"), message_ref());
        let mut members: Members = shape.iter().flat_map(|s| &s.members).collect();
        members.entry(&key).or_insert(&message);
        let required = shape.map_or(&[][..], |s| &s.required);
        self.object(&obj, &members, required, "$", &["__type"]);
    }

    /// Parses a non-empty JSON body; reports and returns None when it is not JSON.
    fn json(&mut self, headers: &HeaderMap, body: &[u8]) -> Option<Value> {
        let ct = headers.get(http::header::CONTENT_TYPE).map(|v| v.to_str());
        let ct = ct.and_then(Result::ok).unwrap_or_default();
        let ct = ct.to_ascii_lowercase();
        let json_types = ["application/json", "application/x-amz-json"];
        if !json_types.iter().any(|j| ct.starts_with(j)) {
            self.bad(format!("header Content-Type: {ct:?} is not JSON"));
        }
        let parsed = serde_json::from_slice::<Value>(body);
        if let Err(e) = &parsed {
            self.bad(format!("$: body is not JSON ({e})"));
        }
        parsed.ok()
    }

    fn object(
        &mut self,
        obj: &Map<String, Value>,
        members: &Members,
        required: &[String],
        path: &str,
        tolerated: &[&str],
    ) {
        for (k, v) in obj {
            match members.get(k) {
                Some(r) => self.value(v, &r.shape, &format!("{path}.{k}")),
                None if tolerated.contains(&k.as_str()) => {}
                None => self.bad(format!("{path}.{k}: unknown member")),
            }
        }
        for req in required.iter().filter(|r| !obj.contains_key(*r)) {
            self.bad(format!("{path}.{req}: required member missing"));
        }
    }

    fn value(&mut self, v: &Value, shape: &str, path: &str) {
        let model = self.m;
        let s = &model.shapes[shape];
        let mut bad = |what: String| self.bad(format!("{path}: {what} ({shape})"));
        let in_range = |n: usize| {
            let n = n as i64;
            s.min.is_none_or(|m| n >= m) && s.max.is_none_or(|m| n <= m)
        };
        let (min, max) = (s.min.unwrap_or(i64::MIN), s.max.unwrap_or(i64::MAX));
        let (kind, mut nested) = (s.kind.as_str(), vec![]);
        match (kind, v) {
            (_, Value::Null) => bad("null; absent members must be omitted".into()),
            ("structure", Value::Object(m)) => {
                let members: Members = s.members.iter().collect();
                return self.object(m, &members, &s.required, path, &[]);
            }
            ("list", Value::Array(items)) => {
                if !in_range(items.len()) {
                    bad(format!("{} items, allowed {min}..={max}", items.len()));
                }
                let item = &s.member.as_ref().expect("list member").shape;
                for (i, x) in items.iter().enumerate() {
                    nested.push((x.clone(), item, format!("{path}[{i}]")));
                }
            }
            ("map", Value::Object(m)) => {
                if !in_range(m.len()) {
                    bad(format!("{} entries, allowed {min}..={max}", m.len()));
                }
                let key = &s.key.as_ref().expect("map key").shape;
                let val = &s.value.as_ref().expect("map value").shape;
                for (k, x) in m {
                    let at = format!("{path}[{k:?}]");
                    nested.push((Value::from(k.as_str()), key, format!("{at}<key>")));
                    nested.push((x.clone(), val, at));
                }
            }
            ("string", Value::String(t)) => {
                if let Some(allowed) = s.enum_values.as_ref().filter(|e| !e.contains(t)) {
                    bad(format!("{t:?} is not one of {allowed:?}"));
                }
                let n = t.chars().count();
                if !in_range(n) {
                    bad(format!("length {n}, allowed {min}..={max}"));
                }
            }
            ("integer" | "long", Value::Number(n)) => match n.as_i64() {
                Some(i) if kind == "integer" && i32::try_from(i).is_err() => {
                    bad(format!("{i} overflows a 32-bit integer"))
                }
                Some(i) if i < min || i > max => bad(format!("{i} not in {min}..={max}")),
                Some(_) => {}
                None => bad(format!("{n} is not a 64-bit integer")),
            },
            ("boolean", Value::Bool(_)) | ("double" | "float", Value::Number(_)) => {}
            ("timestamp", Value::Number(_)) => {} // epoch seconds, fraction allowed
            (kind, v) => bad(format!("expected {kind}, got {}", kind_of(v))),
        }
        for (x, shape, at) in nested {
            self.value(&x, shape, &at);
        }
    }
}

fn message_ref() -> ShapeRef {
    let shape = "ErrorMessageType".to_string();
    ShapeRef {
        shape,
        ..ShapeRef::default()
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "non-integer number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Querystring text: booleans true/false, timestamps given as epoch numbers → ISO 8601,
/// anything else as its plain text (strings unquoted, so raw bad values pass through).
fn query_value(v: &Value, kind: &str) -> String {
    match (kind, v) {
        ("timestamp", Value::Number(n)) => format_iso8601(n.as_f64().unwrap_or_default()),
        (_, other) => scalar(other).unwrap_or_else(|| other.to_string()),
    }
}

/// botocore's `_timestamp_iso8601`: `%Y-%m-%dT%H:%M:%SZ`, or `%Y-%m-%dT%H:%M:%S.%fZ`
/// when there is a fraction of a second.
pub fn format_iso8601(epoch: f64) -> String {
    let micros = (epoch * 1e6).round() as i64;
    let (secs, frac) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    // Civil-from-days (H. Hinnant), proleptic Gregorian, UTC.
    let z = secs.div_euclid(86_400) + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let t = secs.rem_euclid(86_400);
    let (h, m, s) = (t / 3600, t / 60 % 60, t % 60);
    let frac = Some(frac).filter(|f| *f > 0).map(|f| format!(".{f:06}"));
    let frac = frac.unwrap_or_default();
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{frac}Z")
}

#[cfg(test)]
mod tests;
