//! The input format of the response targets: an HTTP answer as text, so that the seeds are
//! readable answers. A first line of three digits is the status, the `Name: value` lines after
//! it are headers up to an empty line, and the rest is the body; an input that does not start
//! with a status line is all body, answered 200 without headers.

use http::StatusCode;
use http::header::{HeaderMap, HeaderName, HeaderValue};

pub struct Answer<'a> {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: &'a [u8],
}

/// Splits off the first line (without its `\n` or `\r\n`).
fn line(data: &[u8]) -> (&[u8], Option<&[u8]>) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (
            data[..i].strip_suffix(b"\r").unwrap_or(&data[..i]),
            Some(&data[i + 1..]),
        ),
        None => (data, None),
    }
}

pub fn answer(data: &[u8]) -> Answer<'_> {
    let all_body = Answer {
        status: StatusCode::OK,
        headers: HeaderMap::new(),
        body: data,
    };
    let (first, rest) = line(data);
    let status = std::str::from_utf8(first)
        .ok()
        .filter(|s| s.len() == 3)
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok());
    let (Some(status), Some(mut rest)) = (status, rest) else {
        return all_body;
    };
    let mut headers = HeaderMap::new();
    loop {
        let (l, next) = line(rest);
        if l.is_empty() {
            let body = next.unwrap_or_default();
            return Answer {
                status,
                headers,
                body,
            };
        }
        if let Some(colon) = l.iter().position(|&b| b == b':') {
            let name = HeaderName::from_bytes(&l[..colon]);
            let value = HeaderValue::from_bytes(l[colon + 1..].trim_ascii());
            if let (Ok(name), Ok(value)) = (name, value) {
                headers.append(name, value);
            }
        }
        match next {
            Some(n) => rest = n,
            None => {
                return Answer {
                    status,
                    headers,
                    body: &[],
                };
            }
        }
    }
}

/// The ranges a download asks for, to check each answer against: the whole of a small file,
/// a middle part, and one ending at the largest offset there is.
pub const RANGES: &[(u64, u64)] = &[(0, 1 << 20), (5, 10), (1 << 40, u64::MAX)];
