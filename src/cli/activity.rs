//! `docsfs activity [PATH]`: who did what to a folder (and what it holds) or a document of a
//! mount, oldest first, read through the mount's daemon (`control.rs`). One line per event in a
//! terminal — local time, who, the action in words, the item, details — or, with `--json`, a
//! JSON array of objects (`time` in RFC 3339 UTC, `actor`, `action` as the store names it,
//! `item`, `item_type`, `item_id`, `old_name`, `old_parent`, `version`, `participants`).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;

use super::control;
use crate::mount::control::{ActivityOut, Op};

#[derive(Args, Debug)]
pub struct ActivityArgs {
    /// A folder or document inside a docsfs mount (default: the current folder). At a mount's
    /// root: everything the mount's user may see.
    pub path: Option<PathBuf>,
    /// Only what happened since then: a duration back from now (30s, 15m, 1h, 2d) or a time
    /// (2024-05-21T14:00:00Z, 2024-05-21T16:00:00+02:00).
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    pub since: Option<SystemTime>,
    /// At most this many events (the newest ones).
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
    /// Print a JSON array instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// `30s`, `15m`, `1h`, `2d` (back from now), or an RFC 3339 time.
pub fn parse_since(s: &str) -> Result<SystemTime, String> {
    parse_since_at(s, SystemTime::now())
}

fn parse_since_at(s: &str, now: SystemTime) -> Result<SystemTime, String> {
    let s = s.trim();
    let wrong = || {
        format!(
            "{s:?} is neither a duration like 30s, 15m, 1h or 2d nor a time like 2024-05-21T14:00:00Z"
        )
    };
    if let Some(unit) = s.chars().last().filter(char::is_ascii_alphabetic) {
        let number = &s[..s.len() - 1];
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            let n: u64 = number.parse().map_err(|_| wrong())?;
            let secs = match unit {
                's' => Some(n),
                'm' => n.checked_mul(60),
                'h' => n.checked_mul(3600),
                'd' => n.checked_mul(86_400),
                'w' => n.checked_mul(7 * 86_400),
                _ => None,
            }
            .ok_or_else(wrong)?;
            return now.checked_sub(Duration::from_secs(secs)).ok_or_else(wrong);
        }
    }
    // A time needs a date and a time of day, not a bare number.
    if !s.contains('T') && !s.contains('t') {
        return Err(wrong());
    }
    crate::clock::parse_iso8601_ms(s)
        .map(crate::clock::ms_to_system_time)
        .ok_or_else(wrong)
}

pub async fn activity(args: ActivityArgs) -> anyhow::Result<()> {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let target = control::locate(&path)?;
    let since_ms = args.since.map(|t| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    });
    let op = Op::Activity {
        ino: Some(target.ino),
        since_ms,
        limit: args.limit as usize,
    };
    let answer = control::ask(&target, op).await?;
    let events = answer.activity.unwrap_or_default();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&events)?);
    } else {
        for e in &events {
            println!("{}", line(e, &local_time(&e.time)));
        }
    }
    Ok(())
}

/// The action in words: a verb, and what it was done to.
fn action_words(action: &str, item_type: Option<&str>) -> String {
    let (noun, verb) = if let Some(v) = action.strip_prefix("DOCUMENT_") {
        ("file", v)
    } else if let Some(v) = action.strip_prefix("FOLDER_") {
        ("folder", v)
    } else {
        (
            match item_type {
                Some("document") => "file",
                Some("folder") => "folder",
                _ => "",
            },
            action,
        )
    };
    let words = match verb {
        "CREATED" => "created".to_owned(),
        "CHECKED_IN" => "checked in".to_owned(),
        "CHECKED_OUT" => "checked out".to_owned(),
        "RENAMED" => "renamed".to_owned(),
        "MOVED" => "moved".to_owned(),
        "RECYCLED" => "deleted (to the recycle bin)".to_owned(),
        "RESTORED" => "restored".to_owned(),
        "DELETED" => "deleted for good".to_owned(),
        "VERSION_UPLOADED" => "uploaded".to_owned(),
        "VERSION_DELETED" => "deleted a version of".to_owned(),
        "VERSION_VIEWED" => "viewed".to_owned(),
        "VERSION_DOWNLOADED" => "downloaded".to_owned(),
        "REVERTED" => "reverted".to_owned(),
        "SHARED" => "shared".to_owned(),
        "UNSHARED" => "unshared".to_owned(),
        "SHARE_PERMISSION_CHANGED" => "changed the share of".to_owned(),
        other => other.to_ascii_lowercase().replace('_', " "),
    };
    if noun.is_empty() {
        words
    } else {
        format!("{words} {noun}")
    }
}

