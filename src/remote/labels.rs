//! Modification times carried by a document label (WorkDocs) or tag (LogicalDOC). WorkDocs
//! fixes a version's ContentModifiedTimestamp when the upload starts, and LogicalDOC has no
//! settable content time at all, so an mtime the store cannot hold is recorded as the label `mtime=<16 hex digits: nanoseconds since the epoch>.<first 8 hex digits of
//! sha256(version id)>` (31 characters, within the model's 32-character `SharedLabel` pattern).
//! The hash binds the label to one version: once another version is the latest, the label no
//! longer applies and the version's own timestamp shows again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// What every mtime label starts with.
pub const PREFIX: &str = "mtime=";

/// The 8 lowercase hex digits naming `version` in a label.
fn version_tag(version: &str) -> String {
    hex::encode(&Sha256::digest(version.as_bytes())[..4])
}

/// The label recording `mtime` for `version`; `None` for a time before 1970 or after 2554,
/// which 16 hex digits of nanoseconds cannot hold.
pub fn mtime_label(mtime: SystemTime, version: &str) -> Option<String> {
    let ns = mtime.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    let ns = u64::try_from(ns).ok()?;
    Some(format!("{PREFIX}{ns:016x}.{}", version_tag(version)))
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// (nanoseconds, version tag) of a well-formed mtime label.
fn parse(label: &str) -> Option<(u64, &str)> {
    let (ns, tag) = label.strip_prefix(PREFIX)?.split_once('.')?;
    if !is_lower_hex(ns, 16) || !is_lower_hex(tag, 8) {
        return None;
    }
    Some((u64::from_str_radix(ns, 16).ok()?, tag))
}

/// The mtime a document's labels record for its latest version `version`, if any (the latest
/// one should several match).
pub fn mtime_of(labels: &[String], version: &str) -> Option<SystemTime> {
    let tag = version_tag(version);
    let bound = labels.iter().filter_map(|l| parse(l));
    let ns = bound.filter(|(_, t)| *t == tag).map(|(ns, _)| ns).max()?;
    Some(UNIX_EPOCH + Duration::from_nanos(ns))
}

/// The parameter of a WorkDocs version's content type that carries its exact mtime.
const CONTENT_TYPE_PARAM: &str = "docsfs-mtime-ns";

/// The content type an upload declares: `base`, with the exact mtime as a parameter when the
/// millisecond ContentModifiedTimestamp cannot hold it (`application/octet-stream;
/// docsfs-mtime-ns=1700000000123456789`). A version's content type is fixed with the version,
/// so the time needs no request of its own and applies to that version only.
pub fn content_type_with_mtime(base: &str, mtime: SystemTime) -> String {
    let Some(ns) = mtime
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
    else {
        return base.to_owned();
    };
    if ns % 1_000_000 == 0 {
        return base.to_owned();
    }
    format!("{base}; {CONTENT_TYPE_PARAM}={ns}")
}

/// The exact mtime a version's content type carries, if it agrees with the version's
/// millisecond timestamp `ms_mtime` (a parameter another client copied onto other content
/// with another time is ignored).
pub fn mtime_of_content_type(content_type: &str, ms_mtime: SystemTime) -> Option<SystemTime> {
    let value = content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(CONTENT_TYPE_PARAM)).then(|| v.trim())
    })?;
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let at = UNIX_EPOCH + Duration::from_nanos(value.parse().ok()?);
    let ms = |t: SystemTime| t.duration_since(UNIX_EPOCH).ok().map(|d| d.as_millis());
    (ms(at) == ms(ms_mtime) && ms(at).is_some()).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_carries_the_exact_time_of_its_version() {
        let exact = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let ms = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let ct = content_type_with_mtime("application/octet-stream", exact);
        assert_eq!(
            ct,
            "application/octet-stream; docsfs-mtime-ns=1700000000123456789"
        );
        assert_eq!(mtime_of_content_type(&ct, ms), Some(exact));
        // Another millisecond: the parameter is not this version's time.
        let other = UNIX_EPOCH + Duration::from_millis(1_700_000_000_124);
        assert_eq!(mtime_of_content_type(&ct, other), None);
        // A whole millisecond needs no parameter; junk is ignored.
        assert_eq!(content_type_with_mtime("text/plain", ms), "text/plain");
        assert_eq!(mtime_of_content_type("text/plain", ms), None);
        let junk = "text/plain; docsfs-mtime-ns=12x";
        assert_eq!(mtime_of_content_type(junk, ms), None);
    }

    #[test]
    fn format_and_round_trip() {
        let at = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        let label = mtime_label(at, "1700000000123-abcdefgh").expect("label");
        assert_eq!(label.len(), 31);
        assert!(label.starts_with("mtime=17979cfe3d85cd15."), "{label}");
        let sha = hex::encode(Sha256::digest(b"1700000000123-abcdefgh"));
        assert_eq!(&label[23..], &sha[..8]);
        assert_eq!(
            mtime_of(std::slice::from_ref(&label), "1700000000123-abcdefgh"),
            Some(at)
        );
        assert_eq!(mtime_of(&[label], "another-version"), None);
        assert_eq!(mtime_label(UNIX_EPOCH - Duration::from_secs(1), "v"), None);
    }

    #[test]
    fn malformed_labels_are_ignored() {
        let tag = version_tag("v");
        for bad in [
            format!("mtime=17979CFE3D85CD15.{tag}"),
            format!("mtime=17979cfe3d85cd1.{tag}"),
            format!("mtime=17979cfe3d85cd15{tag}"),
            format!("Mtime=17979cfe5f7c4315.{tag}"),
            "mtime=".to_owned(),
        ] {
            assert_eq!(mtime_of(std::slice::from_ref(&bad), "v"), None, "{bad}");
        }
    }
}
