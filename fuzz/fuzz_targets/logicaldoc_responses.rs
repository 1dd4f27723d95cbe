//! Fuzzes everything the LogicalDOC client makes of a server's answer: JSON answers
//! (`parse_json`, which quotes bare numbers of text members first, then the tolerant accessors
//! of `json`: `items`, `int`, `string`, `version`, `flag`, `strings`), the shapes read from them
//! (`wire::folder`, `wire::document`, `alias_target`, `lock_holder`, the dates), bare answers
//! (`boolean_answer`, `id_answer`, the sid of a login), error answers (`from_answer`, which reads
//! the cause of a 500 from its text) and the headers of a ranged download
//! (`http::wanted_part`). The input is an answer as text (`common`); every parser reads it. No
//! parser may panic, and quoting bare numbers must keep valid JSON valid.

#![no_main]

mod common;

use docsfs::fuzzing::http::wanted_part;
use docsfs::fuzzing::logicaldoc::{from_answer, json, parse_json, session_id, wire};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Every member an answer is read for, as the client reads it.
fn members(v: &Value) {
    for key in [
        "id", "parentId", "folderId", "fileSize", "type", "foldRef", "docRef", "status",
    ] {
        let _ = json::int(v, key);
    }
    for key in ["name", "fileName", "path"] {
        let _ = json::string(v, key);
    }
    for key in ["fileVersion", "version"] {
        let _ = json::version(v, key);
    }
    let _ = json::flag(v, "immutable");
    let _ = json::strings(v, "tags");
    for key in ["date", "creation", "lastModified"] {
        let _ = wire::date(v, key);
    }
}

fuzz_target!(|data: &[u8]| {
    let answer = common::answer(data);
    let body = answer.body;

    let quoted = json::quote_text_numbers(body);
    if serde_json::from_slice::<Value>(body).is_ok() {
        assert!(
            serde_json::from_slice::<Value>(&quoted).is_ok(),
            "quoting the bare numbers of text members broke a valid answer"
        );
    }
    if let Ok(v) = parse_json("op", body) {
        // A single folder or document (getFolder, getDocument, create), and lists of them in
        // every form (listChildren, getPath, list, listPaginated).
        members(&v);
        let _ = wire::folder("folder/getFolder", &v);
        let _ = wire::document("document/getDocument", &v);
        for item in json::items(&v) {
            members(item);
            let _ = wire::folder("folder/listChildren", item);
            let _ = wire::alias_target(item);
            let _ = wire::document("document/listPaginated", item);
            let _ = wire::lock_holder(item);
        }
    }
    let _ = json::boolean_answer(body);
    let _ = json::id_answer(body);
    let _ = session_id(body);
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = wire::parse_date(text);
    }

    let _ = from_answer("op", answer.status, body).to_string();

    for &range in common::RANGES {
        for partial in [false, true] {
            if let Some((_, keep)) = wanted_part(partial, &answer.headers, range) {
                assert!(keep <= range.1 - range.0, "more bytes kept than asked for");
            }
        }
    }
});