/// One event for people: time, who, action, item, details.
fn line(e: &ActivityOut, time: &str) -> String {
    let mut out = format!(
        "{time}  {}  {}",
        e.actor,
        action_words(&e.action, e.item_type.as_deref())
    );
    if let Some(item) = &e.item {
        out.push_str(&format!("  {item}"));
    }
    let mut details = Vec::new();
    if let Some(old) = &e.old_name {
        details.push(format!("was {old}"));
    }
    if let Some(from) = &e.old_parent {
        details.push(format!("from {from}"));
    }
    if let (Some(v), true) = (&e.version, e.action.contains("VERSION")) {
        details.push(format!("version {v}"));
    }
    if !e.participants.is_empty() {
        details.push(format!("with {}", e.participants.join(", ")));
    }
    if !details.is_empty() {
        out.push_str(&format!("  ({})", details.join("; ")));
    }
    out
}

/// An RFC 3339 time as local `YYYY-MM-DD HH:MM:SS` (as given when unreadable).
fn local_time(rfc3339: &str) -> String {
    let Some(ms) = crate::clock::parse_iso8601_ms(rfc3339) else {
        return rfc3339.to_owned();
    };
    let secs = ms.div_euclid(1000) as libc::time_t;
    // SAFETY: localtime_r writes into the `tm` we own and reads only `secs`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return rfc3339.to_owned();
        }
        tm
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_times() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let back = |s: &str| {
            now.duration_since(parse_since_at(s, now).unwrap())
                .unwrap()
                .as_secs()
        };
        assert_eq!(back("30s"), 30);
        assert_eq!(back("15m"), 900);
        assert_eq!(back("1h"), 3600);
        assert_eq!(back("2d"), 172_800);
        assert_eq!(back("1w"), 604_800);
        let t = parse_since_at("1970-01-02T00:00:00Z", now).unwrap();
        assert_eq!(t, SystemTime::UNIX_EPOCH + Duration::from_secs(86_400));
        let t = parse_since_at("1970-01-02T02:00:00+02:00", now).unwrap();
        assert_eq!(t, SystemTime::UNIX_EPOCH + Duration::from_secs(86_400));
        for bad in [
            "",
            "h",
            "5y",
            "-5m",
            "1.5h",
            "12",
            "yesterday",
            "99999999999999999999d",
        ] {
            assert!(parse_since_at(bad, now).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_event_reads_as_a_sentence_with_its_details() {
        let e = ActivityOut {
            time: "2024-05-21T14:03:11.000Z".into(),
            actor: "alice".into(),
            action: "DOCUMENT_RENAMED".into(),
            item: Some("b.txt".into()),
            item_type: Some("document".into()),
            item_id: Some("d1".into()),
            old_name: Some("a.txt".into()),
            old_parent: None,
            version: Some("v1".into()),
            participants: vec![],
        };
        assert_eq!(line(&e, "T"), "T  alice  renamed file  b.txt  (was a.txt)");
        let shared = ActivityOut {
            action: "FOLDER_SHARED".into(),
            item: Some("Team".into()),
            old_name: None,
            participants: vec!["bob".into()],
            ..e
        };
        assert_eq!(
            line(&shared, "T"),
            "T  alice  shared folder  Team  (with bob)"
        );
        assert_eq!(action_words("SOMETHING_NEW", None), "something new");
    }
}
